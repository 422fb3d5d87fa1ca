// Structured logs: one JSON object per line on stderr, written with a single write(2) so lines
// from different threads never interleave.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace holdfast::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

bool parse_level(std::string_view text, Level& out);
void set_level(Level level);
bool enabled(Level level);

// One extra field of a log line. Numbers are written bare, strings quoted and escaped.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), str(v) {}
  Field(std::string_view k, const char* v) : key(k), str(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), str(v) {}
  Field(std::string_view k, int64_t v) : key(k), num(v), is_num(true) {}
  Field(std::string_view k, int v) : key(k), num(v), is_num(true) {}
  Field(std::string_view k, unsigned v) : key(k), num(v), is_num(true) {}
  Field(std::string_view k, uint64_t v) : key(k), num(static_cast<int64_t>(v)), is_num(true) {}
  Field(std::string_view k, double v) : key(k), dbl(v), is_dbl(true) {}
  // A string field left out of the line when empty, such as the trace of a reply that had none.
  static Field optional(std::string_view k, std::string_view v) {
    Field f(k, v);
    f.omit_empty = true;
    return f;
  }
  std::string_view key;
  std::string_view str;
  int64_t num = 0;
  double dbl = 0;
  bool is_num = false;
  bool is_dbl = false;
  bool omit_empty = false;
};

// Lines whose `component` is kafka or redis (the bus clients' own logs) go to `fd` instead of
// stderr. Called once at startup, before other threads log.
void set_bus_fd(int fd);

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Debug)) write(Level::Debug, msg, f);
}
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Info)) write(Level::Info, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (enabled(Level::Warn)) write(Level::Warn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::Error, msg, f);
}

}  // namespace holdfast::log
