// hf-fanout: many WebSocket subscribers to one channel, and a publisher at a fixed rate. See
// bench/README.md.
//
// Subscriber connections are spread over worker processes (each process may open only so many
// files) and source addresses. Once every one is open, the parent publishes record k at
// start + k / rate with PUBLISH <channel> (Redis, as a holdfast service replies to a channel);
// each record carries k and that scheduled time, so latency is charged from when it was due.
// Every subscriber must get every record, in order, once: anything else fails the run (exit 1,
// no figures). Prints one JSON line: deliveries per second and delivery latency.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/flags.h"
#include "../common/procs.h"
#include "../common/self_test.h"
#include "../common/ws.h"
#include "options.h"
#include "publisher.h"
#include "subscribers.h"

namespace {

using hfbench::NowNs;
using hfbench::fanout::kFill;
using hfbench::fanout::Options;
using hfbench::fanout::Payload;
using hfbench::fanout::Publisher;
using hfbench::fanout::Result;
using hfbench::fanout::RunSubscribers;

// Creates an empty file at `path`; false when it cannot.
bool Touch(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  return f != nullptr && std::fclose(f) == 0;
}

bool Parse(int argc, char** argv, Options* o) {
  const bool read = hfbench::Flags("hf-fanout")
                        .Text("--host", &o->host)
                        .Int("--port", &o->port)
                        .Text("--path", &o->path)
                        .Int("--subscribers", &o->subscribers)
                        .Int("--procs", &o->procs)
                        .Real("--rate", &o->rate)
                        .Real("--duration", &o->duration_s)
                        .Real("--warmup", &o->warmup_s)
                        .Real("--drain", &o->drain_s)
                        .Text("--http", &o->http)
                        .Text("--centrifugo", &o->centrifugo)
                        .Text("--redis", &o->redis)
                        .Text("--channel", &o->channel)
                        .Text("--src-base", &o->src_base)
                        .Int("--src-count", &o->src_count)
                        .Size("--size", &o->size)
                        .Text("--window-file", &o->window_file)
                        .Parse(argc, argv);
  return read && o->subscribers > 0 && o->procs > 0 && o->procs <= 32 && o->rate > 0 &&
         o->duration_s > 0 && o->size >= sizeof(Payload) && o->src_count > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return hfbench::SelfTest(argv[0]);
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fputs(
        "usage: hf-fanout [--host H] [--port P] [--path P] [--subscribers N] [--procs K]\n"
        "                 [--rate R] [--duration S] [--warmup S] [--drain S] [--redis HOST:PORT]\n"
        "                 [--channel C] [--http HOST:PORT/PATH] [--centrifugo HOST:PORT]\n"
        "                 [--size B] [--src-base IP] [--src-count N] [--window-file PATH]\n"
        "       hf-fanout --self-test\n"
        "N subscribers over K processes; R records/s PUBLISHed to C once all are open.\n"
        "Prints one JSON line; exits 1 when any record was lost, repeated, reordered or\n"
        "damaged. --self-test checks that faulty servers are caught, then exits.\n",
        stderr);
    return 2;
  }
  struct Child {
    pid_t pid;
    int ready, stop, out;
  };
  std::vector<Child> children;
  for (int p = 0; p < o.procs; ++p) {
    const hfbench::Share share = hfbench::ShareOf(o.subscribers, o.procs, p);
    int ready[2], stop[2], out[2];
    if (pipe(ready) != 0 || pipe(stop) != 0 || pipe(out) != 0) return 2;
    const pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      close(stop[1]);
      close(out[0]);
      RunSubscribers(o, share.first, share.count, ready[1], stop[0], out[1]);
      _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    close(out[1]);
    children.push_back({pid, ready[0], stop[1], out[0]});
  }
  bool all_ready = true;
  for (auto& c : children) {
    char byte;
    if (read(c.ready, &byte, 1) != 1) all_ready = false;
  }
  // Publish on schedule.
  Publisher publisher(o);
  if (!publisher.ok()) {
    std::fprintf(stderr, "hf-fanout: cannot connect to the publisher at %s\n",
                 !o.centrifugo.empty() ? o.centrifugo.c_str()
                 : o.http.empty()      ? o.redis.c_str()
                                       : o.http.c_str());
    all_ready = false;
  }
  uint64_t published = 0;
  uint64_t from = 0, to = 0;
  if (all_ready) {
    const uint64_t start = NowNs() + 100000000;
    from = start + static_cast<uint64_t>(o.warmup_s * 1e9);
    to = from + static_cast<uint64_t>(o.duration_s * 1e9);
    const uint64_t window[2] = {from, to};
    for (auto& c : children) {
      if (write(c.stop, window, sizeof window) != sizeof window) all_ready = false;
    }
    std::string payload(o.size, kFill);
    const double interval = 1e9 / o.rate;
    if (!o.window_file.empty() && !Touch(o.window_file + ".start")) all_ready = false;
    for (uint64_t k = 0;; ++k) {
      const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(k) * interval);
      if (due >= to) break;
      for (uint64_t now = NowNs(); now < due; now = NowNs()) {
        if (due - now > 300000) usleep(static_cast<useconds_t>((due - now - 200000) / 1000));
      }
      const Payload pl{k, due};
      std::memcpy(payload.data(), &pl, sizeof pl);
      if (!publisher.Publish(payload)) break;
      ++published;
    }
    usleep(static_cast<useconds_t>(o.drain_s * 1e6));  // the last records' way through
    if (!o.window_file.empty() && !Touch(o.window_file + ".end")) all_ready = false;
  }
  auto merged = std::make_unique<Result>();
  bool complete = all_ready;
  for (auto& c : children) {
    if (write(c.stop, &published, sizeof published) != sizeof published) complete = false;
    close(c.stop);
  }
  for (auto& c : children) {
    auto r = std::make_unique<Result>();
    size_t got = 0;
    while (got < sizeof(Result)) {
      const ssize_t n = read(c.out, reinterpret_cast<char*>(r.get()) + got, sizeof(Result) - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == sizeof(Result)) {
      Result& m = *merged;
      m.connected += r->connected;
      m.connect_failed += r->connect_failed;
      m.closed_early += r->closed_early;
      m.received += r->received;
      m.measured += r->measured;
      m.missing += r->missing;
      m.reordered += r->reordered;
      m.duplicate += r->duplicate;
      m.corrupt += r->corrupt;
      m.latency.Merge(r->latency);
      if (m.first_error[0] == 0) std::memcpy(m.first_error, r->first_error, sizeof m.first_error);
    } else {
      complete = false;
    }
    close(c.out);
    close(c.ready);
    int status = 0;
    waitpid(c.pid, &status, 0);
  }
  const Result& m = *merged;
  const uint64_t failures =
      m.connect_failed + m.closed_early + m.missing + m.reordered + m.duplicate + m.corrupt;
  const bool ok = complete && failures == 0 && m.measured > 0 &&
                  m.connected == static_cast<uint64_t>(o.subscribers);
  std::printf(
      "{\"ok\":%s,\"subscribers\":%d,\"procs\":%d,\"rate\":%.0f,\"size\":%zu,"
      "\"duration_s\":%.3f,\"warmup_s\":%.3f,\"published\":%lu,\"connected\":%lu,"
      "\"received\":%lu,\"missing\":%lu,\"reordered\":%lu,\"duplicate\":%lu,\"corrupt\":%lu,"
      "\"connect_failed\":%lu,\"closed_early\":%lu",
      ok ? "true" : "false", o.subscribers, o.procs, o.rate, o.size, o.duration_s, o.warmup_s,
      static_cast<unsigned long>(published), static_cast<unsigned long>(m.connected),
      static_cast<unsigned long>(m.received), static_cast<unsigned long>(m.missing),
      static_cast<unsigned long>(m.reordered), static_cast<unsigned long>(m.duplicate),
      static_cast<unsigned long>(m.corrupt), static_cast<unsigned long>(m.connect_failed),
      static_cast<unsigned long>(m.closed_early));
  if (ok) {
    auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    std::printf(
        ",\"deliveries\":%lu,\"deliveries_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f",
        static_cast<unsigned long>(m.measured), static_cast<double>(m.measured) / o.duration_s,
        us(m.latency.Quantile(0.5)), us(m.latency.Quantile(0.99)), us(m.latency.Quantile(0.999)),
        us(m.latency.max()));
  }
  std::printf("}\n");
  if (!ok) {
    std::fprintf(stderr,
                 "hf-fanout: FAILED: %lu missing, %lu reordered, %lu repeated, %lu corrupt, "
                 "%lu connections failed, %lu closed early%s; first problem: %s\n",
                 static_cast<unsigned long>(m.missing), static_cast<unsigned long>(m.reordered),
                 static_cast<unsigned long>(m.duplicate), static_cast<unsigned long>(m.corrupt),
                 static_cast<unsigned long>(m.connect_failed),
                 static_cast<unsigned long>(m.closed_early),
                 complete ? "" : ", a worker process or the publisher failed", m.first_error);
    return 1;
  }
  return 0;
}
