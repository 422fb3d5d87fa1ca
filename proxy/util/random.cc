#include "proxy/util/random.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace holdfast::util {
namespace {

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool read_urandom(unsigned char* p, size_t size) {
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, p + done, size - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fd);
  return done == size;
}

struct Xoshiro {
  uint64_t s[4];

  Xoshiro() {
    secure_random(s, sizeof s);
    if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;  // the one state the generator cannot leave
  }

  uint64_t next() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

}  // namespace

void secure_random(void* out, size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::getrandom(p + done, size - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (done == size || read_urandom(p + done, size - done)) return;
  // No kernel randomness at all (a seccomp profile without getrandom and no /dev): fall back
  // to the clock, the process id and an address, mixed, rather than fail.
  uint64_t seed =
      static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count()) ^
      (static_cast<uint64_t>(::getpid()) << 32) ^ reinterpret_cast<uintptr_t>(&seed);
  while (done < size) {
    const uint64_t v = splitmix64(seed);
    const size_t take = size - done < sizeof v ? size - done : sizeof v;
    std::memcpy(p + done, &v, take);
    done += take;
  }
}

uint64_t fast_random() {
  thread_local Xoshiro generator;
  return generator.next();
}

}  // namespace holdfast::util
