// wss: a TLS listener with a certificate made for the test. The plain-socket WebSocket client
// talks through a small TLS bridge (OpenSSL, in this test), so the bytes on the proxy's socket
// are real TLS records and the client code stays the same as for ws.
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"  // unique_topic

namespace holdfast::test::e2e {
namespace {

// A self-signed certificate and key for 127.0.0.1, written as PEM files; the serial number tells
// one certificate from another.
struct TestCertificate {
  TempFile cert{"", ".crt"};
  TempFile key{"", ".key"};

  explicit TestCertificate(long serial = 1, long valid_seconds = 3600) {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), valid_seconds);
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

// Accepts one plain TCP connection on a loopback port and relays it over TLS to `target`.
class TlsBridge {
 public:
  explicit TlsBridge(int target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listen_fd_, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TlsBridge() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  bool handshake_done() const { return handshake_done_; }
  long peer_serial() const { return peer_serial_; }
  std::string protocol() const { return protocol_; }

 private:
  void run() {
    const int plain = ::accept(listen_fd_, nullptr, nullptr);
    if (plain < 0) return;
    std::string error;
    const int tcp = connect_tcp("127.0.0.1", target_, Millis(5000), 0, error);
    if (tcp < 0) {
      ::close(plain);
      return;
    }
    ::fcntl(tcp, F_SETFL, ::fcntl(tcp, F_GETFL) & ~O_NONBLOCK);  // plain blocking TLS calls
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, tcp);
    if (SSL_connect(ssl) == 1) {
      handshake_done_ = true;
      protocol_ = SSL_get_version(ssl);
      if (X509* peer = SSL_get1_peer_certificate(ssl)) {
        peer_serial_ = ASN1_INTEGER_get(X509_get_serialNumber(peer));
        X509_free(peer);
      }
      relay(plain, ssl, tcp);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(tcp);
    ::close(plain);
  }

  void relay(int plain, SSL* ssl, int tcp) {
    char buf[16384];
    while (!stop_) {
      pollfd fds[2] = {{plain, POLLIN, 0}, {tcp, POLLIN, 0}};
      const bool buffered = SSL_pending(ssl) > 0;
      if (!buffered && ::poll(fds, 2, 100) <= 0) continue;
      if (fds[0].revents & (POLLIN | POLLHUP)) {
        const ssize_t n = ::read(plain, buf, sizeof buf);
        if (n <= 0 || SSL_write(ssl, buf, static_cast<int>(n)) <= 0) return;
      }
      if (buffered || (fds[1].revents & (POLLIN | POLLHUP))) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) return;
        if (!write_all(plain, std::string_view(buf, static_cast<size_t>(n)),
                       Clock::now() + Millis(5000))) {
          return;
        }
      }
    }
  }

  int target_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> handshake_done_{false};
  std::atomic<long> peer_serial_{0};
  std::string protocol_;
};

}  // namespace

TEST_CASE("wss terminates TLS and echoes through it", "[tls]") {
  TestCertificate certificate;
  HoldfastProcess proxy(fill(R"(
instance: e2e-tls
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    tls: { cert: "@CERT@", key: "@KEY@" }
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
)",
                             {{"CERT", certificate.cert.path()}, {"KEY", certificate.key.path()}}));

  TlsBridge bridge(proxy.port());
  WsClient ws;
  REQUIRE(ws.connect("127.0.0.1", bridge.port(), "/echo"));
  CHECK(bridge.handshake_done());
  CHECK(bridge.protocol().rfind("TLSv1.", 0) == 0);

  const std::string big(200000, 'x');
  REQUIRE(ws.send_text("hello over tls"));
  REQUIRE(ws.send_binary(big));
  const WsEvent first = ws.recv(Millis(5000));
  REQUIRE(first.kind == WsEvent::Kind::Text);
  CHECK(first.data == "hello over tls");
  const WsEvent second = ws.recv(Millis(5000));
  REQUIRE(second.kind == WsEvent::Kind::Binary);
  CHECK(second.data == big);
  check_burst_echo(ws);

  // A plain-text client on the TLS port is not served.
  WsClient plain;
  CHECK_FALSE(plain.connect("127.0.0.1", proxy.port(), "/echo"));
}

