#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "proxy/util/json.h"
#include "proxy/util/utf8.h"

using holdfast::util::append_json_string;
using holdfast::util::append_json_unescaped;
using holdfast::util::json_string_equals;
using holdfast::util::json_to_int;
using holdfast::util::JsonArrayReader;
using holdfast::util::JsonElement;
using holdfast::util::JsonMember;
using holdfast::util::JsonObjectReader;
using holdfast::util::JsonType;
using holdfast::util::valid_json;

namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string unescaped(std::string_view raw) {
  std::string out;
  REQUIRE(append_json_unescaped(out, raw));
  return out;
}

}  // namespace

TEST_CASE("json: strings are quoted and escaped") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain text") == R"("plain text")");
  CHECK(quoted("say \"hi\"") == R"("say \"hi\"")");
  CHECK(quoted("back\\slash") == R"("back\\slash")");
  CHECK(quoted("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
  CHECK(quoted(std::string("nul\0x", 5)) == R"("nul\u0000x")");
  CHECK(quoted("\x01\x1f\x7f") == "\"\\u0001\\u001f\x7f\"");
  CHECK(quoted("a/b") == R"("a/b")");
  CHECK(quoted("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

TEST_CASE("json: bytes that are not UTF-8 become U+FFFD") {
  CHECK(quoted("a\xff"
               "b") == R"("a\ufffdb")");
  CHECK(quoted("\xc3") == R"("\ufffd")");
  CHECK(quoted("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");
  CHECK(quoted("\xc0\xaf!") == R"("\ufffd\ufffd!")");
}

TEST_CASE("json: quoting appends and escapes at every offset of a long run") {
  std::string out = "prefix:";
  append_json_string(out, "x");
  CHECK(out == "prefix:\"x\"");
  for (size_t len = 1; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char special : {'"', '\\', '\n', '\x1f'}) {
        std::string s(len, 'q');
        s[at] = special;
        const std::string q = quoted(s);
        INFO("length " << len << ", special at " << at);
        REQUIRE(valid_json(q));
        REQUIRE(unescaped(std::string_view(q).substr(1, q.size() - 2)) == s);
      }
    }
  }
}

TEST_CASE("json: quoting any bytes gives valid JSON that reads back") {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 40, '\0');
    for (char& c : s)
      c = static_cast<char>(round % 2 ? rng() % 256 : 0x20 + rng() % 0x60);
    const std::string q = quoted(s);
    REQUIRE(valid_json(q));
    if (holdfast::util::valid_utf8(s)) {
      REQUIRE(unescaped(std::string_view(q).substr(1, q.size() - 2)) == s);
    }
  }
}

TEST_CASE("json: accepts valid documents") {
  for (const char* doc : {
           "{}",
           "[]",
           "0",
           "-0",
           "1",
           "-1.5",
           "1e10",
           "1E+2",
           "2.5e-3",
           "true",
           "false",
           "null",
           R"("")",
           R"("\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t")",
           R"("\ud800")",
           " \t\r\n{ \"a\" : [ 1 , 2 , { \"b\" : null } ] } \n",
           R"({"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor",)"
           R"("Thumbnail":{"Url":"http://www.example.com/image/481989943","Height":125,)"
           R"("Width":100},"Animated":false,"IDs":[116,943,234,38793]}})",
           "123456789012345678901234567890123456789012345678901234567890",
           "1e999999",
           "\"caf\xc3\xa9\"",
       }) {
    INFO(doc);
    CHECK(valid_json(doc));
  }
}

TEST_CASE("json: rejects malformed documents") {
  for (const char* doc : {
           "",
           " ",
           "{",
           "}",
           "[",
           "]",
           "[1,]",
           "[,1]",
           "{\"a\":1,}",
           "{\"a\"}",
           "{\"a\":}",
           "{a:1}",
           "{'a':1}",
           "[1 2]",
           "{\"a\":1 \"b\":2}",
           "01",
           "-",
           "+1",
           "1.",
           ".5",
           "1e",
           "1e+",
           "0x10",
           "NaN",
           "Infinity",
           "-Infinity",
           "tru",
           "nul",
           "True",
           "[true false]",
           R"("\x")",
           R"("\u12")",
           R"("\u12G4")",
           R"("\)",
           "\"abc",
           "\"a\tb\"",
           "\"a\nb\"",
           "\"\xff\"",
           "\"\xed\xa0\x80\"",
           "{} {}",
           "[] x",
           "// c\n{}",
           "/* c */ 1",
           "[1]]",
           "{\"a\":[}",
           "\xef\xbb\xbf{}",
       }) {
    INFO(doc);
    CHECK_FALSE(valid_json(doc));
  }
  CHECK_FALSE(valid_json(std::string("[1]\0", 4)));
}

