#include "tests/support/holdfast_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

#include "tests/support/process.h"

namespace holdfast::test {
namespace {

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return (t != nullptr && *t != '\0') ? t : "/tmp";
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
}

LogLine make_line(std::string raw) {
  LogLine line;
  line.raw = std::move(raw);
  auto json = parse_json(line.raw);
  if (json && json->kind == Json::Kind::Object) line.json = std::move(json);
  return line;
}

int port_of(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
}

}  // namespace

TempFile::TempFile(std::string_view contents, std::string_view suffix) {
  std::string pattern = temp_dir() + "/holdfast-test-XXXXXX" + std::string(suffix);
  const int fd = ::mkstemps(pattern.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error(std::string("mkstemps: ") + std::strerror(errno));
  path_ = pattern;
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
}

RunResult run_holdfast(const std::vector<std::string>& args, Millis timeout) {
  int out[2], err[2];
  make_pipe(out);
  make_pipe(err);
  std::vector<std::string> argv{HOLDFAST_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = spawn_child(argv, {}, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  RunResult result;
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const int left = millis_left(deadline);
    if (left == 0 || ::poll(fds, 2, left) == 0) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);
  ::close(err[0]);
  result.status = timed_out ? -1 : decode_status(status);
  return result;
}

HoldfastProcess::HoldfastProcess(const std::string& yaml, Options options)
    : config_(yaml, ".yaml") {
  make_pipe(stop_pipe_);
  int out[2], err[2];
  make_pipe(out);
  make_pipe(err);
  std::vector<std::string> argv{HOLDFAST_BINARY, "-c", config_.path()};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  try {
    pid_ = spawn_child(argv, options.env, out[1], err[1]);
  } catch (...) {
    for (int fd : {out[0], out[1], err[0], err[1], stop_pipe_[0], stop_pipe_[1]})
      ::close(fd);
    throw;
  }
  ::close(out[1]);
  ::close(err[1]);
  reader_ = std::thread([this, e = err[0], o = out[0]] { read_output(e, o); });
  try {
    startup(options);
  } catch (...) {
    kill_and_reap();
    throw;
  }
}

HoldfastProcess::~HoldfastProcess() {
  kill_and_reap();
}

void HoldfastProcess::kill_and_reap() {
  if (pid_ > 0 && !exit_status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) exit_status_ = decode_status(status);
  }
  if (reader_.joinable()) {
    const char byte = 0;
    [[maybe_unused]] const ssize_t n = ::write(stop_pipe_[1], &byte, 1);
    reader_.join();
  }
  for (int& fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void HoldfastProcess::read_output(int err_fd, int out_fd) {
  pollfd fds[3] = {{err_fd, POLLIN, 0}, {out_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  std::string pending[2];
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[8192];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        if (!pending[i].empty()) pending[i] += '\n';
      } else {
        pending[i].append(buf, static_cast<size_t>(n));
      }
      size_t nl;
      while ((nl = pending[i].find('\n')) != std::string::npos) {
        LogLine line = make_line(pending[i].substr(0, nl));
        pending[i].erase(0, nl + 1);
        std::lock_guard lock(mu_);
        lines_.push_back(std::move(line));
        cv_.notify_all();
      }
    }
  }
  ::close(err_fd);
  ::close(out_fd);
  std::lock_guard lock(mu_);
  reader_done_ = true;
  cv_.notify_all();
}

void HoldfastProcess::startup(const Options& options) {
  const auto deadline = Clock::now() + options.startup_timeout;
  const auto left = [&] { return Millis(millis_left(deadline)); };
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error("holdfast " + what + "; its output:\n" + log_text());
  };
  const auto admin =
      wait_for_log([](const LogLine& l) { return l.msg() == "admin listening"; }, left());
  if (!admin) fail("did not log 'admin listening'");
  admin_port_ = port_of(admin->field("address"));
  size_t listening = 0;
  const auto all_listening = wait_for_log(
      [&](const LogLine& l) {
        if (l.msg() == "listening") ++listening;
        return listening >= options.listeners;
      },
      left());
  if (!all_listening) fail("did not log 'listening' for every listener");
  for (const LogLine& l : logs()) {
    if (l.msg() == "listening") ports_.push_back(port_of(l.field("address")));
  }
  if (admin_port_ <= 0 || ports_.front() <= 0) fail("logged an address without a port");
  if (options.wait_ready &&
      !wait_for_log([](const LogLine& l) { return l.msg() == "ready"; }, left()))
    fail("did not become ready");
}

std::optional<LogLine> HoldfastProcess::wait_for_log(
    const std::function<bool(const LogLine&)>& pred, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_);
  size_t checked = 0;
  for (;;) {
    for (; checked < lines_.size(); ++checked) {
      if (pred(lines_[checked])) return lines_[checked];
    }
    if (reader_done_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && checked == lines_.size())
      return std::nullopt;
  }
}

