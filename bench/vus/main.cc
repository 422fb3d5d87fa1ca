// hf-vus: echo scenario checks with virtual users, the shape of bench/k6/echo.js. See
// bench/vus/README.md.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/flags.h"
#include "../common/procs.h"
#include "../common/ws.h"
#include "users.h"

namespace {

using hfbench::VuOptions;
using hfbench::VuResult;

void Usage() {
  std::fputs(
      "usage: hf-vus [options]\n"
      "  --host H              server address, loopback only (127.0.0.1)\n"
      "  --port P              server port (8080)\n"
      "  --path P              request path (/echo)\n"
      "  --vus N               virtual users (100)\n"
      "  --connections N       connections per user, one after the other (3)\n"
      "  --messages N          messages per connection, one at a time (5)\n"
      "  --interval-ms MS      from a reply to the next message, and to the close (2000)\n"
      "  --size B              bytes per message, at least 32 (64)\n"
      "  --reply-timeout-ms MS a message not answered by then is lost (30000)\n"
      "  --ramp S              first connections spread over S seconds (1, 2, 5 or 10 by users)\n"
      "  --max-duration S      no connection starts after S seconds (120)\n"
      "  --grace S             connections still open S seconds later are cut off (10)\n"
      "  --procs N             worker processes, users split between them (1)\n"
      "  --src-base IP         first source address (127.0.0.2)\n"
      "  --src-count N         source addresses used round robin (8)\n"
      "Prints a summary. Exits 0 when every check and threshold held, 99 when any did not,\n"
      "2 on bad usage.\n",
      stderr);
}

double DefaultRamp(int vus) {
  if (vus <= 100) return 1;
  if (vus <= 1000) return 2;
  if (vus <= 5000) return 5;
  return 10;
}

bool Parse(int argc, char** argv, VuOptions* o, int* procs) {
  double ramp = -1;
  const bool read = hfbench::Flags("hf-vus")
                        .Text("--host", &o->host)
                        .Int("--port", &o->port)
                        .Text("--path", &o->path)
                        .Int("--vus", &o->vus)
                        .Int("--connections", &o->connections)
                        .Int("--messages", &o->messages)
                        .Int("--interval-ms", &o->interval_ms)
                        .Int("--size", &o->size)
                        .Int("--reply-timeout-ms", &o->reply_timeout_ms)
                        .Real("--ramp", &ramp)
                        .Real("--max-duration", &o->max_duration_s)
                        .Real("--grace", &o->grace_s)
                        .Int("--procs", procs)
                        .Text("--src-base", &o->src_base)
                        .Int("--src-count", &o->src_count)
                        .Parse(argc, argv);
  o->ramp_s = ramp >= 0 ? ramp : DefaultRamp(o->vus);
  return read && o->host.rfind("127.", 0) == 0 && o->src_base.rfind("127.", 0) == 0 &&
         o->port > 0 && o->vus > 0 && o->connections > 0 && o->messages > 0 &&
         o->interval_ms >= 0 && o->size >= 32 && o->size <= 65536 && o->reply_timeout_ms > 0 &&
         *procs > 0 && *procs <= o->vus && o->src_count > 0;
}

// Runs the users in `procs` child processes and merges what they found. False when a child did
// not report.
bool RunAll(const VuOptions& o, int procs, VuResult* total) {
  if (procs == 1) {
    hfbench::RunUsers(o, total);
    return true;
  }
  return hfbench::RunInChildren(
      procs,
      [&](int p, VuResult* r) {
        VuOptions mine = o;
        const hfbench::Share share = hfbench::ShareOf(o.vus, procs, p);
        mine.first_vu = share.first;
        mine.vus_here = share.count;
        hfbench::RunUsers(mine, r);
      },
      total);
}

void Line(const char* name, unsigned long long value, const char* note = "") {
  std::printf("  %-22s %llu%s\n", name, value, note);
}

void Times(const char* name, const hfbench::Histogram& h) {
  auto ms = [&](double q) { return static_cast<double>(h.Quantile(q)) / 1e6; };
  std::printf("  %-22s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%llu)\n", name, ms(0.5),
              ms(0.9), ms(0.99), static_cast<double>(h.max()) / 1e6,
              static_cast<unsigned long long>(h.total()));
}

}  // namespace

int main(int argc, char** argv) {
  VuOptions o;
  int procs = 1;
  if (!Parse(argc, argv, &o, &procs)) {
    Usage();
    return 2;
  }
  o.vus_here = o.vus;
  std::printf(
      "hf-vus: %d users x %d connections x %d messages of %d B, %d ms apart, on "
      "ws://%s:%d%s; first connections over %.0f s, max duration %.0f s, %d process(es)\n",
      o.vus, o.connections, o.messages, o.size, o.interval_ms, o.host.c_str(), o.port,
      o.path.c_str(), o.ramp_s, o.max_duration_s, procs);
  std::fflush(stdout);
  const uint64_t t0 = hfbench::NowNs();
  const auto r = std::make_unique<VuResult>();  // large: its latency histograms
  const bool reported = RunAll(o, procs, r.get());
  const double took = static_cast<double>(hfbench::NowNs() - t0) / 1e9;

  const unsigned long long want_conns = static_cast<unsigned long long>(o.vus) * o.connections;
  const unsigned long long want_replies = want_conns * static_cast<unsigned long long>(o.messages);
  char target_c[64], target_r[64];
  std::snprintf(target_c, sizeof(target_c), " (of %llu)", want_conns);
  std::snprintf(target_r, sizeof(target_r), " (of %llu)", want_replies);
  Line("checks passed", r->checks_passed);
  Line("checks failed", r->checks_failed);
  Line("vus_connections_ok", r->connections_ok, target_c);
  Line("vus_connections", r->connections);
  Line("vus_cut_off", r->cut_off);
  Line("vus_sent", r->sent);
  Line("vus_received", r->received, target_r);
  Line("vus_lost", r->lost);
  Line("vus_wrong", r->wrong);
  Line("vus_ws_errors", r->ws_errors);
  Times("connect (to 101)", r->connect_ns);
  Times("reply", r->reply_ns);
  Times("connection", r->session_ns);
  std::printf("  %-22s %.1f s\n", "running time", took);

  std::string crossed;
  auto threshold = [&](bool held, const char* what) {
    if (held) return;
    crossed += crossed.empty() ? "" : "; ";
    crossed += what;
  };
  threshold(reported, "a worker process did not report");
  threshold(r->checks_failed == 0 && r->checks_passed > 0, "checks rate == 1");
  threshold(r->lost == 0, "vus_lost == 0");
  threshold(r->wrong == 0, "vus_wrong == 0");
  threshold(r->ws_errors == 0, "vus_ws_errors == 0");
  threshold(r->connections_ok == want_conns, "vus_connections_ok == users x connections");
  threshold(r->received == want_replies, "vus_received == users x connections x messages");
  if (crossed.empty()) {
    std::printf("hf-vus: PASS\n");
    return 0;
  }
  std::printf("hf-vus: FAIL, thresholds crossed: %s\n", crossed.c_str());
  if (r->first_problem[0] != 0) std::printf("hf-vus: first problem: %s\n", r->first_problem);
  return 99;
}
