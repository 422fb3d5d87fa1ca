#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace holdfast::test {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {

pid_t fork_exec(const std::vector<std::string>& args, const Headers& env, int out_fd, int err_fd) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env)
    vars[k] = v;
  // Everything the child needs is built before fork: only async-signal-safe calls follow it.
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : vars)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_copy = args;
  std::vector<char*> argv;
  for (auto& a : arg_copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// PR_SET_PDEATHSIG fires when the thread that forked exits, not the process. So every child is
// forked by one thread that lives as long as the process, whichever thread asks for it.
class Spawner {
 public:
  static Spawner& instance() {
    static Spawner* s = new Spawner;  // never destroyed: its thread must outlive every caller
    return *s;
  }

  pid_t spawn(const std::vector<std::string>& args, const Headers& env, int out_fd, int err_fd) {
    Request req{&args, &env, out_fd, err_fd};
    std::unique_lock lock(mu_);
    queue_.push_back(&req);
    cv_.notify_all();
    cv_.wait(lock, [&] { return req.done; });
    if (!req.error.empty()) throw std::runtime_error(req.error);
    return req.pid;
  }

 private:
  struct Request {
    const std::vector<std::string>* args;
    const Headers* env;
    int out_fd;
    int err_fd;
    pid_t pid = -1;
    std::string error;
    bool done = false;
  };

  Spawner() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return !queue_.empty(); });
      Request* req = queue_.front();
      queue_.pop_front();
      try {
        req->pid = fork_exec(*req->args, *req->env, req->out_fd, req->err_fd);
      } catch (const std::exception& e) {
        req->error = e.what();
      }
      req->done = true;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
};

}  // namespace

pid_t spawn_child(const std::vector<std::string>& args, const Headers& env, int out_fd,
                  int err_fd) {
  return Spawner::instance().spawn(args, env, out_fd, err_fd);
}

int wait_child(pid_t pid, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(Millis(10));
  }
}

}  // namespace holdfast::test
