// The jwt filter against a real holdfast: tokens minted by PyJWT (an implementation that shares
// nothing with the proxy), key sets from a file and from an HTTP server the test controls.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>
#include <tuple>

#include "tests/e2e/e2e_support.h"
#include "tests/support/http_stub.h"
#include "tests/support/jwt_mint.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kSpec = R"({
  "keys": [{"kid": "k1", "kty": "RSA"}, {"kid": "k2", "kty": "RSA"},
           {"kid": "e1", "kty": "EC"}, {"kid": "o1", "kty": "OKP"}],
  "jwks": {"static": ["k1", "e1", "o1"], "initial": ["k1"], "rotated": ["k1", "k2"]},
  "hmac": "0123456789abcdef0123456789abcdef",
  "tokens": {
    "tiny": {"key": "hmac", "alg": "HS256", "headers": {"typ": null},
             "claims": {"sub": "frank", "exp_in": 600}},
    "good": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test", "aud": "chat",
             "sub": "alice", "tenant": "acme", "https://issuer.test/plan": "gold",
             "exp_in": 600}},
    "good_es": {"key": "e1", "alg": "ES256", "claims": {"iss": "https://issuer.test",
                "aud": ["other", "chat"], "sub": "bob", "exp_in": 600}},
    "good_ed": {"key": "o1", "alg": "EdDSA", "claims": {"iss": "https://issuer.test",
                "aud": "chat", "sub": "carol", "exp_in": 600}},
    "none": {"alg": "none", "claims": {"iss": "https://issuer.test", "aud": "chat",
             "sub": "mallory", "exp_in": 600}},
    "confused": {"alg": "HS256", "hmac_with_public_pem": "k1", "headers": {"kid": "k1"},
                 "claims": {"iss": "https://issuer.test", "aud": "chat", "sub": "mallory",
                 "exp_in": 600}},
    "wrong_iss": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://evil.test",
                  "aud": "chat", "sub": "alice", "exp_in": 600}},
    "wrong_aud": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test",
                  "aud": "billing", "sub": "alice", "exp_in": 600}},
    "expired": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test",
                "aud": "chat", "sub": "alice", "exp_in": -120}},
    "not_yet": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test",
                "aud": "chat", "sub": "alice", "nbf_in": 300, "exp_in": 600}},
    "no_sub": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test",
               "aud": "chat", "exp_in": 600}},
    "unknown_kid": {"key": "k1", "alg": "RS256", "headers": {"kid": "nope"},
                    "claims": {"iss": "https://issuer.test", "aud": "chat", "sub": "alice",
                    "exp_in": 600}},
    "rotated": {"key": "k2", "alg": "RS256", "claims": {"iss": "https://issuer.test",
                "aud": "chat", "sub": "dave", "exp_in": 600}},
    "short": {"key": "k1", "alg": "RS256", "claims": {"iss": "https://issuer.test",
              "aud": "chat", "sub": "erin", "exp_in": 5}}
  }
})";

constexpr std::string_view kStaticConfig = R"(
instance: e2e-jwt
workers: 2
log: { level: debug }
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: strict
        path: /strict
        filters:
          - jwt:
              issuer: https://issuer.test
              audiences: [chat]
              jwks: { file: "@JWKS@" }
              tokens: [header, "query:access_token", "cookie:session", protocol]
        upstream: { echo: {} }
      - name: sub
        path: /sub
        filters:
          - jwt: { hmac_secret: { env: JWT_TEST_SECRET }, tokens: [protocol] }
        upstream: { echo: {} }
      - name: prefixed
        path: /prefixed
        filters:
          - jwt: { hmac_secret: { env: JWT_TEST_SECRET }, tokens: ["protocol:token."] }
        upstream: { echo: {} }
      - name: short
        path: /short
        filters:
          - jwt: { issuer: https://issuer.test, audiences: [chat], jwks: { file: "@JWKS@" },
                   leeway: 0 }
        upstream: { echo: {} }
)";

constexpr std::string_view kKafkaConfig = R"(
instance: e2e-jwt-kafka
workers: 2
log: { level: debug }
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "@KAFKA@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: users
        path: /users
        filters:
          - jwt:
              issuer: https://issuer.test
              audiences: [chat]
              jwks: { file: "@JWKS@" }
              claims: { tenant: tenant, plan: "https://issuer.test/plan" }
              optional: true
        upstream: { kafka: { topic: "@IN@", key: user } }
        metadata: { org: "{claim.tenant}" }
)";

