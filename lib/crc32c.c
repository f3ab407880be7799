#include "crc32c.h"

#include <stdbool.h>

static uint32_t crc32c_table[256];
static bool crc32c_ready;

static void
crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;  /* reflected poly */
        }
        crc32c_table[i] = c;
    }
    __atomic_store_n(&crc32c_ready, true, __ATOMIC_RELEASE);
}

uint32_t
crc32c(uint32_t crc, const void *p_, size_t n)
{
    const uint8_t *p = p_;

    if (!__atomic_load_n(&crc32c_ready, __ATOMIC_ACQUIRE)) {
        crc32c_init();          /* idempotent: racing threads write the same */
    }
    crc = ~crc;
    while (n--) {
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}
