// What the tools' self-tests share: servers in threads of the test (an echo server with one fault
// injected, stand-ins for Redis), and a run of the tool itself against them as a child process,
// once per kind of fault. A
// tool's self-test passes only when its correct run exits 0 and every faulty run exits 1 and
// names the fault, so a checker that stops counting what it claims fails the test suite.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "echo_server.h"

namespace hfbench {

// A server for a self-test, listening on a port of 127.0.0.1 of its own: `serve` runs in a thread
// for as long as this object lives, and must return soon after *stop is set.
class ServerThread {
 public:
  using Serve = std::function<void(int listen_fd, const std::atomic<bool>* stop)>;
  explicit ServerThread(Serve serve);
  ~ServerThread();
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The echo server of RunEchoServer with `fault`; `feed` as for RunEchoServer.
class FaultyServer : public ServerThread {
 public:
  explicit FaultyServer(Fault fault, int feed = -1);
};

// What a stand-in for Redis does with one command from `client`: appends its answer to *reply,
// and returns false when it could not go on.
using RespHandler = std::function<bool(int client, const std::vector<std::string_view>& command,
                                       std::string* reply)>;

// A stand-in for Redis, as a ServerThread's `serve`: hands every whole command from any client
// to `handle` and writes back the answers to what one read brought, until *stop, a client's write
// fails or `handle` returns false. A client that leaves is dropped.
void ServeResp(int listen_fd, const std::atomic<bool>* stop, const RespHandler& handle);

// Appends `s` to `out` as a RESP bulk string.
void AppendRespBulk(std::string& out, std::string_view s);

// Runs `self` (argv[0] of this program) with `args` as a child process, its stdout and stderr
// collected in *output. Returns its exit code, or -1 when it did not exit.
int RunSelf(const char* self, const std::vector<std::string>& args, std::string* output);

// RunSelf with `args` and `--port` of a FaultyServer with `fault`; -1 when it could not listen.
int RunAgainstFaultyServer(const char* self, Fault fault, std::vector<std::string> args,
                           std::string* output);

// What Redis pushes to a subscriber of `channel` for a message published there.
std::string RespMessage(std::string_view channel, std::string_view data);

struct SelfTestCase {
  const char* name;
  Fault fault;
  int want_exit;
  const char* want_text;  // must appear in the output
};

// For each case, `run` sets up what the case needs, runs the tool (RunSelf) and returns its exit
// code, with its output in *output. Prints a line a case, and the output of each faulty or failed
// run. Returns the process exit code: 0 when every case ended as it should.
int RunSelfTests(const char* tool, const std::vector<SelfTestCase>& cases,
                 const std::function<int(const SelfTestCase&, std::string*)>& run);

// A tool's self-test (`--self-test`), defined by each tool that has one: runs the tool, whose
// argv[0] is `self`, against a server with each kind of fault. Returns the process exit code.
int SelfTest(const char* self);

}  // namespace hfbench
