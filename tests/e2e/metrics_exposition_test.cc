// The scrape as a whole: the TLS listeners' certificate expiry, and Prometheus' own checker
// (`promtool check metrics`) accepting a scrape with every family present.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"

namespace holdfast::test::e2e {
namespace {

// A self-signed certificate for 127.0.0.1 that expires at `not_after`, as PEM files.
struct ExpiringCertificate {
  TempFile cert{"", ".crt"};
  TempFile key{"", ".key"};

  explicit ExpiringCertificate(time_t not_after) {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    REQUIRE(ASN1_TIME_set(X509_getm_notAfter(x), not_after) != nullptr);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    FILE* f = std::fopen(cert.path().c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.path().c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
};

// 30 days from now, to the second.
time_t in_thirty_days() {
  return std::time(nullptr) + 30 * 86400;
}

struct ShellResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

ShellResult run_shell(const std::string& command) {
  ShellResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

}  // namespace

TEST_CASE("metrics: the TLS certificate's expiry", "[metrics][tls]") {
  const time_t not_after = in_thirty_days();
  ExpiringCertificate certificate(not_after);
  HoldfastProcess::Options options;
  options.listeners = 2;
  HoldfastProcess proxy(fill(R"(
instance: e2e-certs
workers: 1
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    tls: { cert: "@CERT@", key: "@KEY@" }
    routes:
      - { name: secure, path: /echo, upstream: { echo: {} } }
  - address: 127.0.0.1:0
    routes:
      - { name: plain, path: /echo, upstream: { echo: {} } }
)",
                             {{"CERT", certificate.cert.path()}, {"KEY", certificate.key.path()}}),
                        options);
  // A listener configured with port 0 is named by the port it bound.
  const std::string listener = "127.0.0.1:" + std::to_string(proxy.port(0));
  CHECK(proxy.metric("holdfast_tls_certificate_expiry_timestamp_seconds{listener=\"" + listener +
                     "\"}") == static_cast<double>(not_after));
  // The plain listener has no series: the sum over all is the TLS listener's alone.
  CHECK(proxy.metric("holdfast_tls_certificate_expiry_timestamp_seconds") ==
        static_cast<double>(not_after));
}

TEST_CASE("metrics: promtool accepts a scrape", "[metrics][promtool]") {
  const ShellResult found =
      run_shell("'" + std::string(HOLDFAST_SOURCE_DIR) + "/scripts/promtool.sh'");
  if (found.status != 0) {
    WARN("skipped: no promtool could be had (scripts/promtool.sh):\n" << found.output);
    return;
  }
  const std::string promtool = last_line(found.output);

  // Every family with samples: routes, a Kafka bus with its statistics, a TLS listener.
  const std::string in = unique_topic("e2e.promtool.in");
  const std::string out = unique_topic("e2e.promtool.out");
  ScopedTopics topics({in, out});
  ExpiringCertificate certificate(in_thirty_days());
  HoldfastProcess::Options options;
  options.listeners = 2;
  HoldfastProcess proxy(fill(R"(
instance: e2e-promtool
workers: 2
admin: { address: 127.0.0.1:0 }
buses:
  kafka:
    brokers: "@KAFKA@"
    producer: { statistics.interval.ms: 200 }
    consumer: { statistics.interval.ms: 200 }
listeners:
  - address: 127.0.0.1:0
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
      - name: kin
        path: /in
        upstream: { kafka: { topic: "@IN@" } }
        replies: { kafka: { topic: "@OUT@" } }
  - address: 127.0.0.1:0
    tls: { cert: "@CERT@", key: "@KEY@" }
    routes:
      - { name: secure, path: /echo, upstream: { echo: {} } }
)",
                             {{"IN", in},
                              {"OUT", out},
                              {"CERT", certificate.cert.path()},
                              {"KEY", certificate.key.path()}}),
                        options);
  {
    auto ws = open_ws(proxy, "/echo");
    REQUIRE(ws->send_text("hello"));
    REQUIRE(ws->recv(Millis(5000)).data == "hello");
    auto kafka = open_ws(proxy, "/in");
    REQUIRE(kafka->send_text("to kafka"));
    REQUIRE(ws->send_close(1000, "done"));
    REQUIRE(ws->wait_eof(Millis(5000)));
  }
  CHECK(proxy.wait_metric(R"(holdfast_bus_publish_duration_seconds_count{bus="kafka"})",
                          [](double v) { return v == 1; }, Millis(15000)) == 1);
  CHECK(proxy.wait_metric(
            "holdfast_kafka_broker_rtt_seconds", [](double v) { return v > 0; }, Millis(15000)) >
        0);

  const auto scrape = proxy.http_get("/metrics");
  REQUIRE(scrape.status == 200);
  TempFile text(scrape.body, ".prom");
  const ShellResult check = run_shell("'" + promtool + "' check metrics < '" + text.path() + "'");
  INFO("promtool: " << promtool << "\n" << check.output << "\nscrape:\n" << scrape.body);
  CHECK(check.status == 0);
  CHECK(check.output.empty());  // no lint findings either
}

}  // namespace holdfast::test::e2e
