#!/usr/bin/env bash
# Checks the example Grafana dashboard and Prometheus rules:
#
#   - examples/prometheus/holdfast-rules.yml passes `promtool check rules`;
#   - its unit tests, examples/prometheus/holdfast-rules.test.yml, pass `promtool test rules`;
#   - examples/grafana/holdfast.json is valid JSON with the expected variables, data sources and
#     panel layout, and uses no template variable it does not define;
#   - every PromQL expression of the dashboard (panel targets and the selectors of variable
#     queries) parses: the expressions, with template variables replaced by concrete values, are
#     written as recording rules and given to `promtool check rules`;
#   - every expression returns data: a generated `promtool test rules` file evaluates each one
#     over synthetic series for every known metric;
#   - every metric name in the dashboard and the rules is known: listed in the metrics table of
#     docs/operations.md or in EXTRA_METRICS below (rules may also use `up` and their own
#     recorded names).
#
# promtool comes from scripts/promtool.sh, which fetches it when missing. Without promtool the
# checks that need it are skipped and the script exits 77 (ctest's SKIP_RETURN_CODE convention)
# once the others pass; set HOLDFAST_REQUIRE_PROMTOOL=1 to fail instead.
# Exit status: 0 when everything passes, 1 on a failure, 77 as above.
set -euo pipefail

EXAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$EXAMPLES/.." && pwd)"
RULES="$EXAMPLES/prometheus/holdfast-rules.yml"
RULES_TEST="$EXAMPLES/prometheus/holdfast-rules.test.yml"
DASHBOARD="$EXAMPLES/grafana/holdfast.json"
DOCS="$REPO/docs/operations.md"

# Metrics the rules and dashboard may use besides the table in docs/operations.md: the filters'
# decisions, config reloads, JWKS and TLS state, the round trip, and librdkafka's statistics.
# One per line: name, type, labels (comma-separated, or -). A name is known when either lists it.
EXTRA_METRICS='
holdfast_filter_decisions_total counter filter,decision
holdfast_roundtrip_seconds histogram route
holdfast_config_reloads_total counter result
holdfast_jwks_fetches_total counter result
holdfast_jwks_last_success_timestamp_seconds gauge -
holdfast_tls_certificate_expiry_timestamp_seconds gauge listener
holdfast_kafka_broker_rtt_seconds gauge broker
holdfast_kafka_queue_messages gauge -
holdfast_kafka_tx_errors_total counter -
'

failed=0
passed=0
step() { printf '== %s\n' "$*"; }
ok() {
  passed=$((passed + 1))
  printf 'ok: %s\n' "$*"
}
fail() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n' "$*"
}

