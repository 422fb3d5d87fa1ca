#include "tests/support/ws_client.h"

#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "tests/support/json_lite.h"

namespace holdfast::test {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxHead = 16384;

std::string expected_accept(const std::string& key) {
  const std::string joined = key + std::string(kAcceptGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool header_has_token(const std::optional<std::string>& value, std::string_view token) {
  if (!value) return false;
  size_t pos = 0;
  while (pos <= value->size()) {
    size_t comma = value->find(',', pos);
    if (comma == std::string::npos) comma = value->size();
    std::string_view item = std::string_view(*value).substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (iequals(item, token)) return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

std::string describe(const WsEvent& e) {
  switch (e.kind) {
    case WsEvent::Kind::Text:
      return "text '" + e.data.substr(0, 80) + "'";
    case WsEvent::Kind::Binary:
      return "binary of " + std::to_string(e.data.size()) + " bytes";
    case WsEvent::Kind::Close:
      return "close " + std::to_string(e.close_code) + " '" + e.close_reason + "'";
    case WsEvent::Kind::Eof:
      return "end of stream";
    case WsEvent::Kind::Timeout:
      return "timeout";
    case WsEvent::Kind::Error:
      return "protocol error: " + e.data;
  }
  return "?";
}

WsClient::~WsClient() {
  close_fd();
}

void WsClient::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool WsClient::connect(const std::string& host, int port, const std::string& path,
                       const Options& options) {
  close_fd();
  response_ = HttpResponse{};
  in_.clear();
  in_pos_ = 0;
  partial_.clear();
  in_fragment_ = close_received_ = close_sent_ = eof_ = false;
  answer_close_ = options.answer_close;
  const auto deadline = Clock::now() + options.timeout;
  fd_ = connect_tcp(host, port, options.timeout, options.rcvbuf, error_);
  if (fd_ < 0) return false;

  std::string nonce(16, '\0');
  for (char& c : nonce)
    c = static_cast<char>(rng_());
  const std::string key = base64_encode(nonce);
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
      "\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : options.headers)
    request += name + ": " + value + "\r\n";
  request += "\r\n";
  if (!write_all(fd_, request, deadline)) {
    error_ = "cannot write the upgrade request";
    return false;
  }

  size_t head_end = std::string::npos;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (in_.size() > kMaxHead) {
      error_ = "response head too long";
      return false;
    }
    const Fill f = fill(deadline);
    if (f != Fill::Data) {
      error_ = f == Fill::Timeout ? "no response to the upgrade" : "connection ended in handshake";
      return false;
    }
  }
  if (!parse_http_head(std::string_view(in_).substr(0, head_end + 4), response_)) {
    error_ = "malformed response head";
    return false;
  }
  in_pos_ = head_end + 4;

  if (response_.status != 101) {
    // Keep the body for diagnostics; a refusal usually ends the connection.
    const auto cl = response_.header("Content-Length");
    const size_t want = cl ? std::strtoul(cl->c_str(), nullptr, 10) : 0;
    const auto body_deadline = std::min(deadline, Clock::now() + Millis(1000));
    while (in_.size() - in_pos_ < want && fill(body_deadline) == Fill::Data) {
    }
    response_.body = in_.substr(in_pos_);
    error_ = "upgrade refused with HTTP " + std::to_string(response_.status);
    return false;
  }
  if (!header_has_token(response_.header("Upgrade"), "websocket") ||
      !header_has_token(response_.header("Connection"), "upgrade")) {
    error_ = "101 without Upgrade: websocket and Connection: upgrade";
    return false;
  }
  if (response_.header("Sec-WebSocket-Accept") != expected_accept(key)) {
    error_ = "wrong Sec-WebSocket-Accept";
    return false;
  }
  return true;
}

WsClient::Fill WsClient::fill(Clock::time_point deadline) {
  if (fd_ < 0) return Fill::Error;
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      return Fill::Data;
    }
    if (n == 0) {
      eof_ = true;
      return Fill::Eof;
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) {
      eof_ = true;
      return Fill::Eof;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Fill::Error;
    pollfd p{fd_, POLLIN, 0};
    const int left = millis_left(deadline);
    if (left == 0) return Fill::Timeout;
    const int rc = ::poll(&p, 1, left);
    if (rc == 0) return Fill::Timeout;
    if (rc < 0 && errno != EINTR) return Fill::Error;
  }
}

int WsClient::take_frame(Frame& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + in_pos_);
  const size_t avail = in_.size() - in_pos_;
  if (avail < 2) return 0;
  const bool fin = (p[0] & 0x80) != 0;
  if ((p[0] & 0x70) != 0) return -1;  // no extension was negotiated
  if ((p[1] & 0x80) != 0) return -1;  // servers must not mask
  uint64_t len = p[1] & 0x7F;
  size_t header = 2;
  if (len == 126) {
    if (avail < 4) return 0;
    len = (uint64_t{p[2]} << 8) | p[3];
    header = 4;
  } else if (len == 127) {
    if (avail < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | p[2 + i];
    header = 10;
  }
  if (avail - header < len) return 0;
  out.fin = fin;
  out.opcode = p[0] & 0x0F;
  out.payload.assign(in_.data() + in_pos_ + header, static_cast<size_t>(len));
  in_pos_ += header + static_cast<size_t>(len);
  return 1;
}

WsEvent WsClient::recv(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto error = [](std::string what) {
    WsEvent e;
    e.kind = WsEvent::Kind::Error;
    e.data = std::move(what);
    return e;
  };
  for (;;) {
    Frame f;
    const int got = take_frame(f);
    if (got < 0) return error("bad frame header");
    if (got == 0) {
      if (eof_) return WsEvent{WsEvent::Kind::Eof};
      const Fill fl = fill(deadline);
      if (fl == Fill::Timeout) return WsEvent{WsEvent::Kind::Timeout};
      if (fl == Fill::Error) return error("socket error");
      continue;
    }
    const auto op = static_cast<WsOpcode>(f.opcode);
    if (f.opcode >= 0x8) {
      if (!f.fin || f.payload.size() > 125) return error("bad control frame");
      if (op == WsOpcode::Ping) {
        ++pings_;
        ping_payload_bytes_ += f.payload.size();
        if (!close_sent_) send_frame(WsOpcode::Pong, f.payload, true);
        continue;
      }
      if (op == WsOpcode::Pong) {
        ++pongs_;
        last_pong_ = std::move(f.payload);
        continue;
      }
      if (op != WsOpcode::Close) return error("unknown control opcode");
      WsEvent e{WsEvent::Kind::Close};
      if (f.payload.size() == 1) return error("close payload of one byte");
      e.close_code = 1005;
      if (f.payload.size() >= 2) {
        e.close_code = (static_cast<unsigned char>(f.payload[0]) << 8) |
                       static_cast<unsigned char>(f.payload[1]);
        e.close_reason = f.payload.substr(2);
      }
      close_received_ = true;
      if (answer_close_ && !close_sent_) send_close(e.close_code == 1005 ? 0 : e.close_code);
      return e;
    }
    if (op == WsOpcode::Continuation) {
      if (!in_fragment_) return error("continuation without a message");
      partial_ += f.payload;
    } else if (op == WsOpcode::Text || op == WsOpcode::Binary) {
      if (in_fragment_) return error("new message inside a fragmented one");
      partial_ = std::move(f.payload);
      partial_opcode_ = f.opcode;
      in_fragment_ = true;
    } else {
      return error("unknown data opcode");
    }
    if (f.fin) {
      in_fragment_ = false;
      WsEvent e{static_cast<WsOpcode>(partial_opcode_) == WsOpcode::Text ? WsEvent::Kind::Text
                                                                         : WsEvent::Kind::Binary};
      e.data = std::move(partial_);
      partial_.clear();
      return e;
    }
  }
}

bool WsClient::wait_eof(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    in_.clear();
    in_pos_ = 0;
    const Fill f = fill(deadline);
    if (f == Fill::Timeout) return false;
    if (f == Fill::Error) return false;
  }
  return true;
}

bool WsClient::has_pending() {
  if (in_pos_ < in_.size() || eof_) return true;
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

std::string WsClient::encode_frame(WsOpcode op, std::string_view payload, bool fin, bool mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op));
  const uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((static_cast<uint64_t>(payload.size()) >> shift) & 0xFF);
  }
  if (!mask) {
    out.append(payload);
    return out;
  }
  const uint64_t r = rng_();
  const char key[4] = {static_cast<char>(r), static_cast<char>(r >> 8), static_cast<char>(r >> 16),
                       static_cast<char>(r >> 24)};
  out.append(key, 4);
  const size_t start = out.size();
  out.append(payload);
  for (size_t i = 0; i < payload.size(); ++i)
    out[start + i] ^= key[i & 3];
  return out;
}

