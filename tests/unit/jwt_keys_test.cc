#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "filters/jwt/keys.h"
#include "tests/unit/jwt_mint.h"

using holdfast::filters::jwt::Alg;
using holdfast::filters::jwt::alg_name;
using holdfast::filters::jwt::hmac_key_set;
using holdfast::filters::jwt::is_hmac;
using holdfast::filters::jwt::Key;
using holdfast::filters::jwt::KeySet;
using holdfast::filters::jwt::parse_alg;
using holdfast::filters::jwt::parse_jwks;
namespace mint = holdfast::test::jwt;

namespace {

std::shared_ptr<const KeySet> parse_ok(const std::string& json,
                                       std::vector<std::string>* skipped = nullptr) {
  std::string error;
  auto set = parse_jwks(json, error, skipped);
  INFO(error);
  REQUIRE(set);
  CHECK(error.empty());
  return set;
}

// The one reason a JWKS of one key gives for skipping it.
std::string skip_reason(const std::string& key_json) {
  std::vector<std::string> skipped;
  auto set = parse_ok(mint::jwks({key_json}), &skipped);
  CHECK(set->keys.empty());
  REQUIRE(skipped.size() == 1);
  return skipped[0];
}

std::vector<Alg> fitting(const Key& key) {
  std::vector<Alg> out;
  for (Alg alg : mint::all_algs())
    if (key.fits(alg)) out.push_back(alg);
  return out;
}

}  // namespace

TEST_CASE("jwt keys: algorithm names round trip, none and unknown names are not algorithms",
          "[jwt]") {
  for (Alg alg : mint::all_algs()) {
    INFO(alg_name(alg));
    CHECK(parse_alg(alg_name(alg)) == alg);
  }
  CHECK(alg_name(Alg::EdDSA) == "EdDSA");
  CHECK(alg_name(Alg::PS384) == "PS384");
  for (const char* bad : {"none", "None", "NONE", "", "hs256", "HS1024", "RS256 ", "ES256K",
                          "Ed25519", "RSA-OAEP", "dir"}) {
    INFO(bad);
    CHECK_FALSE(parse_alg(bad));
  }
  CHECK(is_hmac(Alg::HS256));
  CHECK(is_hmac(Alg::HS384));
  CHECK(is_hmac(Alg::HS512));
  CHECK_FALSE(is_hmac(Alg::RS256));
  CHECK_FALSE(is_hmac(Alg::EdDSA));
}

TEST_CASE("jwt keys: a JWKS of RSA, EC, OKP and oct keys parses into keys that fit their algs",
          "[jwt]") {
  const auto set = parse_ok(mint::jwks({
      mint::jwk(mint::key_for(Alg::RS256), "rsa"),
      mint::jwk(mint::key_for(Alg::ES256), "p256"),
      mint::jwk(mint::key_for(Alg::ES384), "p384"),
      mint::jwk(mint::key_for(Alg::ES512), "p521"),
      mint::jwk(mint::key_for(Alg::EdDSA), "ed"),
      mint::jwk(mint::key_for(Alg::HS256), "oct"),
  }));
  REQUIRE(set->keys.size() == 6);
  const auto& k = set->keys;
  CHECK(k[0].type == Key::Type::Rsa);
  CHECK(k[1].type == Key::Type::Ec);
  CHECK(k[4].type == Key::Type::Okp);
  CHECK(k[5].type == Key::Type::Oct);
  CHECK(k[5].secret == mint::key_for(Alg::HS256).secret);
  CHECK(k[0].kid == "rsa");
  CHECK_FALSE(k[0].alg);

  using V = std::vector<Alg>;
  CHECK(fitting(k[0]) == V{Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::PS384, Alg::PS512});
  CHECK(fitting(k[1]) == V{Alg::ES256});
  CHECK(fitting(k[2]) == V{Alg::ES384});
  CHECK(fitting(k[3]) == V{Alg::ES512});
  CHECK(fitting(k[4]) == V{Alg::EdDSA});
  CHECK(fitting(k[5]) == V{Alg::HS256, Alg::HS384, Alg::HS512});
}

