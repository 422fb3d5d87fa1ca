#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "proxy/util/base64.h"

using holdfast::util::append_base64;
using holdfast::util::decode_base64url;

namespace {

std::string b64(std::string_view s) {
  std::string out;
  append_base64(out, s);
  return out;
}

}  // namespace

TEST_CASE("base64: RFC 4648 test vectors") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64: binary bytes use the standard alphabet") {
  CHECK(b64(std::string("\0\0\0", 3)) == "AAAA");
  CHECK(b64("\xff\xff\xff") == "////");
  CHECK(b64("\xfb\xef\xbe") == "++++");
  CHECK(b64(std::string("\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f", 12)) ==
        "ABCDEFGHIJKLMNOP");
  CHECK(b64("\xff") == "/w==");
  CHECK(b64("\xff\xfe") == "//4=");
}

TEST_CASE("base64: appends to what is already there") {
  std::string out = "data:";
  append_base64(out, "hi");
  append_base64(out, "!");
  CHECK(out == "data:aGk=IQ==");
}

namespace {

// base64 without padding, in the URL-safe alphabet.
std::string b64url(std::string_view s) {
  std::string out = b64(s);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

}  // namespace

TEST_CASE("base64url: RFC 4648 test vectors without padding", "[base64]") {
  std::string out = "stale";
  CHECK(decode_base64url("", out));
  CHECK(out.empty());
  for (const char* plain : {"f", "fo", "foo", "foob", "fooba", "foobar"}) {
    INFO(plain);
    REQUIRE(decode_base64url(b64url(plain), out));
    CHECK(out == plain);
  }
  CHECK((decode_base64url("Zm9vYmFy", out) && out == "foobar"));
  CHECK((decode_base64url("Zg", out) && out == "f"));
  CHECK((decode_base64url("Zm8", out) && out == "fo"));
}

TEST_CASE("base64url: the URL-safe alphabet decodes binary bytes", "[base64]") {
  std::string out;
  CHECK((decode_base64url("____", out) && out == "\xff\xff\xff"));
  CHECK((decode_base64url("----", out) && out == "\xfb\xef\xbe"));
  CHECK((decode_base64url("AAAA", out) && out == std::string(3, '\0')));
  CHECK((decode_base64url("_w", out) && out == "\xff"));
  CHECK((decode_base64url("__4", out) && out == "\xff\xfe"));
  CHECK((decode_base64url("eyJhbGciOiJIUzI1NiJ9", out) && out == R"({"alg":"HS256"})"));
}

TEST_CASE("base64url: round trips every byte string length", "[base64]") {
  std::mt19937 rng(5);
  std::string out;
  for (size_t len = 0; len < 200; ++len) {
    std::string s(len, '\0');
    for (char& c : s)
      c = static_cast<char>(rng());
    INFO("length " << len);
    REQUIRE(decode_base64url(b64url(s), out));
    REQUIRE(out == s);
  }
}

TEST_CASE("base64url: rejects padding, other alphabets and impossible lengths", "[base64]") {
  std::string out;
  for (const char* bad : {"Zg==", "Zm8=", "Zg=", "=", "Zm9v=", "+w", "/w", "Zm9v+A", "Zm 9v",
                          "Zm9v\n", "Z", "Zm9vY", "Zm9vYmFyZ", "Zm.9", "Zm9v\x80",
                          "\xc3\xa9"
                          "AA"}) {
    INFO(bad);
    CHECK_FALSE(decode_base64url(bad, out));
  }
  CHECK_FALSE(decode_base64url(std::string("Zm9\0", 4), out));
}

TEST_CASE("base64url: rejects non-zero trailing bits", "[base64]") {
  std::string out;
  // "f" is Zg; Zh..Zv carry the same byte with stray low bits.
  CHECK(decode_base64url("Zg", out));
  for (const char* bad : {"Zh", "Zi", "Zv", "Zm9", "Zm-", "_x", "__5", "__7"}) {
    INFO(bad);
    CHECK_FALSE(decode_base64url(bad, out));
  }
  CHECK(decode_base64url("Zm8", out));
  CHECK(decode_base64url("__4", out));
}

TEST_CASE("base64url: every string over a small alphabet either decodes or is refused",
          "[base64]") {
  const std::string alphabet = "AZaz09-_+/= .";
  std::mt19937 rng(9);
  std::string out;
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 12, 'A');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    if (decode_base64url(s, out)) {
      INFO(s);
      REQUIRE(b64url(out) == s);  // one encoding per byte string
    }
  }
}
