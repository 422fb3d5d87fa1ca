"""The flood section: a well-behaved client's latency with and without a flooding neighbour."""

TARGET = 1.20


def section(ctx):
    s = next((r for r in ctx.rows if r["scenario"] == "flood-settings"), None)
    if s is None:
        return []
    quiet = [r for r in ctx.rows if r["scenario"] == "flood-quiet"]
    flood = [r for r in ctx.rows if r["scenario"] == "flood-flood"]
    flooders = [r["flood"] for r in ctx.rows if r["scenario"] == "flood-flooder"]
    out = ["## Flood: a good client beside a flooding one", ""]
    p = out.append
    p(f"holdfast (`workers: 1`) serves an echo route with `rate_limit: {{ messages: {s['limit']} }}` "
      f"per connection. `hf-load` sends {s['rate']} messages/s in all on {s['connections']} "
      f"connections (well within the limit) and measures round trips. In the flood phases "
      f"`hf-flood` writes {s['size']}-byte frames on {s['flooders']} other connections as fast as "
      "holdfast reads them; nearly all are over the limit, dropped and counted, and the flooder is "
      "told once a second. Quiet and flood phases alternate on one server; each pair gives a "
      f"ratio. Target: p99 with the flood ≤ {TARGET:.2f} × p99 without.")
    p("")
    p("```")
    p(f"hf-load --path /limited --connections {s['connections']} --rate {s['rate']} "
      f"--size {s['size']} --duration {s['duration']} --warmup {s['warmup']}")
    p(f"hf-flood --path /limited --connections {s['flooders']} --size {s['size']}")
    p("```")
    p("")
    p("| pair | quiet p50 µs | quiet p99 µs | flood p50 µs | flood p99 µs | flood p99.9 µs "
      "| flood frames/s | p99 ratio | target met |")
    p("|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for i, (q, f) in enumerate(zip(quiet, flood)):
        fl = flooders[i] if i < len(flooders) else {}
        if q["exit"] != 0 or f["exit"] != 0:
            p(f"| {i + 1} | failed | | | | | | | |")
            continue
        Q, F = q["load"], f["load"]
        r = F["p99_us"] / Q["p99_us"]
        ratios.append(r)
        p(f"| {i + 1} | {Q['p50_us']:.0f} | {Q['p99_us']:.0f} | {F['p50_us']:.0f} | "
          f"{F['p99_us']:.0f} | {F['p999_us']:.0f} | {fl.get('frames_per_s', 0):.0f} | "
          f"{r:.2f} | {'yes' if r <= TARGET else 'no'} |")
    if ratios:
        ratios.sort()
        p("")
        p(f"Median p99 ratio over {len(ratios)} pair(s): {ratios[len(ratios) // 2]:.2f} "
          f"(target ≤ {TARGET:.2f}).")
    return out