constexpr std::string_view kUrlConfig = R"(
instance: e2e-jwt-url
workers: 2
log: { level: debug }
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: url
        path: /url
        filters:
          - jwt:
              issuer: https://issuer.test
              audiences: [chat]
              jwks: { url: "@URL@", refetch_interval: 1s, timeout: 1s }
        upstream: { echo: {} }
)";

std::string decisions(std::string_view decision) {
  return R"(holdfast_filter_decisions_total{filter="jwt",decision=")" + std::string(decision) +
         R"("})";
}

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

std::unique_ptr<WsClient> try_connect(const HoldfastProcess& proxy, const std::string& path,
                                      Headers headers = {}) {
  auto ws = std::make_unique<WsClient>();
  WsClient::Options options;
  options.headers = std::move(headers);
  ws->connect("127.0.0.1", proxy.port(), path, options);
  return ws;
}

std::unique_ptr<WsClient> with_token(const HoldfastProcess& proxy, const std::string& path,
                                     const std::string& token) {
  return try_connect(proxy, path, {{"Authorization", bearer(token)}});
}

void expect_echo(WsClient& ws) {
  REQUIRE(ws.send_text("ping"));
  const WsEvent ev = ws.recv(Millis(5000));
  INFO(describe(ev));
  CHECK((ev.kind == WsEvent::Kind::Text && ev.data == "ping"));
}

// A 401 before the upgrade, with the Bearer challenge and the JSON body. `description` empty:
// the challenge for a request without a token.
void expect_401(const WsClient& ws, std::string_view description) {
  const HttpResponse& r = ws.response();
  INFO("status " << r.status << " body " << r.body);
  REQUIRE(r.status == 401);
  const std::string challenge = r.header("WWW-Authenticate").value_or("(none)");
  INFO("WWW-Authenticate: " << challenge);
  if (description.empty()) {
    CHECK(challenge == R"(Bearer realm="holdfast")");
  } else {
    CHECK(challenge == R"(Bearer realm="holdfast", error="invalid_token", error_description=")" +
                           std::string(description) + "\"");
  }
  CHECK(r.body.find(R"("error":"unauthorized")") != std::string::npos);
}

// The server's close frame with `code` and `reason`, then the end of the connection.
void expect_close(WsClient& ws, int code, std::string_view reason, Millis timeout) {
  const WsEvent ev = ws.recv(timeout);
  INFO("expected close " << code << " '" << reason << "', got " << describe(ev));
  CHECK(ev.is_close(code));
  CHECK(ev.close_reason == reason);
  CHECK(ws.wait_eof(Millis(5000)));
}

// No token, nor the signature of one, appears anywhere in what the proxy wrote.
void check_tokens_not_logged(const HoldfastProcess& proxy, const Minted& minted) {
  const std::string log = proxy.log_text();
  CHECK_FALSE(log.empty());
  for (const auto& [name, token] : minted.tokens) {
    INFO("token " << name);
    CHECK(log.find(token) == std::string::npos);
    const std::string signature = token.substr(token.rfind('.') + 1);
    if (signature.size() >= 16) CHECK(log.find(signature) == std::string::npos);
  }
}

struct StaticSetup {
  Minted minted = mint_tokens(std::string(kSpec));
  TempFile jwks{minted.key_set("static"), ".json"};
  HoldfastProcess proxy{fill(kStaticConfig, {{"JWKS", jwks.path()}}), options()};

  static HoldfastProcess::Options options() {
    HoldfastProcess::Options o;
    o.env = {{"JWT_TEST_SECRET", "0123456789abcdef0123456789abcdef"}};
    return o;
  }
};

}  // namespace

TEST_CASE("jwt: no token is refused with 401 and a Bearer challenge", "[jwt]") {
  StaticSetup s;
  auto ws = try_connect(s.proxy, "/strict");
  expect_401(*ws, "");
  CHECK(ws->response().body.find(R"("message":"a bearer token is required")") != std::string::npos);
  // Another scheme is no bearer token either.
  auto basic = try_connect(s.proxy, "/strict", {{"Authorization", "Basic YWxpY2U6cHc="}});
  expect_401(*basic, "");
  CHECK(s.proxy.metric(decisions("missing")) == 2);
  CHECK(s.proxy.metric(R"(holdfast_connections_total{route="strict",result="rejected_auth"})") ==
        2);
}

