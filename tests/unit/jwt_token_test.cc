#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "filters/jwt/token.h"
#include "tests/unit/jwt_mint.h"

using holdfast::filters::jwt::Alg;
using holdfast::filters::jwt::alg_name;
using holdfast::filters::jwt::Check;
using holdfast::filters::jwt::check_claims;
using holdfast::filters::jwt::ClaimRules;
using holdfast::filters::jwt::decode;
using holdfast::filters::jwt::hmac_key_set;
using holdfast::filters::jwt::Key;
using holdfast::filters::jwt::KeySet;
using holdfast::filters::jwt::kMaxTokenBytes;
using holdfast::filters::jwt::parse_jwks;
using holdfast::filters::jwt::Token;
using holdfast::filters::jwt::verify_signature;
namespace mint = holdfast::test::jwt;

namespace {

constexpr std::string_view kPayload = R"({"sub":"user-1","exp":4102444800})";

// The public half of `key`, read back through parse_jwks as the filter reads it.
std::shared_ptr<const KeySet> public_set(const mint::MintKey& key, std::string_view kid = {}) {
  std::string error;
  auto set = parse_jwks(mint::jwks({mint::jwk(key, kid)}), error);
  INFO(error);
  REQUIRE(set);
  REQUIRE(set->keys.size() == 1);
  return set;
}

Check decoded(std::string_view compact) {
  Token t;
  return decode(compact, t);
}

// Whether `compact` decodes and its signature verifies with the only key of `set`.
bool verifies(const std::string& compact, const KeySet& set) {
  Token t;
  if (decode(compact, t) != Check::Ok) return false;
  return verify_signature(t, set.keys.at(0));
}

// `compact` with its signature replaced by `signature` (raw bytes).
std::string with_signature(const std::string& compact, std::string_view signature) {
  return compact.substr(0, compact.rfind('.') + 1) + mint::b64url(signature);
}

std::string signature_of(const std::string& compact) {
  Token t;
  REQUIRE(decode(compact, t) == Check::Ok);
  return t.signature;
}

std::string token_with(std::string_view header_json, std::string_view payload_json) {
  return mint::mint_raw(header_json, payload_json, Alg::HS256, mint::key_for(Alg::HS256));
}

Check decoded_payload(std::string_view payload_json) {
  return decoded(token_with(R"({"alg":"HS256"})", payload_json));
}

}  // namespace

TEST_CASE(
    "jwt token: every algorithm verifies a valid token, and refuses a flipped byte and "
    "another key",
    "[jwt]") {
  for (Alg alg : mint::all_algs()) {
    INFO(alg_name(alg));
    const mint::MintKey& signer = mint::key_for(alg, 0);
    const auto own = public_set(signer);
    const auto other = public_set(mint::key_for(alg, 1));
    const std::string token = mint::mint(alg, signer, kPayload);

    Token t;
    REQUIRE(decode(token, t) == Check::Ok);
    CHECK(t.alg == alg);
    CHECK(verify_signature(t, own->keys[0]));
    CHECK_FALSE(verify_signature(t, other->keys[0]));

    const std::string sig = signature_of(token);
    REQUIRE_FALSE(sig.empty());
    for (size_t at : {size_t{0}, sig.size() / 2, sig.size() - 1}) {
      for (unsigned char bit : {0x01, 0x80}) {
        std::string flipped = sig;
        flipped[at] = static_cast<char>(flipped[at] ^ bit);
        INFO("byte " << at << " bit " << int{bit});
        CHECK_FALSE(verifies(with_signature(token, flipped), *own));
      }
    }
    // The same signature over another payload.
    const std::string forged = token.substr(0, token.find('.') + 1) +
                               mint::b64url(R"({"sub":"admin","exp":4102444800})") +
                               token.substr(token.rfind('.'));
    CHECK_FALSE(verifies(forged, *own));
    // A truncated or extended signature.
    CHECK_FALSE(verifies(with_signature(token, sig.substr(0, sig.size() - 1)), *own));
    CHECK_FALSE(verifies(with_signature(token, sig + '\0'), *own));
    CHECK_FALSE(verifies(with_signature(token, ""), *own));
  }
}

