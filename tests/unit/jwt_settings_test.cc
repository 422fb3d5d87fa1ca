// The `jwt` filter's settings: what a good entry becomes, and the exact line for each mistake.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "filters/jwt/extract.h"
#include "filters/jwt/settings.h"
#include "tests/unit/config_test_support.h"

namespace {

using holdfast::config::load_string;
using holdfast::config::testing::Errors;
using holdfast::config::testing::errors;
using holdfast::filters::jwt::Alg;
using holdfast::filters::jwt::Key;
using holdfast::filters::jwt::Settings;
using holdfast::filters::jwt::TokenSource;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// An RSA key (kid r1, RS256) and a P-256 key (kid e1).
constexpr std::string_view kJwks =
    R"({"keys":[{"kty":"RSA","n":"0szVcOHMhZZd62K-9WUaywE4XutsXdEUVwZyy1DPEfQZnbhm6FUT0q1HHb7HEUS6wlwWZtxBh_UJTnJLqSe8dspeIQYh8rk9YIl4Jl1vt10Z1cyhfYcm5-dyR2TI0vCq9P53WTYiPsCi08coHZIwkoZjwJBUqhsx_sZDZsShOS5E3wc30aXHLXjVs9uH5y39V--naXDN6e4QEujhylYiIYNtZguuh3pJaxEsK6q0G3co1q26RJfJVR_f3aLF22COtZMNKV49LjnQ3tIHBbd76bOYogfZvnuTW6nFlTECKZtFIx9Q8CSmEkuLpgPGm6g0zih7lrN_ciosjQuadjcbBw","e":"AQAB","kid":"r1","alg":"RS256","use":"sig"},)"
    R"({"kty":"EC","crv":"P-256","x":"jfcLXZJDX3eGgBZ3wH_DEK71H-baUzSiJCyfdSqJUXg","y":"24HiWFFDG6NMvj3uOdvJYnY760kO6t-VcQvhhCAbWf8","kid":"e1"}]})";

// A route with one jwt entry whose settings are `jwt` (a flow map or block lines indented by 14).
std::string route_with(std::string_view jwt) {
  return std::string(R"(listeners:
  - address: 127.0.0.1:8080
    routes:
      - name: a
        path: /a
        upstream: { echo: {} }
        filters:
          - jwt:)") +
         std::string(jwt) + "\n";
}

std::shared_ptr<const Settings> load(const std::string& yaml) {
  const auto result = load_string(yaml, "holdfast.yaml");
  for (const auto& e : result.errors)
    INFO(e.to_string());
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  const auto& filters = result.config->listeners.at(0).routes.at(0)->filters;
  REQUIRE(filters.size() == 1);
  CHECK(filters[0].name == "jwt");
  return std::dynamic_pointer_cast<const Settings>(filters[0].settings);
}

// A secret that the tests which are not about secrets can name.
const bool kKeySet = ::setenv("HOLDFAST_TEST_JWT_KEY", "0123456789abcdef0123456789abcdef", 1) == 0;

// A file in the temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    path_ = (std::filesystem::temp_directory_path() /
             ("holdfast-jwt-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_)))
                .string();
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

}  // namespace

TEST_CASE("jwt settings: a JWKS url with every default") {
  const auto s = load(route_with(" { jwks: { url: \"https://id.example/jwks.json\" } }"));
  REQUIRE(s);
  CHECK(s->issuer.empty());
  CHECK(s->audiences.empty());
  REQUIRE(s->jwks_url);
  CHECK(s->jwks_url->url == "https://id.example/jwks.json");
  CHECK(s->jwks_url->cache_duration == minutes(10));
  CHECK(s->jwks_url->refetch_interval == seconds(30));
  CHECK(s->jwks_url->timeout == seconds(5));
  CHECK(s->jwks_url->ca_file.empty());
  CHECK_FALSE(s->keys);
  for (Alg alg : {Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::PS384, Alg::PS512,
                  Alg::ES256, Alg::ES384, Alg::ES512, Alg::EdDSA}) {
    CHECK(s->algorithms.has(alg));
  }
  for (Alg alg : {Alg::HS256, Alg::HS384, Alg::HS512})
    CHECK_FALSE(s->algorithms.has(alg));
  CHECK(s->leeway == seconds(30));
  CHECK(s->require_exp);
  CHECK(s->tokens == std::vector<TokenSource>{{TokenSource::Kind::Header, ""},
                                              {TokenSource::Kind::Query, "access_token"}});
  CHECK(s->claims.empty());
  CHECK_FALSE(s->optional);
  CHECK(s->expiry_grace == milliseconds(0));
  CHECK(s->close_on_expiry);
}

TEST_CASE("jwt settings: every key set") {
  const auto s = load(route_with(R"(
              issuer: https://id.example
              audiences: [chat, admin]
              algorithms: [RS256, ES256]
              jwks:
                url: http://127.0.0.1:8000/jwks
                cache_duration: 1h
                refetch_interval: 5s
                timeout: 2s
              leeway: 1m
              require_exp: false
              tokens: [cookie:session, "query:t", protocol, "protocol:bearer.", header]
              claims: { org: "https://example.com/org", tenant: tenant }
              optional: true
              expiry_grace: 5s
              close_on_expiry: false)"));
  REQUIRE(s);
  CHECK(s->issuer == "https://id.example");
  CHECK(s->audiences == std::vector<std::string>{"chat", "admin"});
  CHECK(s->algorithms.has(Alg::RS256));
  CHECK(s->algorithms.has(Alg::ES256));
  CHECK_FALSE(s->algorithms.has(Alg::PS256));
  REQUIRE(s->jwks_url);
  CHECK(s->jwks_url->url == "http://127.0.0.1:8000/jwks");
  CHECK(s->jwks_url->cache_duration == minutes(60));
  CHECK(s->jwks_url->refetch_interval == seconds(5));
  CHECK(s->jwks_url->timeout == seconds(2));
  CHECK(s->leeway == minutes(1));
  CHECK_FALSE(s->require_exp);
  CHECK(s->tokens == std::vector<TokenSource>{{TokenSource::Kind::Cookie, "session"},
                                              {TokenSource::Kind::Query, "t"},
                                              {TokenSource::Kind::Protocol, ""},
                                              {TokenSource::Kind::Protocol, "bearer."},
                                              {TokenSource::Kind::Header, ""}});
  CHECK(s->claims == std::vector<std::pair<std::string, std::string>>{
                         {"org", "https://example.com/org"}, {"tenant", "tenant"}});
  CHECK(s->optional);
  CHECK(s->expiry_grace == seconds(5));
  CHECK_FALSE(s->close_on_expiry);
}

TEST_CASE("jwt settings: claims as a list of names") {
  const auto s = load(
      route_with(R"( { hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }, claims: [tenant, plan2] })"));
  REQUIRE(s);
  CHECK(s->claims ==
        std::vector<std::pair<std::string, std::string>>{{"tenant", "tenant"}, {"plan2", "plan2"}});
}

TEST_CASE("jwt settings: an inline JWKS and a JWKS file are parsed at load") {
  SECTION("inline") {
    const auto s = load(route_with(" { jwks: { inline: '" + std::string(kJwks) + "' } }"));
    REQUIRE(s);
    CHECK_FALSE(s->jwks_url);
    REQUIRE(s->keys);
    CHECK(s->keys->keys.size() == 2);
    CHECK(s->keys->has_kid("r1"));
    CHECK(s->keys->has_kid("e1"));
  }
  SECTION("file") {
    TempFile file(kJwks);
    const auto s = load(route_with(" { jwks: { file: \"" + file.path() + "\" } }"));
    REQUIRE(s);
    REQUIRE(s->keys);
    CHECK(s->keys->keys.size() == 2);
  }
}

TEST_CASE("jwt settings: an HMAC secret from the environment or a file") {
  SECTION("environment") {
    ::setenv("HOLDFAST_TEST_JWT_SECRET", "s3cret-s3cret-s3cret-s3cret-s3cret", 1);
    const auto s = load(route_with(" { hmac_secret: { env: HOLDFAST_TEST_JWT_SECRET } }"));
    ::unsetenv("HOLDFAST_TEST_JWT_SECRET");
    REQUIRE(s);
    REQUIRE(s->keys);
    REQUIRE(s->keys->keys.size() == 1);
    CHECK(s->keys->keys[0].type == Key::Type::Oct);
    CHECK(s->keys->keys[0].secret == "s3cret-s3cret-s3cret-s3cret-s3cret");
    for (Alg alg : {Alg::HS256, Alg::HS384, Alg::HS512})
      CHECK(s->algorithms.has(alg));
    CHECK_FALSE(s->algorithms.has(Alg::RS256));
    CHECK_FALSE(s->algorithms.has(Alg::EdDSA));
  }
  SECTION("file: one trailing line ending is not part of the secret") {
    TempFile file("from-a-file\n");
    const auto s = load(
        route_with(" { hmac_secret: { file: \"" + file.path() + "\" }, algorithms: [HS512] }"));
    REQUIRE(s);
    REQUIRE(s->keys);
    CHECK(s->keys->keys.at(0).secret == "from-a-file");
    CHECK(s->algorithms.has(Alg::HS512));
    CHECK_FALSE(s->algorithms.has(Alg::HS256));
  }
}

TEST_CASE("jwt settings: keys and types and required choices") {
  CHECK(errors(route_with(R"(
              issuer: [a]
              audience: chat
              optional: maybe
              leeway: 1h)")) ==
        Errors{
            "holdfast.yaml:9:15: filters[0].jwt needs exactly one of jwks or hmac_secret; "
            "found none",
            "holdfast.yaml:9:23: expected a string for 'filters[0].jwt.issuer', got a sequence",
            "holdfast.yaml:10:15: unknown key 'audience' in filters[0].jwt; expected one of: "
            "issuer, audiences, algorithms, jwks, hmac_secret, leeway, require_exp, tokens, "
            "claims, optional, expiry_grace, close_on_expiry",
            "holdfast.yaml:11:25: invalid boolean 'maybe' for 'filters[0].jwt.optional'; "
            "expected true or false",
            "holdfast.yaml:12:23: filters[0].jwt.leeway must be between 0 and 10m, got 1h",
        });
  CHECK(errors(route_with(R"( { jwks: { url: "https://a.example" }, hmac_secret: { env: X } })")) ==
        Errors{"holdfast.yaml:8:56: filters[0].jwt needs exactly one of jwks or hmac_secret; "
               "found jwks and hmac_secret"});
  CHECK(errors(route_with(" [RS256]")) ==
        Errors{"holdfast.yaml:8:18: expected a map for 'filters[0].jwt', got a sequence"});
}

TEST_CASE("jwt settings: algorithms") {
  CHECK(errors(route_with(R"(
              jwks: { url: "https://id.example/jwks" }
              algorithms: [RS256, none, HS257])")) ==
        Errors{
            "holdfast.yaml:10:35: algorithm 'none' for 'filters[0].jwt.algorithms[1]' is not "
            "allowed; unsigned tokens are always refused",
            "holdfast.yaml:10:41: unknown algorithm 'HS257' for 'filters[0].jwt.algorithms[2]'; "
            "expected HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, "
            "ES384, ES512 or EdDSA",
        });
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              algorithms: [HS256, RS256])")) ==
        Errors{"holdfast.yaml:10:35: algorithm 'RS256' for 'filters[0].jwt.algorithms[1]' needs a "
               "public key, but the key is hmac_secret; expected HS256, HS384 or HS512"});
  CHECK(errors(route_with(R"(
              jwks: { url: "https://id.example/jwks" }
              algorithms: [])")) ==
        Errors{"holdfast.yaml:10:27: expected at least one algorithm for "
               "'filters[0].jwt.algorithms', got an empty sequence"});
}

TEST_CASE("jwt settings: the jwks source") {
  CHECK(errors(route_with(R"(
              jwks: { cache_duration: 1m })")) ==
        Errors{"holdfast.yaml:9:21: filters[0].jwt.jwks needs exactly one of url, file or "
               "inline; found none"});
  CHECK(errors(route_with(R"(
              jwks: { url: "https://a.example/k", file: /etc/jwks.json })")) ==
        Errors{"holdfast.yaml:9:51: filters[0].jwt.jwks needs exactly one of url, file or "
               "inline; found url and file"});
  CHECK(errors(route_with(R"(
              jwks:
                inline: '{"keys":[]}'
                timeout: 1s
                ca_file: /etc/ssl/ca.pem)")) ==
        Errors{
            "holdfast.yaml:10:25: the JWKS for 'filters[0].jwt.jwks.inline' has no usable key",
            "holdfast.yaml:11:17: 'timeout' in filters[0].jwt.jwks applies only to a JWKS url, "
            "not to inline",
            "holdfast.yaml:12:17: 'ca_file' in filters[0].jwt.jwks applies only to a JWKS url, "
            "not to inline",
        });
  CHECK(errors(route_with(R"(
              jwks:
                url: ftp://id.example/jwks
                cache_duration: 1s
                refetch_interval: 2h
                timeout: 30s
                ca_file: /nonexistent/ca.pem)")) ==
        Errors{
            "holdfast.yaml:10:22: invalid JWKS url 'ftp://id.example/jwks' for "
            "'filters[0].jwt.jwks.url'; expected http:// or https:// and a host (e.g. "
            "https://id.example/.well-known/jwks.json)",
            "holdfast.yaml:11:33: filters[0].jwt.jwks.cache_duration must be between 10s and 24h, "
            "got 1s",
            "holdfast.yaml:12:35: filters[0].jwt.jwks.refetch_interval must be between 1s and 1h, "
            "got 2h",
            "holdfast.yaml:13:26: filters[0].jwt.jwks.timeout must be between 100ms and 10s, got "
            "30s",
            "holdfast.yaml:14:26: cannot read the CA file '/nonexistent/ca.pem' for "
            "'filters[0].jwt.jwks.ca_file': No such file or directory",
        });
}

TEST_CASE("jwt settings: a bad JWKS is refused at load") {
  CHECK(errors(route_with(R"(
              jwks: { inline: "not json" })")) ==
        Errors{"holdfast.yaml:9:31: invalid JWKS for 'filters[0].jwt.jwks.inline': the JWKS is "
               "not a JSON object"});
  CHECK(errors(route_with(R"(
              jwks: { inline: '{"keys":{}}' })")) ==
        Errors{"holdfast.yaml:9:31: invalid JWKS for 'filters[0].jwt.jwks.inline': the JWKS's "
               "\"keys\" is not an array"});
  CHECK(errors(route_with(R"(
              jwks: { file: /nonexistent/jwks.json })")) ==
        Errors{"holdfast.yaml:9:29: cannot read the JWKS file '/nonexistent/jwks.json' for "
               "'filters[0].jwt.jwks.file': No such file or directory"});
  TempFile garbage(R"({"keys":[{"kty":"RSA","kid":"x"}]})");
  const auto lines = errors(route_with(" { jwks: { file: \"" + garbage.path() + "\" } }"));
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  // The reason after "key 0" is the JWK parser's own.
  CHECK(lines[0].starts_with("holdfast.yaml:8:34: the JWKS in '" + garbage.path() +
                             "' for 'filters[0].jwt.jwks.file' has no usable key (key 0 "));
}

TEST_CASE("jwt settings: an HMAC secret that is not there") {
  ::unsetenv("HOLDFAST_TEST_JWT_UNSET");
  ::setenv("HOLDFAST_TEST_JWT_EMPTY", "", 1);
  TempFile empty("\n");
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_UNSET })")) ==
        Errors{"holdfast.yaml:9:35: the environment variable 'HOLDFAST_TEST_JWT_UNSET' for "
               "'filters[0].jwt.hmac_secret.env' is not set"});
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_EMPTY })")) ==
        Errors{"holdfast.yaml:9:35: the environment variable 'HOLDFAST_TEST_JWT_EMPTY' for "
               "'filters[0].jwt.hmac_secret.env' is empty"});
  CHECK(errors(route_with(R"(
              hmac_secret: { file: /nonexistent/secret })")) ==
        Errors{"holdfast.yaml:9:36: cannot read the secret file '/nonexistent/secret' for "
               "'filters[0].jwt.hmac_secret.file': No such file or directory"});
  CHECK(errors(route_with(" { hmac_secret: { file: \"" + empty.path() + "\" } }")) ==
        Errors{"holdfast.yaml:8:41: the secret file '" + empty.path() +
               "' for 'filters[0].jwt.hmac_secret.file' is empty"});
  CHECK(errors(route_with(R"(
              hmac_secret: { env: A, file: /b })")) ==
        Errors{"holdfast.yaml:9:38: filters[0].jwt.hmac_secret needs exactly one of env or file; "
               "found env and file"});
  ::unsetenv("HOLDFAST_TEST_JWT_EMPTY");
}

TEST_CASE("jwt settings: token sources") {
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              tokens: [header, "query:", "form:x", cookie:a b, header])")) ==
        Errors{
            "holdfast.yaml:10:32: invalid token source 'query:' for 'filters[0].jwt.tokens[1]'; "
            "expected header, query:NAME, cookie:NAME, protocol or protocol:PREFIX",
            "holdfast.yaml:10:42: invalid token source 'form:x' for 'filters[0].jwt.tokens[2]'; "
            "expected header, query:NAME, cookie:NAME, protocol or protocol:PREFIX",
            "holdfast.yaml:10:52: invalid token source 'cookie:a b' for "
            "'filters[0].jwt.tokens[3]'; expected header, query:NAME, cookie:NAME, protocol or "
            "protocol:PREFIX",
            "holdfast.yaml:10:64: duplicate token source 'header' in 'filters[0].jwt.tokens'",
        });
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              tokens: [])")) ==
        Errors{"holdfast.yaml:10:23: expected at least one token source for "
               "'filters[0].jwt.tokens', got an empty sequence"});
}

TEST_CASE("jwt settings: claims become metadata names") {
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              claims: [tenant, "https://example.com/org", id, tenant])")) ==
        Errors{
            "holdfast.yaml:10:32: claim 'https://example.com/org' in 'filters[0].jwt.claims' is "
            "not a metadata name; expected lowercase letters and digits, or a map from such a "
            "name to the claim (e.g. { org: \"https://example.com/org\" })",
            "holdfast.yaml:10:59: metadata name 'id' in 'filters[0].jwt.claims' is reserved; "
            "every event already carries that attribute",
            "holdfast.yaml:10:63: duplicate claim 'tenant' in 'filters[0].jwt.claims'",
        });
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              claims: { Org: org, authid: sub, plan: "" })")) ==
        Errors{
            "holdfast.yaml:10:25: invalid metadata name 'Org' in 'filters[0].jwt.claims'; "
            "expected lowercase letters and digits (e.g. org)",
            "holdfast.yaml:10:35: metadata name 'authid' in 'filters[0].jwt.claims' is reserved; "
            "every event already carries that attribute",
            "holdfast.yaml:10:54: expected a non-empty string for "
            "'filters[0].jwt.claims.plan', got an empty string",
        });
  CHECK(errors(route_with(R"(
              hmac_secret: { env: HOLDFAST_TEST_JWT_KEY }
              claims: tenant)")) ==
        Errors{"holdfast.yaml:10:23: expected a sequence of claim names or a map from metadata "
               "name to claim name for 'filters[0].jwt.claims', got a string"});
}

TEST_CASE("jwt settings: each token source finds its token in the request") {
  using holdfast::filters::Request;
  using holdfast::filters::jwt::find_token;
  using holdfast::filters::jwt::looks_like_jws;
  using holdfast::filters::jwt::token_from;
  using Kind = TokenSource::Kind;
  const TokenSource header{Kind::Header, ""};
  const TokenSource query{Kind::Query, "access_token"};
  const TokenSource cookie{Kind::Cookie, "session"};
  const TokenSource protocol{Kind::Protocol, ""};
  const TokenSource prefixed{Kind::Protocol, "token."};

  Request req;
  req.authorization = "bearer   aaa.bbb.ccc  ";
  CHECK(token_from(header, req) == "aaa.bbb.ccc");
  req.authorization = "Basic YWxpY2U6cHc=";
  CHECK(token_from(header, req).empty());
  req.authorization = "Bearer";
  CHECK(token_from(header, req).empty());
  req.authorization = "Bearerx.y.z";
  CHECK(token_from(header, req).empty());

  req.query = "x=1&access_token_2=no&access_token=q.r.s&access_token=later";
  CHECK(token_from(query, req) == "q.r.s");
  req.query = "access_token=";
  CHECK(token_from(query, req).empty());

  req.cookie = "theme=dark; session=\"c.d.e\"; other=1";
  CHECK(token_from(cookie, req) == "c.d.e");
  req.cookie = "sessionx=1;session = f.g.h";
  CHECK(token_from(cookie, req) == "f.g.h");

  req.protocols = "holdfast, not-a-token, abc.def.ghi";
  CHECK(token_from(protocol, req) == "abc.def.ghi");
  CHECK(token_from(prefixed, req).empty());
  req.protocols = "holdfast,token.abc.def.ghi";
  CHECK(token_from(prefixed, req) == "abc.def.ghi");
  req.protocols = "holdfast, token.";
  CHECK(token_from(prefixed, req).empty());

  // The first source that has a token wins, even when a later one has a better token.
  req = Request{};
  req.query = "access_token=from.the.query";
  req.cookie = "session=from.the.cookie";
  CHECK(find_token({header, query, cookie}, req) == "from.the.query");
  CHECK(find_token({cookie, query}, req) == "from.the.cookie");
  CHECK(find_token({header, protocol}, req).empty());

  CHECK(looks_like_jws("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));
  CHECK(looks_like_jws("a-_.b.c"));
  CHECK_FALSE(looks_like_jws("holdfast"));
  CHECK_FALSE(looks_like_jws("a.b"));
  CHECK_FALSE(looks_like_jws("a.b.c.d"));
  CHECK_FALSE(looks_like_jws(".b.c"));
  CHECK_FALSE(looks_like_jws("a..c"));
  CHECK_FALSE(looks_like_jws("a+b.c.d"));
}
