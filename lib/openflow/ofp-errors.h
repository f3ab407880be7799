/*
 * ofp-errors: the OpenFlow 1.3 error types and codes, as one list.
 *
 * Every error the codec reports, and every error the switch and the slicer
 * send back to a peer, is a (type, code) pair from section A.4.4 of the
 * OpenFlow 1.3 specification.  The list below is the single place where
 * they are written down; it generates the enums and the strings used in
 * logs ("OFPBMC_BAD_PREREQ"), so a new code cannot be added without its
 * name.
 *
 * struct ofp_error is what ofp_decode() fills in when it refuses a message:
 * the caller can send it straight back with ofp_encode_error_reply().
 */
#ifndef LAMINA_OFP_ERRORS_H
#define LAMINA_OFP_ERRORS_H 1

#include <stdint.h>
#include <stddef.h>

/* X(NAME, value): error types (ofp_error_msg.type). */
#define OFP_ERROR_TYPES(X)                  \
    X(OFPET_HELLO_FAILED, 0)                \
    X(OFPET_BAD_REQUEST, 1)                 \
    X(OFPET_BAD_ACTION, 2)                  \
    X(OFPET_BAD_INSTRUCTION, 3)             \
    X(OFPET_BAD_MATCH, 4)                   \
    X(OFPET_FLOW_MOD_FAILED, 5)             \
    X(OFPET_GROUP_MOD_FAILED, 6)            \
    X(OFPET_PORT_MOD_FAILED, 7)             \
    X(OFPET_TABLE_MOD_FAILED, 8)            \
    X(OFPET_QUEUE_OP_FAILED, 9)             \
    X(OFPET_SWITCH_CONFIG_FAILED, 10)       \
    X(OFPET_ROLE_REQUEST_FAILED, 11)        \
    X(OFPET_METER_MOD_FAILED, 12)           \
    X(OFPET_TABLE_FEATURES_FAILED, 13)      \
    X(OFPET_EXPERIMENTER, 0xffff)

