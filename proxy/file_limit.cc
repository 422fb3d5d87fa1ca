#include "proxy/file_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace holdfast {

bool apply_file_limit(int64_t wanted, std::string& error) {
  if (wanted <= 0) return true;
  rlimit now{};
  if (::getrlimit(RLIMIT_NOFILE, &now) != 0) {
    error = std::string("cannot read the file limit: ") + std::strerror(errno);
    return false;
  }
  rlimit next = now;
  next.rlim_cur = static_cast<rlim_t>(wanted);
  if (next.rlim_max != RLIM_INFINITY && next.rlim_cur > next.rlim_max)
    next.rlim_max = next.rlim_cur;
  if (::setrlimit(RLIMIT_NOFILE, &next) != 0) {
    error =
        "file_limit " + std::to_string(wanted) + " cannot be set (the hard limit is " +
        (now.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(now.rlim_max)) +
        "): " + std::strerror(errno);
    return false;
  }
  return true;
}

uint64_t file_limit() {
  rlimit now{};
  if (::getrlimit(RLIMIT_NOFILE, &now) != 0) return 0;
  return static_cast<uint64_t>(now.rlim_cur);
}

}  // namespace holdfast
