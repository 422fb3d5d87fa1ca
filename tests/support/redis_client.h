// Redis the way an ordinary upstream service uses it: synchronous hiredis, plus a redis-server
// of our own for tests that restart it.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/net.h"

namespace holdfast::test {

// An owned copy of a reply.
struct RedisValue {
  enum class Kind { Nil, String, Status, Error, Integer, Array };
  Kind kind = Kind::Nil;
  std::string str;
  long long integer = 0;
  std::vector<RedisValue> items;
};

struct StreamEntry {
  std::string id;
  Headers fields;  // in entry order
  std::optional<std::string> field(std::string_view name) const;
};

struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisContextHandle = std::unique_ptr<redisContext, RedisContextDeleter>;

class RedisClient {
 public:
  // Connects to `url` (redis://host:port). Throws std::runtime_error when it cannot.
  explicit RedisClient(const std::string& url);
  RedisClient(const std::string& host, int port);

  // Sends one command. Throws on a connection error; an error reply comes back as Kind::Error.
  RedisValue command(const std::vector<std::string>& args);
  // XRANGE stream start end [COUNT n]; count 0 means all.
  std::vector<StreamEntry> xrange(const std::string& stream, const std::string& start = "-",
                                  const std::string& end = "+", size_t count = 0);
  // XREAD [BLOCK ms] COUNT n STREAMS stream after_id: entries after `after_id` ("$" for new).
  std::vector<StreamEntry> xread(const std::string& stream, const std::string& after_id,
                                 size_t count, Millis block);
  // Every entry added after `after_id`, waiting until `count` arrived or `timeout` passed.
  std::vector<StreamEntry> read_stream(const std::string& stream, std::string after_id,
                                       size_t count, Millis timeout);
  long long publish(const std::string& channel, std::string_view payload);

 private:
  RedisContextHandle ctx_;
};

struct PubSubMessage {
  std::string channel;
  std::string payload;
  std::string pattern;  // set for pattern subscriptions
};

// A separate connection in subscribe mode.
class RedisSubscriber {
 public:
  // Subscribes to `channels` (and PSUBSCRIBEs `patterns`) and waits for every confirmation.
  RedisSubscriber(const std::string& url, const std::vector<std::string>& channels,
                  const std::vector<std::string>& patterns = {});
  // The next published message; nullopt after `timeout`.
  std::optional<PubSubMessage> next(Millis timeout);

 private:
  std::optional<RedisValue> read_reply(Millis timeout);
  RedisContextHandle ctx_;
};

// A redis-server of our own on a free loopback port, with an append-only file in a temporary
// directory so data survives restart(). Killed and its directory removed by the destructor.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // SHUTDOWN (which writes the append-only file) and wait for the process to end.
  void stop();
  // Start on the same port and directory; wait until it answers PING (not LOADING).
  void start();
  void restart(Millis down_time = Millis(0));
  bool running() const { return pid_ > 0; }

 private:
  int port_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace holdfast::test
