#include "self_test.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "../common/echo_server.h"

namespace hfbench {
namespace {

struct Case {
  const char* name;
  Fault fault;
  int want_exit;
  const char* want_text;  // must appear in the output
};

// Runs `self` with args against port, returns its exit code and collects stdout and stderr.
int RunChild(const char* self, int port, std::string* output) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    std::string p = std::to_string(port);
    execl("/proc/self/exe", self, "--port", p.c_str(), "--connections", "4", "--closed", "4",
          "--duration", "0.5", "--warmup", "0.1", "--drain", "0.5", "--src-count", "2",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    output->append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int SelfTest(const char* self) {
  const Case cases[] = {
      {"correct echo", Fault::kNone, 0, "\"ok\":true"},
      {"one message dropped", Fault::kDrop, 1, "1 missing"},
      {"two messages swapped", Fault::kReorder, 1, "1 reordered"},
      {"one message to the wrong connection", Fault::kMisroute, 1, "1 misrouted"},
      {"one message echoed twice", Fault::kDuplicate, 1, "1 duplicate"},
  };
  int failures = 0;
  for (const Case& c : cases) {
    int fd = ListenTcp("127.0.0.1", 0, 128);
    if (fd < 0) {
      std::fprintf(stderr, "self-test: cannot listen on 127.0.0.1\n");
      return 1;
    }
    std::atomic<bool> stop{false};
    std::thread server([&] { RunEchoServer(fd, c.fault, &stop); });
    std::string out;
    int code = RunChild(self, BoundPort(fd), &out);
    stop = true;
    server.join();
    close(fd);
    bool pass = code == c.want_exit && out.find(c.want_text) != std::string::npos;
    std::printf("self-test: %-40s exit %d (want %d) %s\n", c.name, code, c.want_exit,
                pass ? "PASS" : "FAIL");
    if (!pass || c.fault != Fault::kNone) std::printf("%s", out.c_str());
    if (!pass) ++failures;
  }
  std::printf("self-test: %s\n", failures == 0 ? "all passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace hfbench
