#!/usr/bin/env bash
# echo with larger messages (1 KiB and 8 KiB), full mode only: holdfast with the default
# receive_buffer (16 KiB), with 4KiB and with 512 bytes, against hf-lws-echo (rx_buffer_size 512)
# and hf-floor, closed loop. libwebsockets reads at most the receive buffer per wake-up, so this is where the
# buffer's size shows.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
if [[ $MODE == quick ]]; then
  record '{"scenario":"echo-large-skipped","server":"-","exit":0}'
  exit 0
fi
DUR=5 WARM=1 CONNS=100 INFLIGHT=10
SIZES="1024 8192"
SERVERS=(holdfast-w1 holdfast-w1-rx4k holdfast-w1-rx512 lws-echo floor)
FAILED=0
for size in $SIZES; do
  for s in "${SERVERS[@]}"; do
    start_echo "$s"
    measure "echo-large-$size" "$s" --path /echo --size "$size" --connections $CONNS \
      --closed $INFLIGHT --duration $DUR --warmup $WARM || FAILED=1
    stop_server
  done
done
record "{\"scenario\":\"echo-large-settings\",\"server\":\"-\",\"exit\":0,\"sizes\":\"$SIZES\",\"connections\":$CONNS,\"inflight\":$INFLIGHT,\"duration\":$DUR,\"warmup\":$WARM}"
exit $FAILED
