"""The scale section: 100,000 subscribers across holdfast instances on one machine."""


def section(ctx):
    r = next((x for x in ctx.rows if x["scenario"].startswith("scale")), None)
    if r is None:
        return []
    out = ["## Scale: 100,000 connections across instances", ""]
    if r["scenario"] == "scale-skipped":
        return out + ["Not run in quick mode."]
    L = r.get("load", {})
    out.append(f"{r['instances']} holdfast processes (`workers: 1` each) share one port through "
               "SO_REUSEPORT, each under its own file limit; `hf-fanout` opens "
               f"{L.get('subscribers', '?')} subscribers over six processes and PUBLISHes "
               f"{L.get('rate', '?')} records/s to the channel through Redis, so every record "
               "crosses to every instance.")
    out.append("")
    if r["exit"] != 0:
        return out + [f"Failed: `{L}`"]
    n = L["connected"]
    per = ctx.memory_per_conn(r, n) or 0
    out += [
        "| subscribers connected | open files per instance (most) | deliveries/s | p50 µs "
        "| p99 µs | max µs | RSS of all instances, KiB | RSS bytes/conn |",
        "|---|---|---|---|---|---|---|---|",
        f"| {n} | {r['fds_per_instance']} | {L['deliveries_per_s']:.0f} | {L['p50_us']:.0f} | "
        f"{L['p99_us']:.0f} | {L['max_us']:.0f} | {r['rss0_kb']} → {r['rss1_kb']} | {per:.0f} |",
    ]
    return out