TEST_CASE("jwt keys: a JWK's own alg must equal the token's", "[jwt]") {
  const auto set = parse_ok(mint::jwks({
      mint::jwk(mint::key_for(Alg::RS256), "rsa-ps", "PS256", "sig"),
      mint::jwk(mint::key_for(Alg::HS256), "oct-384", "HS384"),
      mint::jwk(mint::key_for(Alg::RS256), "rsa-hs", "HS256"),  // parses, but fits nothing
  }));
  REQUIRE(set->keys.size() == 3);
  CHECK(set->keys[0].alg == Alg::PS256);
  CHECK(fitting(set->keys[0]) == std::vector<Alg>{Alg::PS256});
  CHECK(fitting(set->keys[1]) == std::vector<Alg>{Alg::HS384});
  CHECK(fitting(set->keys[2]).empty());
}

TEST_CASE("jwt keys: an RSA key under 2048 bits does not fit", "[jwt]") {
  const mint::MintKey small = mint::rsa_key(1024);
  const auto set = parse_ok(mint::jwks({mint::jwk(small, "small", "RS256")}));
  REQUIRE(set->keys.size() == 1);
  CHECK(set->keys[0].type == Key::Type::Rsa);
  CHECK(fitting(set->keys[0]).empty());
  CHECK(set->has_kid("small"));
  CHECK(set->candidates("small", Alg::RS256).empty());
  CHECK(set->candidates("", Alg::RS256).empty());
}

TEST_CASE("jwt keys: a key built by hand fits only when its EVP key agrees with its type",
          "[jwt]") {
  Key rsa_typed_ec;
  rsa_typed_ec.type = Key::Type::Rsa;
  std::string error;
  auto ec = parse_jwks(mint::jwks({mint::jwk(mint::key_for(Alg::ES256), "")}), error);
  REQUIRE(ec);
  REQUIRE(ec->keys.size() == 1);
  rsa_typed_ec.pkey.reset(ec->keys[0].pkey.get());
  EVP_PKEY_up_ref(rsa_typed_ec.pkey.get());
  CHECK(fitting(rsa_typed_ec).empty());

  Key empty_secret;
  empty_secret.type = Key::Type::Oct;
  CHECK(fitting(empty_secret).empty());
  Key no_pkey;
  no_pkey.type = Key::Type::Okp;
  CHECK(fitting(no_pkey).empty());
}

TEST_CASE("jwt keys: candidates filter by kid and alg, has_kid finds any key", "[jwt]") {
  const auto set = parse_ok(mint::jwks({
      mint::jwk(mint::key_for(Alg::RS256, 0), "a"),
      mint::jwk(mint::key_for(Alg::RS256, 1), "b"),
      mint::jwk(mint::key_for(Alg::ES256), "a"),
      mint::jwk(mint::key_for(Alg::EdDSA), ""),
  }));
  REQUIRE(set->keys.size() == 4);
  CHECK(set->candidates("a", Alg::RS256) == std::vector<const Key*>{&set->keys[0]});
  CHECK(set->candidates("a", Alg::ES256) == std::vector<const Key*>{&set->keys[2]});
  CHECK(set->candidates("b", Alg::PS512) == std::vector<const Key*>{&set->keys[1]});
  CHECK(set->candidates("", Alg::RS256) == std::vector<const Key*>{&set->keys[0], &set->keys[1]});
  CHECK(set->candidates("", Alg::EdDSA) == std::vector<const Key*>{&set->keys[3]});
  CHECK(set->candidates("a", Alg::EdDSA).empty());
  CHECK(set->candidates("c", Alg::RS256).empty());
  CHECK(set->candidates("a", Alg::HS256).empty());
  CHECK(set->has_kid("a"));
  CHECK(set->has_kid("b"));
  CHECK_FALSE(set->has_kid("c"));
}

TEST_CASE("jwt keys: hmac_key_set holds one oct key without a kid", "[jwt]") {
  const auto set = hmac_key_set("s3cret");
  REQUIRE(set->keys.size() == 1);
  CHECK(set->keys[0].type == Key::Type::Oct);
  CHECK(set->keys[0].secret == "s3cret");
  CHECK(set->keys[0].kid.empty());
  CHECK(set->candidates("", Alg::HS512).size() == 1);
  CHECK(set->candidates("", Alg::RS256).empty());
  CHECK(hmac_key_set("")->candidates("", Alg::HS256).empty());
}

