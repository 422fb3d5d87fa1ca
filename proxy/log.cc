#include "proxy/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "proxy/util/clock.h"
#include "proxy/util/json.h"

namespace holdfast::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void set_level(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

namespace {
int g_bus_fd = STDERR_FILENO;
}  // namespace

void set_bus_fd(int fd) {
  g_bus_fd = fd;
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  int fd = STDERR_FILENO;
  for (const Field& f : fields) {
    if (f.key == "component" && (f.str == "kafka" || f.str == "redis")) fd = g_bus_fd;
  }
  thread_local std::string line;
  line.clear();
  line += "{\"ts\":\"";
  util::append_rfc3339_utc(line, std::chrono::system_clock::now());
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  util::append_json_string(line, msg);
  for (const Field& f : fields) {
    if (f.omit_empty && f.str.empty()) continue;
    line += ',';
    util::append_json_string(line, f.key);
    line += ':';
    if (f.is_num) {
      line += std::to_string(f.num);
    } else if (f.is_dbl) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", f.dbl);
      line += buf;
    } else {
      util::append_json_string(line, f.str);
    }
  }
  line += "}\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace holdfast::log
