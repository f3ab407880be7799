/* Tests of lib/pktdesc (frames for `lamina trace`) and lib/pcapng. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapng.h"
#include "pktdesc.h"

static void
test_fields(void **state)
{
    uint8_t f[PKTDESC_MAX_LEN];
    char err[256];
    size_t len;
    (void) state;

    assert_int_equal(pktdesc_build("eth_dst=ff:ff:ff:ff:ff:ff,vlan=10", f,
                                   &len, err, sizeof err), 0);
    assert_int_equal(len, 60);
    assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\x01", 12);
    assert_memory_equal(f + 12, "\x81\x00\x00\x0a\x88\xb5", 6);

    assert_int_equal(pktdesc_build("ip_src=10.1.2.3,ip_dst=10.0.0.9,proto=udp,"
                                   "tp_dst=53,len=100", f, &len, err,
                                   sizeof err), 0);
    assert_int_equal(len, 100);
    assert_memory_equal(f + 12, "\x08\x00\x45", 3);
    assert_int_equal(f[14 + 9], 17);
    assert_memory_equal(f + 14 + 12, "\x0a\x01\x02\x03\x0a\x00\x00\x09", 8);
    assert_int_equal(f[14 + 20 + 2] << 8 | f[14 + 20 + 3], 53);
    /* The IPv4 header sums to 0xffff with its checksum. */
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += f[14 + i] << 8 | f[14 + i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    assert_int_equal(sum, 0xffff);

    assert_int_equal(pktdesc_build("0200000000020200 00000001:0800", f, &len,
                                   err, sizeof err), 0);
    assert_int_equal(len, 14);
    assert_int_equal(f[13], 0);
}

static void
test_bad_input(void **state)
{
    static const char *const bad[][2] = {
        { "vlan=0", "vlan" }, { "vlan=4095", "vlan" },
        { "eth_src=02:00:00:00:00", "eth_src" }, { "ip_dst=10.0.0", "ip_dst" },
        { "proto=300", "proto" }, { "len=59", "len" }, { "colour=red", "colour" },
        { "tp_dst=65536", "tp_dst" }, { "eth_type=0x86dd,ip_src=1.2.3.4", "eth_type" },
        { "0200", "14" }, { "02zz000000020200000000010800", "hex" },
        { "vlan", "hex" }, { "vlan=1,x", "FIELD=VALUE" },
    };
    uint8_t f[PKTDESC_MAX_LEN];
    char err[256];
    size_t len;
    (void) state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(pktdesc_build(bad[i][0], f, &len, err, sizeof err),
                         EINVAL);
        if (!strstr(err, bad[i][1])) {
            fail_msg("\"%s\": \"%s\" does not name %s", bad[i][0], err,
                     bad[i][1]);
        }
    }
}

static void
test_pcapng(void **state)
{
    char path[] = "/tmp/lamina-test-pcapng-XXXXXX", err[256];
    uint8_t frame[61] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2 };
    struct pcapng *w;
    uint8_t buf[512];
    (void) state;

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(pcapng_open(path, &w, err, sizeof err), 0);
    assert_int_equal(pcapng_interface(w, "s1/p1", 65535), 0);
    assert_int_equal(pcapng_packet(w, 0, 1000000000123ull, frame, 61, 61,
                                   PCAPNG_DIR_OUT), 0);
    assert_int_equal(pcapng_close(w), 0);

    FILE *f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    /* SHB (28) + IDB (16 + if_name 4+8 + if_tsresol 8 + end 4 + 4 = 44)
     * + EPB (28 + 64 + epb_flags 8 + end 4 + 4 = 108). */
    assert_int_equal(n, 28 + 44 + 108);
    uint32_t v;
    memcpy(&v, buf, 4);
    assert_int_equal(v, 0x0a0d0d0a);
    memcpy(&v, buf + 28 + 44, 4);
    assert_int_equal(v, 6);
    memcpy(&v, buf + 28 + 44 + 4, 4);
    assert_int_equal(v, 108);
    memcpy(&v, buf + n - 4, 4);
    assert_int_equal(v, 108);

    /* A symlink is not followed. */
    assert_int_equal(symlink("/tmp/lamina-nowhere", path), 0);
    assert_int_equal(pcapng_open(path, &w, err, sizeof err), ELOOP);
    assert_non_null(strstr(err, path));
    unlink(path);
    assert_int_equal(pcapng_close(NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_pcapng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