TEST_CASE("jwt: RS256 ES256 and EdDSA tokens connect and the scheme is case-insensitive", "[jwt]") {
  StaticSetup s;
  auto rs = with_token(s.proxy, "/strict", s.minted.token("good"));
  REQUIRE(rs->response().status == 101);
  expect_echo(*rs);
  auto es = with_token(s.proxy, "/strict", s.minted.token("good_es"));
  REQUIRE(es->response().status == 101);
  expect_echo(*es);
  auto ed =
      try_connect(s.proxy, "/strict", {{"Authorization", "bEaReR   " + s.minted.token("good_ed")}});
  REQUIRE(ed->response().status == 101);
  expect_echo(*ed);
  CHECK(s.proxy.metric(decisions("allowed")) == 3);
  check_tokens_not_logged(s.proxy, s.minted);
}

TEST_CASE("jwt: malformed tokens are refused and counted", "[jwt]") {
  StaticSetup s;
  const std::string good = s.minted.token("good");
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad base64", "eyJ!!!." + payload + ".c2ln"},
      {"missing part", good.substr(0, good.rfind('.'))},
      {"over 8 KiB", good.substr(0, good.find('.') + 1) + std::string(9000, 'A') + ".c2ln"},
      {"garbage JSON", base64url("{not json") + "." + payload + ".c2ln"},
  };
  for (const auto& [what, token] : cases) {
    INFO(what);
    auto ws = with_token(s.proxy, "/strict", token);
    expect_401(*ws, "malformed token");
    CHECK(ws->response().body.find(R"("message":"malformed token")") != std::string::npos);
  }
  // A token without a subject cannot name the connection's user.
  auto no_sub = with_token(s.proxy, "/strict", s.minted.token("no_sub"));
  expect_401(*no_sub, "malformed token");
  CHECK(s.proxy.metric(decisions("malformed")) == 5);
  check_tokens_not_logged(s.proxy, s.minted);
}

TEST_CASE("jwt: alg none and HS256 signed with the RSA public key are refused", "[jwt]") {
  StaticSetup s;
  auto none = with_token(s.proxy, "/strict", s.minted.token("none"));
  expect_401(*none, "token algorithm not allowed");
  auto confused = with_token(s.proxy, "/strict", s.minted.token("confused"));
  expect_401(*confused, "token algorithm not allowed");
  CHECK(s.proxy.metric(decisions("bad_algorithm")) == 2);
  CHECK(s.proxy.metric(decisions("allowed")) == 0);
}

TEST_CASE("jwt: issuer audience time and signature failures are each refused and counted",
          "[jwt]") {
  StaticSetup s;
  std::string tampered = s.minted.token("good");
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {s.minted.token("wrong_iss"), "wrong token issuer", "bad_issuer"},
      {s.minted.token("wrong_aud"), "wrong token audience", "bad_audience"},
      {s.minted.token("expired"), "token expired", "expired"},
      {s.minted.token("not_yet"), "token not yet valid", "not_yet_valid"},
      {tampered, "invalid token signature", "bad_signature"},
  };
  for (const auto& [token, description, decision] : cases) {
    INFO(decision);
    auto ws = with_token(s.proxy, "/strict", token);
    expect_401(*ws, description);
  }
  for (const auto& [token, description, decision] : cases) {
    INFO(decision);
    CHECK(s.proxy.metric(decisions(decision)) == 1);
  }
  CHECK(s.proxy.metric(decisions("allowed")) == 0);
  check_tokens_not_logged(s.proxy, s.minted);
}

TEST_CASE("jwt: a token in the query or a cookie or Sec-WebSocket-Protocol", "[jwt]") {
  StaticSetup s;
  const std::string token = s.minted.token("good");

  auto query = try_connect(s.proxy, "/strict?x=1&access_token=" + token);
  REQUIRE(query->response().status == 101);
  expect_echo(*query);

  auto cookie = try_connect(s.proxy, "/strict", {{"Cookie", "theme=dark; session=" + token}});
  REQUIRE(cookie->response().status == 101);
  expect_echo(*cookie);

  // Browsers cannot set headers on a WebSocket, so the token rides as a subprotocol next to
  // `holdfast`, the one the server answers with. libwebsockets 4.1 drops an upgrade whose
  // Sec-WebSocket-Protocol is longer than 126 bytes, so only a compact HS256 token fits.
  const std::string tiny = s.minted.token("tiny");
  REQUIRE(tiny.size() + 16 <= 126);
  auto protocol = try_connect(s.proxy, "/sub", {{"Sec-WebSocket-Protocol", "holdfast, " + tiny}});
  INFO(protocol->error());
  REQUIRE(protocol->response().status == 101);
  CHECK(protocol->response().header("Sec-WebSocket-Protocol") ==
        std::optional<std::string>("holdfast"));
  expect_echo(*protocol);

  auto prefixed =
      try_connect(s.proxy, "/prefixed", {{"Sec-WebSocket-Protocol", "holdfast, token." + tiny}});
  REQUIRE(prefixed->response().status == 101);
  expect_echo(*prefixed);
  // That route reads only the prefixed subprotocol.
  auto header_only = with_token(s.proxy, "/prefixed", tiny);
  expect_401(*header_only, "");
  auto unprefixed =
      try_connect(s.proxy, "/prefixed", {{"Sec-WebSocket-Protocol", "holdfast, " + tiny}});
  expect_401(*unprefixed, "");

  // The first source that has a token wins: a bad header is not rescued by a good query.
  auto first = try_connect(s.proxy, "/strict?access_token=" + token,
                           {{"Authorization", bearer(s.minted.token("expired"))}});
  expect_401(*first, "token expired");

  CHECK(s.proxy.metric(decisions("allowed")) == 4);
  check_tokens_not_logged(s.proxy, s.minted);
}