TEST_CASE("jwt token: a JWKS of every key type picks and verifies by kid", "[jwt]") {
  std::vector<std::string> jwks;
  for (Alg alg : mint::all_algs())
    jwks.push_back(mint::jwk(mint::key_for(alg), std::string(alg_name(alg)), alg_name(alg)));
  std::string error;
  const auto set = parse_jwks(mint::jwks(jwks), error);
  REQUIRE(set);
  REQUIRE(set->keys.size() == 13);
  for (Alg alg : mint::all_algs()) {
    INFO(alg_name(alg));
    const std::string token = mint::mint(alg, mint::key_for(alg), kPayload, alg_name(alg));
    Token t;
    REQUIRE(decode(token, t) == Check::Ok);
    CHECK(t.kid == alg_name(alg));
    const auto keys = set->candidates(t.kid, t.alg);
    REQUIRE(keys.size() == 1);
    CHECK(verify_signature(t, *keys[0]));
    CHECK(set->candidates(t.kid, alg == Alg::HS256 ? Alg::HS384 : Alg::HS256).empty());
  }
}

TEST_CASE("jwt token: alg none and unknown algorithms are BadAlgorithm", "[jwt]") {
  const std::string payload = mint::b64url(kPayload);
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"None"})", R"({"alg":"NONE"})", R"({"alg":""})",
        R"({"alg":"HS1024"})", R"({"alg":"RSA-OAEP"})", R"({"alg":"nonE","typ":"JWT"})"}) {
    INFO(header);
    CHECK(decoded(mint::b64url(header) + "." + payload + ".") == Check::BadAlgorithm);
    CHECK(decoded(mint::b64url(header) + "." + payload + "." + mint::b64url("sig")) ==
          Check::BadAlgorithm);
  }
  // Structure is checked before the algorithm matters.
  CHECK(decoded(mint::b64url(R"({"alg":"none"})") + "." + mint::b64url("nope") + ".") ==
        Check::Malformed);
}

TEST_CASE("jwt token: key confusion, HS256 keyed with the RSA public key, is refused", "[jwt]") {
  const mint::MintKey& rsa = mint::key_for(Alg::RS256);
  const auto set = public_set(rsa, "rsa");
  for (const std::string& secret :
       {mint::rsa_public_pem(rsa), mint::rsa_modulus(rsa), mint::jwk(rsa, "rsa")}) {
    INFO(secret.substr(0, 40));
    const std::string token = mint::mint(Alg::HS256, mint::hmac_key(secret), kPayload, "rsa");
    Token t;
    REQUIRE(decode(token, t) == Check::Ok);
    REQUIRE(t.alg == Alg::HS256);
    // A real HS256 token for that secret...
    CHECK(verify_signature(t, hmac_key_set(secret)->keys[0]));
    // ...that no RSA key will take.
    CHECK_FALSE(set->keys[0].fits(Alg::HS256));
    CHECK(set->candidates("rsa", Alg::HS256).empty());
    CHECK(set->candidates("", Alg::HS256).empty());
    CHECK_FALSE(verify_signature(t, set->keys[0]));
    // Not even when an RSA key carries the same bytes as a secret.
    Key forged;
    forged.type = Key::Type::Rsa;
    forged.secret = secret;
    CHECK_FALSE(verify_signature(t, forged));
  }
}

TEST_CASE("jwt token: ECDSA signatures must be raw R||S of the curve's size", "[jwt]") {
  const mint::MintKey& key = mint::key_for(Alg::ES256);
  const auto set = public_set(key);
  const std::string input = mint::b64url(R"({"alg":"ES256"})") + "." + mint::b64url(kPayload);
  const std::string der = mint::sign_der(Alg::ES256, key, input);
  const std::string raw = mint::sign(Alg::ES256, key, input);
  REQUIRE(raw.size() == 64);
  CHECK(verifies(input + "." + mint::b64url(raw), *set));
  CHECK_FALSE(verifies(input + "." + mint::b64url(der), *set));

  CHECK_FALSE(verifies(input + "." + mint::b64url(raw.substr(0, 63)), *set));
  CHECK_FALSE(verifies(input + "." + mint::b64url(raw + '\0'), *set));
  CHECK_FALSE(verifies(input + "." + mint::b64url(std::string(1, '\0') + raw), *set));
  CHECK_FALSE(verifies(input + "." + mint::b64url(std::string(64, '\0')), *set));
  CHECK_FALSE(verifies(input + "." + mint::b64url(std::string(64, '\xff')), *set));
  // S and R swapped.
  CHECK_FALSE(verifies(input + "." + mint::b64url(raw.substr(32) + raw.substr(0, 32)), *set));

  // A P-521 signature is 132 bytes; the same numbers in 130 or 128 are refused.
  const mint::MintKey& p521 = mint::key_for(Alg::ES512);
  const auto set521 = public_set(p521);
  const std::string input521 = mint::b64url(R"({"alg":"ES512"})") + "." + mint::b64url(kPayload);
  const std::string raw521 = mint::sign(Alg::ES512, p521, input521);
  REQUIRE(raw521.size() == 132);
  CHECK(verifies(input521 + "." + mint::b64url(raw521), *set521));
  CHECK_FALSE(
      verifies(input521 + "." + mint::b64url(mint::sign_der(Alg::ES512, p521, input521)), *set521));
  CHECK_FALSE(verifies(input521 + "." + mint::b64url(raw521.substr(0, 130)), *set521));
}

