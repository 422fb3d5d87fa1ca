// Runs the holdfast binary as a child process: config in a temporary file, JSON log lines read
// from stderr by a background thread, and the admin endpoints one HTTP request away. The
// destructor kills and reaps the process, so a failed assertion never leaves it running.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/json_lite.h"
#include "tests/support/net.h"

namespace holdfast::test {

// A file under the temporary directory, removed by the destructor.
class TempFile {
 public:
  TempFile(std::string_view contents, std::string_view suffix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One line the proxy wrote to stderr.
struct LogLine {
  std::string raw;
  std::optional<Json> json;  // set when the line is a JSON object

  std::string msg() const { return field("msg"); }
  std::string field(const std::string& key) const { return json ? json->str(key) : ""; }
};

// The outcome of running the binary to completion.
struct RunResult {
  int status = -1;  // the exit code, 128 + signal when killed, -1 on timeout
  std::string out;
  std::string err;
};

// Runs HOLDFAST_BINARY with `args` and waits for it (killed after `timeout`).
RunResult run_holdfast(const std::vector<std::string>& args, Millis timeout = Millis(15000));

class HoldfastProcess {
 public:
  struct Options {
    Headers env;                    // set in the child's environment
    std::vector<std::string> args;  // after "-c FILE"
    bool wait_ready = true;         // wait for {"msg":"ready"}; else only for the listeners
    size_t listeners = 1;           // "listening" lines to wait for
    Millis startup_timeout{30000};
  };

  // Starts holdfast with `yaml` as its config and waits for startup. Throws std::runtime_error
  // with the captured log when it exits or does not come up in time.
  explicit HoldfastProcess(const std::string& yaml) : HoldfastProcess(yaml, Options{}) {}
  HoldfastProcess(const std::string& yaml, Options options);
  ~HoldfastProcess();
  HoldfastProcess(const HoldfastProcess&) = delete;
  HoldfastProcess& operator=(const HoldfastProcess&) = delete;

  int port(size_t listener = 0) const { return ports_.at(listener); }
  int admin_port() const { return admin_port_; }
  // The config file it was started with; tests rewrite it to try reloads.
  const std::string& config_path() const { return config_.path(); }
  pid_t pid() const { return pid_; }

  // The first line, counting from the start of the process, that satisfies `pred`; nullopt when
  // none came within `timeout` or the process ended without writing one.
  std::optional<LogLine> wait_for_log(const std::function<bool(const LogLine&)>& pred,
                                      Millis timeout);
  // The first line whose raw text contains `substring`.
  std::optional<LogLine> wait_for_log(std::string_view substring, Millis timeout);
  std::vector<LogLine> logs() const;
  // Everything written to stderr so far, for failure messages.
  std::string log_text() const;

  void signal(int sig);
  // The exit code, or 128 + signal; nullopt when still running after `timeout`.
  std::optional<int> wait_exit(Millis timeout);

  HttpResponse http_get(const std::string& path) const;
  // The value of the sample `name{label="v",...}` on /metrics: labels given must match, labels
  // not given may take any value, and matching samples are summed. 0 when absent. Throws when
  // /metrics does not answer 200.
  double metric(std::string_view name_with_labels) const;
  // Polls metric() until `pred` holds or `timeout` passes; returns the last value read.
  double wait_metric(std::string_view name_with_labels, const std::function<bool(double)>& pred,
                     Millis timeout) const;

 private:
  void spawn(const std::vector<std::string>& args, const Headers& env);
  void read_output(int err_fd, int out_fd);
  void startup(const Options& options);
  void kill_and_reap();

  TempFile config_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  int stop_pipe_[2] = {-1, -1};
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LogLine> lines_;
  bool reader_done_ = false;
  std::vector<int> ports_;
  int admin_port_ = 0;
};

// Parses Prometheus text: the sum of samples matching `name_with_labels` as metric() does.
double prometheus_value(std::string_view text, std::string_view name_with_labels);

}  // namespace holdfast::test
