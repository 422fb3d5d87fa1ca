"""The large-message echo section: the receive buffer's size, against hf-lws-echo and hf-floor."""

SERVERS = ["holdfast-w1", "holdfast-w1-rx4k", "holdfast-w1-rx512", "lws-echo", "floor"]


def section(ctx):
    if any(r["scenario"] == "echo-large-skipped" for r in ctx.rows):
        return ["## Echo with larger messages", "", "Not run in quick mode."]
    s = next((r for r in ctx.rows if r["scenario"] == "echo-large-settings"), None)
    if s is None:
        return []
    out = ["## Echo with larger messages", ""]
    p = out.append
    p("The echo route with 1 KiB and 8 KiB messages, closed loop. holdfast-w1 has the default "
      "`receive_buffer` (16 KiB), holdfast-w1-rx4k and holdfast-w1-rx512 set "
      "`receive_buffer: 4KiB` and `512` on their listener; "
      "hf-lws-echo reads with `rx_buffer_size` 512. libwebsockets reads at most a connection's "
      "receive buffer each time the loop finds it readable, so a message larger than the buffer "
      "costs a loop turn per buffer. CPU is the server's utime+stime over the run divided by every "
      "reply received.")
    p("")
    p("```")
    p(f"hf-load --port PORT --path /echo --size SIZE --connections {s['connections']} "
      f"--closed {s['inflight']} --duration {s['duration']} --warmup {s['warmup']}")
    p("```")
    p("")
    p("| size | server | msgs/s | p50 µs | p99 µs | CPU µs/msg | msgs/s ÷ lws-echo "
      "| msgs/s ÷ floor | CPU/msg ÷ holdfast-w1 |")
    p("|---|---|---|---|---|---|---|---|---|")
    for size in s["sizes"].split():
        scenario = f"echo-large-{size}"
        lws, flo = ctx.find(scenario, "lws-echo"), ctx.find(scenario, "floor")
        base = ctx.find(scenario, "holdfast-w1")
        base_cpu = ctx.cpu_per_msg(base) if base else None
        for name in SERVERS:
            r = ctx.find(scenario, name)
            if r is None:
                p(f"| {size} | {name} | failed | | | | | | |")
                continue
            L = r["load"]
            c = ctx.cpu_per_msg(r)
            p(f"| {size} | {name} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | "
              f"{L['p99_us']:.0f} | {ctx.fmt(c, '.2f')} | "
              f"{ctx.ratio(L['msgs_per_s'], lws['load']['msgs_per_s'] if lws else None)} | "
              f"{ctx.ratio(L['msgs_per_s'], flo['load']['msgs_per_s'] if flo else None)} | "
              f"{ctx.ratio(c, base_cpu)} |")
    return out
