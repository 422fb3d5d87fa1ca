// Timestamps for events and log lines.
#pragma once

#include <chrono>
#include <string>

namespace holdfast::util {

// Appends `t` as RFC 3339 in UTC with milliseconds, e.g. 2026-11-23T19:36:14.123Z. The text up
// to the seconds is computed once per second per thread and reused.
void append_rfc3339_utc(std::string& out, std::chrono::system_clock::time_point t);

}  // namespace holdfast::util
