#include "tests/support/redis_client.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace holdfast::test {
namespace {

RedisValue copy_reply(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.kind = RedisValue::Kind::String;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.kind = RedisValue::Kind::Status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.kind = RedisValue::Kind::Error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::Integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::Array;
      for (size_t i = 0; i < r->elements; ++i)
        v.items.push_back(copy_reply(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

RedisContextHandle connect_redis(const std::string& host, int port) {
  const timeval tv{5, 0};
  RedisContextHandle ctx(redisConnectWithTimeout(host.c_str(), port, tv));
  if (!ctx || ctx->err != 0) {
    throw std::runtime_error("redis connect " + host + ":" + std::to_string(port) + ": " +
                             (ctx ? ctx->errstr : "out of memory"));
  }
  redisSetTimeout(ctx.get(), timeval{10, 0});
  return ctx;
}

RedisValue run_command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (reply == nullptr) throw std::runtime_error(std::string("redis: ") + c->errstr);
  RedisValue v = copy_reply(reply);
  freeReplyObject(reply);
  return v;
}

// [[id, [k, v, k, v...]], ...]
std::vector<StreamEntry> parse_entries(const RedisValue& v) {
  std::vector<StreamEntry> out;
  for (const auto& item : v.items) {
    if (item.items.size() != 2) continue;
    StreamEntry e;
    e.id = item.items[0].str;
    const auto& kv = item.items[1].items;
    for (size_t i = 0; i + 1 < kv.size(); i += 2)
      e.fields.emplace_back(kv[i].str, kv[i + 1].str);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::optional<std::string> StreamEntry::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return std::nullopt;
}

RedisClient::RedisClient(const std::string& url) {
  const HostPort hp = parse_redis_url(url);
  ctx_ = connect_redis(hp.host, hp.port);
}

RedisClient::RedisClient(const std::string& host, int port) : ctx_(connect_redis(host, port)) {}

RedisValue RedisClient::command(const std::vector<std::string>& args) {
  return run_command(ctx_.get(), args);
}

std::vector<StreamEntry> RedisClient::xrange(const std::string& stream, const std::string& start,
                                             const std::string& end, size_t count) {
  std::vector<std::string> args{"XRANGE", stream, start, end};
  if (count > 0) {
    args.push_back("COUNT");
    args.push_back(std::to_string(count));
  }
  const RedisValue v = command(args);
  if (v.kind == RedisValue::Kind::Error) throw std::runtime_error("XRANGE: " + v.str);
  return parse_entries(v);
}

std::vector<StreamEntry> RedisClient::xread(const std::string& stream, const std::string& after_id,
                                            size_t count, Millis block) {
  const RedisValue v = command({"XREAD", "COUNT", std::to_string(count), "BLOCK",
                                std::to_string(block.count()), "STREAMS", stream, after_id});
  if (v.kind == RedisValue::Kind::Error) throw std::runtime_error("XREAD: " + v.str);
  // [[stream, entries]] or nil on timeout
  if (v.kind != RedisValue::Kind::Array || v.items.empty() || v.items[0].items.size() != 2)
    return {};
  return parse_entries(v.items[0].items[1]);
}

std::vector<StreamEntry> RedisClient::read_stream(const std::string& stream, std::string after_id,
                                                  size_t count, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<StreamEntry> out;
  while (out.size() < count) {
    const int left = millis_left(deadline);
    if (left == 0) break;
    auto got = xread(stream, after_id, count - out.size(), Millis(std::min(left, 1000)));
    for (auto& e : got) {
      after_id = e.id;
      out.push_back(std::move(e));
    }
  }
  return out;
}

long long RedisClient::publish(const std::string& channel, std::string_view payload) {
  const RedisValue v = command({"PUBLISH", channel, std::string(payload)});
  if (v.kind != RedisValue::Kind::Integer) throw std::runtime_error("PUBLISH: " + v.str);
  return v.integer;
}

RedisSubscriber::RedisSubscriber(const std::string& url, const std::vector<std::string>& channels,
                                 const std::vector<std::string>& patterns) {
  const HostPort hp = parse_redis_url(url);
  ctx_ = connect_redis(hp.host, hp.port);
  const auto send = [this](const char* verb, const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::vector<std::string> args{verb};
    args.insert(args.end(), names.begin(), names.end());
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data());
  };
  send("SUBSCRIBE", channels);
  send("PSUBSCRIBE", patterns);
  int done = 0;
  while (redisBufferWrite(ctx_.get(), &done) == REDIS_OK && done == 0) {
  }
  for (size_t i = 0; i < channels.size() + patterns.size(); ++i) {
    const auto r = read_reply(Millis(5000));
    if (!r || r->kind != RedisValue::Kind::Array || r->items.empty() ||
        (r->items[0].str != "subscribe" && r->items[0].str != "psubscribe"))
      throw std::runtime_error("redis subscribe was not confirmed");
  }
}

std::optional<RedisValue> RedisSubscriber::read_reply(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK)
      throw std::runtime_error("redis protocol error");
    if (raw != nullptr) {
      RedisValue v = copy_reply(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return v;
    }
    // Poll first: a hiredis read timeout would leave the context unusable.
    pollfd p{ctx_->fd, POLLIN, 0};
    const int left = millis_left(deadline);
    if (left == 0 || ::poll(&p, 1, left) <= 0) return std::nullopt;
    if (redisBufferRead(ctx_.get()) != REDIS_OK)
      throw std::runtime_error(std::string("redis: ") + ctx_->errstr);
  }
}

std::optional<PubSubMessage> RedisSubscriber::next(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto r = read_reply(Millis(millis_left(deadline)));
    if (!r) return std::nullopt;
    if (r->kind != RedisValue::Kind::Array || r->items.empty()) continue;
    if (r->items[0].str == "message" && r->items.size() == 3)
      return PubSubMessage{r->items[1].str, r->items[2].str, ""};
    if (r->items[0].str == "pmessage" && r->items.size() == 4)
      return PubSubMessage{r->items[2].str, r->items[3].str, r->items[1].str};
  }
}

RedisServer::RedisServer() {
  std::string pattern = std::filesystem::temp_directory_path().string() + "/holdfast-redis-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  port_ = free_loopback_port();
  try {
    start();
  } catch (...) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::start() {
  if (pid_ > 0) return;
  const char* bin = std::getenv("REDIS_SERVER");
  const std::string log = dir_ + "/redis.log";
  pid_ = spawn_child(
      {bin != nullptr && *bin != '\0' ? bin : "/usr/bin/redis-server", "--port",
       std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
       "--appendfsync", "everysec", "--dir", dir_, "--daemonize", "no", "--logfile", log},
      {}, STDERR_FILENO, STDERR_FILENO);
  const auto deadline = Clock::now() + Millis(15000);
  for (;;) {
    try {
      RedisClient c("127.0.0.1", port_);
      if (c.command({"PING"}).str == "PONG") return;  // LOADING comes back as an error
    } catch (const std::exception&) {
    }
    if (wait_child(pid_, Millis(0)) != -1) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start; see " + log);
    }
    if (Clock::now() >= deadline) throw std::runtime_error("redis-server did not answer PING");
    std::this_thread::sleep_for(Millis(50));
  }
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  try {
    RedisClient c("127.0.0.1", port_);
    c.command({"SHUTDOWN"});  // no reply: the server closes the connection as it exits
  } catch (const std::exception&) {
  }
  if (wait_child(pid_, Millis(15000)) == -1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

void RedisServer::restart(Millis down_time) {
  stop();
  if (down_time.count() > 0) std::this_thread::sleep_for(down_time);
  start();
}

}  // namespace holdfast::test
