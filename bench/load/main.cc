// hf-load: a WebSocket echo load generator. See bench/README.md.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/flags.h"
#include "../common/procs.h"
#include "../common/self_test.h"
#include "engine.h"

namespace {

using hfbench::LoadOptions;
using hfbench::LoadResult;

void Usage() {
  std::fputs(
      "usage: hf-load [options]\n"
      "  --host H           server address (127.0.0.1)\n"
      "  --port P           server port (8080)\n"
      "  --path P           request path (/echo)\n"
      "  --connections N    connections in total, over all processes (100)\n"
      "  --procs N          worker processes; results are merged (1)\n"
      "  --closed W         closed loop, W messages in flight per connection (default, W=10)\n"
      "  --rate R           open loop, R messages per second in total\n"
      "  --idle             open the connections, hold them for the duration, send nothing\n"
      "  --ping-payload N   with --idle: each connection sends one ping of N bytes (0 to 125)\n"
      "                     once open, and must get them back in a pong\n"
      "  --duration S       measured seconds (10)\n"
      "  --warmup S         seconds before measuring (2)\n"
      "  --drain S          seconds allowed for the last replies (3)\n"
      "  --size B           message size in bytes, at least 24 (32)\n"
      "  --src-base IP      first source address (127.0.0.2)\n"
      "  --src-count N      source addresses used round robin (8)\n"
      "  --ready-file F     create F.<proc> once every connection is open\n"
      "  --hello TEXT       send TEXT once upgraded; open once something comes back\n"
      "  --self-test        check that broken echo servers are caught, then exit\n"
      "Prints one JSON line. Exits 1 when any message was lost, reordered, duplicated,\n"
      "misrouted or corrupted, or any connection failed; 2 on bad usage.\n",
      stderr);
}

bool Parse(int argc, char** argv, LoadOptions* o, int* procs) {
  const bool read = hfbench::Flags("hf-load")
                        .Text("--host", &o->host)
                        .Int("--port", &o->port)
                        .Text("--path", &o->path)
                        .Int("--connections", &o->connections)
                        .Int("--procs", procs)
                        .Custom("--closed",
                                [o](const char* v) {
                                  o->rate = 0;  // closed loop: undoes a --rate given before
                                  return hfbench::ReadInt(v, &o->inflight);
                                })
                        .Real("--rate", &o->rate)
                        .Switch("--idle", &o->idle)
                        .Int("--ping-payload", &o->ping_payload)
                        .Real("--duration", &o->duration_s)
                        .Real("--warmup", &o->warmup_s)
                        .Real("--drain", &o->drain_s)
                        .Int("--size", &o->size)
                        .Text("--src-base", &o->src_base)
                        .Int("--src-count", &o->src_count)
                        .Text("--ready-file", &o->ready_file)
                        .Text("--hello", &o->hello)
                        .Parse(argc, argv);
  return read && o->connections > 0 && *procs > 0 && *procs <= 64 && o->size >= 24 &&
         o->size <= (1 << 20) && o->inflight > 0 && o->duration_s > 0 && o->duration_s <= 3600 &&
         o->warmup_s >= 0 && o->rate >= 0 && o->port > 0 && o->port < 65536 &&
         o->ping_payload >= -1 && o->ping_payload <= 125 && (o->ping_payload < 0 || o->idle);
}

double Us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return hfbench::SelfTest(argv[0]);
  LoadOptions opt;
  int procs = 1;
  if (!Parse(argc, argv, &opt, &procs)) {
    Usage();
    return 2;
  }
  const int total = opt.connections;
  const double total_rate = opt.rate;
  auto merged = std::make_unique<LoadResult>();
  const bool complete = hfbench::RunInChildren(
      procs,
      [&](int p, LoadResult* r) {
        LoadOptions mine = opt;
        const hfbench::Share share = hfbench::ShareOf(total, procs, p);
        mine.connections = share.count;
        mine.first_id = static_cast<uint32_t>(share.first);
        mine.rate = total_rate / procs;
        if (!opt.ready_file.empty()) mine.ready_file = opt.ready_file + "." + std::to_string(p);
        hfbench::RunLoad(mine, r);
      },
      merged.get());
  const LoadResult& r = *merged;
  bool ok = complete && r.Failures() == 0 && (opt.idle || r.measured > 0);
  std::printf(
      "{\"ok\":%s,\"mode\":\"%s\",\"connections\":%d,\"procs\":%d,\"inflight\":%d,"
      "\"rate_target\":%.0f,\"size\":%d,\"duration_s\":%.3f,\"warmup_s\":%.3f,"
      "\"connected\":%lu,\"sent\":%lu,\"received\":%lu,\"missing\":%lu,\"reordered\":%lu,"
      "\"misrouted\":%lu,\"duplicate\":%lu,\"corrupt\":%lu,\"connect_failed\":%lu,"
      "\"closed_early\":%lu,\"pongs\":%lu",
      ok ? "true" : "false", opt.idle ? "idle" : (total_rate > 0 ? "open" : "closed"), total, procs,
      (total_rate > 0 || opt.idle) ? 0 : opt.inflight, total_rate, opt.size, opt.duration_s,
      opt.warmup_s, (unsigned long)r.connected, (unsigned long)r.sent, (unsigned long)r.received,
      (unsigned long)r.missing, (unsigned long)r.reordered, (unsigned long)r.misrouted,
      (unsigned long)r.duplicate, (unsigned long)r.corrupt, (unsigned long)r.connect_failed,
      (unsigned long)r.closed_early, (unsigned long)r.pongs);
  if (ok && !opt.idle) {
    double secs = static_cast<double>(r.window_ns) / 1e9;
    std::printf(
        ",\"messages\":%lu,\"msgs_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f",
        (unsigned long)r.measured, static_cast<double>(r.measured) / secs,
        Us(r.latency.Quantile(0.5)), Us(r.latency.Quantile(0.99)), Us(r.latency.Quantile(0.999)),
        Us(r.latency.max()));
  }
  std::printf("}\n");
  if (!ok) {
    std::fprintf(stderr,
                 "hf-load: FAILED: %lu missing, %lu reordered, %lu misrouted, %lu duplicate, "
                 "%lu corrupt, %lu connections failed, %lu closed early%s\n",
                 (unsigned long)r.missing, (unsigned long)r.reordered, (unsigned long)r.misrouted,
                 (unsigned long)r.duplicate, (unsigned long)r.corrupt,
                 (unsigned long)r.connect_failed, (unsigned long)r.closed_early,
                 complete ? "" : ", a worker process died");
    if (r.first_error[0] != 0) std::fprintf(stderr, "hf-load: first problem: %s\n", r.first_error);
    if (r.Failures() == 0 && complete) std::fprintf(stderr, "hf-load: no reply was measured\n");
    return 1;
  }
  return 0;
}