TEST_CASE("jwt token: tokens that are not three clean base64url parts are Malformed", "[jwt]") {
  const std::string good = mint::mint(Alg::HS256, mint::key_for(Alg::HS256), kPayload);
  REQUIRE(decoded(good) == Check::Ok);
  const size_t dot1 = good.find('.');
  const size_t dot2 = good.rfind('.');
  const std::string header = good.substr(0, dot1);
  const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string sig = good.substr(dot2 + 1);

  for (const std::string& bad : {
           std::string(""),
           std::string("."),
           std::string(".."),
           std::string("..."),
           std::string("abc"),
           header + "." + payload,                          // missing part
           header + "." + payload + "." + sig + "." + sig,  // four parts
           header + "." + payload + "." + sig + ".",
           "." + header + "." + payload + "." + sig,
           header + ".." + sig,                  // empty payload is not JSON
           "." + payload + "." + sig,            // empty header
           header + "=." + payload + "." + sig,  // padding
           header + "." + payload + "." + sig + "=",
           header + "." + payload + "." + sig + "==",
           "+" + header.substr(1) + "." + payload + "." + sig,  // standard alphabet
           header + "." + payload + "." + sig.substr(0, sig.size() - 1) + "/",
           header + "." + payload + ".ab" + sig,  // impossible length
           header + " ." + payload + "." + sig,
           " " + good,
           good + "\n",
           "Bearer " + good,
           header + "." + payload + "." + sig.substr(0, 10) + "\xc3\xa9" + sig.substr(12),
           std::string(good).replace(5, 1, std::string(1, '\0')),
       }) {
    INFO(bad);
    CHECK(decoded(bad) == Check::Malformed);
  }
}

TEST_CASE("jwt token: header and payload must be JSON objects with well-typed members", "[jwt]") {
  const std::string p = mint::b64url(kPayload);
  const auto with_header = [&](std::string_view h) { return mint::b64url(h) + "." + p + ".c2ln"; };
  for (const char* h :
       {"not json", "", "[]", R"(["alg","HS256"])", "\"HS256\"", "{}", R"({"typ":"JWT"})",
        R"({"alg":null})", R"({"alg":256})", R"({"alg":["HS256"]})", R"({"alg":"HS256",})",
        R"({"alg":"HS256"} x)", R"({"alg":"HS256","kid":7})", R"({"alg":"HS256","kid":null})",
        R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"HS256","alg":"HS256"})",
        R"({"alg":"none","\u0061lg":"HS256"})", R"({"alg":"HS256","kid":"\ud800"})",
        "{\"alg\":\"HS256\",\"kid\":\"\xff\"}"}) {
    INFO(h);
    CHECK(decoded(with_header(h)) == Check::Malformed);
  }
  // typ and unknown header members are ignored, whatever their type; keys never come from them.
  for (const char* h : {R"({"alg":"HS256","typ":7})", R"({"alg":"HS256","typ":"at+jwt"})",
                        R"({"alg":"HS256","jku":"https://evil.example/jwks","jwk":{}})",
                        R"( { "alg" : "HS256" } )"}) {
    INFO(h);
    CHECK(decoded(with_header(h)) == Check::Ok);
  }

  for (const char* payload : {"not json",
                              "",
                              "[]",
                              "42",
                              "null",
                              R"({"exp":1,)",
                              R"({"iss":1})",
                              R"({"iss":null})",
                              R"({"sub":["a"]})",
                              R"({"aud":1})",
                              R"({"aud":{"a":1}})",
                              R"({"aud":["a",1]})",
                              R"({"aud":["a",["b"]]})",
                              R"({"aud":null})",
                              R"({"exp":"1700000000"})",
                              R"({"exp":true})",
                              R"({"exp":null})",
                              R"({"nbf":"0"})",
                              R"({"iat":[1]})",
                              R"({"exp":1e30})",
                              R"({"exp":-1e30})",
                              R"({"exp":9223372036854775808})",
                              R"({"exp":99999999999999999999.5})",
                              R"({"exp":1,"exp":2})",
                              R"({"sub":"a","s\u0075b":"b"})"}) {
    INFO(payload);
    CHECK(decoded_payload(payload) == Check::Malformed);
  }
}

