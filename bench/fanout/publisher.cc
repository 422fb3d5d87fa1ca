#include "publisher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace hfbench::fanout {
namespace {

// Records go to Centrifugo as JSON: the payload's bytes in hex, as {"h":"..."}.
std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

Publisher::Publisher(const Options& o) : o_(o) {
  const std::string& where = !o.centrifugo.empty() ? o.centrifugo + "/api/publish"
                             : o.http.empty()      ? o.redis
                                                   : o.http;
  const size_t slash = where.find('/');
  const std::string hostport = where.substr(0, slash);
  const size_t colon = hostport.rfind(':');
  const std::string host = hostport.substr(0, colon);
  const int port = std::atoi(hostport.c_str() + colon + 1);
  if (o.http.empty() && o.centrifugo.empty()) {
    redis_ = redisConnect(host.c_str(), port);
    ok_ = redis_ != nullptr && !redis_->err;
    return;
  }
  path_ = slash == std::string::npos ? "/" : where.substr(slash);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &dst.sin_addr);
  ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
}

Publisher::~Publisher() {
  if (redis_ != nullptr) redisFree(redis_);
  if (fd_ >= 0) close(fd_);
}

bool Publisher::Publish(const std::string& payload) {
  if (redis_ != nullptr) {
    auto* r =
        static_cast<redisReply*>(redisCommand(redis_, "PUBLISH %b %b", o_.channel.data(),
                                              o_.channel.size(), payload.data(), payload.size()));
    if (r == nullptr) return false;
    freeReplyObject(r);
    return true;
  }
  const bool json = !o_.centrifugo.empty();
  const std::string body =
      json ? "{\"channel\":\"" + o_.channel + "\",\"data\":{\"h\":\"" + ToHex(payload) + "\"}}"
           : payload;
  const std::string req =
      "POST " + path_ +
      " HTTP/1.1\r\nHost: bench\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nContent-Type: " +
      (json ? "application/json\r\nX-API-Key: bench" : "application/octet-stream") + "\r\n\r\n" +
      body;
  if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return false;
  // One response: its head, then Content-Length bytes of body.
  std::string in;
  char buf[4096];
  size_t need = std::string::npos;
  while (need == std::string::npos || in.size() < need) {
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
    const size_t end = in.find("\r\n\r\n");
    if (need == std::string::npos && end != std::string::npos) {
      const size_t cl = in.find("Content-Length: ");
      need = end + 4 + (cl != std::string::npos && cl < end ? std::atoi(in.c_str() + cl + 16) : 0);
    }
  }
  return in.compare(0, 10, "HTTP/1.1 2") == 0;
}

}  // namespace hfbench::fanout