std::optional<LogLine> HoldfastProcess::wait_for_log(std::string_view substring, Millis timeout) {
  const std::string needle(substring);
  return wait_for_log(
      [&needle](const LogLine& l) { return l.raw.find(needle) != std::string::npos; }, timeout);
}

std::vector<LogLine> HoldfastProcess::logs() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string HoldfastProcess::log_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& l : lines_)
    out += l.raw + "\n";
  return out;
}

void HoldfastProcess::signal(int sig) {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

std::optional<int> HoldfastProcess::wait_exit(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exit_status_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = decode_status(status);
      break;
    }
    if (r < 0 || Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Millis(10));
  }
  return exit_status_;
}

HttpResponse HoldfastProcess::http_get(const std::string& path) const {
  return test::http_get("127.0.0.1", admin_port_, path);
}

double HoldfastProcess::metric(std::string_view name_with_labels) const {
  const HttpResponse r = http_get("/metrics");
  if (r.status != 200)
    throw std::runtime_error("GET /metrics answered " + std::to_string(r.status));
  return prometheus_value(r.body, name_with_labels);
}

double HoldfastProcess::wait_metric(std::string_view name_with_labels,
                                    const std::function<bool(double)>& pred, Millis timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const double v = metric(name_with_labels);
    if (pred(v) || Clock::now() >= deadline) return v;
    std::this_thread::sleep_for(Millis(50));
  }
}

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
};

// name{a="x",b="y"} -> name and labels; false when malformed.
bool parse_sample(std::string_view text, Sample& out) {
  const size_t brace = text.find('{');
  out.name = std::string(text.substr(0, brace));
  if (brace == std::string_view::npos) return !out.name.empty();
  size_t pos = brace + 1;
  while (pos < text.size() && text[pos] != '}') {
    const size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    std::string key(text.substr(pos, eq - pos));
    std::string value;
    pos = eq + 2;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) {
        ++pos;
        value += text[pos] == 'n' ? '\n' : text[pos];
      } else {
        value += text[pos];
      }
      ++pos;
    }
    if (pos >= text.size()) return false;
    ++pos;  // closing quote
    if (pos < text.size() && text[pos] == ',') ++pos;
    out.labels[key] = value;
  }
  return pos < text.size();
}

}  // namespace

double prometheus_value(std::string_view text, std::string_view name_with_labels) {
  Sample want;
  if (!parse_sample(name_with_labels, want))
    throw std::runtime_error("bad metric query: " + std::string(name_with_labels));
  double sum = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    Sample got;
    if (!parse_sample(line.substr(0, space), got) || got.name != want.name) continue;
    bool match = true;
    for (const auto& [k, v] : want.labels) {
      const auto it = got.labels.find(k);
      if (it == got.labels.end() || it->second != v) match = false;
    }
    if (match) sum += std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
  }
  return sum;
}

}  // namespace holdfast::test
