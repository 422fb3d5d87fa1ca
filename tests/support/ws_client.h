// A blocking WebSocket client written from RFC 6455 over POSIX sockets. It shares no code with
// the server's WebSocket library, so it checks the wire format rather than trusting it.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/net.h"

namespace holdfast::test {

enum class WsOpcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// What recv() returns: one whole message, the server's close frame, the end of the TCP stream,
// a timeout, or a protocol error in what the server sent.
struct WsEvent {
  enum class Kind { Text, Binary, Close, Eof, Timeout, Error };
  Kind kind = Kind::Timeout;
  std::string data;    // the message; for Error, what was wrong
  int close_code = 0;  // Close only: the status code, 1005 when the frame carried none
  std::string close_reason;

  bool is_message() const { return kind == Kind::Text || kind == Kind::Binary; }
  bool is_close(int code) const { return kind == Kind::Close && close_code == code; }
};

// One line for failure messages, e.g. "close 1009 'too big'" or "text 'hello'".
std::string describe(const WsEvent& event);

class WsClient {
 public:
  struct Options {
    Headers headers;           // added to the upgrade request
    int rcvbuf = 0;            // SO_RCVBUF set before connecting; 0 keeps the system default
    Millis timeout{5000};      // for the TCP connect and the handshake
    bool answer_close = true;  // echo the server's close frame, as RFC 6455 asks
  };

  WsClient() = default;
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects and performs the opening handshake. True on 101 with a correct
  // Sec-WebSocket-Accept. Otherwise false: response() holds what the server answered (status 0
  // when nothing came) and error() says what failed.
  bool connect(const std::string& host, int port, const std::string& path, const Options& options);
  bool connect(const std::string& host, int port, const std::string& path) {
    return connect(host, port, path, Options{});
  }
  const HttpResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

  // Writes are masked with a fresh random key per frame. Each returns false when the socket
  // refused the bytes (closed, reset, or no room within send_timeout).
  bool send_text(std::string_view text) { return send_frame(WsOpcode::Text, text, true); }
  bool send_binary(std::string_view data) { return send_frame(WsOpcode::Binary, data, true); }
  // One message split into `frames` frames of near-equal size (the first carries `op`).
  bool send_fragmented(WsOpcode op, std::string_view payload, size_t frames);
  bool send_frame(WsOpcode op, std::string_view payload, bool fin);
  bool send_ping(std::string_view payload = {}) {
    return send_frame(WsOpcode::Ping, payload, true);
  }
  // `code` 0 sends a close frame without a status code.
  bool send_close(int code, std::string_view reason = {});
  // Bytes as they are, e.g. a frame made with encode_frame and then altered.
  bool send_raw(std::string_view bytes);
  // A client frame: masked unless `mask` is false.
  std::string encode_frame(WsOpcode op, std::string_view payload, bool fin, bool mask = true);

  // The next message, reassembled from its fragments. Pings are answered with pongs on the way.
  WsEvent recv(Millis timeout);
  // Reads and discards until the server ends the TCP stream. True when that happened in time.
  bool wait_eof(Millis timeout);
  // True when a message, close frame or EOF is ready without blocking.
  bool has_pending();

  // Pings the server sent that recv() answered, and the bytes of their payloads.
  size_t pings() const { return pings_; }
  size_t ping_payload_bytes() const { return ping_payload_bytes_; }
  // Pongs recv() passed over, and the payload of the last one.
  size_t pongs() const { return pongs_; }
  const std::string& last_pong() const { return last_pong_; }
  bool close_received() const { return close_received_; }
  bool close_sent() const { return close_sent_; }
  bool eof() const { return eof_; }
  int fd() const { return fd_; }
  Millis send_timeout{10000};

 private:
  enum class Fill { Data, Eof, Timeout, Error };
  struct Frame {
    bool fin = false;
    uint8_t opcode = 0;
    std::string payload;
  };

  Fill fill(Clock::time_point deadline);
  // 1 when a frame was taken from the buffer, 0 when more bytes are needed, -1 on a bad frame.
  int take_frame(Frame& out);
  void close_fd();

  int fd_ = -1;
  std::string in_;
  size_t in_pos_ = 0;
  std::string partial_;
  uint8_t partial_opcode_ = 0;
  bool in_fragment_ = false;
  bool close_received_ = false;
  bool close_sent_ = false;
  bool eof_ = false;
  bool answer_close_ = true;
  size_t pings_ = 0;
  size_t ping_payload_bytes_ = 0;
  size_t pongs_ = 0;
  std::string last_pong_;
  HttpResponse response_;
  std::string error_;
  std::mt19937_64 rng_{std::random_device{}()};
};

// Index of the first client in `clients` with something to read, or -1 after `timeout`.
int wait_any(const std::vector<WsClient*>& clients, Millis timeout);

}  // namespace holdfast::test
