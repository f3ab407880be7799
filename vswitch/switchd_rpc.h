/*
 * switchd_rpc: the management methods of lamina-switchd.
 *
 * Each method checks every parameter (type, range, name syntax, and the
 * relations between them, such as guarantee <= ceiling) before it calls
 * the dataplane, so a refused request changes nothing; the dataplane then
 * checks what only it can know (existence, uniqueness, devargs, labels in
 * use) and refuses as a whole too.  Errors name the object and the field:
 * bad params answer -32602, a refusal of the dataplane answers -32000 with
 * "data": {"errno": "EEXIST", ...}.
 *
 * After every client message that changed something, the whole
 * configuration (dp_config_to_json()) is written to the state file
 * (lib/statefile.h, sections in switchd_state.h) before the answer goes
 * out; if it cannot be written, the change is undone and the client told.
 * At start the state file is replayed through these same methods, so a
 * restored configuration passes exactly the checks a new one would.
 *
 * The method reference, with every parameter, is docs/switchd.md.
 */
#ifndef LAMINA_SWITCHD_RPC_H
#define LAMINA_SWITCHD_RPC_H 1

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "jsonrpc.h"
#include "statefile.h"

/* Ranges accepted from clients. */
#define SWITCHD_MAX_RATE     10000000000000ULL  /* 10 Tbit/s */
#define SWITCHD_MAX_QUEUE    (1u << 20)         /* packets */
#define SWITCHD_MAX_DELAY_US 10000000u          /* 10 s */
#define SWITCHD_MAX_LOSS_PPM 1000000u
#define SWITCHD_MAX_BURST    (1u << 30)         /* bytes */
#define SWITCHD_MAX_BUDGET   (1u << 20)         /* packets per round */
#define SWITCHD_MAX_MBUFS    (1u << 26)
#define SWITCHD_MAX_GSO_MBUFS 16384             /* 64 KiB each: 1 GiB */
#define SWITCHD_MAX_PATH     64                 /* switches in a vlink path */
#define SWITCHD_MAX_DEVARGS  1024

/* What the methods share (the server's aux pointer). */
struct switchd_rpc {
    const char *state_path;     /* state file, or NULL to keep none */
    const char *socket_path;    /* for daemon.version */
    const char *dpdk_version;   /* for daemon.version */
    uint64_t start_ms;          /* time_ms() at start */
    struct jsonrpc_server *server;  /* for replaying and undoing */
    json_t *saved;              /* configuration last saved (or restored) */
    bool replaying;             /* restoring or undoing: not a client */
    unsigned int n_changes;     /* successful changes since start */
    unsigned int n_changes_before;  /* n_changes when the message began */
    unsigned int n_save_errors; /* state file writes that failed */
    bool dirty;                 /* changed since the state file was saved */
};

/* Hooks for jsonrpc_server_set_hooks(): a client message (one request or
 * a batch) runs with the workers paused once, and the state file is saved
 * once after it, before the answer is sent.  If it cannot be saved, the
 * message's changes are undone (the dataplane is taken back to 'saved'
 * through the same methods, statefile_revert()) and every request of it
 * that had succeeded is answered with that error. */
void switchd_rpc_begin(void *rpc);
int switchd_rpc_end(void *rpc, struct jsonrpc_error *);

/* Saves the state file if anything changed since the last save; on
 * failure undoes the change and fills the error. */
int switchd_rpc_commit(struct switchd_rpc *, struct jsonrpc_error *);

/* How the state file is replayed and reverted (switchd_state.h). */
extern const struct statefile_schema switchd_rpc_schema;

/* The method table, for jsonrpc_server_create(). */
extern const struct jsonrpc_method switchd_rpc_methods[];

/* Restores the state file through rpc->server's methods (under one
 * dp_pause()), keeping "FILE.rejected" if something was refused, and
 * takes the result as saved.  Returns 0, ENOENT (no file), or another
 * errno with 'msg' when the file cannot be read. */
int switchd_rpc_restore(struct switchd_rpc *, char *msg, size_t msg_size);

#endif /* LAMINA_SWITCHD_RPC_H */
