// A channel's members as connections join, leave and close at every place in the worker's
// list of them: every message to the channel must still reach each member once, and no one else,
// and the channel must go once its last member has.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_support.h"
#include "tests/support/kafka_client.h"  // unique_topic
#include "tests/support/redis_client.h"

namespace holdfast::test::e2e {
namespace {

constexpr Millis kWait{15000};

constexpr std::string_view kConfig = R"(
instance: e2e-members
workers: 1
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "@REDIS@", prefix: "@PREFIX@" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: members
        path: /rooms/{room}/{user}
        user: "{user}"
        subscribe: ["room:{room}"]
        upstream: { echo: {} }
)";

class Room {
 public:
  Room()
      : prefix_(unique_topic("e2e:members") + ":"),
        proxy_(fill(kConfig, {{"PREFIX", prefix_}})),
        redis_(redis_url()) {}

  void open(const std::string& name) {
    clients_.push_back({name, open_ws(proxy_, "/rooms/a/" + name), ""});
    wait_active();
  }

  // Closes the client named `name` and waits for the proxy to count it gone.
  void close(const std::string& name) {
    for (auto it = clients_.begin(); it != clients_.end(); ++it) {
      if (it->name != name) continue;
      REQUIRE(it->ws->send_close(1000));
      const WsEvent ev = it->ws->recv(kWait);
      INFO(describe(ev));
      CHECK(ev.is_close(1000));
      clients_.erase(it);
      wait_active();
      return;
    }
    FAIL("no client " << name);
  }

  void control(const std::string& user, const std::string& verb) {
    CHECK(redis_.publish(prefix_ + "control", R"({"target":"user:)" + user + R"(","control":")" +
                                                  verb + R"(","channel":"room:a"})") == 1);
  }

  // Publishes `text` to the room, then a broadcast sentinel, and returns what each open client
  // got before the sentinel.
  Deliveries say(const std::string& text) {
    CHECK(redis_.publish(prefix_ + "channel:room:a", text) == 1);
    const std::string sentinel = "sentinel-" + std::to_string(++rounds_);
    CHECK(redis_.publish(prefix_ + "broadcast", sentinel) == 1);
    return receive_until(clients_, sentinel);
  }

  Deliveries only(std::initializer_list<const char*> names, const std::string& text) {
    Deliveries some;
    for (const char* n : names)
      some[n] = {text};
    return expect_only(clients_, some);
  }

  double channels() const { return proxy_.metric("holdfast_channels_active"); }
  double wait_channels(double want) const { return wait_for("holdfast_channels_active", want); }

 private:
  // Waits until the gauge `name` reads `want`, and returns what it last read.
  double wait_for(std::string_view name, double want) const {
    return proxy_.wait_metric(
        name, [&](double v) { return v == want; }, kWait);
  }

  void wait_active() {
    const auto want = static_cast<double>(clients_.size());
    CHECK(wait_for("holdfast_connections_active", want) == want);
  }

  std::string prefix_;
  HoldfastProcess proxy_;
  RedisClient redis_;
  std::vector<NamedClient> clients_;
  int rounds_ = 0;
};

}  // namespace

TEST_CASE("a channel reaches each member once as members leave from any place", "[redis]") {
  Room room;
  for (const char* name : {"u0", "u1", "u2", "u3", "u4"})
    room.open(name);
  CHECK(room.channels() == 1);
  CHECK(room.say("all five") == room.only({"u0", "u1", "u2", "u3", "u4"}, "all five"));

  room.close("u0");  // the first to join
  CHECK(room.say("first gone") == room.only({"u1", "u2", "u3", "u4"}, "first gone"));

  room.control("u2", "unsubscribe");  // from the middle
  CHECK(room.say("u2 left") == room.only({"u1", "u3", "u4"}, "u2 left"));
  room.control("u2", "unsubscribe");  // not a member: nothing moves
  room.control("u3", "subscribe");    // already a member: not added twice
  CHECK(room.say("again") == room.only({"u1", "u3", "u4"}, "again"));

  room.control("u2", "subscribe");  // back, as the newest member
  room.close("u4");
  CHECK(room.say("u4 gone") == room.only({"u1", "u2", "u3"}, "u4 gone"));

  room.close("u3");
  room.control("u2", "unsubscribe");
  CHECK(room.say("one left") == room.only({"u1"}, "one left"));

  room.control("u1", "unsubscribe");  // the last member: the channel goes
  CHECK(room.wait_channels(0) == 0);
  CHECK(room.say("no one") == room.only({}, "no one"));
  room.control("u1", "subscribe");
  CHECK(room.wait_channels(1) == 1);
  room.close("u1");
  CHECK(room.wait_channels(0) == 0);
}

}  // namespace holdfast::test::e2e
