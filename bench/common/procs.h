// Running one tool's work in several processes: each process may open only so many files, so
// connections are spread over children, and each child hands its result back through a pipe.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace hfbench {

// Process p's part of `total` items spread over `procs` processes, as evenly as they go: the
// index of its first item and how many it takes.
struct Share {
  int first;
  int count;
};
inline Share ShareOf(int total, int procs, int p) {
  const int base = total / procs, extra = total % procs;
  return {p * base + (p < extra ? p : extra), base + (p < extra ? 1 : 0)};
}

// Reads or writes exactly `n` bytes; false on error or end of file.
bool ReadAll(int fd, void* p, size_t n);
bool WriteAll(int fd, const void* p, size_t n);

// Runs `run(p, &result)` for p in [0, procs) in forked children and merges each child's result
// into *total with Result::Merge. Result must be plain data (it crosses a pipe as bytes). False
// when a child could not be started or did not report.
template <typename Result, typename Run>
bool RunInChildren(int procs, Run run, Result* total) {
  std::vector<std::pair<pid_t, int>> children;
  bool ok = true;
  for (int p = 0; p < procs && ok; ++p) {
    int fds[2];
    if (pipe(fds) != 0) {
      ok = false;
      break;
    }
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto r = std::make_unique<Result>();
      run(p, r.get());
      _exit(WriteAll(fds[1], r.get(), sizeof(Result)) ? 0 : 3);
    }
    close(fds[1]);
    if (pid < 0) {
      close(fds[0]);
      ok = false;
      break;
    }
    children.emplace_back(pid, fds[0]);
  }
  auto r = std::make_unique<Result>();
  for (auto& [pid, fd] : children) {
    *r = Result();
    if (ReadAll(fd, r.get(), sizeof(Result))) {
      total->Merge(*r);
    } else {
      ok = false;
    }
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  return ok;
}

}  // namespace hfbench
