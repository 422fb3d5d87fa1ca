// Configs that load: every key read into its field, defaults, environment expansion, the
// quickstart example.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"

using namespace holdfast::config;
using namespace std::chrono_literals;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one test, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// YAML raw strings start with a newline so they can be written flush left; drop it so that
// line 1 is the first line of the document.
std::shared_ptr<const Config> load(std::string_view yaml) {
  if (!yaml.empty() && yaml[0] == '\n') yaml.remove_prefix(1);
  LoadResult result = load_string(yaml, "holdfast.yaml");
  for (const auto& e : result.errors)
    UNSCOPED_INFO(e.to_string());
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  return result.config;
}

std::string render(const Template& t, const std::vector<std::string>& params,
                   std::string_view user = "u1") {
  const std::vector<std::pair<std::string, std::string>> claims = {{"tenant", "acme"}};
  TemplateContext ctx;
  ctx.params = &params;
  ctx.connection_id = "c42";
  ctx.user = user;
  ctx.claims = &claims;
  return t.render(ctx);
}

std::filesystem::path source_dir() {
#ifdef HOLDFAST_SOURCE_DIR
  return HOLDFAST_SOURCE_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

}  // namespace

TEST_CASE("config: a full config loads with every field") {
  const auto dir = std::filesystem::temp_directory_path() / "holdfast-config-test-tls";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tls.crt") << "certificate";
  std::ofstream(dir / "tls.key") << "key";
  ScopedEnv tls_dir("HOLDFAST_TEST_TLS_DIR", dir.string());

  const auto config = load(R"(
instance: edge-1.eu_west
workers: 4
file_limit: 65536
log: { level: debug }
drain_timeout: 20s
admin: { address: "[::1]:9902" }
buses:
  kafka:
    brokers: kafka-1:9092,kafka-2:9092
    producer: { linger.ms: 5, enable.idempotence: true }
    consumer: { fetch.wait.max.ms: 10 }
  redis:
    url: redis://:s3cret@redis.internal:6380/2
    prefix: "hf:"
    reconnect_max: 2s
listeners:
  - address: 0.0.0.0:8443
    tls: { cert: "${HOLDFAST_TEST_TLS_DIR}/tls.crt", key: "${HOLDFAST_TEST_TLS_DIR}/tls.key" }
    receive_buffer: 4KiB
    routes:
      - name: rooms
        path: /tenants/{tenant}/rooms/{room}
        upstream:
          kafka: { topic: "rooms.{tenant}", key: "{room}" }
        replies:
          kafka: { topic: rooms.replies }
          redis: true
        events:
          kafka: { topic: rooms.events, key: user }
        subscribe: ["room:{tenant}:{room}", "tenant:{claim.tenant}"]
        metadata: { room: "{room}", tenant: "{claim.tenant}" }
        content_type: application/json
        user: "{tenant}/{connection}"
        max_message_size: 64KiB
        max_inflight_bytes: 2MiB
        max_outbound_bytes: 1GiB
        bus_timeout: 500ms
        keepalive: { ping_interval: 15s, pong_timeout: 5s, idle_timeout: 10m }
        filters: []
      - name: jobs
        path: /jobs
        upstream:
          redis: { stream: "jobs:{user}", maxlen: 10000 }
        events:
          redis: { stream: "jobs:events" }
  - address: 127.0.0.1:0
    routes:
      - name: notify
        path: /notify/{user}
        upstream:
          redis: { channel: "notify:{user}" }
        user: "{user}"
        keepalive: { ping_interval: 0 }
      - name: echo
        path: /echo
        upstream: { echo: }
)");

  CHECK(config->file == "holdfast.yaml");
  CHECK(config->instance == "edge-1.eu_west");
  CHECK(config->workers == 4);
  CHECK(config->file_limit == 65536);
  CHECK(config->log_level == "debug");
  CHECK(config->drain_timeout == 20s);
  CHECK(config->admin.host == "::1");
  CHECK(config->admin.port == 9902);

  REQUIRE(config->kafka);
  CHECK(config->kafka->brokers == "kafka-1:9092,kafka-2:9092");
  CHECK_FALSE(config->kafka->embedded);
  CHECK(config->kafka->producer == Properties{{"linger.ms", "5"}, {"enable.idempotence", "true"}});
  CHECK(config->kafka->consumer == Properties{{"fetch.wait.max.ms", "10"}});

  REQUIRE(config->redis);
  CHECK(config->redis->host == "redis.internal");
  CHECK(config->redis->port == 6380);
  CHECK(config->redis->db == 2);
  CHECK(config->redis->password == "s3cret");
  CHECK(config->redis->prefix == "hf:");
  CHECK(config->redis->reconnect_max == 2s);

  REQUIRE(config->listeners.size() == 2);
  const ListenerConfig& tls_listener = config->listeners[0];
  CHECK(tls_listener.host == "0.0.0.0");
  CHECK(tls_listener.port == 8443);
  CHECK(tls_listener.receive_buffer == 4096);
  REQUIRE(tls_listener.tls);
  CHECK(tls_listener.tls->cert == (dir / "tls.crt").string());
  CHECK(tls_listener.tls->key == (dir / "tls.key").string());
  CHECK(tls_listener.mark.line == 17);
  CHECK(tls_listener.mark.col == 5);
  REQUIRE(tls_listener.routes.size() == 2);

  const RouteConfig& rooms = *tls_listener.routes[0];
  CHECK(rooms.name == "rooms");
  CHECK(rooms.source == "/holdfast/edge-1.eu_west/rooms");  // the contract's `source`
  CHECK(rooms.mark.file == "holdfast.yaml");
  CHECK(rooms.mark.line == 21);
  CHECK(rooms.mark.col == 9);
  CHECK(rooms.path.source() == "/tenants/{tenant}/rooms/{room}");
  CHECK(rooms.path.param_names() == std::vector<std::string>{"tenant", "room"});
  const std::vector<std::string> params = {"acme", "lobby"};
  CHECK(rooms.upstream.kind == Upstream::Kind::Kafka);
  CHECK(render(rooms.upstream.kafka.topic, params) == "rooms.acme");
  CHECK(rooms.upstream.kafka.key_mode == KeyMode::Template);
  CHECK(render(rooms.upstream.kafka.key, params) == "lobby");
  CHECK(rooms.replies.kafka_topic == "rooms.replies");
  CHECK(rooms.replies.redis);
  CHECK(rooms.events.kind == Events::Kind::Kafka);
  CHECK(render(rooms.events.kafka.topic, params) == "rooms.events");
  CHECK(rooms.events.kafka.key_mode == KeyMode::User);
  REQUIRE(rooms.subscribe.size() == 2);
  CHECK(render(rooms.subscribe[0], params) == "room:acme:lobby");
  CHECK(render(rooms.subscribe[1], params) == "tenant:acme");
  REQUIRE(rooms.metadata.size() == 2);
  CHECK(rooms.metadata[0].first == "room");
  CHECK(render(rooms.metadata[0].second, params) == "lobby");
  CHECK(rooms.metadata[1].first == "tenant");
  CHECK(render(rooms.metadata[1].second, params) == "acme");
  CHECK(rooms.content_type == "application/json");
  CHECK(render(rooms.user, params) == "acme/c42");
  CHECK(rooms.limits.max_message_size == 64 * 1024);
  CHECK(rooms.limits.max_inflight_bytes == 2 * 1024 * 1024);
  CHECK(rooms.limits.max_outbound_bytes == size_t{1} << 30);
  CHECK(rooms.limits.bus_timeout == 500ms);
  CHECK(rooms.keepalive.ping_interval == 15s);
  CHECK(rooms.keepalive.pong_timeout == 5s);
  CHECK(rooms.keepalive.idle_timeout == 10min);
  CHECK(rooms.filters.empty());

  const RouteConfig& jobs = *tls_listener.routes[1];
  CHECK(jobs.name == "jobs");
  CHECK(jobs.upstream.kind == Upstream::Kind::Redis);
  CHECK(jobs.upstream.redis.kind == RedisUpstream::Kind::Stream);
  CHECK(render(jobs.upstream.redis.name, {}, "ann") == "jobs:ann");
  CHECK(jobs.upstream.redis.maxlen == 10000);
  CHECK(jobs.events.kind == Events::Kind::Redis);
  CHECK(render(jobs.events.redis.name, {}) == "jobs:events");
  CHECK(jobs.replies.kafka_topic.empty());
  CHECK_FALSE(jobs.replies.redis);

  const ListenerConfig& plain = config->listeners[1];
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 0);
  CHECK_FALSE(plain.tls);
  REQUIRE(plain.routes.size() == 2);
  const RouteConfig& notify = *plain.routes[0];
  CHECK(notify.upstream.redis.kind == RedisUpstream::Kind::Channel);
  CHECK(render(notify.upstream.redis.name, {"bob"}) == "notify:bob");
  CHECK(render(notify.user, {"bob"}) == "bob");
  CHECK(notify.keepalive.ping_interval == 0ms);
  CHECK(plain.routes[1]->upstream.kind == Upstream::Kind::Echo);

  std::filesystem::remove_all(dir);
}

