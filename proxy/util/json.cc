#include "proxy/util/json.h"

#include <charconv>
#include <cstring>

#include "proxy/util/utf8.h"

namespace holdfast::util {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

uint64_t zero_byte_bits(uint64_t w) {
  return (w - kOnes) & ~w & kHighBits;
}

// Eight bytes that need no escaping: printable ASCII other than `"` and `\`.
bool plain_word(uint64_t w) {
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
  return ((w & kHighBits) | control | zero_byte_bits(w ^ (kOnes * '"')) |
          zero_byte_bits(w ^ (kOnes * '\\'))) == 0;
}

// The two-character escapes: `\` followed by kEscapeLetters[k] stands for kEscaped[k].
constexpr std::string_view kEscapeLetters = "\"\\/bfnrt";
constexpr std::string_view kEscaped = "\"\\/\b\f\n\r\t";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void skip_space(std::string_view t, size_t& i) {
  while (i < t.size() && is_space(t[i]))
    ++i;
}

bool read_hex4(std::string_view raw, size_t& i, uint32_t& cp) {
  if (raw.size() - i < 4) return false;
  cp = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int v = hex_value(raw[i + k]);
    if (v < 0) return false;
    cp = cp << 4 | static_cast<uint32_t>(v);
  }
  i += 4;
  return true;
}

// `i` is at the opening quote. On success `i` is past the closing quote.
bool scan_string(std::string_view t, size_t& i, std::string_view& contents) {
  const size_t start = ++i;
  while (i < t.size()) {
    if (t.size() - i >= 8) {
      uint64_t word;
      std::memcpy(&word, t.data() + i, 8);
      if (plain_word(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(t[i]);
    if (c == '"') {
      contents = t.substr(start, i - start);
      ++i;
      return true;
    }
    if (c == '\\') {
      if (++i == t.size()) return false;
      uint32_t unit = 0;
      if (t[i] == 'u') {
        if (!read_hex4(t, ++i, unit)) return false;
      } else if (kEscapeLetters.find(t[i]) != std::string_view::npos) {
        ++i;
      } else {
        return false;
      }
    } else if (c < 0x20) {
      return false;
    } else if (c < 0x80) {
      ++i;
    } else {
      const size_t len = utf8_sequence_length(t, i);
      if (len == 0) return false;
      i += len;
    }
  }
  return false;
}

bool scan_digits(std::string_view t, size_t& i) {
  if (i >= t.size() || !is_digit(t[i])) return false;
  while (i < t.size() && is_digit(t[i]))
    ++i;
  return true;
}

bool scan_number(std::string_view t, size_t& i) {
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!scan_digits(t, i)) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!scan_digits(t, i)) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!scan_digits(t, i)) return false;
  }
  return true;
}

bool scan_word(std::string_view t, size_t& i, std::string_view word) {
  if (t.substr(i, word.size()) != word) return false;
  i += word.size();
  return true;
}

bool scan_value(std::string_view t, size_t& i, int depth, JsonType& type,
                std::string_view& contents);

// `i` is at `{` or `[`; `depth` counts the containers around this one.
bool scan_container(std::string_view t, size_t& i, int depth) {
  if (depth >= kJsonMaxDepth) return false;
  const bool object = t[i] == '{';
  const char close = object ? '}' : ']';
  ++i;
  skip_space(t, i);
  if (i < t.size() && t[i] == close) {
    ++i;
    return true;
  }
  JsonType type;
  std::string_view ignored;
  while (true) {
    if (object) {
      if (i >= t.size() || t[i] != '"' || !scan_string(t, i, ignored)) return false;
      skip_space(t, i);
      if (i >= t.size() || t[i] != ':') return false;
      ++i;
      skip_space(t, i);
    }
    if (!scan_value(t, i, depth + 1, type, ignored)) return false;
    skip_space(t, i);
    if (i >= t.size()) return false;
    if (t[i] == close) {
      ++i;
      return true;
    }
    if (t[i] != ',') return false;
    ++i;
    skip_space(t, i);
  }
}

// `i` is at the first character of the value. `contents` is set for strings only.
bool scan_value(std::string_view t, size_t& i, int depth, JsonType& type,
                std::string_view& contents) {
  if (i >= t.size()) return false;
  switch (t[i]) {
    case '{':
      type = JsonType::Object;
      return scan_container(t, i, depth);
    case '[':
      type = JsonType::Array;
      return scan_container(t, i, depth);
    case '"':
      type = JsonType::String;
      return scan_string(t, i, contents);
    case 't':
      type = JsonType::True;
      return scan_word(t, i, "true");
    case 'f':
      type = JsonType::False;
      return scan_word(t, i, "false");
    case 'n':
      type = JsonType::Null;
      return scan_word(t, i, "null");
    default:
      type = JsonType::Number;
      return scan_number(t, i);
  }
}