/* X(TYPE, CODE, value): error codes, grouped by type. */
#define OFP_ERROR_CODES(X)                                          \
    X(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, 0)                   \
    X(OFPET_HELLO_FAILED, OFPHFC_EPERM, 1)                          \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, 0)                     \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, 1)                        \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, 2)                   \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER, 3)                \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_EXP_TYPE, 4)                    \
    X(OFPET_BAD_REQUEST, OFPBRC_EPERM, 5)                           \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, 6)                         \
    X(OFPET_BAD_REQUEST, OFPBRC_BUFFER_EMPTY, 7)                    \
    X(OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, 8)                  \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID, 9)                    \
    X(OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, 10)                       \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, 11)                       \
    X(OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET, 12)                     \
    X(OFPET_BAD_REQUEST, OFPBRC_MULTIPART_BUFFER_OVERFLOW, 13)      \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_TYPE, 0)                         \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_LEN, 1)                          \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER, 2)                 \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_EXP_TYPE, 3)                     \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, 4)                     \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT, 5)                     \
    X(OFPET_BAD_ACTION, OFPBAC_EPERM, 6)                            \
    X(OFPET_BAD_ACTION, OFPBAC_TOO_MANY, 7)                         \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_QUEUE, 8)                        \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP, 9)                    \
    X(OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT, 10)              \
    X(OFPET_BAD_ACTION, OFPBAC_UNSUPPORTED_ORDER, 11)               \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_TAG, 12)                         \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE, 13)                    \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN, 14)                     \
    X(OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT, 15)                \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST, 0)                \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST, 1)                  \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID, 2)                \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_METADATA, 3)              \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_METADATA_MASK, 4)         \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_EXPERIMENTER, 5)            \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_EXP_TYPE, 6)                \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, 7)                     \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_EPERM, 8)                       \
    X(OFPET_BAD_INSTRUCTION, OFPBIC_DUP_INST, 9)                    \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_TYPE, 0)                          \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, 1)                           \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_TAG, 2)                           \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_DL_ADDR_MASK, 3)                  \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_NW_ADDR_MASK, 4)                  \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS, 5)                     \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, 6)                         \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, 7)                         \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_MASK, 8)                          \
    X(OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, 9)                        \
    X(OFPET_BAD_MATCH, OFPBMC_DUP_FIELD, 10)                        \
    X(OFPET_BAD_MATCH, OFPBMC_EPERM, 11)                            \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, 0)                    \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL, 1)                 \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID, 2)               \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP, 3)                    \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_EPERM, 4)                      \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TIMEOUT, 5)                \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND, 6)                \
    X(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS, 7)                  \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS, 0)              \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP, 1)             \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_WEIGHT_UNSUPPORTED, 2)        \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS, 3)             \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS, 4)            \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINING_UNSUPPORTED, 5)      \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_WATCH_UNSUPPORTED, 6)         \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP, 7)                      \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP, 8)             \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINED_GROUP, 9)             \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE, 10)                 \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND, 11)              \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET, 12)               \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH, 13)                \
    X(OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM, 14)                    \
    X(OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_PORT, 0)                   \
    X(OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_HW_ADDR, 1)                \
    X(OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_CONFIG, 2)                 \
    X(OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_ADVERTISE, 3)              \
    X(OFPET_PORT_MOD_FAILED, OFPPMFC_EPERM, 4)                      \
    X(OFPET_TABLE_MOD_FAILED, OFPTMFC_BAD_TABLE, 0)                 \
    X(OFPET_TABLE_MOD_FAILED, OFPTMFC_BAD_CONFIG, 1)                \
    X(OFPET_TABLE_MOD_FAILED, OFPTMFC_EPERM, 2)                     \
    X(OFPET_QUEUE_OP_FAILED, OFPQOFC_BAD_PORT, 0)                   \
    X(OFPET_QUEUE_OP_FAILED, OFPQOFC_BAD_QUEUE, 1)                  \
    X(OFPET_QUEUE_OP_FAILED, OFPQOFC_EPERM, 2)                      \
    X(OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS, 0)             \
    X(OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_LEN, 1)               \
    X(OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_EPERM, 2)                 \
    X(OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE, 0)                  \
    X(OFPET_ROLE_REQUEST_FAILED, OFPRRFC_UNSUP, 1)                  \
    X(OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE, 2)               \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN, 0)                   \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS, 1)              \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER, 2)             \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER, 3)             \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND, 4)               \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS, 5)                 \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE, 6)                  \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BURST, 7)                 \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND, 8)                  \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND_VALUE, 9)            \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS, 10)            \
    X(OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS, 11)             \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_TABLE, 0)            \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_METADATA, 1)         \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_TYPE, 2)             \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN, 3)              \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_ARGUMENT, 4)         \
    X(OFPET_TABLE_FEATURES_FAILED, OFPTFFC_EPERM, 5)

enum ofp_error_type {
#define OFP_ERROR_TYPE_ENUM(NAME, VALUE) NAME = VALUE,
    OFP_ERROR_TYPES(OFP_ERROR_TYPE_ENUM)
#undef OFP_ERROR_TYPE_ENUM
};

/* The codes of all types in one enum: the values repeat across types, which
 * is why a code is only meaningful next to its type. */
enum ofp_error_code {
#define OFP_ERROR_CODE_ENUM(TYPE, NAME, VALUE) NAME = VALUE,
    OFP_ERROR_CODES(OFP_ERROR_CODE_ENUM)
#undef OFP_ERROR_CODE_ENUM
};

/* An OpenFlow error, as carried by OFPT_ERROR. */
struct ofp_error {
    uint16_t type;              /* enum ofp_error_type. */
    uint16_t code;              /* enum ofp_error_code of that type. */
};

#define OFP_ERROR(TYPE, CODE) ((struct ofp_error) { (TYPE), (CODE) })

/* Returns the name of error type 'type' ("OFPET_BAD_MATCH") or NULL. */
const char *ofp_error_type_name(uint16_t type);

/* Returns the name of code 'code' of type 'type' ("OFPBMC_BAD_PREREQ") or
 * NULL if the pair is not one the specification defines. */
const char *ofp_error_code_name(uint16_t type, uint16_t code);

/* Writes "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ" (or numbers for unknown pairs)
 * into 'buf' of 'size' bytes; returns 'buf'. */
char *ofp_error_format(struct ofp_error, char *buf, size_t size);

#endif /* LAMINA_OFP_ERRORS_H */
