#!/usr/bin/env bash
# idle: 1,000 and (in full mode) 10,000 idle plaintext connections to holdfast (one worker) and hf-lws-echo, each
# on a fresh server: the server's RSS increase and the machine's Slab increase per connection.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) IDLE_HOLD=1 COUNTS="1000" ;;
  *) IDLE_HOLD=5 COUNTS="1000 10000" ;;
esac

FAILED=0
for s in holdfast-w1 lws-echo; do
  for n in $COUNTS; do idle_measure "idle-$n" "$s" "$n" 1 || FAILED=1; done
done
exit $FAILED
