"""The bus round-trip section: holdfast with Kafka and Redis, against the same trip without it."""
import statistics

TARGET_CPU = {"kafka": 10.0, "redis": 8.0}


def gc_cell(ctx, scenario):
    """The broker's GC pauses during one run: "count, longest ms", or "" when not recorded."""
    r = next((g for g in ctx.rows if g["scenario"] == "kafka-rt-gc" and g.get("of") == scenario),
             None)
    if r is None or "pauses" not in r["gc"]:
        return ""
    g = r["gc"]
    return f"{g['pauses']}, {g['longest_ms']:.0f}" if g["pauses"] else "0"


def section(ctx):
    s = next((r for r in ctx.rows if r["scenario"] == "bus-rt-settings"), None)
    if s is None:
        return []
    out = ["## Bus round trips (kafka-rt, redis-rt)", ""]
    p = out.append
    p("client (`hf-load`) → holdfast (`workers: 1`) → bus → `hf-bus-echo` → bus → holdfast → "
      "client, on one local Kafka broker (KRaft, one node, topics of 3 partitions) and one "
      "redis-server. The Kafka route publishes each message keyed by its connection and reads "
      "replies from a reply topic; the Redis route XADDs to a stream trimmed to "
      f"{s.get('maxlen', 0):,} entries (`maxlen`) and takes replies on the connection's pub/sub "
      "channel. `hf-bus-echo` answers every message with the same bytes, addressed back by the "
      "contract; `hf-bus-direct` sends the same records (every attribute holdfast writes, as "
      "headers or fields of the same length, and the same trimming) through the same echo "
      "service and reads the replies itself: the round trip without holdfast. Everything shares "
      "the machine's two cores with the broker, so these are figures for this machine, not for "
      "Kafka.")
    p("")
    broker = s.get("broker_during_redis")
    if broker:
        p("Each bus is measured with holdfast serving its route alone. Kafka comes first; then "
          "the Kafka echo service stops, and the broker too when the run started it, before the "
          "Redis runs, since an idle broker and its clients took 12 to 32% of a core that a "
          "Redis trip does not use. In this run the broker was "
          + ("stopped for the Redis runs." if broker == "stopped" else
             "running before the run started, so it was left running beside the Redis runs."))
    p("")
    pairs = s.get("pairs", 1)
    p(f"Closed loop: {s['connections']} connections × {s['inflight']} in flight. Open loop: "
      f"{s['connections']} connections at {s['shares'].replace(' ', ', ')} % of the closed "
      f"loop's rate. {s['duration']} s measured after {s['warmup']} s; at 50 %, the rate of the "
      f"added-latency target, {pairs} alternated pair{'s' if pairs != 1 else ''} of "
      f"{s.get('pair_duration', s['duration'])} s (`-pairN`), and the target is judged on the "
      "median of what holdfast added in each. Holdfast CPU per message is its utime+stime over "
      "the run ÷ round trips (each is one message in and one reply out); echo CPU likewise for "
      "`hf-bus-echo`.")
    p("")
    p("For Kafka, the last two columns count the broker's GC pauses during the run through "
      "holdfast and during the direct run, with the longest in ms (from the JVM's GC log, which "
      "`scripts/kafka.sh` has it write). At 1% of the run's messages, p99 is decided by the "
      "worst few hundred milliseconds of it: one long pause in one run and none in the other "
      "outweighs anything either client does, so compare p99s only where the pauses match.")
    for bus in ("kafka", "redis"):
        p("")
        p(f"### {bus}")
        p("")
        out += table(ctx, bus, "holdfast-w1", f"{bus}-rt-")
        closed = ctx.find(f"{bus}-rt-closed", "holdfast-w1")
        if closed:
            c = ctx.cpu_per_msg(closed)
            met = "met" if c is not None and c <= TARGET_CPU[bus] else "not met"
            p("")
            p(f"Target: ≤ {TARGET_CPU[bus]:.0f} µs of holdfast CPU per message in and out; at "
              f"saturation (closed loop) {ctx.fmt(c, '.1f')} µs: {met}. Added latency target: "
              "p99 at half of saturation ≤ 1 ms above the direct round trip. "
              + added_verdict(ctx, "holdfast-w1", f"{bus}-rt-"))
    if any(r["server"] == "holdfast-w1-plain" for r in ctx.rows):
        p("")
        p("### kafka, idempotence off on both sides")
        p("")
        p("The same trip at half of saturation, with `buses.kafka.producer: { enable.idempotence: "
          "false }` in holdfast and `hf-bus-direct … plain`. librdkafka's idempotent producer "
          "waits for a partition's request of five or more messages to be answered before it "
          "sends the next, and meanwhile polls without sleeping for messages queued past "
          "`linger.ms`: any acknowledgement slower than that keeps a thread busy, and the "
          "spinning takes the CPU the broker needs. These rows show "
          "what holdfast itself adds to the trip; the default stays idempotent (see "
          "`docs/configuration.md`).")
        p("")
        out += table(ctx, "kafka", "holdfast-w1-plain", "kafka-rt-plain-")
    return out