// Writes `cp` as UTF-8 into `buf`; returns the byte count.
size_t encode_utf8(uint32_t cp, char* buf) {
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = static_cast<char>(0xF0 | (cp >> 18));
  buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// `i` is just past a backslash. Decodes one escape into a code point.
bool decode_escape(std::string_view raw, size_t& i, uint32_t& cp) {
  if (i >= raw.size()) return false;
  const char letter = raw[i++];
  if (letter != 'u') {
    const size_t k = kEscapeLetters.find(letter);
    if (k == std::string_view::npos) return false;
    cp = static_cast<unsigned char>(kEscaped[k]);
    return true;
  }
  if (!read_hex4(raw, i, cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate on its own
  if (cp < 0xD800 || cp > 0xDBFF) return true;
  uint32_t low = 0;
  if (raw.substr(i, 2) != "\\u") return false;
  i += 2;
  if (!read_hex4(raw, i, low) || low < 0xDC00 || low > 0xDFFF) return false;
  cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  size_t run = 0;  // start of the bytes not yet copied
  while (i < n) {
    if (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (plain_word(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = utf8_sequence_length(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    out.append(p + run, i - run);
    const size_t k = c < 0x80 ? kEscaped.find(static_cast<char>(c)) : std::string_view::npos;
    if (k != std::string_view::npos) {
      const char esc[2] = {'\\', kEscapeLetters[k]};
      out.append(esc, 2);
    } else if (c < 0x20) {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(esc, sizeof esc);
    } else {
      out += "\\ufffd";  // a byte that is not part of well-formed UTF-8
    }
    run = ++i;
  }
  out.append(p + run, n - run);
  out += '"';
}

bool valid_json(std::string_view s) {
  size_t i = 0;
  skip_space(s, i);
  JsonType type;
  std::string_view ignored;
  if (!scan_value(s, i, 0, type, ignored)) return false;
  skip_space(s, i);
  return i == s.size();
}

namespace {

// Steps to the next item of an object or array: past the opening bracket (`first`) or the comma
// before it. 1 when an item follows, 0 after the closing bracket, -1 on malformed input.
int next_item(std::string_view t, size_t& i, bool first, char open, char close) {
  skip_space(t, i);
  if (first) {
    if (i >= t.size() || t[i] != open) return -1;
    ++i;
    skip_space(t, i);
    if (i < t.size() && t[i] == close) {
      ++i;
      return 0;
    }
    return 1;
  }
  if (i >= t.size()) return -1;
  if (t[i] == close) {
    ++i;
    return 0;
  }
  if (t[i] != ',') return -1;
  ++i;
  skip_space(t, i);
  return 1;
}

}  // namespace

bool JsonObjectReader::fail() {
  state_ = State::Error;
  return false;
}

bool JsonObjectReader::finish() {
  skip_space(text_, pos_);
  if (pos_ != text_.size()) return fail();
  state_ = State::Done;
  return false;
}

bool JsonObjectReader::next(JsonMember& m) {
  if (state_ == State::Done || state_ == State::Error) return false;
  const int step = next_item(text_, pos_, state_ == State::Start, '{', '}');
  if (step < 0) return fail();
  if (step == 0) return finish();
  state_ = State::Members;
  const std::string_view t = text_;
  size_t& i = pos_;
  if (i >= t.size() || t[i] != '"' || !scan_string(t, i, m.key)) return fail();
  skip_space(t, i);
  if (i >= t.size() || t[i] != ':') return fail();
  ++i;
  skip_space(t, i);
  const size_t start = i;
  std::string_view contents;
  if (!scan_value(t, i, 1, m.type, contents)) return fail();
  m.value = m.type == JsonType::String ? contents : t.substr(start, i - start);
  return true;
}

bool JsonArrayReader::fail() {
  state_ = State::Error;
  return false;
}

bool JsonArrayReader::finish() {
  skip_space(text_, pos_);
  if (pos_ != text_.size()) return fail();
  state_ = State::Done;
  return false;
}

bool JsonArrayReader::next(JsonElement& e) {
  if (state_ == State::Done || state_ == State::Error) return false;
  const int step = next_item(text_, pos_, state_ == State::Start, '[', ']');
  if (step < 0) return fail();
  if (step == 0) return finish();
  state_ = State::Elements;
  const std::string_view t = text_;
  size_t& i = pos_;
  const size_t start = i;
  std::string_view contents;
  if (!scan_value(t, i, 1, e.type, contents)) return fail();
  e.value = e.type == JsonType::String ? contents : t.substr(start, i - start);
  return true;
}

bool append_json_unescaped(std::string& out, std::string_view raw) {
  size_t i = 0;
  while (i < raw.size()) {
    const size_t slash = raw.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(raw.data() + i, raw.size() - i);
      return true;
    }
    out.append(raw.data() + i, slash - i);
    i = slash + 1;
    uint32_t cp = 0;
    if (!decode_escape(raw, i, cp)) return false;
    char buf[4];
    out.append(buf, encode_utf8(cp, buf));
  }
  return true;
}

bool json_string_equals(std::string_view raw, std::string_view plain) {
  if (raw.find('\\') == std::string_view::npos) return raw == plain;
  size_t i = 0;
  size_t j = 0;
  char buf[4];
  while (i < raw.size()) {
    if (raw[i] != '\\') {
      if (j >= plain.size() || plain[j] != raw[i]) return false;
      ++i;
      ++j;
      continue;
    }
    ++i;
    uint32_t cp = 0;
    if (!decode_escape(raw, i, cp)) return false;
    const size_t len = encode_utf8(cp, buf);
    if (plain.substr(j, len) != std::string_view(buf, len)) return false;
    j += len;
  }
  return j == plain.size();
}

bool json_to_int(std::string_view raw, int64_t& out) {
  if (raw.empty() || raw.front() == '+') return false;
  const char* end = raw.data() + raw.size();
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(raw.data(), end, v);
  if (ec != std::errc() || p != end) return false;
  out = v;
  return true;
}

}  // namespace holdfast::util
