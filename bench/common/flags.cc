#include "flags.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hfbench {
namespace {

bool ToLong(const char* v, long long* out) {
  char* end = nullptr;
  errno = 0;
  *out = std::strtoll(v, &end, 10);
  return errno == 0 && end != v && *end == '\0';
}

}  // namespace

bool ReadInt(const char* v, int* out) {
  long long n = 0;
  if (!ToLong(v, &n) || n < INT_MIN || n > INT_MAX) return false;
  *out = static_cast<int>(n);
  return true;
}

bool ReadReal(const char* v, double* out) {
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v, &end);
  if (errno != 0 || end == v || *end != '\0') return false;
  *out = d;
  return true;
}

Flags& Flags::Add(const char* name, bool takes_value, std::function<bool(const char*)> apply) {
  flags_.push_back({name, takes_value, std::move(apply)});
  return *this;
}

Flags& Flags::Text(const char* name, std::string* to) {
  return Add(name, true, [to](const char* v) {
    *to = v;
    return true;
  });
}

Flags& Flags::Int(const char* name, int* to) {
  return Add(name, true, [to](const char* v) { return ReadInt(v, to); });
}

Flags& Flags::Size(const char* name, size_t* to) {
  return Add(name, true, [to](const char* v) {
    long long n = 0;
    if (!ToLong(v, &n) || n < 0) return false;
    *to = static_cast<size_t>(n);
    return true;
  });
}

Flags& Flags::Real(const char* name, double* to) {
  return Add(name, true, [to](const char* v) { return ReadReal(v, to); });
}

Flags& Flags::Switch(const char* name, bool* to) {
  return Add(name, false, [to](const char*) {
    *to = true;
    return true;
  });
}

Flags& Flags::Custom(const char* name, std::function<bool(const char*)> apply) {
  return Add(name, true, std::move(apply));
}

bool Flags::Parse(int argc, char** argv) const {
  for (int i = 1; i < argc; ++i) {
    const Flag* flag = nullptr;
    for (const Flag& f : flags_) {
      if (std::strcmp(argv[i], f.name) == 0) flag = &f;
    }
    if (flag == nullptr) {
      std::fprintf(stderr, "%s: unknown option %s\n", tool_, argv[i]);
      return false;
    }
    const char* value = nullptr;
    if (flag->takes_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s wants a value\n", tool_, flag->name);
        return false;
      }
      value = argv[++i];
    }
    if (!flag->apply(value)) {
      std::fprintf(stderr, "%s: %s does not take '%s'\n", tool_, flag->name, value);
      return false;
    }
  }
  return true;
}

}  // namespace hfbench