// A TLS record holds up to 16 KiB of a client's frames. A connection that stops being read (here,
// its in-flight bytes full) must be read again from where it stopped: libwebsockets 4.1 loops for
// ever on one that left part of a record inside OpenSSL, as one did with a read size under a
// record, whatever the route.
TEST_CASE("wss: a connection paused with part of a TLS record unread loses nothing",
          "[tls][redis]") {
  TestCertificate certificate;
  const std::string stream = unique_topic("e2e:tls-paused");
  DeleteKeyAtEnd cleanup{stream};
  HoldfastProcess proxy(fill(R"(
instance: e2e-tls-paused
workers: 1
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@" }
listeners:
  - address: 127.0.0.1:0
    tls: { cert: "@CERT@", key: "@KEY@" }
    receive_buffer: @BUFFER@
    routes:
      - name: limited
        path: /limited
        max_inflight_bytes: 1KiB
        upstream: { redis: { stream: "@STREAM@" } }
      - name: echo
        path: /echo
        upstream: { echo: {} }
)",
                             {{"CERT", certificate.cert.path()},
                              {"KEY", certificate.key.path()},
                              {"STREAM", stream},
                              {"BUFFER", GENERATE("512", "16KiB")}}));
  TlsBridge to_bus(proxy.port());
  WsClient limited;
  REQUIRE(limited.connect("127.0.0.1", to_bus.port(), "/limited"));
  check_paused_burst_reaches_stream(limited, stream);
  CHECK(proxy.metric("holdfast_backpressure_pauses_total") > 0);

  TlsBridge to_echo(proxy.port());
  WsClient echo;
  REQUIRE(echo.connect("127.0.0.1", to_echo.port(), "/echo"));
  check_burst_echo(echo);
}

TEST_CASE("a reload loads a renewed certificate for new handshakes and refuses a broken one",
          "[tls][reload]") {
  TestCertificate certificate(1, 3600);
  HoldfastProcess proxy(fill(R"(
instance: e2e-tls-renew
workers: 2
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:0
    tls: { cert: "@CERT@", key: "@KEY@" }
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
)",
                             {{"CERT", certificate.cert.path()}, {"KEY", certificate.key.path()}}));
  const std::string expiry =
      "holdfast_tls_certificate_expiry_timestamp_seconds{listener=\"127.0.0.1:" +
      std::to_string(proxy.port()) + "\"}";
  const double first_expiry = proxy.metric(expiry);
  auto echo = [](WsClient& ws, const std::string& text) {
    REQUIRE(ws.send_text(text));
    const WsEvent ev = ws.recv(Millis(5000));
    INFO(describe(ev));
    CHECK((ev.kind == WsEvent::Kind::Text && ev.data == text));
  };

  TlsBridge before(proxy.port());
  WsClient held;
  REQUIRE(held.connect("127.0.0.1", before.port(), "/echo"));
  CHECK(before.peer_serial() == 1);

  // Renewed in place, key and all, as cert-manager does; then SIGHUP.
  {
    TestCertificate renewed(2, 7200);
    REQUIRE(std::rename(renewed.key.path().c_str(), certificate.key.path().c_str()) == 0);
    REQUIRE(std::rename(renewed.cert.path().c_str(), certificate.cert.path().c_str()) == 0);
  }
  proxy.signal(SIGHUP);
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="success"})",
                            [](double v) { return v == 1; }, Millis(10000)) == 1);
  for (int i = 0; i < 4; ++i) {  // both workers: the kernel spreads the connections
    TlsBridge after(proxy.port());
    WsClient ws;
    REQUIRE(ws.connect("127.0.0.1", after.port(), "/echo"));
    CHECK(after.peer_serial() == 2);
    echo(ws, "renewed " + std::to_string(i));
  }
  echo(held, "the old handshake goes on");
  CHECK(proxy.metric(expiry) > first_expiry + 3000);

  // A half-written renewal fails the reload and changes nothing.
  {
    std::FILE* f = std::fopen(certificate.cert.path().c_str(), "w");
    std::fputs("-----BEGIN CERTIFICATE-----\nMIIB\n", f);
    std::fclose(f);
  }
  proxy.signal(SIGHUP);
  REQUIRE(proxy.wait_metric(R"(holdfast_config_reloads_total{result="failure"})",
                            [](double v) { return v == 1; }, Millis(10000)) == 1);
  const auto line = proxy.wait_for_log("config reload rejected", Millis(5000));
  REQUIRE(line);
  CHECK(line->raw.find("listeners[0].tls") != std::string::npos);
  TlsBridge still(proxy.port());
  WsClient ws;
  REQUIRE(ws.connect("127.0.0.1", still.port(), "/echo"));
  CHECK(still.peer_serial() == 2);
}

}  // namespace holdfast::test::e2e