TEST_CASE("jwt keys: JWKS members escaped in JSON are read decoded", "[jwt]") {
  const auto set = parse_ok(
      R"({"keys":[{"k\u0074y":"oct","k":"c2VjcmV0","kid":"caf\u00e9","us\u0065":"sig"}]})");
  REQUIRE(set->keys.size() == 1);
  CHECK(set->keys[0].secret == "secret");
  CHECK(set->keys[0].kid == "caf\xc3\xa9");
}

TEST_CASE("jwt keys: unusable JWKs are skipped with a reason", "[jwt]") {
  const std::string rsa = mint::jwk(mint::key_for(Alg::RS256), "");
  const std::string n = rsa.substr(rsa.find(R"("n":)"), rsa.find(R"(,"e")") - rsa.find(R"("n":)"));

  CHECK(skip_reason(mint::jwk(mint::key_for(Alg::RS256), "enc-key", "", "enc")) ==
        R"(key 0 (kid "enc-key"): "use" is "enc", not "sig")");
  CHECK(skip_reason(R"({"kty":"EC","crv":"P-192","x":"AA","y":"AA"})") ==
        R"(key 0: unsupported EC curve "P-192")");
  CHECK(skip_reason(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})") ==
        R"(key 0: unsupported EC curve "secp256k1")");
  CHECK(skip_reason(R"({"kty":"OKP","crv":"Ed448","x":"AA"})") ==
        R"(key 0: unsupported OKP curve "Ed448")");
  CHECK(skip_reason(R"({"kty":"OKP","crv":"X25519","x":"AA"})") ==
        R"(key 0: unsupported OKP curve "X25519")");
  CHECK(skip_reason(R"({"kty":"DSA","kid":"d"})") == R"(key 0 (kid "d"): unsupported kty "DSA")");
  CHECK(skip_reason(R"({"kid":"x"})") == R"(key 0 (kid "x"): no "kty")");
  CHECK(skip_reason(R"({"kty":"RSA","e":"AQAB"})") == R"(key 0: no "n")");
  CHECK(skip_reason("{" + n + "}") == R"(key 0: no "kty")");
  CHECK(skip_reason(R"({"kty":"RSA",)" + n + "}") == R"(key 0: no "e")");
  CHECK(skip_reason(R"({"kty":"EC","x":"AA","y":"AA"})") == R"(key 0: no "crv")");
  CHECK(skip_reason(R"({"kty":"OKP","crv":"Ed25519"})") == R"(key 0: no "x")");
  CHECK(skip_reason(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})") ==
        R"(key 0: "x" is not 32 bytes)");
  CHECK(skip_reason(R"({"kty":"oct"})") == R"(key 0: no "k")");
  CHECK(skip_reason(R"({"kty":"oct","k":""})") ==
        R"(key 0: "k" is not a non-empty base64url value)");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2VjcmV0=="})") ==
        R"(key 0: "k" is not a non-empty base64url value)");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2Vj+mV0"})") ==
        R"(key 0: "k" is not a non-empty base64url value)");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2VjcmV0","alg":"HS1024"})") ==
        R"(key 0: unsupported alg "HS1024")");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2VjcmV0","alg":"none"})") ==
        R"(key 0: unsupported alg "none")");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2VjcmV0","key_ops":["encrypt"]})") ==
        R"(key 0: "key_ops" does not allow "verify")");
  CHECK(skip_reason(R"({"kty":"oct","k":"c2VjcmV0","kty":"oct"})") ==
        R"(key 0: member "kty" appears twice)");
  CHECK(skip_reason(R"({"kty":1,"k":"c2VjcmV0"})") == R"(key 0: "kty" is not a string)");
  CHECK(skip_reason(R"({"kty":"RSA","n":"AQAA","e":"AQAB"})") ==
        R"(key 0: the modulus is not usable)");
  CHECK(skip_reason(R"({"kty":"RSA",)" + n + R"(,"e":"AQAA"})") ==
        R"(key 0: the exponent is not usable)");
  CHECK(skip_reason(R"({"kty":"RSA",)" + n + R"(,"e":"AQ"})") ==
        R"(key 0: the exponent is not usable)");
  CHECK(skip_reason("[]") == "key 0: not a JSON object");
  CHECK(skip_reason(R"("RSA")") == "key 0: not a JSON object");

  // Accepted: key_ops naming verify, use sig.
  std::vector<std::string> skipped;
  CHECK(parse_ok(mint::jwks({R"({"kty":"oct","k":"c2VjcmV0","key_ops":["sign","verify"]})"}),
                 &skipped)
            ->keys.size() == 1);
  CHECK(skipped.empty());
}