TEST_CASE("jwt token: a token over 8 KiB is Malformed", "[jwt]") {
  std::string last_fit;
  std::string first_over;
  for (size_t filler = 5900; first_over.empty(); ++filler) {
    const std::string token =
        mint::mint(Alg::HS256, mint::key_for(Alg::HS256),
                   R"({"exp":4102444800,"pad":")" + std::string(filler, 'x') + R"("})");
    if (token.size() <= kMaxTokenBytes) last_fit = token;
    if (token.size() > kMaxTokenBytes) first_over = token;
  }
  REQUIRE(last_fit.size() >= kMaxTokenBytes - 3);
  CHECK(decoded(last_fit) == Check::Ok);
  CHECK(decoded(first_over) == Check::Malformed);
  CHECK(decoded(std::string(1 << 20, 'A')) == Check::Malformed);
  CHECK(decoded(std::string(kMaxTokenBytes + 1, '.')) == Check::Malformed);
}

TEST_CASE("jwt token: decode reads kid and the registered claims", "[jwt]") {
  const std::string compact =
      token_with(R"({"alg":"HS256","typ":"JWT","kid":"k\u00e9y-1"})",
                 R"({"iss":"https://issuer.example/","sub":"user\/1","aud":"api","exp":1700000000,)"
                 R"("nbf":1699999000.75,"iat":1.6999e9,"jti":"x"})");
  Token t;
  REQUIRE(decode(compact, t) == Check::Ok);
  CHECK(t.alg == Alg::HS256);
  CHECK(t.kid == "k\xc3\xa9y-1");
  CHECK(t.iss == "https://issuer.example/");
  CHECK(t.sub == "user/1");
  CHECK(t.aud == std::vector<std::string>{"api"});
  CHECK(t.exp == 1700000000);
  CHECK(t.nbf == 1699999000);
  CHECK(t.iat == 1699900000);
  CHECK(t.signing_input == compact.substr(0, compact.rfind('.')));
  CHECK(t.signing_input.data() == compact.data());  // a view into the caller's text
  CHECK(t.header == R"({"alg":"HS256","typ":"JWT","kid":"k\u00e9y-1"})");

  REQUIRE(decode(token_with(R"({"alg":"RS512"})", R"({"aud":["a","b\u0021"]})"), t) == Check::Ok);
  CHECK(t.alg == Alg::RS512);
  CHECK(t.kid.empty());
  CHECK(t.aud == std::vector<std::string>{"a", "b!"});
  CHECK_FALSE(t.exp);
  CHECK_FALSE(t.nbf);
  CHECK_FALSE(t.iat);

  REQUIRE(decode(token_with(R"({"alg":"HS256"})", R"({"aud":[],"exp":-1.9,"nbf":0.5})"), t) ==
          Check::Ok);
  CHECK(t.aud.empty());
  CHECK(t.exp == -1);
  CHECK(t.nbf == 0);

  REQUIRE(decode(token_with(R"({"alg":"HS256"})", R"({"exp":9223372036854775807,"iat":17E8})"),
                 t) == Check::Ok);
  CHECK(t.exp == std::numeric_limits<int64_t>::max());
  CHECK(t.iat == 1700000000);

  // Decoding again starts from a clean token.
  REQUIRE(decode(token_with(R"({"alg":"HS256"})", "{}"), t) == Check::Ok);
  CHECK(t.iss.empty());
  CHECK(t.aud.empty());
  CHECK_FALSE(t.iat);
}

