#include <catch2/catch.hpp>

#include <string>

#include "proxy/util/base64.h"

using holdfast::util::append_base64;

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