TEST_CASE("jwt: a token that expires while connected closes with 1008", "[jwt]") {
  StaticSetup s;
  auto ws = with_token(s.proxy, "/short", s.minted.token("short"));
  REQUIRE(ws->response().status == 101);
  expect_echo(*ws);
  expect_close(*ws, 1008, "token expired", Millis(10000));
  CHECK(s.proxy.wait_metric(
            decisions("expired_session"), [](double v) { return v == 1; }, Millis(5000)) == 1);
}

TEST_CASE("jwt: the subject and claims reach Kafka and optional admits anonymous clients",
          "[jwt][kafka]") {
  const Minted minted = mint_tokens(std::string(kSpec));
  TempFile jwks(minted.key_set("static"), ".json");
  const std::string in = unique_topic("e2e.jwt.in");
  ScopedTopics topics({in});
  KafkaConsumer inbound(in);
  HoldfastProcess proxy(fill(kKafkaConfig, {{"JWKS", jwks.path()}, {"IN", in}}));

  auto alice = with_token(proxy, "/users", minted.token("good"));
  REQUIRE(alice->response().status == 101);
  REQUIRE(alice->send_text("from alice"));
  const auto rec = inbound.next_matching(
      [](const KafkaRecord& r) { return r.value == "from alice"; }, Millis(15000));
  REQUIRE(rec);
  CHECK(rec->header("ce_authid") == std::optional<std::string>("alice"));
  CHECK(rec->key == std::optional<std::string>("alice"));  // key: user
  CHECK(rec->header("ce_tenant") == std::optional<std::string>("acme"));
  CHECK(rec->header("ce_plan") == std::optional<std::string>("gold"));
  CHECK(rec->header("ce_org") == std::optional<std::string>("acme"));  // {claim.tenant}

  auto anon = try_connect(proxy, "/users");
  REQUIRE(anon->response().status == 101);
  REQUIRE(anon->send_text("from nobody"));
  const auto anon_rec = inbound.next_matching(
      [](const KafkaRecord& r) { return r.value == "from nobody"; }, Millis(15000));
  REQUIRE(anon_rec);
  CHECK(anon_rec->header_count("ce_authid") == 0);
  CHECK(anon_rec->header_count("ce_tenant") == 0);
  CHECK(anon_rec->key.value_or("") != "alice");

  // Optional means no token at all; a bad one is still refused.
  auto bad = with_token(proxy, "/users", minted.token("expired"));
  expect_401(*bad, "token expired");

  CHECK(proxy.metric(decisions("allowed")) == 1);
  CHECK(proxy.metric(decisions("anonymous")) == 1);
  CHECK(proxy.metric(decisions("expired")) == 1);
  check_tokens_not_logged(proxy, minted);
}

