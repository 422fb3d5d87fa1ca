#!/usr/bin/env python3
"""Turns run.sh's raw JSON lines into the results page. Usage: report.py RAW MODE OUT.md

Each bench/reports/NN-name.py defines section(ctx) and returns the Markdown lines of its section;
ctx is a Context below. A section may also draw plots with ctx.plot_path(name), which names a PNG
next to the page."""
import datetime
import importlib.util
import json
import os
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent


class Context:
    def __init__(self, rows, mode, out):
        self.rows = rows
        self.mode = mode
        self.out = pathlib.Path(out)
        self.tick_us = 1e6 / os.sysconf("SC_CLK_TCK")

    def find(self, scenario, server):
        """The passing record of one scenario and server, or None."""
        for r in self.rows:
            if r["scenario"] == scenario and r["server"] == server and r["exit"] == 0:
                return r
        return None

    def all(self, scenario_prefix):
        return [r for r in self.rows if r["scenario"].startswith(scenario_prefix)]

    @staticmethod
    def memory_per_conn(r, n, kind="rss"):
        """Bytes per connection that a record's server grew by: kind "rss" (VmRSS) or "anon"
        (private memory, RssAnon); None when the record lacks it or counts no connection."""
        before, after = f"{kind}0_kb", f"{kind}1_kb"
        if after not in r or not n:
            return None
        return (r[after] - r[before]) * 1024 / n

    def cpu_per_msg(self, r, count=None):
        """The server's CPU µs per message: its utime+stime over the run / messages moved."""
        n = count if count is not None else r["load"].get("received", 0)
        return r["cpu_ticks"] * self.tick_us / n if n else None

    ratio = staticmethod(lambda a, b: ratio(a, b))
    fmt = staticmethod(lambda v, spec: fmt(v, spec))

    def plot_path(self, name):
        """Path of a PNG next to the page, named after it: <date>-<name>.png."""
        return self.out.with_name(f"{self.out.stem}-{name}.png")


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def fmt(v, spec):
    return format(v, spec) if v is not None else "n/a"


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def load_sections():
    mods = []
    for path in sorted((HERE / "reports").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"bench_report_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods.append(mod)
    return mods


def main():
    raw, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = [json.loads(line) for line in open(raw) if line.strip()]
    ctx = Context(rows, mode, out)
    now = datetime.datetime.now(datetime.timezone.utc)
    page = [
        f"# Benchmark run {now:%Y-%m-%d %H:%M} UTC ({mode})",
        "",
        "Single runs on one machine; every ratio compares figures taken in this same run.",
        "",
        "## Machine and versions",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores (nproc)",
        f"- kernel: {platform.release()}",
        f"- holdfast: {os.environ.get('HOLDFAST_VERSION', '?')}; libwebsockets "
        f"{os.environ.get('LWS_VERSION', '?')}",
        "- pinning: servers on core 0 (`taskset -c 0`), load generators on core 1, when there are "
        "two cores",
        f"- the whole run took {os.environ.get('ELAPSED', '?')} s",
        "",
    ]
    for mod in load_sections():
        lines = mod.section(ctx)
        if lines:
            page += lines + [""]
    failed = [r for r in rows if r["exit"] != 0]
    if failed:
        page += ["## Failed runs", ""]
        page += [f"- {r['scenario']} {r['server']}: exit {r['exit']}: "
                 f"`{json.dumps(r.get('load', r))}`" for r in failed]
        page.append("")
    page += ["## Raw records", "", "```"]
    page += [json.dumps(r, separators=(",", ":")) for r in rows]
    page.append("```")
    pathlib.Path(out).write_text("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
