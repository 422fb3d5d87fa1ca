"""The idle section: plaintext idle connections to holdfast and hf-lws-echo."""


def section(ctx):
    rows = ctx.all("idle-")
    if not rows:
        return []
    out = ["## Idle connections (plaintext)", ""]
    p = out.append
    p("`hf-load --idle --connections N` opens N connections to a fresh server, holds them and sends "
      "nothing. RSS is the server's VmRSS before and after opening them. Slab is the machine's "
      "`Slab` from /proc/meminfo, so it holds both ends of each loopback connection and anything "
      "else the machine did meanwhile.")
    p("")
    p("| server | connections | open | RSS before KiB | RSS after KiB | RSS bytes/conn "
      "| slab bytes/conn | RSS/conn ÷ lws-echo |")
    p("|---|---|---|---|---|---|---|---|")
    for n in (1000, 10000):
        base = ctx.find(f"idle-{n}", "lws-echo")
        base_per = (base["rss1_kb"] - base["rss0_kb"]) * 1024 / n if base else None
        for name in ("holdfast-w1", "lws-echo"):
            r = ctx.find(f"idle-{n}", name)
            if r is None:
                p(f"| {name} | {n} | failed | | | | | |")
                continue
            per = (r["rss1_kb"] - r["rss0_kb"]) * 1024 / n
            slab = (r["slab1_kb"] - r["slab0_kb"]) * 1024 / n
            p(f"| {name} | {n} | {r['load']['connected']} | {r['rss0_kb']} | {r['rss1_kb']} | "
              f"{per:.0f} | {slab:.0f} | {ctx.ratio(per, base_per)} |")
    return out
