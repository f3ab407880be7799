/*
 * switch_cli: `lamina switch|port|link|slice|vnode|vport|vlink|queue|stats`,
 * the table of lamina-switchd's command group for the runner in
 * cli/runner/cli_runner.h.  See switch_cli.h.
 */
#include "switch_cli.h"

#include "cli.h"
#include "util.h"

static const struct cli_option switch_cli_options[] = {
    { "rate", "rate_bps", CLI_RATE },
    { "queue-len", "queue_len", CLI_UINT },
    { "delay", "delay_us", CLI_DELAY },
    { "loss", "loss_ppm", CLI_LOSS },
    { "up", "up", CLI_TRUE },
    { "down", "up", CLI_FALSE },
    { "guarantee", "guarantee_bps", CLI_RATE },
    { "ceiling", "ceiling_bps", CLI_RATE },
    { "policer", "policer_bps", CLI_RATE },
    { "policer-burst", "policer_burst", CLI_UINT },
    { "budget", "budget", CLI_UINT },
    { "mbuf-quota", "mbuf_quota", CLI_UINT },
    { "table-quota", "table_quota", CLI_UINT },
    { "gso-quota", "gso_quota", CLI_UINT },
    { "workers", "workers", CLI_UINT },
    { "fp", "fp", CLI_STRING },
    { "program", "program", CLI_STRING },
    { "devargs-a", "devargs_a", CLI_STRING },
    { "devargs-b", "devargs_b", CLI_STRING },
    { "config", "config", CLI_JSON },
    { "vlan", "vlan", CLI_UINT },
    { "vlans", "vlans", CLI_LIST },
    { "keep-tag", "keep_tag", CLI_TRUE },
    { "path", "path", CLI_LIST },
    { "label", "label", CLI_UINT },
    { "border", "border", CLI_JSON },
    { "border-in", "border_in", CLI_JSON },
    { "bfd", "bfd", CLI_JSON },
    { "backup", "backup", CLI_LIST },
    { "hold", "hold_ms", CLI_UINT },
    { "backup-border", "backup_border", CLI_JSON },
    { "no-bfd", "bfd", CLI_FALSE },

    { "vport", "vport", CLI_STRING },
    { "write", "file", CLI_STRING },
    { "count", "count", CLI_UINT },
    { "snaplen", "snaplen", CLI_UINT },
};

