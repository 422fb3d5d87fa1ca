// The process's open-file limit. Every connection is a file, and libwebsockets sizes its file
// tables by this limit when a worker starts (and, as Debian builds it, walks one of them on every
// close), so it is set before the workers start.
#pragma once

#include <cstdint>
#include <string>

namespace holdfast {

// Sets the soft RLIMIT_NOFILE to `wanted`, raising the hard limit too when it is lower and the
// process may. 0 leaves the limit as it is. False, with `error` set, when it cannot be had.
bool apply_file_limit(int64_t wanted, std::string& error);

// The soft RLIMIT_NOFILE now in force.
uint64_t file_limit();

}  // namespace holdfast