have() { command -v "$1" >/dev/null 2>&1; }
have python3 || {
  echo "check.sh: python3 is required" >&2
  exit 1
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# scripts/promtool.sh honours $PROMTOOL, so the binary found goes into another variable.
promtool=""
if promtool="$("$REPO/scripts/promtool.sh")"; then
  echo "promtool: $promtool ($("$promtool" --version 2>&1 | head -n1))"
else
  promtool=""
  echo "promtool: not available"
fi

# The dashboard and rule checks that need no promtool. They write, into $WORK:
#   dashboard-rules.yml  every dashboard expression as a recording rule
#   dashboard-test.yml   a test that each expression returns data over synthetic series
step "dashboard and metric names"
if python3 - "$DASHBOARD" "$RULES" "$DOCS" "$WORK" "$EXTRA_METRICS" <<'PY'; then
import itertools
import json
import re
import sys

dashboard_path, rules_path, docs_path, work, extra_text = sys.argv[1:6]
errors = []


def err(msg):
    errors.append(msg)


# ------------------------------------------------------------------ known metrics
known = {}  # name -> (type, [labels])
table_row = re.compile(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(\w+)\s*\|([^|]*)\|")
with open(docs_path, encoding="utf-8") as f:
    for line in f:
        m = table_row.match(line)
        if m and m.group(2) in ("counter", "gauge", "histogram", "summary"):
            known[m.group(1)] = (m.group(2), re.findall(r"`([a-zA-Z_][a-zA-Z0-9_]*)`", m.group(3)))
for line in extra_text.strip().splitlines():
    name, kind, labels = line.split()
    known.setdefault(name, (kind, [] if labels == "-" else labels.split(",")))
if len(known) < 10:
    err(f"found only {len(known)} metrics in {docs_path}; has its table changed?")

series_names = set()
for name, (kind, _) in known.items():
    if kind == "histogram":
        series_names.update({name + "_bucket", name + "_sum", name + "_count"})
    elif kind == "summary":
        series_names.update({name, name + "_sum", name + "_count"})
    else:
        series_names.add(name)

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan", "atan2", "start", "end"}


def metric_names(expr):
    """The metric names an expression selects (no full parser: strings, label matchers, ranges
    and grouping clauses are removed, and what remains that is not a function or keyword is a
    name)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"#[^\n]*", "", s)
    s = re.sub(r"\{[^{}]*\}", " ", s)
    s = re.sub(r"\[[^\[\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", s)
    s = re.sub(r"\boffset\s+-?[0-9a-z]+", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", s):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


# ------------------------------------------------------------------ rules file
def rule_entries(path):
    """(kind, name, expr) for each rule, read line by line: the file's own simple layout of
    `- record:`/`- alert:` followed by `expr:` inline or as a block scalar."""
    out = []
    lines = open(path, encoding="utf-8").read().splitlines()
    kind = name = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s*-?\s*(record|alert):\s*(\S+)\s*$", line)
        if m:
            kind, name = m.group(1), m.group(2).strip("'\"")
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", ">", "|-", ">-", "|+", ">+"):
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > indent):
                    body.append(lines[i].strip())
                    i += 1
                expr = "\n".join(body).strip()
                i -= 1
            else:
                if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "'\"":
                    rest = rest[1:-1]
                expr = rest
            out.append((kind, name, expr))
        i += 1
    return out


rules = rule_entries(rules_path)
recorded = {name for kind, name, _ in rules if kind == "record"}
alerts = [name for kind, name, _ in rules if kind == "alert"]
if not alerts:
    err(f"{rules_path}: no alerts found")
for kind, name, expr in rules:
    for metric in sorted(metric_names(expr)):
        if metric not in series_names and metric not in recorded and metric != "up":
            err(f"{rules_path}: {kind} {name} uses unknown metric {metric}")
print(f"rules: {len(recorded)} recording, {len(alerts)} alerting")

# ------------------------------------------------------------------ dashboard
try:
    with open(dashboard_path, encoding="utf-8") as f:
        dash = json.load(f)
except (OSError, ValueError) as e:
    print(f"FAIL: {dashboard_path}: {e}")
    sys.exit(1)

for key in ("title", "uid", "panels", "templating", "schemaVersion"):
    if key not in dash:
        err(f"dashboard: no {key}")
if not isinstance(dash.get("schemaVersion"), int) or dash.get("schemaVersion", 0) < 36:
    err("dashboard: schemaVersion should be 36 or later (Grafana 10+)")

variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds_vars = [n for n, v in variables.items() if v.get("type") == "datasource"]
if ds_vars != ["DS_PROMETHEUS"] or variables["DS_PROMETHEUS"].get("query") != "prometheus":
    err("dashboard: needs one Prometheus data source variable named DS_PROMETHEUS")
for name in ("instance", "route"):
    if variables.get(name, {}).get("type") != "query":
        err(f"dashboard: no query variable {name}")

BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "30m",
            "__range_s": "1800", "__interval_ms": "15000", "__range_ms": "1800000"}
var_ref = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")


def substitute(expr, where):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        v = variables.get(name)
        if v is None:
            err(f"{where}: unknown template variable ${name}")
            return "x"
        if v.get("type") == "datasource":
            err(f"{where}: data source variable ${name} inside a query")
            return "x"
        return v.get("allValue") or ".*"
    return var_ref.sub(repl, expr)


def good_ds(ds):
    return isinstance(ds, dict) and ds.get("uid") in ("${DS_PROMETHEUS}", "$DS_PROMETHEUS")


def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))


exprs = []  # (where, expr)
ids = set()
for p in walk(dash.get("panels", [])):
    where = f"panel {p.get('id')} \"{p.get('title', '')}\""
    if p.get("id") in ids:
        err(f"{where}: duplicate id")
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
        err(f"{where}: bad gridPos {g}")
    if p.get("type") == "row":
        continue
    if not p.get("title"):
        err(f"{where}: no title")
    if not good_ds(p.get("datasource")):
        err(f"{where}: data source is not ${{DS_PROMETHEUS}}")
    targets = p.get("targets") or []
    if not targets:
        err(f"{where}: no targets")
    refs = [t.get("refId") for t in targets]
    if len(set(refs)) != len(refs):
        err(f"{where}: duplicate refId")
    for t in targets:
        twhere = f"{where} target {t.get('refId')}"
        if not good_ds(t.get("datasource", p.get("datasource"))):
            err(f"{twhere}: data source is not ${{DS_PROMETHEUS}}")
        if not (t.get("expr") or "").strip():
            err(f"{twhere}: empty expr")
            continue
        exprs.append((twhere, t["expr"]))

for name, v in variables.items():
    if v.get("type") != "query":
        continue
    if not good_ds(v.get("datasource")):
        err(f"variable {name}: data source is not ${{DS_PROMETHEUS}}")
    q = v.get("query")
    q = q.get("query", "") if isinstance(q, dict) else (q or "")
    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q, re.S)
    if m:
        exprs.append((f"variable {name}", m.group(1)))
    elif re.fullmatch(r"\s*label_values\(\s*\w+\s*\)\s*", q):
        pass
    elif re.fullmatch(r"\s*query_result\((.*)\)\s*", q, re.S):
        exprs.append((f"variable {name}", re.fullmatch(r"\s*query_result\((.*)\)\s*", q,
                                                        re.S).group(1)))
    else:
        err(f"variable {name}: cannot read query {q!r}")

concrete = []
for where, expr in exprs:
    e = substitute(expr, where)
    for metric in sorted(metric_names(e)):
        if metric not in series_names:
            err(f"{where}: unknown metric {metric}")
    concrete.append((where, e))
print(f"dashboard: {len(list(walk(dash.get('panels', []))))} panels, {len(concrete)} expressions")

# ------------------------------------------------------------------ generated promtool files
with open(f"{work}/dashboard-rules.yml", "w", encoding="utf-8") as f:
    json.dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e} for i, (_, e) in enumerate(concrete)]}]},
        f, indent=1)

# Synthetic series: every known metric, with each of its labels taking the values below (all
# combinations), on one target. Counters grow, gauges hold; histograms fill every bucket.
VALUES = {
    "route": ["rooms", "feed"],
    "result": ["accepted", "rejected_auth", "rejected_rate", "rejected_origin", "no_route",
               "success", "failure"],
    "code": ["1000", "1001", "1006", "1008", "1011", "other"],
    "direction": ["in", "out"],
    "bus": ["kafka", "redis"],
    "kind": ["produce", "delivery", "connect"],
    "reason": ["no_connection", "no_target", "bad_target", "bad_record"],
    "filter": ["jwt", "rate_limit", "origin", "max_connections"],
    "decision": ["allowed", "anonymous", "missing", "expired", "bad_signature", "limited",
                 "shadow_limited", "backend_fail_deny", "forbidden", "listener_full"],
    "version": ["0.0.0-test"],
    "listener": ["0.0.0.0:8443"],
    "broker": ["kafka-0:9092", "kafka-1:9092"],
}
BUCKETS = ["0.005", "0.1", "1", "+Inf"]
TARGET = {"job": "holdfast", "instance": "10.0.0.1:9901"}
SAMPLES = 200  # at 15 s: 50 minutes


def series_text(name, labels):
    inner = ", ".join(f'{k}="{v}"' for k, v in {**TARGET, **labels}.items())
    return f"{name}{{{inner}}}"


input_series = []
for name, (kind, labels) in sorted(known.items()):
    for combo in itertools.product(*[VALUES.get(l, ["x"]) for l in labels]):
        lab = dict(zip(labels, combo))
        if kind == "histogram":
            for n, le in enumerate(BUCKETS, 1):
                input_series.append({"series": series_text(name + "_bucket", {**lab, "le": le}),
                                     "values": f"0+{n}x{SAMPLES}"})
            input_series.append({"series": series_text(name + "_sum", lab),
                                 "values": f"0+2x{SAMPLES}"})
            input_series.append({"series": series_text(name + "_count", lab),
                                 "values": f"0+{len(BUCKETS)}x{SAMPLES}"})
        elif kind == "counter":
            input_series.append({"series": series_text(name, lab), "values": f"0+5x{SAMPLES}"})
        else:
            input_series.append({"series": series_text(name, lab), "values": f"3+0x{SAMPLES}"})

tests = [{
    "interval": "15s",
    "input_series": input_series,
    "promql_expr_test": [{
        "expr": f"(count(({e})) > bool 0) or vector(0)",
        "eval_time": "30m",
        "exp_samples": [{"labels": "{}", "value": 1}],
    } for _, e in concrete],
}]
with open(f"{work}/dashboard-test.yml", "w", encoding="utf-8") as f:
    json.dump({"rule_files": [], "evaluation_interval": "1m", "tests": tests}, f, indent=1)
with open(f"{work}/dashboard-exprs.txt", "w", encoding="utf-8") as f:
    for i, (where, e) in enumerate(concrete):
        f.write(f"dashboard:expr_{i}\t{where}\t{e}\n")

for e in errors:
    print(f"FAIL: {e}")
sys.exit(1 if errors else 0)
PY
  ok "dashboard JSON, variables, data sources, layout and metric names"
else
  fail "dashboard JSON, variables, data sources, layout or metric names"
fi

if [[ -z "$promtool" ]]; then
  echo "promtool checks skipped: scripts/promtool.sh found no promtool"
  echo "$passed passed, $failed failed"
  if ((failed > 0)); then exit 1; fi
  if [[ "${HOLDFAST_REQUIRE_PROMTOOL:-}" == 1 ]]; then exit 1; fi
  exit 77
fi

step "promtool check rules $(basename "$RULES")"
if "$promtool" check rules "$RULES"; then
  ok "alert and recording rules"
else
  fail "alert and recording rules"
fi

step "promtool test rules $(basename "$RULES_TEST")"
if (cd "$(dirname "$RULES_TEST")" && "$promtool" test rules "$(basename "$RULES_TEST")"); then
  ok "rule unit tests"
else
  fail "rule unit tests"
fi

if [[ -f "$WORK/dashboard-rules.yml" ]]; then
  step "promtool check rules <dashboard expressions>"
  if "$promtool" check rules "$WORK/dashboard-rules.yml"; then
    ok "every dashboard expression parses"
  else
    echo "expressions (recorded name, place, expression):"
    cat "$WORK/dashboard-exprs.txt"
    fail "dashboard expressions do not all parse"
  fi

  step "promtool test rules <dashboard expressions over synthetic series>"
  if "$promtool" test rules "$WORK/dashboard-test.yml" >"$WORK/dashboard-test.out" 2>&1; then
    ok "every dashboard expression returns data"
  else
    cat "$WORK/dashboard-test.out"
    fail "dashboard expressions that error or return nothing (see above)"
  fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
