#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "proxy/util/utf8.h"

using holdfast::util::utf8_prefix;
using holdfast::util::utf8_sequence_length;
using holdfast::util::valid_utf8;

namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list)
    s += static_cast<char>(b);
  return s;
}

// A slow decoder written from the definition: decode, then check the value is minimal, not a
// surrogate and at most U+10FFFF.
bool reference_valid(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

TEST_CASE("utf8: accepts well-formed text") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("hello, world"));
  CHECK(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  CHECK(valid_utf8(bytes({0x00})));
  CHECK(valid_utf8(bytes({0xC2, 0x80})));              // U+0080
  CHECK(valid_utf8(bytes({0xDF, 0xBF})));              // U+07FF
  CHECK(valid_utf8(bytes({0xE0, 0xA0, 0x80})));        // U+0800
  CHECK(valid_utf8(bytes({0xED, 0x9F, 0xBF})));        // U+D7FF, just below the surrogates
  CHECK(valid_utf8(bytes({0xEE, 0x80, 0x80})));        // U+E000, just above them
  CHECK(valid_utf8(bytes({0xEF, 0xBF, 0xBD})));        // U+FFFD
  CHECK(valid_utf8(bytes({0xEF, 0xBF, 0xBF})));        // U+FFFF
  CHECK(valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));  // U+10000
  CHECK(valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF
  CHECK(valid_utf8("\xf0\x9f\x98\x80 emoji"));
}

TEST_CASE("utf8: rejects overlong forms") {
  CHECK_FALSE(valid_utf8(bytes({0xC0, 0xAF})));                    // '/' in two bytes
  CHECK_FALSE(valid_utf8(bytes({0xE0, 0x80, 0xAF})));              // '/' in three
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x80, 0x80, 0xAF})));        // '/' in four
  CHECK_FALSE(valid_utf8(bytes({0xC1, 0xBF})));                    // U+007F in two
  CHECK_FALSE(valid_utf8(bytes({0xE0, 0x9F, 0xBF})));              // U+07FF in three
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));        // U+FFFF in four
  CHECK_FALSE(valid_utf8(bytes({0xC0, 0x80})));                    // NUL in two
  CHECK_FALSE(valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));  // old five-byte form
}

TEST_CASE("utf8: rejects surrogates and values past U+10FFFF") {
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xA0, 0x80})));                    // U+D800
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xBF, 0xBF})));                    // U+DFFF
  CHECK_FALSE(valid_utf8(bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80})));  // a CESU-8 pair
  CHECK_FALSE(valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));              // U+110000
  CHECK_FALSE(valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xFE})));
  CHECK_FALSE(valid_utf8(bytes({0xFF})));
}

TEST_CASE("utf8: rejects stray and truncated sequences") {
  CHECK_FALSE(valid_utf8(bytes({0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xBF})));
  CHECK_FALSE(valid_utf8(bytes({0xC2})));
  CHECK_FALSE(valid_utf8(bytes({0xE0, 0xA0})));
  CHECK_FALSE(valid_utf8(bytes({0xF0, 0x90, 0x80})));
  CHECK_FALSE(valid_utf8(bytes({0xC2, 0x41})));
  CHECK_FALSE(valid_utf8(bytes({0xE1, 0x80, 0x41})));
  CHECK_FALSE(valid_utf8("abc\xc3"));
}

TEST_CASE("utf8: a bad byte is found at every offset of a long ASCII run") {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::string s(len, 'x');
      s[at] = static_cast<char>(0x80);
      INFO("length " << len << ", bad byte at " << at);
      CHECK_FALSE(valid_utf8(s));
    }
  }
  // Multi-byte characters straddling the eight-byte blocks.
  for (size_t pad = 0; pad < 16; ++pad) {
    const std::string s = std::string(pad, 'a') + "\xf0\x9f\x98\x80" + std::string(pad, 'b');
    CHECK(valid_utf8(s));
    CHECK_FALSE(valid_utf8(s.substr(0, pad + 3)));
  }
}

TEST_CASE("utf8: agrees with a reference decoder on every sequence of up to three bytes") {
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    REQUIRE(valid_utf8(s) == reference_valid(s));
    for (int b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      REQUIRE(valid_utf8(s) == reference_valid(s));
    }
  }
  size_t mismatches = 0;
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        if (valid_utf8(s) != reference_valid(s)) ++mismatches;
      }
    }
  }
  CHECK(mismatches == 0);
  // Four-byte leads over every second byte and a few continuations.
  for (int a = 0xF0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : {0x00, 0x7F, 0x80, 0xBF, 0xC0}) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                  static_cast<char>(0x80)});
        REQUIRE(valid_utf8(s) == reference_valid(s));
      }
    }
  }
}

TEST_CASE("utf8: sequence length") {
  CHECK(utf8_sequence_length("a", 0) == 1);
  CHECK(utf8_sequence_length("\xc3\xa9", 0) == 2);
  CHECK(utf8_sequence_length("\xc3\xa9", 1) == 0);
  CHECK(utf8_sequence_length("x\xe2\x82\xac", 1) == 3);
  CHECK(utf8_sequence_length("\xf0\x9f\x98\x80", 0) == 4);
  CHECK(utf8_sequence_length("\xf0\x9f\x98", 0) == 0);
}

TEST_CASE("utf8: prefix never splits a character") {
  CHECK(utf8_prefix("hello", 10) == "hello");
  CHECK(utf8_prefix("hello", 5) == "hello");
  CHECK(utf8_prefix("hello", 3) == "hel");
  CHECK(utf8_prefix("h\xc3\xa9llo", 2) == "h");
  CHECK(utf8_prefix("h\xc3\xa9llo", 3) == "h\xc3\xa9");
  CHECK(utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 4) == "\xe2\x82\xac");
  CHECK(utf8_prefix("\xf0\x9f\x98\x80", 3).empty());
  CHECK(utf8_prefix("abc", 0).empty());
}
