// The GCRA decision as one Lua script that Redis runs atomically, so every instance sharing a
// key agrees. It reads the clock with TIME on the Redis server, so instances whose own clocks
// disagree still share one timeline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace holdfast::filters::rate_limit::script {

// KEYS[1]: the key. ARGV[1]: T * cost in ns. ARGV[2]: T * burst in ns.
// Replies {1, 0} when allowed, {0, wait_ns} when not.
extern const std::string_view kSource;

// The script's SHA-1, as EVALSHA and SCRIPT LOAD name it (40 lowercase hex digits).
const std::string& sha1();

// The RESP of what follows the script (or its SHA-1) in EVAL and EVALSHA: the key count, the key
// (the concatenation of `key_parts`) and the two arguments. Appended to `out`.
void append_args(std::string& out, std::span<const std::string_view> key_parts,
                 int64_t increment_ns, int64_t window_ns);

// A whole command from `args` (made by append_args), into `out` (cleared first).
void evalsha_command(std::string& out, std::string_view args);
void eval_command(std::string& out, std::string_view args);

}  // namespace holdfast::filters::rate_limit::script
