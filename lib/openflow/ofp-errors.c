#include "ofp-errors.h"

#include <stdio.h>

const char *
ofp_error_type_name(uint16_t type)
{
    switch (type) {
#define OFP_ERROR_TYPE_NAME(NAME, VALUE) case VALUE: return #NAME;
    OFP_ERROR_TYPES(OFP_ERROR_TYPE_NAME)
#undef OFP_ERROR_TYPE_NAME
    }
    return NULL;
}

const char *
ofp_error_code_name(uint16_t type, uint16_t code)
{
    static const struct {
        uint16_t type, code;
        const char *name;
    } codes[] = {
#define OFP_ERROR_CODE_ENTRY(TYPE, NAME, VALUE) { TYPE, VALUE, #NAME },
        OFP_ERROR_CODES(OFP_ERROR_CODE_ENTRY)
#undef OFP_ERROR_CODE_ENTRY
    };

    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (codes[i].type == type && codes[i].code == code) {
            return codes[i].name;
        }
    }
    return NULL;
}

char *
ofp_error_format(struct ofp_error err, char *buf, size_t size)
{
    const char *t = ofp_error_type_name(err.type);
    const char *c = ofp_error_code_name(err.type, err.code);

    if (t && c) {
        snprintf(buf, size, "%s/%s", t, c);
    } else {
        snprintf(buf, size, "type %u/code %u", err.type, err.code);
    }
    return buf;
}
