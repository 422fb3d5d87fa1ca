#include "self_test.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>

#include "procs.h"

namespace hfbench {

ServerThread::ServerThread(Serve serve) {
  fd_ = ListenTcp("127.0.0.1", 0, 128);
  if (fd_ < 0) return;
  port_ = BoundPort(fd_);
  thread_ = std::thread([this, serve = std::move(serve)] { serve(fd_, &stop_); });
}

ServerThread::~ServerThread() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

FaultyServer::FaultyServer(Fault fault, int feed)
    : ServerThread([fault, feed](int listen_fd, const std::atomic<bool>* stop) {
        RunEchoServer(listen_fd, fault, stop, feed);
      }) {}

void ServeResp(int listen_fd, const std::atomic<bool>* stop, const RespHandler& handle) {
  std::vector<pollfd> fds{{listen_fd, POLLIN, 0}};
  std::vector<std::string> in(1);  // by client, as fds
  std::vector<std::string_view> command;
  bool going = true;
  while (going && !stop->load()) {
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int c = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        fds.push_back({c, POLLIN, 0});
        in.emplace_back();
      }
    }
    for (size_t i = 1; i < fds.size() && going; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      const ssize_t n = recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {  // the client left
        close(fds[i].fd);
        fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
        in.erase(in.begin() + static_cast<std::ptrdiff_t>(i));
        --i;
        continue;
      }
      in[i].append(buf, static_cast<size_t>(n));
      std::string reply;
      size_t pos = 0;
      while (going && ParseRespArray(in[i], pos, command))
        going = handle(fds[i].fd, command, &reply);
      in[i].erase(0, pos);
      going = going && WriteAll(fds[i].fd, reply.data(), reply.size());
    }
  }
  for (size_t i = 1; i < fds.size(); ++i)
    close(fds[i].fd);
}

void AppendRespBulk(std::string& out, std::string_view s) {
  out.append("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
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
  std::string push = "*3\r\n";
  for (std::string_view part : {std::string_view("message"), channel, data})
    AppendRespBulk(push, part);
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