static const struct cli_command switch_cli_commands[] = {
    { "switch add", "switch.add", "name", "workers", "NAME [--workers N]",
      "add a substrate switch (served by N worker lcores, its ports split "
      "among them; default 1)" },
    { "switch del", "switch.del", "name", "", "NAME",
      "delete a switch (it must have no ports, vnodes or labels)" },
    { "switch list", "switch.list", "", "", "", "list switches" },
    { "switch config", "config.get", "", "", "",
      "print the whole configuration (as saved in the state file)" },
    { "switch workers", "workers.get", "", "", "",
      "print the load of the forwarding lcores" },
    { "switch version", "daemon.version", "", "", "",
      "print the daemon's version, pid and paths" },

    { "port add", "port.add", "switch name devargs",
      "rate queue-len delay loss bfd",
      "SWITCH NAME DEVARGS [--rate RATE] [--delay D] [--loss L] [--queue-len N]"
      " [--bfd '{\"local\":IP,\"peer\":IP}']",
      "add a DPDK port, e.g. net_af_packet0,iface=veth1 or net_null0" },
    { "port del", "port.del", "switch name", "", "SWITCH NAME",
      "delete a port" },
    { "port set", "port.set", "switch name", "rate delay loss up down bfd no-bfd",
      "SWITCH NAME [--rate RATE] [--delay D] [--loss L] [--up|--down] "
      "[--bfd '{\"local\":IP,\"peer\":IP,\"tx_ms\":10,\"rx_ms\":10,"
      "\"multiplier\":3}'|--no-bfd]",
      "set a port's emulated egress rate (0: unlimited), delay, loss, state "
      "or BFD session (RFC 5881 single hop to a peer on the port)",
      .need_option = true },
    { "port list", "port.list", "switch?", "", "[SWITCH]", "list ports" },

    { "link add", "link.add",
      "name sw_a:port_a=SWITCH:PORT sw_b:port_b=SWITCH:PORT",
      "rate delay loss down devargs-a devargs-b bfd",
      "NAME SW_A:PORT SW_B:PORT [--rate RATE] [--delay D] [--loss L] [--down]"
      " [--devargs-a DEVARGS --devargs-b DEVARGS] [--bfd '{\"tx_ms\":10}']",
      "link two switches of the daemon; each end becomes a port (rings "
      "inside the process, or the two given DPDK devices, e.g. af_packet "
      "on a veth pair)" },
    { "link set", "link.set", "name", "rate delay loss up down bfd no-bfd",
      "NAME [--rate RATE] [--delay D] [--loss L] [--up|--down] "
      "[--bfd '{\"tx_ms\":10,\"rx_ms\":10,\"multiplier\":3}'|--no-bfd]",
      "change a link's emulated rate, delay, loss, state or BFD sessions" },
    { "bfd list", "bfd.list", "", "", "",
      "list BFD sessions: state, peer, timers, last detection time" },
    { "link del", "link.del", "name", "", "NAME", "delete a link" },
    { "link list", "link.list", "", "", "", "list links" },

    { "slice add", "slice.add", "name",
      "guarantee ceiling policer policer-burst budget mbuf-quota table-quota "
      "gso-quota",
      "NAME [--guarantee RATE] [--ceiling RATE] [--policer RATE] "
      "[--policer-burst BYTES] [--budget PKTS] [--mbuf-quota N] "
      "[--table-quota ENTRIES] [--gso-quota N]",
      "add a slice with its default limits" },
    { "slice set", "slice.set", "name",
      "guarantee ceiling policer policer-burst budget mbuf-quota table-quota "
      "gso-quota",
      "NAME [--guarantee RATE] [--ceiling RATE] [--policer RATE] "
      "[--policer-burst BYTES] [--budget PKTS] [--mbuf-quota N] "
      "[--table-quota ENTRIES] [--gso-quota N]",
      "change a slice's limits (others keep their value)" },
    { "slice del", "slice.del", "name", "", "NAME",
      "delete a slice with its vnodes, vports and virtual links" },
    { "slice list", "slice.list", "", "", "", "list slices" },

    { "vnode add", "vnode.add", "slice switch", "fp config program",
      "SLICE SWITCH[/NAME] [--fp l2learn|openflow|ebpf] [--config JSON] "
      "[--program /ABS/PATH.o]",
      "add the slice's vnode on a switch, or a named one (SWITCH/NAME: "
      "several per switch; ebpf: --program, docs/ebpf.md)" },
    { "vnode set", "vnode.set", "slice switch", "config program",
      "SLICE SWITCH [--program /ABS/PATH.o] [--config JSON]",
      "swap a vnode's eBPF program at a round boundary (tables stay)",
      .need_option = true },
    { "vnode table dump", "vnode.table.dump", "slice switch table?", "",
      "SLICE SWITCH [TABLE]", "print an ebpf vnode's tables" },
    { "vnode table set", "vnode.table.set", "slice switch table key value", "",
      "SLICE SWITCH TABLE KEY VALUE",
      "set an entry (key: number, 0xHEX, IPv6/IPv4[/LEN] or MAC)" },
    { "vnode table del", "vnode.table.del", "slice switch table key", "",
      "SLICE SWITCH TABLE KEY", "delete an entry of an ebpf vnode's table" },
    { "vnode del", "vnode.del", "slice switch", "", "SLICE SWITCH",
      "delete a vnode" },
    { "vnode list", "vnode.list", "slice?", "", "[SLICE]", "list vnodes" },
    { "vnode dump", "vnode.dump", "slice switch", "", "SLICE SWITCH",
      "print a vnode's forwarding state (MAC table)" },

    { "vport add", "vport.add", "slice switch vport port",
      "vlan vlans keep-tag",
      "SLICE SWITCH VPORT PORT [--vlan N] [--vlans all|V,F-L,...] [--keep-tag]",
      "bind a vport to an access port: untagged, one VLAN (tag removed), "
      "a VLAN set or the whole port (tags kept)" },
    { "vport del", "vport.del", "slice switch vport", "",
      "SLICE SWITCH VPORT", "delete a vport" },
    { "vport list", "vport.list", "slice?", "", "[SLICE]", "list vports" },

    { "vlink add", "vlink.add", "slice name",
      "path label border border-in backup hold backup-border bfd",
      "SLICE NAME --path SW1,SW2[,...] [--label N] "
      "[--backup SW1,SWx,...,SW2 [--hold MS] [--bfd '{\"tx_ms\":10}']] "
      "[--border '{\"port\":P,\"label\":N}' [--border-in '{...}' | "
      "--backup-border '{...}']]",
      "add a virtual link between the vnodes on the first and last switch, "
      "or (--border) from the first switch's vnode to a border port of the "
      "last, or (both) from a border port of the first to one of the last "
      "(transit); with --backup, traffic moves to the backup path while a "
      "link of the path is down or its BFD session is not Up, and back after "
      "--hold ms (default 1000) up; a border link's backup (--backup SW1[,...]) "
      "leaves by its own --backup-border port and label",
      .required = "path" },
    { "vlink del", "vlink.del", "slice name", "", "SLICE NAME",
      "delete a virtual link" },
    { "vlink list", "vlink.list", "slice?", "", "[SLICE]",
      "list virtual links" },

    { "queue set", "queue.set", "slice switch port", "guarantee ceiling",
      "SLICE SWITCH PORT --guarantee RATE [--ceiling RATE]",
      "set the guarantee and ceiling of one (slice, port) queue",
      .required = "guarantee" },
    { "queue list", "queue.list", "slice?", "", "[SLICE]",
      "list queue settings" },

    { "stats", "stats.get", "kind? name?", "",
      "[port|slice|vnode|queue|link] [NAME]", "print counters" },

    { "capture start", "capture.start", "switch port?", "vport write count "
      "snaplen", "SWITCH PORT|--vport SLICE:VPORT --write FILE [--count N] "
      "[--snaplen BYTES]",
      "capture the frames of a port or a vport into a pcapng file (an "
      "absolute path; read it with tcpdump -r or Wireshark) until --count "
      "frames or `capture stop`", .required = "write" },
    { "capture stop", "capture.stop", "id", "", "ID",
      "stop a capture and close its file" },
    { "capture list", "capture.list", "", "", "",
      "list captures: frames written, lost, state" },

    { "trace live", "trace.live", "switch port", "count",
      "SWITCH PORT --count N",
      "trace the next N (1..100) frames received on PORT the same way as "
      "they arrive; see them with `capture list` (--json) or `capture stop "
      "ID`", .required = "count" },
    { "trace", "trace.packet", "switch port packet", "",
      "SWITCH PORT PACKET",
      "print the path a frame arriving on PORT would take, stage by stage, "
      "without sending it; PACKET is FIELD=VALUE,... (eth_src, eth_dst, "
      "vlan, eth_type, ip_src, ip_dst, proto, tp_src, tp_dst, len) or a hex "
      "dump (`trace live`: real frames)" },
};

const struct cli_table switch_cli_table = {
    .prog = "lamina",
    .daemon = "lamina-switchd",
    .socket_env = "LAMINA_SOCKET",
    .default_socket = SWITCH_CLI_DEFAULT_SOCKET,
    .options = switch_cli_options,
    .n_options = ARRAY_SIZE(switch_cli_options),
    .commands = switch_cli_commands,
    .n_commands = ARRAY_SIZE(switch_cli_commands),
};

int
switch_cli_parse(int argc, char *argv[], struct cli_request *req,
                 char *msg, size_t msg_size)
{
    return cli_parse(&switch_cli_table, argc, argv, req, msg, msg_size);
}

static int
switch_cli_main(int argc, char *argv[])
{
    return cli_run(&switch_cli_table, argc, argv);
}

static const char *const switch_cli_names[] = {
    "switch", "port", "link", "slice", "vnode", "vport", "vlink", "queue",
    "stats", "trace", "capture", "bfd", NULL,
};

const struct cli_group switch_cli_group = {
    .names = switch_cli_names,
    .summary = "manage lamina-switchd (lamina NAME --help)",
    .main = switch_cli_main,
};
