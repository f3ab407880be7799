/* Text forms of decoded messages, for logs and tests (ofp_msg_format()). */
#include "ofp-msg.h"

#include <inttypes.h>

static const char *
flow_mod_command_name(uint8_t command)
{
    static const char *names[] = {
        "add", "modify", "modify_strict", "delete", "delete_strict"
    };
    return command < 5 ? names[command] : "?";
}

static void
format_buckets(const struct ofp_bucket *buckets, size_t n, struct ofpbuf *s)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_bucket *bk = &buckets[i];
        ofpbuf_printf(s, " bucket=");
        if (bk->weight) {
            ofpbuf_printf(s, "weight:%u,", bk->weight);
        }
        if (bk->watch_port != OFPP13_ANY) {
            ofpbuf_printf(s, "watch_port:%" PRIu32 ",", bk->watch_port);
        }
        if (bk->watch_group != OFPG_ANY) {
            ofpbuf_printf(s, "watch_group:%" PRIu32 ",", bk->watch_group);
        }
        ofpbuf_printf(s, "actions=");
        ofp_actions_format(bk->actions.actions, bk->actions.n, s);
    }
}

static void
format_multipart(const struct ofp_msg *msg, struct ofpbuf *s)
{
    const struct ofp_multipart_body *mp = &msg->mp;
    const char *name = ofp_mp_type_name(mp->type);
    bool reply = msg->type == OFPT_MULTIPART_REPLY;

    ofpbuf_printf(s, " %s%s", name ? name : "?",
                  mp->flags & OFPMPF_MORE ? " more" : "");
    if (!reply) {
        switch (mp->type) {
        case OFPMP_FLOW:
        case OFPMP_AGGREGATE:
            ofpbuf_printf(s, " table=%u ", mp->flow_req.table_id);
            ofp_match_format(&mp->flow_req.match, s);
            break;
        case OFPMP_PORT_STATS:
        case OFPMP_GROUP:
        case OFPMP_METER:
            ofpbuf_printf(s, " id=%" PRIu32, mp->port_no);
            break;
        }
        return;
    }
    switch (mp->type) {
    case OFPMP_DESC:
        if (mp->desc) {
            ofpbuf_printf(s, " mfr=\"%s\" hw=\"%s\" sw=\"%s\" dp=\"%s\"",
                          mp->desc->mfr_desc, mp->desc->hw_desc,
                          mp->desc->sw_desc, mp->desc->dp_desc);
        }
        break;
    case OFPMP_AGGREGATE:
        ofpbuf_printf(s, " packets=%" PRIu64 " bytes=%" PRIu64 " flows=%"
                      PRIu32, mp->aggregate.packet_count,
                      mp->aggregate.byte_count, mp->aggregate.flow_count);
        break;
    case OFPMP_FLOW:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_flow_stats *fs = &mp->list.flows[i];
            ofpbuf_printf(s, " [table=%u priority=%u packets=%" PRIu64
                          " bytes=%" PRIu64 " ", fs->table_id, fs->priority,
                          fs->packet_count, fs->byte_count);
            ofp_match_format(&fs->match, s);
            ofpbuf_printf(s, " actions=");
            ofp_insts_format(&fs->insts, s);
            ofpbuf_printf(s, "]");
        }
        break;
    case OFPMP_TABLE:
    case OFPMP_PORT_STATS:
    case OFPMP_PORT_DESC:
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
    case OFPMP_METER:
        ofpbuf_printf(s, " n=%zu", mp->list.n);
        break;
    }
}

