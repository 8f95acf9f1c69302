/* The dialplan engine: pure functions over the loaded configuration, no
 * actors and no I/O, safe to call from any worker. A channel asks
 * dialplan_route() which actions to run for a call, expands ${var} in their
 * data when it runs them and parses bridge strings. (Q.850 causes and their
 * SIP mappings: q850/.) */
#ifndef PBX_DIALPLAN_H
#define PBX_DIALPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* The same values as enum conf_dp_app. */
enum dp_app {
	DP_ANSWER = CONF_DP_ANSWER,
	DP_PRE_ANSWER = CONF_DP_PRE_ANSWER,
	DP_RING_READY = CONF_DP_RING_READY,
	DP_SET = CONF_DP_SET,
	DP_BRIDGE = CONF_DP_BRIDGE,
	DP_TRANSFER = CONF_DP_TRANSFER,
	DP_HANGUP = CONF_DP_HANGUP,
	DP_SLEEP = CONF_DP_SLEEP,
	DP_LOG = CONF_DP_LOG,
};

/* "answer", "bridge", ...; "?" for anything else. */
const char *dp_app_name(enum dp_app app);

struct dp_action {
	enum dp_app app;
	char *data;            /* owned; NULL when the action has none */
	const char *extension; /* the matching extension's name, borrowed
	                          from the conf */
};

struct dp_actions {
	struct dp_action *v;
	size_t n;
	size_t cap;
};

/* Frees the actions' data and the array, and zeroes *a. */
void dp_actions_free(struct dp_actions *a);

/* The value of a field (destination_number, caller_id_number,
 * caller_id_name, network_addr, profile, context, user) or of a channel
 * variable (any other name) for the call being routed; NULL counts as "".
 * The string must stay valid until the next call. */
typedef const char *(*dp_field_fn)(void *arg, const char *field);

/* Walks `context` of cf's dialplan: an extension matches when each of its
 * conditions' expressions matches its field's value (none: it always
 * matches). A match appends its actions to *out with $0..$9 replaced by the
 * captures of the extension's last condition ($0 the whole match; a group
 * that did not take part, or an extension without conditions, gives "");
 * "${name}" is left for dialplan_expand() when the action runs. The walk
 * stops at the first match unless that extension has continue: true.
 * *out must be empty (zeroed or freed); it is filled only on success.
 * Returns 0 (out->n may be 0: nothing matched, the call is refused), ENOENT
 * for an unknown context, or ENOMEM. */
int dialplan_route(const struct conf *cf, const char *context, dp_field_fn get,
                   void *arg, struct dp_actions *out);

/* Copies `in` to `out` (n bytes with its NUL) with each "${name}" replaced
 * by get(arg, name) (NULL: ""). An unclosed "${" is copied as is. Returns 0,
 * or ENOSPC when the result does not fit. */
int dialplan_expand(char *out, size_t n, const char *in, dp_field_fn get,
                    void *arg);

/* Bridge strings, FreeSWITCH style:
 *   {call_timeout=20}[leg_timeout=5]user/1000,user/1001|sip:200@10.0.0.1
 * "{...}" at the start sets variables for all legs; then groups separated by
 * '|' (the next group is tried only when every leg of the previous one has
 * failed) of targets separated by ',' (rung at the same time). A target may
 * start with "[...]", variables of that leg only. A value may be quoted in
 * single quotes to hold ',' or ']'. Targets: user/ID, user/ID@DOMAIN,
 * sip:URI, sips:URI. call_timeout and leg_timeout, when set, are seconds
 * from 1 to 86400. */
struct dp_var {
	const char *name;
	const char *value;
};

enum dp_target_kind {
	DP_TARGET_USER, /* user/ID[@DOMAIN] */
	DP_TARGET_URI,  /* sip:... or sips:... */
};

struct dp_target {
	enum dp_target_kind kind;
	const char *user;          /* USER: the id */
	const char *domain;        /* USER: after '@', or NULL */
	const char *uri;           /* URI: the URI as written */
	const struct dp_var *vars; /* [...] of this target */
	size_t var_count;
};

struct dp_group {
	const struct dp_target *targets;
	size_t target_count;
};

struct dp_bridge {
	const struct dp_var *globals; /* {...} */
	size_t global_count;
	const struct dp_group *groups; /* at least one, each with a target */
	size_t group_count;
	char err[128]; /* why the string was refused */
	void *mem_;    /* private: the storage the pointers above point into */
};

/* Parses `data` into *out (for dp_bridge_free()). Returns 0, EINVAL with
 * out->err saying what is wrong (nothing else of *out is set; freeing it is
 * harmless), or ENOMEM. */
int dp_bridge_parse(const char *data, struct dp_bridge *out);
void dp_bridge_free(struct dp_bridge *b);

/* A variable of target `t` (t may be NULL), else of the globals, or NULL. */
const char *dp_bridge_var(const struct dp_bridge *b, const struct dp_target *t,
                          const char *name);

/* How long leg `t` rings, in seconds: its leg_timeout, else the global
 * leg_timeout, else call_timeout (the target's, then the global one), else
 * `dflt` (calls.timeout). */
uint32_t dp_bridge_timeout(const struct dp_bridge *b, const struct dp_target *t,
                           uint32_t dflt);

#endif