TEST_CASE("jwt token: claim renders top-level claims as text", "[jwt]") {
  Token t;
  REQUIRE(decode(token_with(R"({"alg":"HS256"})",
                            R"({"sub":"user-1","name":"Ann \"A\" caf\u00e9","admin":true,)"
                            R"("off":false,"n":12.5,"big":1e3,"tenant":42,"nested":{"a":1},)"
                            R"("list":["x"],"nul":null,"empty":""})"),
                 t) == Check::Ok);
  CHECK(t.claim("sub") == "user-1");
  CHECK(t.claim("name") == "Ann \"A\" caf\xc3\xa9");
  CHECK(t.claim("admin") == "true");
  CHECK(t.claim("off") == "false");
  CHECK(t.claim("n") == "12.5");
  CHECK(t.claim("big") == "1e3");
  CHECK(t.claim("tenant") == "42");
  CHECK(t.claim("empty") == "");
  CHECK_FALSE(t.claim("nested"));
  CHECK_FALSE(t.claim("list"));
  CHECK_FALSE(t.claim("nul"));
  CHECK_FALSE(t.claim("missing"));
  CHECK_FALSE(t.claim("a"));  // only top-level members
  CHECK_FALSE(t.claim(""));
  CHECK_FALSE(Token{}.claim("sub"));
}

TEST_CASE("jwt token: the issuer must match exactly when configured", "[jwt]") {
  Token t;
  t.exp = 2000;
  ClaimRules rules;
  CHECK(check_claims(t, rules, 1000) == Check::Ok);  // any issuer, even none
  rules.issuer = "https://issuer.example/";
  CHECK(check_claims(t, rules, 1000) == Check::BadIssuer);
  t.iss = "https://issuer.example/";
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  for (const char* other : {"https://issuer.example", "https://ISSUER.example/",
                            "https://issuer.example/ ", "https://issuer.example/x"}) {
    t.iss = other;
    INFO(other);
    CHECK(check_claims(t, rules, 1000) == Check::BadIssuer);
  }
}

TEST_CASE("jwt token: the token needs one of the configured audiences", "[jwt]") {
  Token t;
  t.exp = 2000;
  ClaimRules rules;
  t.aud = {"anything"};
  CHECK(check_claims(t, rules, 1000) == Check::Ok);  // not checked
  rules.audiences = {"api", "ws"};
  t.aud = {"ws"};
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  t.aud = {"other", "api"};
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  t.aud = {"other"};
  CHECK(check_claims(t, rules, 1000) == Check::BadAudience);
  t.aud = {"API", "ws "};
  CHECK(check_claims(t, rules, 1000) == Check::BadAudience);
  t.aud = {};
  CHECK(check_claims(t, rules, 1000) == Check::BadAudience);

  // Through decode: a string aud and an array aud.
  Token d;
  REQUIRE(decode(token_with(R"({"alg":"HS256"})", R"({"exp":2000,"aud":"ws"})"), d) == Check::Ok);
  CHECK(check_claims(d, rules, 1000) == Check::Ok);
  REQUIRE(decode(token_with(R"({"alg":"HS256"})", R"({"exp":2000,"aud":["x","y"]})"), d) ==
          Check::Ok);
  CHECK(check_claims(d, rules, 1000) == Check::BadAudience);
}

TEST_CASE("jwt token: exp, nbf and iat against now and the leeway, at the edges", "[jwt]") {
  ClaimRules rules;
  Token t;
  const int64_t now = 1000;

  t.exp = now + 1;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.exp = now;
  CHECK(check_claims(t, rules, now) == Check::Expired);
  t.exp = now - 1;
  CHECK(check_claims(t, rules, now) == Check::Expired);

  rules.leeway_seconds = 30;
  t.exp = now - 29;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.exp = now - 30;
  CHECK(check_claims(t, rules, now) == Check::Expired);

  t.exp = now + 3600;
  rules.leeway_seconds = 0;
  t.nbf = now;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.nbf = now + 1;
  CHECK(check_claims(t, rules, now) == Check::NotYetValid);
  rules.leeway_seconds = 30;
  t.nbf = now + 30;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.nbf = now + 31;
  CHECK(check_claims(t, rules, now) == Check::NotYetValid);
  t.nbf.reset();

  rules.leeway_seconds = 0;
  t.iat = now;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.iat = now - 100000;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.iat = now + 1;
  CHECK(check_claims(t, rules, now) == Check::NotYetValid);
  rules.leeway_seconds = 30;
  t.iat = now + 30;
  CHECK(check_claims(t, rules, now) == Check::Ok);
  t.iat = now + 31;
  CHECK(check_claims(t, rules, now) == Check::NotYetValid);

  // A negative leeway counts as none.
  rules.leeway_seconds = -100;
  t.iat.reset();
  t.exp = now + 1;
  CHECK(check_claims(t, rules, now) == Check::Ok);
}