def added(ctx, r, prefix):
    """What holdfast added to p99 in open-loop run `r`, against its direct run, in µs."""
    direct = ctx.find(prefix + "direct-" + r["scenario"][len(prefix) + 5:], "hf-bus-direct")
    if r["exit"] != 0 or direct is None or direct["exit"] != 0:
        return None
    return r["load"]["p99_us"] - direct["load"]["p99_us"]


def added_verdict(ctx, server, prefix):
    """The added-latency verdict on the median of the pairs at half of saturation."""
    runs = [r for r in ctx.rows if r["server"] == server
            and r["scenario"].startswith(prefix + "open-") and "-pair" in r["scenario"]]
    values = [added(ctx, r, prefix) for r in runs]
    if not values or None in values:
        return "No complete pair at half of saturation."
    median = statistics.median(values)
    listed = ", ".join(f"{v / 1000:+.2f}" for v in values)
    return (f"At half of saturation, {len(values)} pair{'s' if len(values) != 1 else ''}: "
            f"{listed} ms; median {median / 1000:+.2f} ms: "
            f"{'met' if median <= 1000 else 'missed'}.")


def table(ctx, bus, server, prefix):
    """One table of runs whose scenario starts with `prefix`, each beside its direct run."""
    out = []
    p = out.append
    gc = bus == "kafka"
    p("| run | msgs/s | p50 µs | p99 µs | p99.9 µs | max µs | holdfast CPU µs/msg "
      "| echo CPU µs/msg | echo CPU % of a core | direct p50 µs | direct p99 µs "
      "| p99 added by holdfast µs |" + (" broker GC pauses, longest ms | same, direct |"
                                       if gc else ""))
    p("|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if gc else ""))
    runs = [r for r in ctx.rows if r["scenario"].startswith(prefix) and r["server"] == server]
    for r in runs:
        name = r["scenario"][len(prefix):]
        echo = next((e for e in ctx.rows if e["scenario"] == f"{bus}-rt-echo-cpu"
                     and e.get("of") == r["scenario"]), None)
        direct_name = f"{prefix}direct-{name[5:]}" if name.startswith("open-") else ""
        gc_cells = f" {gc_cell(ctx, r['scenario'])} | {gc_cell(ctx, direct_name)} |" if gc else ""
        if r["exit"] != 0:
            p(f"| {name} | failed | | | | | | | | | | |{gc_cells}")
            continue
        L = r["load"]
        n = L.get("received", 0)
        hf_cpu = ctx.cpu_per_msg(r)
        echo_cpu = echo["cpu_ticks"] * ctx.tick_us / n if echo and n else None
        wall = L["duration_s"] + L["warmup_s"]
        echo_share = (echo["cpu_ticks"] * ctx.tick_us / 1e6 / wall * 100) if echo else None
        direct = ctx.find(direct_name, "hf-bus-direct") if direct_name else None
        d50 = direct["load"]["p50_us"] if direct else None
        d99 = direct["load"]["p99_us"] if direct else None
        more = added(ctx, r, prefix)
        p(f"| {name} | {L['msgs_per_s']:.0f} | {L['p50_us']:.0f} | {L['p99_us']:.0f} | "
          f"{L['p999_us']:.0f} | {L['max_us']:.0f} | {ctx.fmt(hf_cpu, '.1f')} | "
          f"{ctx.fmt(echo_cpu, '.1f')} | {ctx.fmt(echo_share, '.0f')} | "
          f"{ctx.fmt(d50, '.0f')} | {ctx.fmt(d99, '.0f')} | {ctx.fmt(more, '.0f')} |"
          f"{gc_cells}")
    return out