bool WsClient::send_frame(WsOpcode op, std::string_view payload, bool fin) {
  return send_raw(encode_frame(op, payload, fin, true));
}

bool WsClient::send_fragmented(WsOpcode op, std::string_view payload, size_t frames) {
  if (frames == 0) frames = 1;
  const size_t step = (payload.size() + frames - 1) / frames;
  std::string wire;
  for (size_t i = 0; i < frames; ++i) {
    const size_t start = std::min(payload.size(), i * step);
    const size_t len = std::min(step, payload.size() - start);
    wire += encode_frame(i == 0 ? op : WsOpcode::Continuation, payload.substr(start, len),
                         i + 1 == frames);
  }
  return send_raw(wire);
}

bool WsClient::send_close(int code, std::string_view reason) {
  std::string payload;
  if (code != 0) {
    payload += static_cast<char>((code >> 8) & 0xFF);
    payload += static_cast<char>(code & 0xFF);
    payload.append(reason);
  }
  close_sent_ = true;
  return send_frame(WsOpcode::Close, payload, true);
}

bool WsClient::send_raw(std::string_view bytes) {
  if (fd_ < 0) return false;
  return write_all(fd_, bytes, Clock::now() + send_timeout);
}

int wait_any(const std::vector<WsClient*>& clients, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<pollfd> fds(clients.size());
  for (;;) {
    for (size_t i = 0; i < clients.size(); ++i) {
      if (clients[i]->has_pending()) return static_cast<int>(i);
      fds[i] = pollfd{clients[i]->fd(), POLLIN, 0};
    }
    const int left = millis_left(deadline);
    if (left == 0) return -1;
    if (::poll(fds.data(), fds.size(), left) <= 0) return -1;
  }
}

}  // namespace holdfast::test
