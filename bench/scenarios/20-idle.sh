#!/usr/bin/env bash
# idle: 1,000 and (in full mode) 10,000 idle plaintext connections to holdfast (one worker),
# hf-lws-echo and Centrifugo (when bench/peers/centrifugo.sh can build it), each on a fresh server:
# the server's RSS increase and the machine's Slab increase per connection. In full mode also
# holdfast with a 1 s keepalive, measured after every connection has answered a ping, and holdfast
# whose clients each sent one ping with a 4-byte payload (holdfast-w1-clientping).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) IDLE_HOLD=1 COUNTS="1000" ;;
  *) IDLE_HOLD=5 COUNTS="1000 10000" ;;
esac

SERVERS=(holdfast-w1 lws-echo)
if CENTRIFUGO=$("$ROOT/bench/peers/centrifugo.sh"); then
  SERVERS+=(centrifugo)
else
  record '{"scenario":"idle-centrifugo-missing","server":"centrifugo","exit":0}'
fi

FAILED=0
for s in "${SERVERS[@]}"; do
  for n in $COUNTS; do idle_measure "idle-$n" "$s" "$n" 1 || FAILED=1; done
done
if [[ $MODE != quick ]]; then
  idle_measure idle-10000 holdfast-w1-ping 10000 1 3 || FAILED=1
  idle_measure idle-10000 holdfast-w1-clientping 10000 1 1 || FAILED=1
fi
exit $FAILED
