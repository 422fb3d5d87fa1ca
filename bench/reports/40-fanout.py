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
      "CPU per delivery is the server's utime+stime from just before the first record is "
      "published to the end of the drain after the last (`hf-fanout --window-file`) ÷ every "
      "delivery, so connecting and closing the subscribers, which the churn scenario measures, "
      "are left out (the whole run's CPU is in the raw records, `cpu_ticks_run`); deliveries per "
      "core-second is its inverse.")
    p("")
    p(f"holdfast runs at {s['rates'].replace(' ', ', ')} records/s; the peers at "
      f"{s.get('peer_rates', s['rates']).replace(' ', ', ')}, where each already takes most of "
      "a core. Past 10 records/s, records reach holdfast's worker while it is still writing the "
      "last ones, and a subscriber's records of one loop turn go out in one write; that is "
      "why its CPU per delivery falls as the rate grows. ")
    p("")
    p("The rates stay below what one holdfast worker sustains here: past it, records published "
      "through Redis queue up inside holdfast (nothing slows a Redis publisher), arrive later "
      "than the run waits for, and the run fails. nchan's HTTP publisher is slowed down by nginx "
      "instead, so past its capacity nchan's latency grows rather than its backlog.")
    p("")
    p("nchan is nginx 1.22 with Debian's nchan 1.3.6 module, one worker process, subscribers on "
      "`nchan_subscriber websocket`, records POSTed to its `nchan_publisher` location on one "
      "kept-alive connection; the same client checks it the same way.")
    p("")
    version = next((r["version"] for r in ctx.rows
                    if r["scenario"] == "fanout-centrifugo-version"), None)
    if version:
        p(f"Centrifugo is {version}, built from the Go module proxy (`bench/peers/centrifugo.sh`), "
          "its memory engine, anonymous clients; each subscriber sends `connect` and `subscribe` "
          "and counts as open once the subscription is answered; records are POSTed to its HTTP "
          "API (`/api/publish`, one kept-alive connection) as JSON carrying the same bytes in hex, "
          "and the pushes are checked the same way.")
        p("")
    if s.get("floor_rates"):
        p(f"`hf-floor` is the floor of this machine, run at {s['floor_rates'].replace(' ', ', ')} "
          "records/s: one thread on epoll that reads the same records from the same Redis "
          "channel and writes what one read of it brought to every subscriber in one `send`, "
          "with nothing else to do. Its CPU per delivery is what the kernel costs here: on "
          "loopback a send also runs the receiver's TCP processing. A send costs much the same "
          "whatever it carries; at low rates each carries one record, at high rates several, "
          "which is why a delivery costs more at low rates, for every server.")
        p("")
    p("The last three columns divide holdfast's deliveries per core-second by the floor's and "
      "the peers' in the same run (above 1 means holdfast spends less CPU per delivery).")
    p("")
    p("| records/s | server | deliveries/s | p50 µs | p99 µs | p99.9 µs | max µs "
      "| CPU µs/delivery | deliveries per core-second | RSS KiB | holdfast ÷ floor "
      "| holdfast ÷ nchan | holdfast ÷ Centrifugo |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    best = None
    floor = None
    servers = ("holdfast-w1", "hf-floor", "nchan", "centrifugo")
    for r in ctx.rows:
        if not r["scenario"].startswith("fanout-") or r["server"] not in servers:
            continue
        rate = r["scenario"][len("fanout-"):]
        if not rate.isdigit():
            continue
        if r["exit"] != 0:
            p(f"| {rate} | {r['server']} | failed | | | | | | | | | | |")
            continue
        L = r["load"]
        cpu = ctx.cpu_per_msg(r, L["received"])
        per_core = 1e6 / cpu if cpu else None
        ratios = []
        for peer_name in ("hf-floor", "nchan", "centrifugo"):
            peer = ctx.find(r["scenario"], peer_name)
            peer_cpu = (ctx.cpu_per_msg(peer, peer["load"]["received"])
                        if peer and peer["exit"] == 0 and r["server"] == "holdfast-w1" else None)
            ratios.append(ctx.ratio(peer_cpu, cpu) if cpu and peer_cpu else "")
        if r["server"] == "holdfast-w1" and per_core and (best is None or per_core > best[0]):
            best = (per_core, L["p99_us"], rate)
        if r["server"] == "hf-floor" and per_core and (floor is None or per_core > floor[0]):
            floor = (per_core, L["p99_us"], rate)
        p(f"| {rate} | {r['server']} | {L['deliveries_per_s']:.0f} | {L['p50_us']:.0f} | "
          f"{L['p99_us']:.0f} | {L['p999_us']:.0f} | {L['max_us']:.0f} | {ctx.fmt(cpu, '.2f')} | "
          f"{ctx.fmt(per_core, '.0f')} | {r['rss_kb']} | {ratios[0]} | {ratios[1]} | "
          f"{ratios[2]} |")
    if best:
        p("")
        p(f"Target: ≥ {TARGET_PER_CORE:,} deliveries per core-second with 10,000 subscribers and "
          f"p99 ≤ {TARGET_P99_US // 1000} ms. Best here: {best[0]:,.0f} per core-second "
          f"({'met' if best[0] >= TARGET_PER_CORE else 'not met'}), p99 {best[1] / 1000:.1f} ms at "
          f"{best[2]} records/s.")
        if floor:
            if floor[0] < TARGET_PER_CORE:
                verdict = ("stays under the target rate, so the target is past what this machine "
                           "does over loopback")
            elif floor[1] > TARGET_P99_US:
                verdict = "reaches the target rate, but not its p99"
            else:
                verdict = "reaches the target"
            p(f"The floor's best is {floor[0]:,.0f} per core-second, p99 {floor[1] / 1000:.1f} ms at "
              f"{floor[2]} records/s: here a server that does nothing but write {verdict}.")
    p("")
    if any(r["scenario"] == "fanout-nchan-missing" for r in ctx.rows):
        p("nchan could not be had from Debian here, so it did not run.")
    if any(r["scenario"] == "fanout-centrifugo-missing" for r in ctx.rows):
        p("Centrifugo could not be built from the Go module proxy here, so it did not run "
          "(`bench/peers/centrifugo.sh` says why).")
    return out