TEST_CASE("json: every truncation of an object is rejected") {
  const std::string doc = R"({"a":[1,-2.5e3,"x\"y",{"b":true}],"c":null,"d":"\u00e9"})";
  REQUIRE(valid_json(doc));
  for (size_t n = 0; n < doc.size(); ++n) {
    INFO(doc.substr(0, n));
    CHECK_FALSE(valid_json(doc.substr(0, n)));
  }
}

TEST_CASE("json: nesting is limited") {
  const auto nested = [](int depth, char open, char close) {
    return std::string(depth, open) + std::string(depth, close);
  };
  CHECK(valid_json(nested(holdfast::util::kJsonMaxDepth, '[', ']')));
  CHECK_FALSE(valid_json(nested(holdfast::util::kJsonMaxDepth + 1, '[', ']')));
  CHECK_FALSE(valid_json(std::string(100000, '[')));
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"a\":";
  CHECK_FALSE(valid_json(objects));
}

TEST_CASE("json: random bytes never crash the validator or the reader") {
  std::mt19937 rng(11);
  const std::string alphabet = "{}[]:,\"\\0123456789.eE+-truefalsnul \n\x80\xc3\xa9";
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 32, '\0');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    (void)valid_json(s);
    JsonObjectReader reader(s);
    JsonMember m;
    int members = 0;
    while (reader.next(m))
      ++members;
    if (reader.ok()) CHECK(valid_json(s));
  }
}

TEST_CASE("json: the reader walks a flat object") {
  JsonObjectReader reader(
      R"( {"s":"a\"b", "n":-12.5, "t":true, "f":false, "z":null, "o":{"x":[1]}, "a":[1,{}]} )");
  JsonMember m;
  std::vector<std::tuple<std::string, JsonType, std::string>> got;
  while (reader.next(m))
    got.emplace_back(std::string(m.key), m.type, std::string(m.value));
  CHECK(reader.ok());
  const std::vector<std::tuple<std::string, JsonType, std::string>> want = {
      {"s", JsonType::String, R"(a\"b)"}, {"n", JsonType::Number, "-12.5"},
      {"t", JsonType::True, "true"},      {"f", JsonType::False, "false"},
      {"z", JsonType::Null, "null"},      {"o", JsonType::Object, R"({"x":[1]})"},
      {"a", JsonType::Array, "[1,{}]"},
  };
  CHECK(got == want);
  CHECK_FALSE(reader.next(m));  // stays at the end
  CHECK(reader.ok());
}

TEST_CASE("json: the reader reports malformed input") {
  JsonMember m;
  {
    JsonObjectReader reader(" {} ");
    CHECK_FALSE(reader.next(m));
    CHECK(reader.ok());
  }
  for (const char* doc :
       {"", "[]", "\"x\"", "1", "{", "{\"a\"", "{\"a\":", "{\"a\":1,}", "{\"a\":1} x", "{\"a\" 1}",
        "{\"a\":1 \"b\":2}", "{\"a\":[1,]}", "{1:2}"}) {
    JsonObjectReader reader(doc);
    while (reader.next(m)) {
    }
    INFO(doc);
    CHECK_FALSE(reader.ok());
  }
  // Members before the fault are handed out; the fault shows at the end.
  JsonObjectReader reader(R"({"a":1,"b":2,})");
  int seen = 0;
  while (reader.next(m))
    ++seen;
  CHECK(seen == 2);
  CHECK_FALSE(reader.ok());
}

TEST_CASE("json: unescaping") {
  CHECK(unescaped("plain") == "plain");
  CHECK(unescaped(R"(a\"b\\c\/d\b\f\n\r\t)") == "a\"b\\c/d\b\f\n\r\t");
  CHECK(unescaped(R"(\u0041\u00e9\u20ac)") == "A\xc3\xa9\xe2\x82\xac");
  CHECK(unescaped(R"(\ud83d\ude00)") == "\xf0\x9f\x98\x80");
  CHECK(unescaped(R"(\u0000)") == std::string(1, '\0'));
  std::string out;
  for (const char* bad : {R"(\x)", R"(\)", R"(\u12)", R"(\uZZZZ)", R"(\ud800)", R"(\ude00)",
                          R"(\ud800\u0041)", R"(\ud800x)"}) {
    INFO(bad);
    CHECK_FALSE(append_json_unescaped(out, bad));
  }
}

TEST_CASE("json: comparing a raw string with plain text") {
  CHECK(json_string_equals("target", "target"));
  CHECK(json_string_equals(R"(t\u0061rget)", "target"));
  CHECK(json_string_equals(R"(caf\u00e9)", "caf\xc3\xa9"));
  CHECK_FALSE(json_string_equals("target", "targets"));
  CHECK_FALSE(json_string_equals(R"(t\u0061rgets)", "target"));
  CHECK_FALSE(json_string_equals(R"(t\u0061rge)", "target"));
  CHECK_FALSE(json_string_equals(R"(t\qrget)", "target"));
  CHECK(json_string_equals("", ""));
}

