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

// Above this, each closed connection costs a scan of 8 bytes per unit of the limit in
// libwebsockets: at 1,048,576, common in containers, some 8 MB read per close.
inline constexpr uint64_t kLargeFileLimit = 65536;

// Whether to warn at start that the limit in force makes closes costly: the config did not set
// `file_limit` (0) and the limit inherited is larger than kLargeFileLimit.
inline bool inherited_file_limit_is_costly(int64_t configured, uint64_t in_force) {
  return configured <= 0 && in_force > kLargeFileLimit;
}

}  // namespace holdfast
