"""The churn section: upgrades per second, plain and with an RS256 JWT to verify."""

TARGETS = {"churn-plain": 20_000, "churn-jwt": 10_000}


def section(ctx):
    s = next((r for r in ctx.rows if r["scenario"] == "churn-settings"), None)
    if s is None:
        return []
    out = ["## Churn: upgrades per second", ""]
    p = out.append
    p(f"`hf-churn` keeps {s['slots']} connections cycling: connect, upgrade, one message echoed "
      "and checked, closing handshake, then a reset so no TIME_WAIT piles up. `churn-jwt` is the "
      "same echo route behind a `jwt` filter with an RS256 key from a JWKS file, every upgrade "
      f"carrying `Authorization: Bearer` (2048-bit RSA). {s['duration']} s measured after "
      f"{s['warmup']} s. Upgrades per core-second divide the upgrades by the server's CPU "
      "seconds over the run.")
    p("")
    if "small_limit" in s:
        p(f"Each server runs with the file limit the run inherited ({s['inherited_limit']}) and "
          f"again with {s['small_limit']} (servers named `-fl{s['small_limit']}`: holdfast's "
          "`file_limit`, `ulimit -n` for hf-lws-echo). libwebsockets, as Debian builds it, walks "
          "a table as long as the file limit each time a connection closes, so the limit is a "
          "cost of every cycle; each server is divided by hf-lws-echo at the same limit.")
        p("")
    if s.get("held"):
        p(f"`churn-plain-held` is plain churn at the inherited limit while {s['held']} more "
          "connections stay open and idle on the same server (`hf-load --idle`), as a server in "
          "production churns beside the connections it holds. hf-lws-echo keeps libwebsockets' "
          "default validity timer, one per connection in a sorted list that each new connection "
          "walks; holdfast leaves that timer off and keeps connections alive with its own "
          "keepalive. It is divided by hf-lws-echo in the same run.")
        p("")
    p("| run | server | upgrades/s | p50 µs | p99 µs | CPU µs/upgrade | upgrades per core-second "
      "| ÷ lws-echo | target per core | met |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    def base_cpu(scenario, server):
        suffix = server[server.index("-fl"):] if "-fl" in server else ""
        held = scenario.endswith("-held")
        base = ctx.find("churn-plain-held" if held else "churn-plain", "lws-echo" + suffix)
        return ctx.cpu_per_msg(base, base["load"]["upgrades"]) if base else None

    for r in ctx.rows:
        if not r["scenario"].startswith("churn-") or r["scenario"] == "churn-settings":
            continue
        if r["exit"] != 0:
            p(f"| {r['scenario']} | {r['server']} | failed | | | | | | | |")
            continue
        L = r["load"]
        cpu = ctx.cpu_per_msg(r, L["upgrades"])
        per_core = 1e6 / cpu if cpu else None
        target = TARGETS.get(r["scenario"]) if r["server"].startswith("holdfast") else None
        met = ("yes" if per_core and per_core >= target else "no") if target else ""
        p(f"| {r['scenario']} | {r['server']} | {L['upgrades_per_s']:.0f} | {L['p50_us']:.0f} | "
          f"{L['p99_us']:.0f} | {ctx.fmt(cpu, '.1f')} | {ctx.fmt(per_core, '.0f')} | "
          f"{ctx.ratio(base_cpu(r['scenario'], r['server']), cpu) if cpu else 'n/a'} | {target or ''} | {met} |")
    return out
