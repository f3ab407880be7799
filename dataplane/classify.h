/*
 * classify: which slice a frame belongs to, decided once at ingress.
 *
 * On an access port the binding comes from the port and the frame's VLAN
 * id: an untagged (or priority-tagged, VID 0) frame takes the port's
 * untagged binding, a tagged one the binding of its VID.  A port may
 * instead be bound whole (CLASSIFY_WHOLE): every frame on it, tagged or
 * not, takes that one binding, and no other binding may exist on the port
 * (nor may a whole binding be added where another exists).  On a link port
 * the frame must be Ethernet over MPLS and its top label, looked up in the
 * switch's label table, names the slice.  Nothing a slice's forwarding
 * plane does afterwards can change the result.
 *
 * Frame layouts:
 *
 *   access:   dst src [0x8100 TCI] type payload
 *   link:     dst src 0x8847 | label(20) tc(3) s(1) ttl(8) | cw(32)=0 | inner frame
 *
 * The 4-byte zero control word (RFC 4385) lets tcpdump and Wireshark
 * recognise the payload as an Ethernet pseudowire.
 */
#ifndef LAMINA_CLASSIFY_H
#define LAMINA_CLASSIFY_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN_ 14
#define ETHTYPE_VLAN 0x8100
#define ETHTYPE_MPLS 0x8847
#define EOMPLS_HLEN (ETH_HLEN_ + 4 + 4)    /* outer Ethernet, label, CW */
#define CLASSIFY_UNTAGGED (-1)
#define CLASSIFY_MALFORMED (-2)
#define CLASSIFY_WHOLE (-3)         /* 'vlan' of a whole-port binding */
#define CLASSIFY_N_VLANS 4096

/* The bindings of one access port. */
struct classify_port {
    void *whole;                    /* binding of every frame, or NULL */
    void *untagged;                 /* binding for untagged frames */
    void **vlans;                   /* [CLASSIFY_N_VLANS], NULL until used */
    uint32_t n_tagged;              /* bindings in 'vlans' */
};

static inline uint16_t
classify_be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

/* Returns the frame's VLAN id, CLASSIFY_UNTAGGED, or CLASSIFY_MALFORMED. */
static inline int
classify_vlan(const uint8_t *frame, uint32_t len)
{
    if (len < ETH_HLEN_) {
        return CLASSIFY_MALFORMED;
    }
    if (classify_be16(frame + 12) != ETHTYPE_VLAN) {
        return CLASSIFY_UNTAGGED;
    }
    if (len < ETH_HLEN_ + 4) {
        return CLASSIFY_MALFORMED;
    }
    int vid = classify_be16(frame + 14) & 0xfff;
    return vid ? vid : CLASSIFY_UNTAGGED;
}

/* Returns the binding of a frame on an access port, or NULL; '*vlan' is
 * set to the VID (or CLASSIFY_UNTAGGED / CLASSIFY_MALFORMED). */
static inline void *
classify_access(const struct classify_port *cp, const uint8_t *frame,
                uint32_t len, int *vlan)
{
    *vlan = classify_vlan(frame, len);
    if (cp->whole) {
        return *vlan == CLASSIFY_MALFORMED ? NULL : cp->whole;
    }
    if (*vlan == CLASSIFY_UNTAGGED) {
        return cp->untagged;
    }
    if (*vlan < 0 || !cp->vlans) {
        return NULL;
    }
    return cp->vlans[*vlan];
}

/* Parses an Ethernet-over-MPLS frame.  Returns true and the top label and
 * TTL if the frame is long enough and bottom-of-stack is set. */
static inline bool
classify_mpls(const uint8_t *frame, uint32_t len, uint32_t *label,
              uint8_t *ttl)
{
    if (len < EOMPLS_HLEN + ETH_HLEN_
        || classify_be16(frame + 12) != ETHTYPE_MPLS) {
        return false;
    }
    const uint8_t *l = frame + ETH_HLEN_;
    if (!(l[2] & 1)) {
        return false;           /* a stack: Lamina uses one label */
    }
    *label = (uint32_t) l[0] << 12 | (uint32_t) l[1] << 4 | l[2] >> 4;
    *ttl = l[3];
    return true;
}

/* Writes an MPLS label entry (bottom of stack) at 'p'. */
static inline void
classify_put_label(uint8_t *p, uint32_t label, uint8_t ttl)
{
    p[0] = label >> 12;
    p[1] = label >> 4;
    p[2] = (uint8_t) (label << 4) | 1;
    p[3] = ttl;
}

/* Binds 'binding' to untagged frames (CLASSIFY_UNTAGGED), to every frame
 * (CLASSIFY_WHOLE) or to 'vlan'.  Returns 0, EEXIST if taken (a whole
 * binding conflicts with any other on the port), EINVAL for a bad VID,
 * ENOMEM. */
int classify_bind(struct classify_port *, int vlan, void *binding);
/* Removes the binding of 'vlan' (or untagged, or whole). */
void classify_unbind(struct classify_port *, int vlan);
/* Returns the binding that frames of 'vlan' (or untagged) take, without a
 * frame: the whole-port binding if there is one.  For CLASSIFY_WHOLE:
 * the whole binding, else the untagged one, else any tagged one, i.e. a
 * binding a whole binding would conflict with. */
void *classify_get(const struct classify_port *, int vlan);
void classify_port_destroy(struct classify_port *);

#endif /* LAMINA_CLASSIFY_H */
