"""The idle section: idle connections to holdfast, hf-lws-echo and Centrifugo, in plaintext and
over TLS, and holdfast at its file limit."""

# The targets: private memory per connection, in bytes.
PLAIN_TARGET, TLS_TARGET = 2048, 16384


def section(ctx):
    return (table(ctx, "idle-", "Idle connections (plaintext)", PLAIN_TARGET) + [""] +
            table(ctx, "idle-tls-", "Idle connections (TLS)", TLS_TARGET) + [""] +
            at_the_limit(ctx))


def at_the_limit(ctx):
    rows = [r for r in ctx.rows if r["scenario"].startswith(("idle-max-", "idle-tls-max-"))]
    if not rows:
        return []
    out = ["## Idle connections at the file limit", ""]
    if rows[0]["scenario"] == "idle-max-skipped":
        return out + [f"Not run in quick mode (`ulimit -n` here: {rows[0]['limit']})."]
    for r in rows:
        tls = r["scenario"].startswith("idle-tls-")
        n = int(r["scenario"].rsplit("-", 1)[1])
        how = ("over TLS, opened by `bench/tls_idle/hold.py` in two processes" if tls
               else "in plaintext, opened by `hf-load --idle --procs 2`")
        if r["exit"] != 0:
            out.append(f"holdfast (`workers: 1`) with {n} connections {how}: failed: "
                       f"`{r.get('load')}`")
        else:
            out.append(f"holdfast (`workers: 1`) held {r['load']['connected']} of {n} idle "
                       f"connections (`ulimit -n` less 64) {how}: RSS {r['rss0_kb']} → "
                       f"{r['rss1_kb']} KiB, {ctx.memory_per_conn(r, n):.0f} bytes per "
                       f"connection; {ctx.fmt(ctx.memory_per_conn(r, n, 'anon'), '.0f')} bytes of "
                       f"private memory per connection (target: ≤ {TLS_TARGET if tls else PLAIN_TARGET}).")
        out.append("")
    return out[:-1]


def table(ctx, prefix, title, target):
    rows = [r for r in ctx.rows if r["scenario"].startswith(prefix)
            and r["scenario"][len(prefix):].isdigit()]
    if not rows:
        return []
    out = [f"## {title}", ""]
    p = out.append
    p("N connections to a fresh server, opened, held, sending nothing (`hf-load --idle` in "
      "plaintext, `bench/tls_idle/hold.py` over TLS, with a self-signed P-256 certificate). RSS "
      "is the server's VmRSS before and after opening them; private is its RssAnon, which is RSS "
      "less the pages of files the process maps. The difference is code: the first connections "
      "page in the code of the libraries that serve them (over TLS, some 0.2 to 0.4 MB of "
      "libcrypto, libssl and the server itself), once, shared with every process that maps "
      "them. Slab is the machine's `Slab` from /proc/meminfo, so it holds both ends of each "
      "loopback connection and anything else the machine did meanwhile.")
    p("")
    if prefix == "idle-" and any(r["server"] == "centrifugo" for r in rows):
        p("Centrifugo (built from the Go module proxy, memory engine) must get a `connect` "
          "command from each client before it keeps it, so its clients send "
          "`{\"id\":1,\"connect\":{}}` once upgraded (`hf-load --hello`) and count as open once "
          "it is answered.")
        p("")
    if any(r["server"] == "holdfast-w1-ping" for r in rows):
        p("holdfast-w1-ping is holdfast with `keepalive: { ping_interval: 1s }` on the route, "
          "measured 3 s after the last connection opened instead of 0.5 s, when every connection "
          "has answered a ping. The other rows count connections that have received nothing at "
          "all. holdfast takes the receive buffers libwebsockets allocates, one per connection, "
          "from address space of their own, and libwebsockets writes into one only for a "
          "control frame's payload, so their pages stay unwritten and not resident; holdfast's "
          "pings are empty, and their pongs are not written to the buffer.")
        p("")
    if any(r["server"] == "holdfast-w1-clientping" for r in rows):
        p("holdfast-w1-clientping is holdfast as configured for holdfast-w1, whose clients each "
          "send one ping with a 4-byte payload once open (`hf-load --ping-payload 4`, which checks "
          "every pong), measured 1 s after the last connection opened. libwebsockets writes that "
          "payload into the connection's receive buffer, which makes its page resident; the "
          "worker gives the page back on its next tick (every 250 ms).")
        p("")
    p("| server | connections | open | RSS before KiB | RSS after KiB | RSS bytes/conn "
      "| private bytes/conn | slab bytes/conn | private/conn ÷ lws-echo |")
    p("|---|---|---|---|---|---|---|---|---|")
    counts = sorted({int(r["scenario"][len(prefix):]) for r in rows})
    for n in counts:
        base = ctx.find(f"{prefix}{n}", "lws-echo")
        base_per = ctx.memory_per_conn(base, n, "anon") if base else None
        for name in ("holdfast-w1", "holdfast-w1-ping", "holdfast-w1-clientping", "lws-echo",
                     "centrifugo"):
            r = ctx.find(f"{prefix}{n}", name)
            ran = any(x["scenario"] == f"{prefix}{n}" and x["server"] == name for x in ctx.rows)
            if r is None and name in ("holdfast-w1-ping", "holdfast-w1-clientping",
                                      "centrifugo") and not ran:
                continue
            if r is None:
                p(f"| {name} | {n} | failed | | | | | | |")
                continue
            per = ctx.memory_per_conn(r, n)
            private = ctx.memory_per_conn(r, n, "anon")
            slab = (r["slab1_kb"] - r["slab0_kb"]) * 1024 / n
            p(f"| {name} | {n} | {r['load']['connected']} | {r['rss0_kb']} | {r['rss1_kb']} | "
              f"{per:.0f} | {ctx.fmt(private, '.0f')} | {slab:.0f} | "
              f"{ctx.ratio(private, base_per) if private else 'n/a'} |")
    p("")
    p(f"Target: ≤ {target} bytes of private memory per connection for holdfast: what each "
      "connection holds, without the code paged in once.")
    if prefix == "idle-" and any(r["scenario"] == "idle-centrifugo-missing" for r in ctx.rows):
        p("")
        p("Centrifugo could not be built from the Go module proxy here, so it did not run.")
    return out
