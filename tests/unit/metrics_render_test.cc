// The /metrics text as prometheus-cpp writes it from summed Stats: one HELP and TYPE per family
// with its samples together, cumulative histograms ending in +Inf, the Kafka statistics when a
// Kafka bus is configured, and the TLS certificates' expiry.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "proxy/bus/kafka_stats.h"
#include "proxy/certificate_expiry.h"
#include "proxy/metrics.h"

namespace holdfast {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// A self-signed certificate valid until `not_after`, as PEM.
std::string certificate_pem(time_t not_after) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  REQUIRE(ASN1_TIME_set(X509_getm_notAfter(x), not_after) != nullptr);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("holdfast.test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(x);
  EVP_PKEY_free(key);
  return pem;
}

struct PemFile {
  std::string path;
  explicit PemFile(const std::string& contents) {
    char name[] = "/tmp/holdfast-cert-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    ::close(fd);
    path = name;
  }
  ~PemFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("metrics: families are whole and histograms cumulative", "[metrics]") {
  Runtime rt;
  const size_t echo = rt.route_names.slot("echo");
  Stats main_stats(0);
  Stats worker_a(kMaxRouteNames);
  Stats worker_b(kMaxRouteNames);
  worker_a.kafka_publish.observe(0.0008);  // le 0.001
  worker_a.kafka_publish.observe(0.03);    // le 0.05
  worker_b.kafka_publish.observe(0.0009);  // le 0.001
  worker_b.kafka_publish.observe(60);      // past every bound
  worker_a.route[echo].messages_in.inc(3);
  worker_b.route[echo].messages_in.inc(4);
  worker_b.route[echo].roundtrip.observe(0.002);
  const std::string text = render_metrics(rt, {&main_stats, &worker_a, &worker_b}, {true, false});
  INFO(text);

  CHECK(has_line(text, R"(holdfast_build_info{version=")" HOLDFAST_VERSION R"("} 1)"));
  CHECK(has_line(text, "holdfast_ready 1"));
  CHECK(has_line(text, R"(holdfast_messages_total{route="echo",direction="in"} 7)"));
  CHECK(has_line(text, R"(holdfast_connections_total{route="",result="no_route"} 0)"));
  CHECK(
      has_line(text, R"(holdfast_bus_publish_duration_seconds_bucket{bus="kafka",le="0.0005"} 0)"));
  CHECK(
      has_line(text, R"(holdfast_bus_publish_duration_seconds_bucket{bus="kafka",le="0.001"} 2)"));
  CHECK(has_line(text, R"(holdfast_bus_publish_duration_seconds_bucket{bus="kafka",le="0.05"} 3)"));
  CHECK(has_line(text, R"(holdfast_bus_publish_duration_seconds_bucket{bus="kafka",le="10"} 3)"));
  CHECK(has_line(text, R"(holdfast_bus_publish_duration_seconds_bucket{bus="kafka",le="+Inf"} 4)"));
  CHECK(has_line(text, R"(holdfast_bus_publish_duration_seconds_count{bus="kafka"} 4)"));
  CHECK(has_line(text, R"(holdfast_roundtrip_seconds_bucket{route="echo",le="0.0025"} 1)"));
  CHECK(has_line(text, R"(holdfast_roundtrip_seconds_bucket{route="echo",le="+Inf"} 1)"));
  CHECK(
      has_line(text, R"(holdfast_connection_duration_seconds_bucket{route="echo",le="604800"} 0)"));

  // Every sample follows its own family's HELP and TYPE, each written once.
  std::set<std::string> seen;
  std::string current;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      CHECK(seen.insert(current).second);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    INFO(line);
    const bool own = name == current || name == current + "_bucket" || name == current + "_sum" ||
                     name == current + "_count";
    CHECK(own);
  }
  // Without a Kafka bus there are no Kafka statistics, and without TLS listeners no expiry.
  CHECK(seen.count("holdfast_kafka_queue_messages") == 0);
  CHECK(seen.count("holdfast_tls_certificate_expiry_timestamp_seconds") == 0);
  CHECK(seen.count("process_resident_memory_bytes") == 1);
}

TEST_CASE("metrics: kafka statistics are summed over clients", "[metrics][kafka]") {
  Runtime rt;
  auto config = std::make_shared<config::Config>();
  config->kafka = config::KafkaBus{};
  rt.config = config;
  Stats consumer(0), producer_a(0), producer_b(0);
  const auto report = [](bool producer, int64_t queued, int64_t p99, int64_t txerrs) {
    KafkaStatsReport r;
    r.producer = producer;
    r.queue_messages = queued;
    r.brokers.push_back({"k0:9092/0", "k0:9092", 0, p99, txerrs});
    r.brokers.push_back({"k1:9092/1", "k1:9092", 1, p99 / 2, 0});
    return r;
  };
  KafkaStatsCollector(consumer.kafka).apply(report(false, 0, 12000, 1));
  KafkaStatsCollector(producer_a.kafka).apply(report(true, 5, 3000, 2));
  KafkaStatsCollector(producer_b.kafka).apply(report(true, 6, 40000, 0));

  const std::string text = render_metrics(rt, {&consumer, &producer_a, &producer_b}, {});
  INFO(text);
  CHECK(has_line(text, "# TYPE holdfast_kafka_broker_rtt_seconds gauge"));
  CHECK(has_line(text, R"(holdfast_kafka_broker_rtt_seconds{broker="k0:9092"} 0.04)"));
  CHECK(has_line(text, R"(holdfast_kafka_broker_rtt_seconds{broker="k1:9092"} 0.02)"));
  CHECK(has_line(text, "# TYPE holdfast_kafka_queue_messages gauge"));
  CHECK(has_line(text, "holdfast_kafka_queue_messages 11"));
  CHECK(has_line(text, "# TYPE holdfast_kafka_tx_errors_total counter"));
  CHECK(has_line(text, "holdfast_kafka_tx_errors_total 3"));
}

TEST_CASE("metrics: a TLS listener's certificate expiry", "[metrics]") {
  Runtime rt;
  ProcessState state;
  state.certificates = {{"127.0.0.1:8443", 1893553445}, {"[::1]:443", 2569190400}};
  const std::string text = render_metrics(rt, {}, state);
  INFO(text);
  CHECK(has_line(text, "# TYPE holdfast_tls_certificate_expiry_timestamp_seconds gauge"));
  CHECK(has_line(
      text,
      R"(holdfast_tls_certificate_expiry_timestamp_seconds{listener="127.0.0.1:8443"} 1893553445)"));
  CHECK(has_line(
      text,
      R"(holdfast_tls_certificate_expiry_timestamp_seconds{listener="[::1]:443"} 2569190400)"));
}

TEST_CASE("metrics: certificate notAfter is read from the PEM file", "[metrics]") {
  std::string error;
  SECTION("UTCTime") {
    PemFile pem(certificate_pem(1893553445));  // 2030-01-02T03:04:05Z
    CHECK(certificate_not_after(pem.path, error) == 1893553445);
  }
  SECTION("GeneralizedTime, after 2049") {
    PemFile pem(certificate_pem(2569190400));  // 2051-06-01T00:00:00Z
    CHECK(certificate_not_after(pem.path, error) == 2569190400);
  }
  SECTION("a chain: the first certificate is the server's") {
    PemFile pem(certificate_pem(1893553445) + certificate_pem(2569190400));
    CHECK(certificate_not_after(pem.path, error) == 1893553445);
  }
  SECTION("no certificate") {
    PemFile pem("not a certificate\n");
    CHECK_FALSE(certificate_not_after(pem.path, error));
    CHECK_FALSE(error.empty());
    error.clear();
    CHECK_FALSE(certificate_not_after("/nonexistent/holdfast.crt", error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("metrics: TLS listeners are labelled with their address", "[metrics]") {
  PemFile pem(certificate_pem(1893553445));
  config::ListenerConfig tls_fixed{"0.0.0.0", 8443, config::TlsConfig{pem.path, pem.path}};
  config::ListenerConfig tls_any{"::1", 0, config::TlsConfig{pem.path, pem.path}};
  config::ListenerConfig plain{"127.0.0.1", 8080};
  std::vector<ListenerRuntime> listeners(3);
  listeners[0].config = &tls_fixed;
  listeners[0].port = 8443;
  listeners[1].config = &tls_any;
  listeners[1].port = 40123;  // bound
  listeners[2].config = &plain;
  const auto got = read_certificate_expiry(listeners);
  REQUIRE(got.size() == 2);
  CHECK(got[0].listener == "0.0.0.0:8443");
  CHECK(got[0].not_after == 1893553445);
  CHECK(got[1].listener == "[::1]:40123");
}

}  // namespace holdfast
