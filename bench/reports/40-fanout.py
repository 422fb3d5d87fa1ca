"""The fan-out section: one channel, many subscribers, records published through Redis."""

TARGET_PER_CORE = 500_000
TARGET_P99_US = 50_000


def section(ctx):
    s = next((r for r in ctx.rows if r["scenario"] == "fanout-settings"), None)
    if s is None:
        return []
    out = ["## Fan-out", ""]
    p = out.append
    p(f"{s['subscribers']} WebSocket subscribers (`hf-fanout`, two processes) on a holdfast route "
      "with `subscribe: [\"bench\"]` (`workers: 1`); records of 64 bytes PUBLISHed to "
      "`holdfast:channel:bench` in Redis on a fixed schedule, each carrying its number and its "
      "due time. Every subscriber must get every record, in order, once. Latency runs from the "
      f"due time to the subscriber's read. {s['duration']} s measured after {s['warmup']} s. "
      "CPU per delivery is holdfast's utime+stime over the whole run (connecting included) ÷ "
      "every delivery; deliveries per core-second is its inverse.")
    p("")
    p("| records/s | deliveries/s | p50 µs | p99 µs | p99.9 µs | max µs | holdfast CPU µs/delivery "
      "| deliveries per core-second | RSS KiB |")
    p("|---|---|---|---|---|---|---|---|---|")
    best = None
    for r in ctx.rows:
        if not r["scenario"].startswith("fanout-") or r["server"] != "holdfast-w1":
            continue
        rate = r["scenario"][len("fanout-"):]
        if r["exit"] != 0:
            p(f"| {rate} | failed | | | | | | | |")
            continue
        L = r["load"]
        cpu = ctx.cpu_per_msg(r, L["received"])
        per_core = 1e6 / cpu if cpu else None
        if per_core and (best is None or per_core > best[0]):
            best = (per_core, L["p99_us"], rate)
        p(f"| {rate} | {L['deliveries_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
          f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {ctx.fmt(cpu, '.2f')} | "
          f"{ctx.fmt(per_core, '.0f')} | {r['rss_kb']} |")
    if best:
        p("")
        p(f"Target: ≥ {TARGET_PER_CORE:,} deliveries per core-second with 10,000 subscribers and "
          f"p99 ≤ {TARGET_P99_US // 1000} ms. Best here: {best[0]:,.0f} per core-second "
          f"({'met' if best[0] >= TARGET_PER_CORE else 'not met'}), p99 {best[1] / 1000:.1f} ms at "
          f"{best[2]} records/s.")
    p("")
    p("No peer ran beside it: Centrifugo could not be built here (the Go module proxy answers "
      "403 for `github.com/centrifugal/centrifugo/v5` and `/v6`).")
    return out