void
ofp_msg_format(const struct ofp_msg *msg, struct ofpbuf *s)
{
    const char *name = ofp_msg_type_name(msg->type);
    char ebuf[80];

    if (name) {
        ofpbuf_printf(s, "%s", name);
    } else {
        ofpbuf_printf(s, "type%u", msg->type);
    }
    ofpbuf_printf(s, " xid=%" PRIu32, msg->xid);
    if (msg->version != OFP13_VERSION_WIRE) {
        ofpbuf_printf(s, " version=0x%02x", msg->version);
    }

    switch (msg->type) {
    case OFPT_HELLO:
        if (msg->hello.has_bitmap) {
            ofpbuf_printf(s, " versions=0x%" PRIx32, msg->hello.bitmap);
        }
        break;
    case OFPT_ERROR:
        ofpbuf_printf(s, " %s",
                      ofp_error_format((struct ofp_error) {
                          msg->error.type, msg->error.code }, ebuf,
                          sizeof ebuf));
        break;
    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
        ofpbuf_printf(s, " len=%zu", msg->echo.len);
        break;
    case OFPT_FEATURES_REPLY:
        ofpbuf_printf(s, " dpid=%016" PRIx64 " n_tables=%u n_buffers=%"
                      PRIu32 " aux=%u", msg->features.datapath_id,
                      msg->features.n_tables, msg->features.n_buffers,
                      msg->features.auxiliary_id);
        break;
    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG:
        ofpbuf_printf(s, " flags=0x%x miss_send_len=%u", msg->config.flags,
                      msg->config.miss_send_len);
        break;
    case OFPT_PACKET_IN:
        ofpbuf_printf(s, " table=%u reason=%u cookie=0x%" PRIx64
                      " total_len=%u ", msg->packet_in.table_id,
                      msg->packet_in.reason, msg->packet_in.cookie,
                      msg->packet_in.total_len);
        ofp_match_format(&msg->packet_in.match, s);
        ofpbuf_printf(s, " data_len=%zu", msg->packet_in.data_len);
        break;
    case OFPT_PACKET_OUT:
        ofpbuf_printf(s, " in_port=%" PRIu32 " buffer=0x%" PRIx32
                      " actions=", msg->packet_out.in_port,
                      msg->packet_out.buffer_id);
        ofp_actions_format(msg->packet_out.actions.actions,
                           msg->packet_out.actions.n, s);
        ofpbuf_printf(s, " data_len=%zu", msg->packet_out.data_len);
        break;
    case OFPT_FLOW_MOD: {
        const struct ofp_flow_mod_body *fm = &msg->flow_mod;
        ofpbuf_printf(s, " %s table=%u priority=%u",
                      flow_mod_command_name(fm->command), fm->table_id,
                      fm->priority);
        if (fm->cookie || fm->cookie_mask) {
            ofpbuf_printf(s, " cookie=0x%" PRIx64 "/0x%" PRIx64, fm->cookie,
                          fm->cookie_mask);
        }
        if (fm->idle_timeout || fm->hard_timeout) {
            ofpbuf_printf(s, " idle=%u hard=%u", fm->idle_timeout,
                          fm->hard_timeout);
        }
        if (fm->flags) {
            ofpbuf_printf(s, " flags=0x%x", fm->flags);
        }
        ofpbuf_printf(s, " ");
        ofp_match_format(&fm->match, s);
        ofpbuf_printf(s, " actions=");
        ofp_insts_format(&fm->insts, s);
        break;
    }
    case OFPT_FLOW_REMOVED:
        ofpbuf_printf(s, " table=%u priority=%u reason=%u packets=%" PRIu64
                      " bytes=%" PRIu64 " ", msg->flow_removed.table_id,
                      msg->flow_removed.priority, msg->flow_removed.reason,
                      msg->flow_removed.packet_count,
                      msg->flow_removed.byte_count);
        ofp_match_format(&msg->flow_removed.match, s);
        break;
    case OFPT_PORT_STATUS:
        ofpbuf_printf(s, " reason=%u port=%" PRIu32 " name=%s",
                      msg->port_status.reason, msg->port_status.port.port_no,
                      msg->port_status.port.name);
        break;
    case OFPT_GROUP_MOD:
        ofpbuf_printf(s, " command=%u type=%u group=%" PRIu32,
                      msg->group_mod.command, msg->group_mod.type,
                      msg->group_mod.group_id);
        format_buckets(msg->group_mod.buckets, msg->group_mod.n_buckets, s);
        break;
    case OFPT_METER_MOD:
        ofpbuf_printf(s, " command=%u flags=0x%x meter=%" PRIu32,
                      msg->meter_mod.command, msg->meter_mod.flags,
                      msg->meter_mod.meter_id);
        for (size_t i = 0; i < msg->meter_mod.n_bands; i++) {
            const struct ofp_meter_band *b = &msg->meter_mod.bands[i];
            ofpbuf_printf(s, " band=%s,rate=%" PRIu32 ",burst=%" PRIu32,
                          b->type == OFPMBT13_DROP ? "drop" : "dscp_remark",
                          b->rate, b->burst_size);
            if (b->type == OFPMBT13_DSCP_REMARK) {
                ofpbuf_printf(s, ",prec_level=%u", b->prec_level);
            }
        }
        break;
    case OFPT_MULTIPART_REQUEST:
    case OFPT_MULTIPART_REPLY:
        format_multipart(msg, s);
        break;
    case OFPT_ROLE_REQUEST:
    case OFPT_ROLE_REPLY:
        ofpbuf_printf(s, " role=%" PRIu32 " generation=%" PRIu64,
                      msg->role.role, msg->role.generation_id);
        break;
    default:
        break;
    }
    ofpbuf_cstr(s);
}
