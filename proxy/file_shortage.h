// Accepting near and at the open-file limit. The last kReservedFiles descriptors are kept for
// the proxy's own use (the admin endpoint, bus reconnections, reloads): a client connection that
// would take one is answered 503 and closed. Should accept() still fail for want of descriptors,
// the connection would stay queued, the listening socket readable and the event loop spinning;
// a spare descriptor is kept for that case: freed, it lets the waiting connection be accepted,
// refused the same way, and is then taken back.
#pragma once

#include <cstdint>

namespace holdfast {

inline constexpr uint64_t kReservedFiles = 32;

class FileShortage {
 public:
  explicit FileShortage(uint64_t file_limit);
  ~FileShortage();
  FileShortage(const FileShortage&) = delete;
  FileShortage& operator=(const FileShortage&) = delete;

  // True when `fd`, just accepted, is among the reserved descriptors. Descriptors are handed out
  // lowest first, so every one below it is in use.
  bool in_reserve(int fd) const { return static_cast<uint64_t>(fd) >= reserve_from_; }
  // Answers an accepted connection 503 and closes it.
  void refuse(int fd);

  enum class Outcome {
    kRefused,      // one waiting connection was refused
    kNoneWaiting,  // nothing was queued any more
    kNoSpare,      // no spare descriptor to do it with: stop accepting for a while
  };
  // After accept() on `listen_fd` failed with EMFILE or ENFILE.
  Outcome refuse_waiting(int listen_fd);

  // True at most once a second (by `now_ms`); `refused` is then how many were refused since the
  // last time it was true.
  bool warning_due(uint64_t now_ms, uint64_t* refused);

 private:
  uint64_t reserve_from_;
  int spare_ = -1;
  uint64_t refused_ = 0;
  uint64_t refused_at_warning_ = 0;
  uint64_t warned_ms_ = 0;
  bool warned_ = false;
};

}  // namespace holdfast
