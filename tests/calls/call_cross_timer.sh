#!/usr/bin/env bash
# Session timers (RFC 4028) on a call between two nodes: call_timer.sh's
# case and assertions, with the caller on node 1 (external profile) and the
# callee 1009 registered at node 2, so its leg's dialog (the refresher of
# that leg) runs on node 2 and the session that expires on node 1's leg
# ends node 2's leg too (BYE to both). Takes about 65 s.
source "$(dirname "$0")/xlib.sh"
start_cluster 2
register_at 2 1009 "$U1"
TIMER_SETUP=1
source "$CHERE/call_timer.sh"
