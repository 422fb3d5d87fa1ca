#!/usr/bin/env python3
"""Turns run.sh's raw JSON lines into the results page. Usage: report.py RAW MODE SETTINGS."""
import datetime
import json
import os
import platform
import sys

raw, mode, settings = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(line) for line in open(raw)]
tick_us = 1e6 / os.sysconf("SC_CLK_TCK")


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def find(scenario, server):
    for r in rows:
        if r["scenario"] == scenario and r["server"] == server and r["exit"] == 0:
            return r
    return None


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def cpu_per_msg(r):
    received = r["load"].get("received", 0)
    return r["cpu_ticks"] * tick_us / received if received else None


def fmt(v, spec):
    return format(v, spec) if v is not None else "n/a"


servers = ["holdfast-w1", "holdfast-w2", "lws-echo", "floor"]
out = []
p = out.append
now = datetime.datetime.now(datetime.timezone.utc)
p(f"# Benchmark run {now:%Y-%m-%d %H:%M} UTC ({mode})")
p("")
p("Single runs on one machine; every ratio compares figures taken in this same run.")
p("")
p("## Machine and versions")
p("")
p(f"- CPU: {cpu_model()}, {os.cpu_count()} cores (nproc)")
p(f"- kernel: {platform.release()}")
p(f"- holdfast: {os.environ.get('HOLDFAST_VERSION', '?')}; libwebsockets "
  f"{os.environ.get('LWS_VERSION', '?')}")
p(f"- pinning (server / load generator): {os.environ.get('PIN', 'none')}")
p(f"- settings: {settings}")
p("- servers: holdfast-w1 and holdfast-w2 are holdfast with only an `echo` route on `/echo` and "
  "`workers: 1` or `2` (both pinned to the same core); lws-echo is `hf-lws-echo`; floor is "
  "`hf-floor`.")
p("")
p("Command lines (the server on core 0, `hf-load` on core 1):")
p("")
kv = dict(item.split("=", 1) for item in settings.split())
p("```")
p("holdfast -c holdfast.yaml   # workers: 1 or 2, one echo route on /echo, 127.0.0.1")
p("hf-lws-echo --port PORT")
p("hf-floor --port PORT")
common = f"hf-load --port PORT --path /echo --size {kv.get('size')}"
p(f"{common} --connections {kv.get('connections')} --closed {kv.get('inflight')} "
  f"--duration {kv.get('duration')} --warmup {kv.get('warmup')}")
p(f"{common} --connections {kv.get('connections')} --rate {kv.get('open_rate')} "
  f"--duration {kv.get('open_duration')} --warmup {kv.get('open_warmup')}")
p(f"{common} --idle --connections 1000|10000 --duration {kv.get('idle_hold')} --ready-file F")
p("```")
p("")

p("## Echo, closed loop")
p("")
p("Each connection keeps its messages in flight; latency is send to reply. CPU is the server's "
  "utime+stime over the whole hf-load run divided by every reply received.")
p("")
p("| server | msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | CPU µs/msg | RSS KiB "
  "| msgs/s ÷ lws-echo | msgs/s ÷ floor | CPU/msg ÷ lws-echo | CPU/msg ÷ floor |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|")
lws, flo = find("echo-closed", "lws-echo"), find("echo-closed", "floor")
lws_rate = lws["load"]["msgs_per_s"] if lws else None
flo_rate = flo["load"]["msgs_per_s"] if flo else None
lws_cpu = cpu_per_msg(lws) if lws else None
flo_cpu = cpu_per_msg(flo) if flo else None
for s in servers:
    r = find("echo-closed", s)
    if r is None:
        p(f"| {s} | failed | | | | | | | | | | |")
        continue
    L = r["load"]
    c = cpu_per_msg(r)
    p(f"| {s} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
      f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {fmt(c, '.2f')} | {r['rss_kb']} | "
      f"{ratio(L['msgs_per_s'], lws_rate)} | {ratio(L['msgs_per_s'], flo_rate)} | "
      f"{ratio(c, lws_cpu)} | {ratio(c, flo_cpu)} |")
p("")

p("## Echo, open loop")
p("")
p("Messages are sent on a fixed schedule at half of holdfast-w1's closed-loop rate; latency runs "
  "from each message's scheduled send time, so a stalled sender is charged, not hidden.")
p("")
p("| server | rate msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | CPU µs/msg "
  "| p99 ÷ lws-echo | p99 ÷ floor |")
p("|---|---|---|---|---|---|---|---|---|")
lws, flo = find("echo-open", "lws-echo"), find("echo-open", "floor")
for s in servers:
    r = find("echo-open", s)
    if r is None:
        p(f"| {s} | not run or failed | | | | | | | |")
        continue
    L = r["load"]
    p(f"| {s} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
      f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {fmt(cpu_per_msg(r), '.2f')} | "
      f"{ratio(L['p99_us'], lws['load']['p99_us'] if lws else None)} | "
      f"{ratio(L['p99_us'], flo['load']['p99_us'] if flo else None)} |")
p("")

p("## Idle connections (plaintext)")
p("")
p("RSS is the server's VmRSS before and after opening the connections. Slab is the machine's "
  "`Slab` from /proc/meminfo, so it holds both ends of each loopback connection and anything "
  "else the machine did meanwhile.")
p("")
p("| server | connections | open | RSS before KiB | RSS after KiB | RSS bytes/conn "
  "| slab bytes/conn | RSS/conn ÷ lws-echo |")
p("|---|---|---|---|---|---|---|---|")
for n in (1000, 10000):
    base = find(f"idle-{n}", "lws-echo")
    base_per = (base["rss1_kb"] - base["rss0_kb"]) * 1024 / n if base else None
    for s in ("holdfast-w1", "lws-echo"):
        r = find(f"idle-{n}", s)
        if r is None:
            p(f"| {s} | {n} | failed | | | | | |")
            continue
        per = (r["rss1_kb"] - r["rss0_kb"]) * 1024 / n
        slab = (r["slab1_kb"] - r["slab0_kb"]) * 1024 / n
        p(f"| {s} | {n} | {r['load']['connected']} | {r['rss0_kb']} | {r['rss1_kb']} | "
          f"{per:.0f} | {slab:.0f} | {ratio(per, base_per)} |")
p("")

failed = [r for r in rows if r["exit"] != 0]
if failed:
    p("## Failed runs")
    p("")
    for r in failed:
        p(f"- {r['scenario']} {r['server']}: exit {r['exit']}: `{json.dumps(r['load'])}`")
    p("")

p("## Raw hf-load output")
p("")
p("```")
for r in rows:
    p(f"{r['scenario']} {r['server']}: {json.dumps(r['load'], separators=(',', ':'))}")
p("```")
print("\n".join(out))
