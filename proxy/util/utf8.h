// Strict UTF-8 (RFC 3629): what a WebSocket text frame must carry.
#pragma once

#include <cstddef>
#include <string_view>

namespace holdfast::util {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// past U+10FFFF, no truncated sequences. Runs of ASCII are checked eight bytes at a time.
bool valid_utf8(std::string_view s);

// The length of the well-formed sequence that starts at `s[i]` (1 to 4), or 0 when the bytes
// there are not one. `i` must be less than `s.size()`.
size_t utf8_sequence_length(std::string_view s, size_t i);

// The longest prefix of `s` of at most `max_bytes` that does not end inside a code point. `s`
// is expected to be valid UTF-8; used to cut close reasons to the 123 bytes a frame allows.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

}  // namespace holdfast::util