TEST_CASE("jwt: an unknown kid with the JWKS URL down is refused and the fetch is retried",
          "[jwt]") {
  const Minted minted = mint_tokens(std::string(kSpec));
  HttpStub jwks;
  jwks.set_response(200, minted.key_set("initial"));
  HoldfastProcess proxy(fill(kUrlConfig, {{"URL", jwks.url()}}));
  REQUIRE(proxy.wait_for_log("jwks fetched", Millis(10000)));

  auto good = with_token(proxy, "/url", minted.token("good"));
  REQUIRE(good->response().status == 101);
  expect_echo(*good);

  jwks.stop();
  std::this_thread::sleep_for(Millis(1200));  // past refetch_interval
  // The last fetch went well and the URL is now down: an unknown kid is refused at once, and
  // asks for a refetch, which fails.
  auto first = with_token(proxy, "/url", minted.token("unknown_kid"));
  expect_401(*first, "unknown signing key");
  REQUIRE(proxy.wait_for_log("jwks fetch failed", Millis(5000)));

  // The same while the fetch is failing.
  auto refused = with_token(proxy, "/url", minted.token("unknown_kid"));
  expect_401(*refused, "unknown signing key");
  CHECK(proxy.metric(decisions("unknown_key")) == 2);

  // The keys fetched before stay in use.
  auto still = with_token(proxy, "/url", minted.token("good"));
  REQUIRE(still->response().status == 101);
  expect_echo(*still);

  // The fetch is retried with backoff, and reaches the server once it is back.
  const size_t before = jwks.requests();
  jwks.start();
  CHECK(jwks.wait_requests_above(before, Millis(10000)));
  check_tokens_not_logged(proxy, minted);

  // A refetch under way when SIGTERM comes still lets the proxy exit cleanly.
  jwks.stop();
  std::this_thread::sleep_for(Millis(1200));
  auto last = with_token(proxy, "/url", minted.token("unknown_kid"));
  expect_401(*last, "unknown signing key");
  proxy.signal(SIGTERM);
  const auto status = proxy.wait_exit(Millis(15000));
  INFO(proxy.log_text());
  CHECK(status == std::optional<int>(0));
}

TEST_CASE("jwt: a new kid is refused once, asks for a refetch, and a retry is accepted", "[jwt]") {
  const Minted minted = mint_tokens(std::string(kSpec));
  HttpStub jwks;
  jwks.set_response(200, minted.key_set("initial"));
  HoldfastProcess proxy(fill(kUrlConfig, {{"URL", jwks.url()}}));
  REQUIRE(proxy.wait_for_log("jwks fetched", Millis(10000)));
  REQUIRE(jwks.wait_requests_above(0, Millis(2000)));
  const size_t fetched = jwks.requests();
  CHECK(fetched == 1);

  std::this_thread::sleep_for(Millis(1200));  // past refetch_interval
  jwks.set_response(200, minted.key_set("rotated"));
  auto rotated = with_token(proxy, "/url", minted.token("rotated"));
  expect_401(*rotated, "unknown signing key");  // refused at once, and a refetch asked for
  CHECK(jwks.wait_requests_above(fetched, Millis(2000)));
  REQUIRE(proxy.wait_metric(
              "holdfast_jwks_fetches_total{result=\"success\"}", [](double v) { return v >= 2; },
              Millis(5000)) >= 2);
  auto retried = with_token(proxy, "/url", minted.token("rotated"));
  REQUIRE(retried->response().status == 101);
  expect_echo(*retried);  // the refetch brought k2
  CHECK(jwks.requests() == fetched + 1);

  // Known now: no further fetch.
  auto again = with_token(proxy, "/url", minted.token("rotated"));
  REQUIRE(again->response().status == 101);
  expect_echo(*again);
  CHECK(jwks.requests() == fetched + 1);
  CHECK(proxy.metric(decisions("allowed")) == 2);
  CHECK(proxy.metric(decisions("unknown_key")) == 1);

  // SIGTERM stops the fetcher with everything else: a clean exit.
  proxy.signal(SIGTERM);
  const auto status = proxy.wait_exit(Millis(15000));
  INFO(proxy.log_text());
  CHECK(status == std::optional<int>(0));
}

TEST_CASE("jwt: start-up does not wait for a JWKS URL that is down", "[jwt]") {
  const Minted minted = mint_tokens(std::string(kSpec));
  HttpStub jwks;
  jwks.set_response(200, minted.key_set("initial"));
  jwks.stop();
  HoldfastProcess proxy(fill(kUrlConfig, {{"URL", jwks.url()}}));

  // No keys yet: refused, over HTTP or, when a retry was running, with a close.
  auto early = with_token(proxy, "/url", minted.token("good"));
  if (early->response().status == 101) {
    expect_close(*early, 1008, "signing keys unavailable", Millis(5000));
  } else {
    expect_401(*early, "signing keys unavailable");
  }
  CHECK(proxy.metric(decisions("keys_unavailable")) == 1);

  jwks.start();
  bool admitted = false;
  const auto deadline = Clock::now() + Millis(15000);
  while (!admitted && Clock::now() < deadline) {
    auto ws = with_token(proxy, "/url", minted.token("good"));
    if (ws->response().status == 101 && ws->send_text("ping")) {
      admitted = ws->recv(Millis(5000)).kind == WsEvent::Kind::Text;
    }
    if (!admitted) std::this_thread::sleep_for(Millis(250));
  }
  CHECK(admitted);
}

}  // namespace holdfast::test::e2e
