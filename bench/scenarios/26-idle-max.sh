#!/usr/bin/env bash
# idle at the limit: as many idle connections as one holdfast process may hold under its file
# limit (`ulimit -n`, less 64 for its own files), in plaintext (opened by hf-load over two
# processes) and over TLS (bench/tls_idle/hold.py over two processes). Full mode only; a quick
# run records that it skipped it.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IDLE_HOLD=3
LIMIT=$(ulimit -n)
N=$((LIMIT - 64))
if [[ "$MODE" != full ]]; then
  record "{\"scenario\":\"idle-max-skipped\",\"server\":\"-\",\"exit\":0,\"limit\":$LIMIT}"
  exit 0
fi
FAILED=0
idle_measure "idle-max-$N" holdfast-w1 "$N" 2 || FAILED=1
idle_tls_measure "idle-tls-max-$N" holdfast-w1 "$N" 2 || FAILED=1
exit $FAILED
