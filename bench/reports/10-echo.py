"""The echo section: holdfast's echo route against hf-lws-echo and hf-floor."""

SERVERS = ["holdfast-w1", "holdfast-w2", "lws-echo", "floor"]


def section(ctx):
    settings = next((r for r in ctx.rows if r["scenario"] == "echo-settings"), None)
    if settings is None:
        return []
    s = settings
    out = ["## Echo", ""]
    p = out.append
    p("holdfast-w1 and holdfast-w2 are holdfast with only an `echo` route on `/echo` and "
      "`workers: 1` or `2` (both pinned to the same core); lws-echo is `hf-lws-echo`, the smallest "
      "libwebsockets echo on libuv (the ceiling of our stack); floor is `hf-floor`, a raw epoll "
      "echo (the floor of this machine).")
    p("")
    p("```")
    common = f"hf-load --port PORT --path /echo --size {s['size']} --connections {s['connections']}"
    p(f"{common} --closed {s['inflight']} --duration {s['duration']} --warmup {s['warmup']}")
    p(f"{common} --rate {s['open_rate']} --duration {s['open_duration']} "
      f"--warmup {s['open_warmup']}")
    p("```")
    p("")
    p("### Closed loop")
    p("")
    p("Each connection keeps its messages in flight; latency is send to reply. CPU is the "
      "server's utime+stime over the whole hf-load run divided by every reply received.")
    p("")
    p("| server | msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | CPU µs/msg | RSS KiB "
      "| msgs/s ÷ lws-echo | msgs/s ÷ floor | CPU/msg ÷ lws-echo | CPU/msg ÷ floor |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|")
    lws, flo = ctx.find("echo-closed", "lws-echo"), ctx.find("echo-closed", "floor")
    lws_rate = lws["load"]["msgs_per_s"] if lws else None
    flo_rate = flo["load"]["msgs_per_s"] if flo else None
    lws_cpu = ctx.cpu_per_msg(lws) if lws else None
    flo_cpu = ctx.cpu_per_msg(flo) if flo else None
    for name in SERVERS:
        r = ctx.find("echo-closed", name)
        if r is None:
            p(f"| {name} | failed | | | | | | | | | | |")
            continue
        L = r["load"]
        c = ctx.cpu_per_msg(r)
        p(f"| {name} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
          f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {ctx.fmt(c, '.2f')} | {r['rss_kb']} | "
          f"{ctx.ratio(L['msgs_per_s'], lws_rate)} | {ctx.ratio(L['msgs_per_s'], flo_rate)} | "
          f"{ctx.ratio(c, lws_cpu)} | {ctx.ratio(c, flo_cpu)} |")
    p("")
    p("### Open loop")
    p("")
    p("Messages are sent on a fixed schedule at one rate for every server, half of the slowest "
      "one's closed-loop rate, so that each carries it; latency "
      "runs from each message's scheduled send time, so a stalled sender is charged, not hidden.")
    p("")
    p("| server | rate msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | CPU µs/msg "
      "| p99 ÷ lws-echo | p99 ÷ floor |")
    p("|---|---|---|---|---|---|---|---|---|")
    lws, flo = ctx.find("echo-open", "lws-echo"), ctx.find("echo-open", "floor")
    for name in SERVERS:
        r = ctx.find("echo-open", name)
        if r is None:
            p(f"| {name} | not run or failed | | | | | | | |")
            continue
        L = r["load"]
        p(f"| {name} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
          f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {ctx.fmt(ctx.cpu_per_msg(r), '.2f')} | "
          f"{ctx.ratio(L['p99_us'], lws['load']['p99_us'] if lws else None)} | "
          f"{ctx.ratio(L['p99_us'], flo['load']['p99_us'] if flo else None)} |")
    return out
