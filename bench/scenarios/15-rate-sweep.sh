#!/usr/bin/env bash
# rate sweep: open-loop latency against rate on the echo route, holdfast (one worker) beside
# hf-lws-echo, at shares of the rate holdfast sustained in the echo scenario's closed loop (which
# runs first). Feeds the latency-against-rate plot.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) DUR=1 WARM=0.5 SHARES="10 90" ;;
  *) DUR=4 WARM=2 SHARES="5 10 25 50 75 90" ;;
esac
closed_rate() {  # server: its echo-closed msgs/s, or nothing
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["server"]==sys.argv[2] and r["scenario"]=="echo-closed" and r["exit"]==0:
        print(int(r["load"]["msgs_per_s"]))' "$RAW" "$1"
}
SAT=$(closed_rate holdfast-w1)
if [[ -z "$SAT" ]]; then
  echo "rate sweep: no closed-loop rate from the echo scenario; skipped" >&2
  exit 0
fi
FAILED=0
# Both servers at the same rates, shares of holdfast's closed-loop rate; a server is not driven
# past 90 % of its own closed-loop rate, where an open loop only measures its backlog.
for s in holdfast-w1 lws-echo; do
  own=$(closed_rate "$s")
  start_echo "$s"
  for share in $SHARES; do
    rate=$((SAT * share / 100))
    if [[ -z "$own" || $rate -gt $((own * 9 / 10)) ]]; then
      echo "  sweep-$share $s: $rate msgs/s is past 90 % of its closed-loop ${own:-?}; not run" >&2
      continue
    fi
    measure "sweep-$share" "$s" --path /echo --size 32 --connections 100 \
      --rate "$rate" --duration "$DUR" --warmup "$WARM" || FAILED=1
  done
  stop_server
done
record "{\"scenario\":\"sweep-settings\",\"server\":\"-\",\"exit\":0,\"saturation\":$SAT,\"shares\":\"$SHARES\",\"duration\":$DUR,\"warmup\":$WARM}"
exit $FAILED
