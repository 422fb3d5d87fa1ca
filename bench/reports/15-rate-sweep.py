"""The rate sweep section: echo latency against offered rate, holdfast beside hf-lws-echo."""

SERVERS = ("holdfast-w1", "lws-echo")


def sweep(ctx, server):
    """(rate, p50, p99) of each passing sweep run of `server`, by rate."""
    points = []
    for r in ctx.rows:
        if r["scenario"].startswith("sweep-") and r["server"] == server and r["exit"] == 0:
            L = r["load"]
            points.append((L["rate_target"], L["p50_us"], L["p99_us"], L["p999_us"]))
    return sorted(points)


def section(ctx):
    s = next((r for r in ctx.rows if r["scenario"] == "sweep-settings"), None)
    if s is None:
        return []
    out = ["## Echo latency against rate", ""]
    p = out.append
    p(f"Open loop on the echo route, 100 connections, 32-byte messages, {s['duration']} s after "
      f"{s['warmup']} s, at {s['shares'].replace(' ', ', ')} % of the {s['saturation']} msgs/s "
      "holdfast (`workers: 1`) sustained in the closed loop. hf-lws-echo is run only at the rates "
      "up to 90 % of its own closed-loop rate (n/a above): past that, an open loop measures "
      "nothing but its backlog. Below a few thousand messages a "
      "second the figures are mostly the machine's: idle cores take hundreds of microseconds to "
      "wake, for `hf-floor` as much as for anything else.")
    p("")
    p("| rate msgs/s | holdfast p50 µs | holdfast p99 µs | lws-echo p50 µs | lws-echo p99 µs "
      "| p99 ÷ lws-echo |")
    p("|---|---|---|---|---|---|")
    lws = {pt[0]: pt for pt in sweep(ctx, "lws-echo")}
    for rate, p50, p99, _ in sweep(ctx, "holdfast-w1"):
        base = lws.get(rate)
        p(f"| {rate:.0f} | {p50:.0f} | {p99:.0f} | {ctx.fmt(base[1] if base else None, '.0f')} | "
          f"{ctx.fmt(base[2] if base else None, '.0f')} | "
          f"{ctx.ratio(p99, base[2] if base else None)} |")
    return out