TEST_CASE("jwt keys: an EC point that is not on the curve is skipped", "[jwt]") {
  const std::string ec = mint::jwk(mint::key_for(Alg::ES256), "k");
  // Change one character of y: the point leaves the curve.
  std::string bad = ec;
  const size_t y = bad.find(R"("y":")") + 5;
  bad[y + 3] = bad[y + 3] == 'A' ? 'B' : 'A';
  CHECK(skip_reason(bad) == R"(key 0 (kid "k"): (x, y) is not a point on P-256)");
  // x and y of another curve's size.
  const std::string p384 = mint::jwk(mint::key_for(Alg::ES384), "k");
  std::string mixed = p384;
  mixed.replace(mixed.find("P-384"), 5, "P-256");
  CHECK(skip_reason(mixed) == R"(key 0 (kid "k"): "x" is too long for P-256)");
  CHECK(skip_reason(R"({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})") ==
        "key 0: (x, y) is not a point on P-256");
}

TEST_CASE("jwt keys: usable keys are kept next to skipped ones, and the count follows the array",
          "[jwt]") {
  std::vector<std::string> skipped;
  const auto set = parse_ok(mint::jwks({
                                R"({"kty":"oct","k":"c2VjcmV0","use":"enc"})",
                                mint::jwk(mint::key_for(Alg::EdDSA), "good"),
                                R"({"kty":"unknown"})",
                            }),
                            &skipped);
  REQUIRE(set->keys.size() == 1);
  CHECK(set->keys[0].kid == "good");
  CHECK(skipped == std::vector<std::string>{R"(key 0: "use" is "enc", not "sig")",
                                            R"(key 2: unsupported kty "unknown")"});
  // Without a place for reasons, keys are still skipped.
  std::string error;
  CHECK(parse_jwks(mint::jwks({R"({"kty":"unknown"})"}), error)->keys.empty());
}

TEST_CASE("jwt keys: hostile kids are quoted in skip reasons", "[jwt]") {
  const std::string reason = skip_reason(R"({"kty":"?","kid":"a\nb\u0000\"c"})");
  CHECK(reason == R"(key 0 (kid "a\nb\u0000\"c"): unsupported kty "?")");
  const std::string long_kid(300, 'k');
  const std::string reason2 = skip_reason(R"({"kty":"?","kid":")" + long_kid + R"("})");
  CHECK(reason2.size() < 120);
}

TEST_CASE("jwt keys: a document that is not a JWKS is an error", "[jwt]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "the JWKS is not a JSON object"},
      {"not json", "the JWKS is not a JSON object"},
      {"[]", "the JWKS is not a JSON object"},
      {R"({"keys":[]} x)", "the JWKS is not a JSON object"},
      {R"({"keys":[})", "the JWKS is not a JSON object"},
      {"{}", R"(the JWKS has no "keys")"},
      {R"({"kty":"RSA","n":"AQAB","e":"AQAB"})", R"(the JWKS has no "keys")"},
      {R"({"keys":{}})", R"(the JWKS's "keys" is not an array)"},
      {R"({"keys":null})", R"(the JWKS's "keys" is not an array)"},
      {R"({"keys":[],"keys":[]})", R"(the JWKS has "keys" twice)"},
  };
  for (const auto& [doc, want] : cases) {
    INFO(doc);
    std::string error;
    CHECK_FALSE(parse_jwks(doc, error));
    CHECK(error == want);
  }
  std::string error;
  const auto empty = parse_jwks(R"( {"keys":[],"other":1} )", error);
  REQUIRE(empty);
  CHECK(empty->keys.empty());
}
