#!/usr/bin/env bash
# churn: upgrades per second, each a full cycle (connect, upgrade, one echoed message, closing
# handshake), against holdfast's echo route, the same route behind an RS256 `jwt` filter, and
# hf-lws-echo. Holdfast's CPU over the run gives upgrades per core-second. Each server runs twice:
# with the file limit the run inherited, and with a limit of 4096 (`file_limit` for holdfast,
# `ulimit -n` for hf-lws-echo), because libwebsockets walks a table of that size on every close.
# In full mode, plain churn at the inherited limit runs once more beside 10,000 held connections.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) DUR=1 WARM=0.5 ;;
  *) DUR=6 WARM=1 ;;
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

# In full mode, plain churn once more with HELD idle connections open on the server throughout,
# as in production, where whatever a server keeps per connection is then that long.
HELD=10000
churn_held() {  # server
  [[ $MODE == full ]] || return 0
  local rc=0
  hold_idle "$HELD" 1 "$((${WARM%.*} + ${DUR%.*} + 4))" "$BENCH_TMP/held.json" --path /echo
  churn churn-plain-held "$1" /echo || rc=1
  wait "$IDLE_PID" || rc=1
  return $rc
}

SMALL=4096
JWT_CONFIG_SMALL=$BENCH_TMP/churn-small.yaml
sed "s/^workers: 1$/workers: 1\nfile_limit: $SMALL/" "$JWT_CONFIG" >"$JWT_CONFIG_SMALL"

FAILED=0
for limit in inherited small; do
  if [[ $limit == small ]]; then
    config=$JWT_CONFIG_SMALL suffix=-fl$SMALL
  else
    config=$JWT_CONFIG suffix=
  fi
  start_server "holdfast-w1$suffix" "$HOLDFAST" -c "$config"
  churn churn-plain "holdfast-w1$suffix" /echo || FAILED=1
  churn churn-jwt "holdfast-w1$suffix" /jwt "Authorization: Bearer $TOKEN" || FAILED=1
  [[ $limit == small ]] || churn_held "holdfast-w1" || FAILED=1
  stop_server
  if [[ $limit == small ]]; then
    start_server "lws-echo$suffix" bash -c "ulimit -n $SMALL && exec \"\$0\" --port $PORT" \
      "$BENCH_BUILD/hf-lws-echo"
  else
    start_echo lws-echo
  fi
  churn churn-plain "lws-echo$suffix" /echo || FAILED=1
  [[ $limit == small ]] || churn_held "lws-echo" || FAILED=1
  stop_server
done
record "{\"scenario\":\"churn-settings\",\"server\":\"-\",\"exit\":0,\"slots\":$SLOTS,\"duration\":$DUR,\"warmup\":$WARM,\"inherited_limit\":$(ulimit -n),\"small_limit\":$SMALL,\"held\":$([[ $MODE == full ]] && echo $HELD || echo 0)}"
exit $FAILED
