// hf-openssl-heap: what OpenSSL keeps for one server connection once its handshake is done.
//
// Runs handshakes in memory (a BIO pair per connection, no sockets) between a client and a server
// context set up as libwebsockets sets up holdfast's (SSL_MODE_RELEASE_BUFFERS), and counts the
// server side's allocations through OpenSSL's allocation hooks. Earlier connections warm OpenSSL's
// global caches; the last one's allocations still live after its handshake and one record each
// way are listed by OpenSSL's source line, largest first.
//
//   hf-openssl-heap --cert cert.pem --key key.pem [--tls12] [--connections N]
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include <vector>
#include "../common/flags.h"

namespace {

struct Site {
  std::string file;
  int line;
  size_t bytes;
};

// Allocations made while `counting`, by address. A static, so that it outlives OpenSSL's own
// clean-up at exit (registered later, so run earlier), which frees through the hooks too. Its
// nodes come from operator new, never through the hooks.
bool counting = false;
std::unordered_map<void*, Site> live_table;
std::unordered_map<void*, Site>* const live = &live_table;

void* hook_malloc(size_t n, const char* file, int line) {
  void* p = std::malloc(n);
  if (counting && p != nullptr) (*live)[p] = Site{file, line, n};
  return p;
}

void hook_free(void* p, const char*, int) {
  if (p != nullptr) live->erase(p);
  std::free(p);
}

void* hook_realloc(void* p, size_t n, const char* file, int line) {
  if (p == nullptr) return hook_malloc(n, file, line);
  const bool tracked = live->erase(p) > 0;
  void* q = std::realloc(p, n);
  if ((counting || tracked) && q != nullptr) (*live)[q] = Site{file, line, n};
  return q;
}

bool handshake(SSL* server, SSL* client) {
  for (int i = 0; i < 50; ++i) {
    counting = false;
    const int c = SSL_do_handshake(client);
    counting = true;
    const int s = SSL_do_handshake(server);
    counting = false;
    if (c == 1 && s == 1) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free) != 1) return 2;
  std::string cert, key;
  bool tls12 = false;
  int connections = 5;
  if (!hfbench::Flags("hf-openssl-heap")
           .Text("--cert", &cert)
           .Text("--key", &key)
           .Switch("--tls12", &tls12)
           .Int("--connections", &connections)
           .Parse(argc, argv) ||
      cert.empty() || key.empty()) {
    std::fprintf(stderr, "usage: %s --cert PEM --key PEM [--tls12] [--connections N]\n", argv[0]);
    return 2;
  }
  connections = std::max(2, connections);
  SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  if (SSL_CTX_use_certificate_chain_file(sctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(sctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  SSL_CTX_set_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
  if (tls12) SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);

  std::vector<std::pair<SSL*, SSL*>> kept;  // held open, as idle connections are
  for (int i = 0; i < connections; ++i) {
    live->clear();
    counting = true;
    SSL* server = SSL_new(sctx);
    counting = false;
    SSL* client = SSL_new(cctx);
    BIO* server_end = nullptr;
    BIO* client_end = nullptr;
    BIO_new_bio_pair(&server_end, 0, &client_end, 0);
    counting = true;
    SSL_set_bio(server, server_end, server_end);
    SSL_set_accept_state(server);
    counting = false;
    SSL_set_bio(client, client_end, client_end);
    SSL_set_connect_state(client);
    if (!handshake(server, client)) {
      ERR_print_errors_fp(stderr);
      return 1;
    }
    char byte = 0;
    counting = true;
    SSL_write(server, "x", 1);
    counting = false;
    SSL_read(client, &byte, 1);  // takes any session tickets too
    SSL_write(client, "y", 1);
    counting = true;
    SSL_read(server, &byte, 1);
    counting = false;
    kept.emplace_back(server, client);
  }

  std::map<std::string, std::pair<size_t, int>> by_site;
  size_t total = 0;
  for (const auto& [p, site] : *live) {
    auto& s = by_site[site.file + ":" + std::to_string(site.line)];
    s.first += site.bytes;
    s.second += 1;
    total += site.bytes;
  }
  std::vector<std::pair<std::string, std::pair<size_t, int>>> rows(by_site.begin(), by_site.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::printf("%s: %zu bytes held by OpenSSL for one server connection\n",
              SSL_get_version(kept.back().first), total);
  for (const auto& [where, s] : rows)
    std::printf("%7zu B in %2d allocation(s) at %s\n", s.first, s.second, where.c_str());
  return 0;
}
