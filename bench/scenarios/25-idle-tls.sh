#!/usr/bin/env bash
# idle over TLS: 1,000 (and in full mode 10,000) idle wss connections to holdfast (one worker) and
# to hf-lws-echo with the same certificate (P-256, self-signed): the server's RSS increase and the
# machine's Slab increase per connection. The client is bench/tls_idle/hold.py (Python's asyncio
# and ssl): it only has to open and hold the connections, not to be fast.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) COUNTS="1000" IDLE_HOLD=1 ;;
  *) COUNTS="1000 10000" IDLE_HOLD=3 ;;
esac

FAILED=0
for s in holdfast-w1 lws-echo; do
  for n in $COUNTS; do idle_tls_measure "idle-tls-$n" "$s" "$n" 1 || FAILED=1; done
done
exit $FAILED