TEST_CASE("jwt token: a missing exp is Malformed unless exp is optional", "[jwt]") {
  Token t;
  ClaimRules rules;
  CHECK(check_claims(t, rules, 1000) == Check::Malformed);
  rules.require_exp = false;
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  t.nbf = 2000;
  CHECK(check_claims(t, rules, 1000) == Check::NotYetValid);
}

TEST_CASE("jwt token: extreme times and leeways do not overflow", "[jwt]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  Token t;
  ClaimRules rules;
  rules.leeway_seconds = kMax;
  t.exp = kMax;
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  CHECK(check_claims(t, rules, kMin) == Check::Ok);
  t.nbf = kMax;
  t.iat = kMax;
  CHECK(check_claims(t, rules, 1000) == Check::Ok);
  t.iat.reset();
  t.exp = kMin;
  CHECK(check_claims(t, rules, 1000) == Check::Expired);  // kMin + kMax is -1
  rules.leeway_seconds = 0;
  t.nbf.reset();
  t.exp = kMax;
  CHECK(check_claims(t, rules, kMax) == Check::Expired);
  t.exp = kMin;
  CHECK(check_claims(t, rules, kMin) == Check::Expired);
}

TEST_CASE("jwt token: a decoded token runs through the claim checks", "[jwt]") {
  const mint::MintKey& key = mint::key_for(Alg::ES384);
  const auto set = public_set(key);
  const std::string compact =
      mint::mint(Alg::ES384, key,
                 R"({"iss":"https://id.example","aud":["ws"],"iat":990,"nbf":995,"exp":1100.9})");
  Token t;
  REQUIRE(decode(compact, t) == Check::Ok);
  REQUIRE(verify_signature(t, set->keys[0]));
  ClaimRules rules;
  rules.issuer = "https://id.example";
  rules.audiences = {"ws"};
  CHECK(check_claims(t, rules, 995) == Check::Ok);
  CHECK(check_claims(t, rules, 994) == Check::NotYetValid);
  CHECK(check_claims(t, rules, 1099) == Check::Ok);
  CHECK(check_claims(t, rules, 1100) == Check::Expired);
  rules.leeway_seconds = 5;
  CHECK(check_claims(t, rules, 990) == Check::Ok);
  CHECK(check_claims(t, rules, 1104) == Check::Ok);
  CHECK(check_claims(t, rules, 1105) == Check::Expired);
}

TEST_CASE("jwt token: hostile tokens never crash decode or verification", "[jwt]") {
  std::mt19937 rng(21);
  std::vector<std::pair<std::string, std::shared_ptr<const KeySet>>> seeds;
  for (Alg alg : mint::all_algs())
    seeds.emplace_back(mint::mint(alg, mint::key_for(alg), kPayload),
                       public_set(mint::key_for(alg)));
  std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  alphabet += '\0';
  alphabet += '\xff';
  for (int round = 0; round < 20000; ++round) {
    const auto& [seed, keys] = seeds[rng() % seeds.size()];
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        default:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
    }
    Token t;
    if (decode(s, t) == Check::Ok) {
      for (const Key& key : keys->keys)
        (void)verify_signature(t, key);
      (void)t.claim("sub");
      (void)check_claims(t, ClaimRules{}, 1000);
    }
  }

  // Random JSON-ish headers and payloads, properly encoded.
  const std::string json_chars = "{}[]:,\"\\0123456789.eE+-truefalsnul algkidexpaudHS256\xc3\xa9";
  for (int round = 0; round < 20000; ++round) {
    std::string h(rng() % 40, ' ');
    std::string p(rng() % 40, ' ');
    for (char& c : h)
      c = json_chars[rng() % json_chars.size()];
    for (char& c : p)
      c = json_chars[rng() % json_chars.size()];
    if (round % 2) h = R"({"alg":"HS256",)" + h;
    if (round % 3) p = R"({"aud":[)" + p;
    Token t;
    const std::string s = mint::b64url(h) + "." + mint::b64url(p) + "." + mint::b64url("sig");
    if (decode(s, t) == Check::Ok) {
      (void)verify_signature(t, hmac_key_set("k")->keys[0]);
      (void)t.claim("aud");
    }
  }
}
