// A small JSON reader for what the proxy writes: log lines and structured CloudEvents. It is
// written apart from the proxy's own JSON code so that tests do not trust what they check.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::test {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string text;  // the string, or a number's source text
  std::vector<Json> items;
  std::map<std::string, Json> members;

  bool is_string() const { return kind == Kind::String; }
  bool has(const std::string& key) const { return members.count(key) != 0; }
  // The member `key` of an object; a Null value when absent.
  const Json& operator[](const std::string& key) const;
  // A member as text: a string's value or a number's source; empty when absent.
  std::string str(const std::string& key) const;
};

// Parses one complete JSON document; nullopt on any syntax error or trailing garbage.
std::optional<Json> parse_json(std::string_view text);

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
// Standard base64 (RFC 4648, with padding) to bytes; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace holdfast::test