TEST_CASE("config: defaults apply when keys are left out") {
  const auto config = load(R"(
listeners:
  - address: 127.0.0.1:8080
    routes:
      - { name: echo, path: /echo, upstream: { echo: {} } }
)");
  CHECK(config->instance == "local");
  CHECK(config->workers == 0);
  CHECK(config->file_limit == 0);
  CHECK(config->log_level == "info");
  CHECK(config->drain_timeout == 10s);
  CHECK(config->admin.host == "127.0.0.1");
  CHECK(config->admin.port == 9901);
  CHECK_FALSE(config->kafka);
  CHECK_FALSE(config->redis);
  CHECK(config->listeners.at(0).receive_buffer == 16384);
  const RouteConfig& route = *config->listeners.at(0).routes.at(0);
  CHECK(route.upstream.kind == Upstream::Kind::Echo);
  CHECK(route.events.kind == Events::Kind::None);
  CHECK(route.replies.kafka_topic.empty());
  CHECK_FALSE(route.replies.redis);
  CHECK(route.subscribe.empty());
  CHECK(route.metadata.empty());
  CHECK(route.content_type.empty());
  CHECK(route.user.empty());
  CHECK(route.limits.max_message_size == 1024 * 1024);
  CHECK(route.limits.max_inflight_bytes == 1024 * 1024);
  CHECK(route.limits.max_outbound_bytes == 4 * 1024 * 1024);
  CHECK(route.limits.bus_timeout == 30s);
  CHECK(route.keepalive.ping_interval == 30s);
  CHECK(route.keepalive.pong_timeout == 10s);
  CHECK(route.keepalive.idle_timeout == 0ms);
}

