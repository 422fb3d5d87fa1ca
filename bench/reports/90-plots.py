"""Plots next to the page: latency against rate, and memory per connection against connections."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)


def latency_plot(ctx):
    series = {}
    for r in ctx.rows:
        if r["scenario"].startswith("sweep-") and r["exit"] == 0 and "load" in r:
            L = r["load"]
            series.setdefault(r["server"], []).append((L["rate_target"], L["p50_us"], L["p99_us"]))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for server, pts in sorted(series.items()):
        pts.sort()
        rates = [x[0] for x in pts]
        ax.plot(rates, [x[2] for x in pts], marker="o", label=f"{server} p99")
        ax.plot(rates, [x[1] for x in pts], marker=".", linestyle="--", label=f"{server} p50")
    ax.set_xlabel("offered rate, messages/s (open loop, 100 connections)")
    ax.set_ylabel("round trip, µs")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("Echo route: latency against rate")
    path = ctx.plot_path("latency-vs-rate")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def memory_plot(ctx):
    series = {}
    for r in ctx.rows:
        if r["exit"] != 0 or "rss1_kb" not in r:
            continue
        n = r.get("load", {}).get("connected") or r.get("connections")
        if not n:
            continue
        label = r["server"] + (" (TLS)" if "tls" in r["scenario"] else "")
        per = ctx.memory_per_conn(r, n, "anon")
        if per is None:
            per = ctx.memory_per_conn(r, n)
            label += " (RSS)"
        series.setdefault(label, []).append((n, per))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pts in sorted(series.items()):
        pts.sort()
        ax.plot([x[0] for x in pts], [x[1] for x in pts], marker="o", label=label)
    ax.axhline(2048, color="grey", linestyle=":", label="target, plaintext (2 KiB)")
    ax.axhline(16384, color="grey", linestyle="--", label="target, TLS (16 KiB)")
    ax.set_xscale("log")
    ax.set_xlabel("idle connections")
    ax.set_ylabel("server private memory per connection, bytes")  # RSS where marked
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("Idle connections: memory per connection")
    path = ctx.plot_path("memory-vs-connections")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def section(ctx):
    paths = [p for p in (latency_plot(ctx), memory_plot(ctx)) if p]
    if not paths:
        return []
    out = ["## Plots", ""]
    for path in paths:
        name = os.path.basename(path)
        out += [f"![{name}]({name})", ""]
    return out
