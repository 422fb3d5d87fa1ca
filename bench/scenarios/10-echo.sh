#!/usr/bin/env bash
# echo: holdfast's built-in echo route (one and two workers) against hf-lws-echo and hf-floor,
# closed loop for throughput, then open loop for latency at half of the slowest server's rate.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) DUR=1 WARM=0.5 OPEN_DUR=1 OPEN_WARM=0.5 ;;
  *) DUR=8 WARM=2 OPEN_DUR=8 OPEN_WARM=2 ;;
esac
CONNS=100 INFLIGHT=10 SIZE=32
SERVERS=(holdfast-w1 holdfast-w2 lws-echo floor)
FAILED=0
for s in "${SERVERS[@]}"; do
  start_echo "$s"
  measure echo-closed "$s" --path /echo --size $SIZE --connections $CONNS --closed $INFLIGHT \
    --duration $DUR --warmup $WARM || FAILED=1
  stop_server
done

# Open loop at half of what holdfast (one worker) sustained in the closed loop.
# The open loop runs every server at the same rate: half of the slowest one's closed-loop rate,
# so that each can carry it and the latencies compare like with like.
SAT=$(python3 -c 'import json,sys
rates=[int(json.loads(l)["load"].get("msgs_per_s",0)) for l in open(sys.argv[1])
       if json.loads(l)["scenario"]=="echo-closed" and json.loads(l)["exit"]==0]
print(min(rates) if rates else 0)' "$RAW")
RATE=$((${SAT:-0} / 2))
if [[ $RATE -gt 0 ]]; then
  for s in "${SERVERS[@]}"; do
    start_echo "$s"
    measure echo-open "$s" --path /echo --size $SIZE --connections $CONNS --rate $RATE \
      --duration $OPEN_DUR --warmup $OPEN_WARM || FAILED=1
    stop_server
  done
fi
record "{\"scenario\":\"echo-settings\",\"server\":\"-\",\"exit\":0,\"size\":$SIZE,\"connections\":$CONNS,\"inflight\":$INFLIGHT,\"duration\":$DUR,\"warmup\":$WARM,\"open_duration\":$OPEN_DUR,\"open_warmup\":$OPEN_WARM,\"open_rate\":$RATE}"
exit $FAILED
