// Starting child processes for tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/net.h"

namespace holdfast::test {

// Forks and execs `args` (args[0] is the program path) with `env` added to this process's
// environment, stdin from /dev/null, stdout and stderr to the given descriptors. The child is
// killed when the test process dies, so a crashed test leaves nothing behind. Throws
// std::runtime_error when fork fails.
pid_t spawn_child(const std::vector<std::string>& args, const Headers& env, int out_fd, int err_fd);

// A waitpid status as an exit code, or 128 + signal.
int decode_status(int status);

// Waits for `pid` up to `timeout`; the decoded status, or -1 when still running.
int wait_child(pid_t pid, Millis timeout);

}  // namespace holdfast::test
