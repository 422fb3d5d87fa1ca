// Just enough JSON for the data path: writing strings, checking that a payload is JSON, and
// reading one flat object or array (the Redis control messages, JSON Web Tokens and key sets).
// Nothing here allocates except by appending to a caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace holdfast::util {

// Containers nested deeper than this are rejected, so hostile input cannot exhaust the stack.
inline constexpr int kJsonMaxDepth = 64;

// Appends `s` as a quoted JSON string. Escapes `"`, `\` and control characters; well-formed
// UTF-8 passes through as it is, and each byte that is not part of well-formed UTF-8 becomes
// U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

// True when `s` is exactly one JSON text (RFC 8259), optionally surrounded by whitespace, in
// well-formed UTF-8, with containers nested at most kJsonMaxDepth deep.
bool valid_json(std::string_view s);

enum class JsonType { String, Number, True, False, Null, Object, Array };

// One member of an object. Both views point into the text being read.
struct JsonMember {
  std::string_view key;  // the raw text between the quotes; escapes are not decoded
  JsonType type = JsonType::Null;
  std::string_view value;  // strings: the raw text between the quotes; others: the whole token
};

// Reads the members of one top-level object, in order, without building a tree. Nested objects
// and arrays are checked and handed over whole, as raw text.
//
//   JsonObjectReader reader(text);
//   JsonMember m;
//   while (reader.next(m)) { ... }
//   if (!reader.ok()) { /* malformed */ }
class JsonObjectReader {
 public:
  explicit JsonObjectReader(std::string_view text) : text_(text) {}

  // Fills `m` and returns true, or returns false at the end of the object or on malformed input
  // (then ok() is false). Trailing text after the object is malformed input.
  bool next(JsonMember& m);
  bool ok() const { return state_ != State::Error; }

 private:
  enum class State { Start, Members, Done, Error };
  bool fail();
  bool finish();

  std::string_view text_;
  size_t pos_ = 0;
  State state_ = State::Start;
};

// One element of an array. The view points into the text being read.
struct JsonElement {
  JsonType type = JsonType::Null;
  std::string_view value;  // strings: the raw text between the quotes; others: the whole token
};

// Reads the elements of one top-level array, in order, the way JsonObjectReader reads members:
// nested objects and arrays are checked and handed over whole, as raw text. An object member
// that holds an array is read by giving its JsonMember::value to a new reader.
//
//   JsonArrayReader reader(text);
//   JsonElement e;
//   while (reader.next(e)) { ... }
//   if (!reader.ok()) { /* malformed */ }
class JsonArrayReader {
 public:
  explicit JsonArrayReader(std::string_view text) : text_(text) {}

  // Fills `e` and returns true, or returns false at the end of the array or on malformed input
  // (then ok() is false). Trailing text after the array is malformed input.
  bool next(JsonElement& e);
  bool ok() const { return state_ != State::Error; }

 private:
  enum class State { Start, Elements, Done, Error };
  bool fail();
  bool finish();

  std::string_view text_;
  size_t pos_ = 0;
  State state_ = State::Start;
};

// Decodes a raw string (as in JsonMember) and appends its UTF-8 to `out`. Returns false on a bad
// escape or an unpaired surrogate escape; `out` may then hold part of the text.
bool append_json_unescaped(std::string& out, std::string_view raw);

// Whether the raw string `raw` decodes to exactly `plain`.
bool json_string_equals(std::string_view raw, std::string_view plain);

// Reads a raw number token that is an integer (no fraction, no exponent) fitting in int64_t.
bool json_to_int(std::string_view raw, int64_t& out);

}  // namespace holdfast::util