TEST_CASE("config: environment variables expand, with or without a default") {
  ScopedEnv port("HOLDFAST_TEST_PORT", "9000");
  ScopedEnv empty("HOLDFAST_TEST_EMPTY", "");
  ScopedEnv unset("HOLDFAST_TEST_UNSET", std::nullopt);
  const auto config = load(R"(
instance: ${HOLDFAST_TEST_UNSET:-from-default}
workers: ${HOLDFAST_TEST_EMPTY:-2}
listeners:
  - address: 127.0.0.1:${HOLDFAST_TEST_PORT}
    routes:
      - name: price
        path: /price
        upstream: { echo: {} }
        content_type: text/plain; cost=$$5; $HOME stays
)");
  CHECK(config->instance == "from-default");
  CHECK(config->workers == 2);
  CHECK(config->listeners[0].port == 9000);
  CHECK(config->listeners[0].routes[0]->content_type == "text/plain; cost=$5; $HOME stays");
}

TEST_CASE("config: the quickstart example is valid with the environment unset") {
  const char* vars[] = {"HOSTNAME", "HOLDFAST_PORT", "HOLDFAST_ADMIN_PORT", "KAFKA_BROKERS",
                        "REDIS_URL"};
  std::vector<std::unique_ptr<ScopedEnv>> env;
  for (const char* var : vars)
    env.push_back(std::make_unique<ScopedEnv>(var, std::nullopt));

  const auto path = (source_dir() / "examples/quickstart/holdfast.yaml").string();
  const LoadResult result = load_file(path);
  for (const auto& e : result.errors)
    UNSCOPED_INFO(e.to_string());
  REQUIRE(result.errors.empty());
  const Config& config = *result.config;
  CHECK(config.file == path);
  CHECK(config.instance == "local");
  CHECK(config.admin.port == 9901);
  CHECK(config.kafka->brokers == "127.0.0.1:9092");
  CHECK(config.redis->host == "127.0.0.1");
  CHECK(config.redis->port == 6379);
  REQUIRE(config.listeners.size() == 1);
  CHECK(config.listeners[0].host == "0.0.0.0");
  CHECK(config.listeners[0].port == 8080);

  const auto& routes = config.listeners[0].routes;
  REQUIRE(routes.size() == 4);
  CHECK(routes[0]->name == "kafka-echo");
  CHECK(routes[0]->path.source() == "/kafka/echo");
  CHECK(routes[0]->upstream.kafka.topic.source() == "echo.requests");
  CHECK(routes[0]->upstream.kafka.key_mode == KeyMode::Connection);
  CHECK(routes[0]->replies.kafka_topic == "echo.replies");
  CHECK(routes[0]->events.kafka.topic.source() == "echo.events");
  CHECK(routes[1]->name == "redis-echo");
  CHECK(routes[1]->path.source() == "/redis/echo");
  CHECK(routes[1]->upstream.redis.kind == RedisUpstream::Kind::Stream);
  CHECK(routes[1]->upstream.redis.name.source() == "echo:requests");
  CHECK(routes[1]->replies.redis);
  CHECK(routes[2]->name == "rooms");
  CHECK(routes[2]->path.source() == "/rooms/{room}");
  CHECK(routes[2]->upstream.kafka.topic.source() == "rooms.messages");
  CHECK(render(routes[2]->upstream.kafka.key, {"lobby"}) == "lobby");
  CHECK(routes[2]->replies.kafka_topic == "rooms.replies");
  CHECK(render(routes[2]->subscribe.at(0), {"lobby"}) == "room:lobby");
  CHECK(routes[2]->metadata.at(0).first == "room");
  CHECK(routes[3]->name == "echo");
  CHECK(routes[3]->path.source() == "/echo");
  CHECK(routes[3]->upstream.kind == Upstream::Kind::Echo);
}

TEST_CASE("config: an unreadable file is one error without a line") {
  const LoadResult result = load_file("/nonexistent/holdfast.yaml");
  CHECK_FALSE(result.config);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 0);
  CHECK(result.errors[0].to_string() ==
        "/nonexistent/holdfast.yaml: cannot read the file: No such file or directory");
}
