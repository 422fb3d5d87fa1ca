#!/usr/bin/env bash
# churn: upgrades per second, each a full cycle (connect, upgrade, one echoed message, closing
# handshake), against holdfast's echo route, the same route behind an RS256 `jwt` filter, and
# hf-lws-echo. Holdfast's CPU over the run gives upgrades per core-second.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) DUR=1.5 WARM=1 ;;
  *) DUR=10 WARM=2 ;;
esac
SLOTS=64
TOKEN=$(/usr/bin/python3 "$ROOT/bench/churn/mint_rs256.py" "$BENCH_TMP/jwks.json")
JWT_CONFIG=$(holdfast_config 1 "")
cat >>"$JWT_CONFIG" <<YAML
      - name: jwt
        path: /jwt
        filters:
          - jwt:
              issuer: https://bench.example
              audiences: [bench]
              algorithms: [RS256]
              jwks: { file: "$BENCH_TMP/jwks.json" }
        upstream: { echo: {} }
YAML

churn() {  # scenario server path [header]
  local t0 out rc=0
  t0=$(cpu_ticks "$SERVER_PID")
  out=$("${LOAD_PIN[@]}" "$BENCH_BUILD/hf-churn" --port "$PORT" --path "$3" --slots $SLOTS \
    --duration "$DUR" --warmup "$WARM" ${4:+--header "$4"}) || rc=$?
  [[ -n "$out" ]] || out='{}'
  record "{\"scenario\":\"$1\",\"server\":\"$2\",\"exit\":$rc,\"cpu_ticks\":$(($(cpu_ticks "$SERVER_PID") - t0)),\"load\":$out}"
  echo "  $1 $2: $out" >&2
  [[ $rc -eq 0 ]]
}

FAILED=0
start_server holdfast-w1 "$HOLDFAST" -c "$JWT_CONFIG"
churn churn-plain holdfast-w1 /echo || FAILED=1
churn churn-jwt holdfast-w1 /jwt "Authorization: Bearer $TOKEN" || FAILED=1
stop_server
start_echo lws-echo
churn churn-plain lws-echo /echo || FAILED=1
stop_server
record "{\"scenario\":\"churn-settings\",\"server\":\"-\",\"exit\":0,\"slots\":$SLOTS,\"duration\":$DUR,\"warmup\":$WARM}"
exit $FAILED
