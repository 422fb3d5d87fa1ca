#include "self_test.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace hfbench {

FaultyServer::FaultyServer(Fault fault, int feed) {
  fd_ = ListenTcp("127.0.0.1", 0, 128);
  if (fd_ < 0) return;
  port_ = BoundPort(fd_);
  thread_ = std::thread([this, fault, feed] { RunEchoServer(fd_, fault, &stop_, feed); });
}

FaultyServer::~FaultyServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

int RunSelf(const char* self, const std::vector<std::string>& args, std::string* output) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    std::vector<char*> argv{const_cast<char*>(self)};
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
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

int RunAgainstFaultyServer(const char* self, Fault fault, std::vector<std::string> args,
                           std::string* output) {
  FaultyServer server(fault);
  if (!server.ok()) return -1;
  args.insert(args.begin(), {"--port", std::to_string(server.port())});
  return RunSelf(self, args, output);
}

std::string RespMessage(std::string_view channel, std::string_view data) {
  std::string push = "*3\r\n$7\r\nmessage\r\n";
  for (std::string_view part : {channel, data})
    push.append("$").append(std::to_string(part.size())).append("\r\n").append(part) += "\r\n";
  return push;
}

int RunSelfTests(const char* tool, const std::vector<SelfTestCase>& cases,
                 const std::function<int(const SelfTestCase&, std::string*)>& run) {
  int failures = 0;
  for (const SelfTestCase& c : cases) {
    std::string out;
    const int code = run(c, &out);
    const bool pass = code == c.want_exit && out.find(c.want_text) != std::string::npos;
    std::printf("%s self-test: %-40s exit %d (want %d, saying \"%s\") %s\n", tool, c.name, code,
                c.want_exit, c.want_text, pass ? "PASS" : "FAIL");
    if (!pass || c.fault != Fault::kNone) std::printf("%s", out.c_str());
    if (!pass) ++failures;
  }
  std::printf("%s self-test: %s\n", tool, failures == 0 ? "all passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace hfbench