TEST_CASE("json: integers") {
  int64_t v = 0;
  CHECK((json_to_int("0", v) && v == 0));
  CHECK((json_to_int("-42", v) && v == -42));
  CHECK((json_to_int("4000", v) && v == 4000));
  CHECK((json_to_int("9223372036854775807", v) && v == INT64_MAX));
  CHECK_FALSE(json_to_int("9223372036854775808", v));
  CHECK_FALSE(json_to_int("123456789012345678901234567890", v));
  CHECK_FALSE(json_to_int("4000.0", v));
  CHECK_FALSE(json_to_int("4e3", v));
  CHECK_FALSE(json_to_int("", v));
  CHECK_FALSE(json_to_int("+1", v));
  CHECK_FALSE(json_to_int("12x", v));
}

namespace {

std::vector<std::pair<JsonType, std::string>> elements(std::string_view text, bool& ok) {
  JsonArrayReader reader(text);
  JsonElement e;
  std::vector<std::pair<JsonType, std::string>> got;
  while (reader.next(e))
    got.emplace_back(e.type, std::string(e.value));
  ok = reader.ok();
  return got;
}

}  // namespace

TEST_CASE("json: the array reader walks the elements of an array", "[json]") {
  bool ok = false;
  const auto got =
      elements(R"( [ "a\"b" , -12.5, true,false ,null, {"x":[1]}, [1,{}], "", 0 ] )", ok);
  CHECK(ok);
  const std::vector<std::pair<JsonType, std::string>> want = {
      {JsonType::String, R"(a\"b)"}, {JsonType::Number, "-12.5"},
      {JsonType::True, "true"},      {JsonType::False, "false"},
      {JsonType::Null, "null"},      {JsonType::Object, R"({"x":[1]})"},
      {JsonType::Array, "[1,{}]"},   {JsonType::String, ""},
      {JsonType::Number, "0"},
  };
  CHECK(got == want);
}

TEST_CASE("json: the array reader handles empty arrays and stays at the end", "[json]") {
  for (const char* doc : {"[]", " [ ] ", "\n[\t]\r\n"}) {
    INFO(doc);
    bool ok = false;
    CHECK(elements(doc, ok).empty());
    CHECK(ok);
  }
  JsonArrayReader reader("[1]");
  JsonElement e;
  CHECK(reader.next(e));
  CHECK_FALSE(reader.next(e));
  CHECK_FALSE(reader.next(e));
  CHECK(reader.ok());
}

TEST_CASE("json: the array reader reads an array held by an object member", "[json]") {
  JsonObjectReader object(R"({"aud":["a","b"],"n":1})");
  JsonMember m;
  REQUIRE(object.next(m));
  REQUIRE(m.type == JsonType::Array);
  bool ok = false;
  const auto got = elements(m.value, ok);
  CHECK(ok);
  CHECK(got == std::vector<std::pair<JsonType, std::string>>{{JsonType::String, "a"},
                                                             {JsonType::String, "b"}});
}

TEST_CASE("json: the array reader reports malformed input", "[json]") {
  for (const char* doc :
       {"",     " ",    "{}",    "\"x\"",  "1",         "[",      "[1",    "[1,",
        "[1,]", "[,1]", "[1 2]", "[1]]",   "[1] x",     "[1][2]", "[\"a]", "[tru]",
        "[{]",  "[[1]", "]",     "[1,,2]", "[\"\\x\"]", "[01]"}) {
    INFO(doc);
    bool ok = true;
    (void)elements(doc, ok);
    CHECK_FALSE(ok);
  }
  // Elements before the fault are handed out; the fault shows at the end.
  bool ok = true;
  CHECK(elements("[1,2,}", ok).size() == 2);
  CHECK_FALSE(ok);
}

TEST_CASE("json: the array reader limits nesting and survives random bytes", "[json]") {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  bool ok = false;
  CHECK(elements(nested(holdfast::util::kJsonMaxDepth), ok).size() == 1);
  CHECK(ok);
  (void)elements(nested(holdfast::util::kJsonMaxDepth + 1), ok);
  CHECK_FALSE(ok);
  (void)elements(std::string(100000, '['), ok);
  CHECK_FALSE(ok);

  std::mt19937 rng(13);
  const std::string alphabet = "{}[]:,\"\\0123456789.eE+-truefalsnul \n\x80\xc3\xa9";
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 32, '\0');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    if (round % 2) s[0] = '[';
    (void)elements(s, ok);
    if (ok) CHECK(valid_json(s));
  }
}
