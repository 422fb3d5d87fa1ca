#include "tests/e2e/e2e_support.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <stdexcept>

#include "tests/support/env.h"
#include "tests/support/redis_client.h"

namespace holdfast::test::e2e {

std::string fill(std::string_view text, std::map<std::string, std::string> vars) {
  vars.emplace("KAFKA", kafka_brokers());
  vars.emplace("REDIS", redis_url());
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t at = text.find('@', pos);
    if (at == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, at - pos));
    const size_t end = text.find('@', at + 1);
    if (end == std::string_view::npos) throw std::runtime_error("unclosed @ in config template");
    const std::string name(text.substr(at + 1, end - at - 1));
    const auto it = vars.find(name);
    if (it == vars.end()) throw std::runtime_error("no value for @" + name + "@");
    out += it->second;
    pos = end + 1;
  }
  return out;
}

std::unique_ptr<WsClient> open_ws(const HoldfastProcess& proxy, const std::string& path,
                                  const WsClient::Options& options) {
  auto ws = std::make_unique<WsClient>();
  const bool ok = ws->connect("127.0.0.1", proxy.port(), path, options);
  INFO("connect " << path << ": " << ws->error());
  REQUIRE(ok);
  return ws;
}

std::string seq_payload(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "seq-%07d", n);
  return buf;
}

int seq_number(std::string_view text) {
  if (text.size() != 11 || text.substr(0, 4) != "seq-") return -1;
  int n = 0;
  for (char c : text.substr(4)) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool is_recent_rfc3339_utc(std::string_view text) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$)");
  std::cmatch m;
  if (!std::regex_match(text.begin(), text.end(), m, re)) return false;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1].str()) - 1900;
  tm.tm_mon = std::stoi(m[2].str()) - 1;
  tm.tm_mday = std::stoi(m[3].str());
  tm.tm_hour = std::stoi(m[4].str());
  tm.tm_min = std::stoi(m[5].str());
  tm.tm_sec = std::stoi(m[6].str());
  const std::time_t then = ::timegm(&tm);
  const std::time_t now = std::time(nullptr);
  return then > now - 60 && then < now + 60;
}

bool is_traceparent(std::string_view text) {
  static const std::regex re("^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$");
  std::cmatch m;
  if (!std::regex_match(text.begin(), text.end(), m, re)) return false;
  return m[1].str() != std::string(32, '0') && m[2].str() != std::string(16, '0');
}

std::string check_in_order_at_least_once(const std::vector<int>& got, int count,
                                         size_t& duplicates) {
  duplicates = 0;
  int next = 0;         // the lowest number not seen yet
  int replay_next = 0;  // inside a re-sent run: the number that must come next
  for (size_t i = 0; i < got.size(); ++i) {
    const int v = got[i];
    const auto fail = [&](const std::string& why) {
      return "at position " + std::to_string(i) + " got " + std::to_string(v) + ": " + why;
    };
    if (v < 0) return fail("not a sequence number");
    const bool replaying = replay_next < next;
    if (replaying && v == replay_next) {
      ++replay_next;
      ++duplicates;
    } else if (v < next) {
      // A new re-send (or one after another drop) starts here.
      replay_next = v + 1;
      ++duplicates;
    } else if (replaying) {
      return fail("a re-sent run stopped at " + std::to_string(replay_next - 1) +
                  " before reaching " + std::to_string(next - 1));
    } else if (v == next) {
      replay_next = ++next;
    } else {
      return fail("expected " + std::to_string(next) + " (a gap)");
    }
  }
  if (replay_next < next)
    return "a re-sent run ended at " + std::to_string(replay_next - 1) + " before reaching " +
           std::to_string(next - 1);
  if (next != count)
    return "only 0.." + std::to_string(next - 1) + " of " + std::to_string(count) + " arrived";
  return "";
}

void check_burst_echo(WsClient& ws) {
  std::vector<std::string> messages;
  for (size_t size : {0, 1, 125, 126, 127, 4095, 4096, 4097, 65535, 65536, 70000})
    messages.push_back(std::string(size, static_cast<char>('a' + messages.size() % 26)));
  for (int i = 0; i < 300; ++i)
    messages.push_back(seq_payload(i) + std::string(static_cast<size_t>(i * 7 % 300), '.'));
  std::string burst;
  for (size_t i = 0; i < messages.size(); ++i) {
    const WsOpcode op = i % 3 == 0 ? WsOpcode::Binary : WsOpcode::Text;
    burst += ws.encode_frame(op, messages[i], true);
  }
  REQUIRE(ws.send_raw(burst));
  for (size_t i = 0; i < messages.size(); ++i) {
    const WsEvent ev = ws.recv(Millis(10000));
    INFO("echo " << i << " of " << messages.size() << ": " << describe(ev));
    REQUIRE(ev.kind == (i % 3 == 0 ? WsEvent::Kind::Binary : WsEvent::Kind::Text));
    REQUIRE(ev.data == messages[i]);
  }
  CHECK(ws.recv(Millis(300)).kind == WsEvent::Kind::Timeout);
}

void check_paused_burst_reaches_stream(WsClient& ws, const std::string& stream) {
  constexpr int kMessages = 200;  // 60 KB: with 1 KiB in flight, paused every few messages
  auto message = [](int i) { return seq_payload(i) + std::string(290, '.'); };
  std::string burst;
  for (int i = 0; i < kMessages; ++i)
    burst += ws.encode_frame(WsOpcode::Text, message(i), true);
  REQUIRE(ws.send_raw(burst));
  const auto entries = RedisClient(redis_url()).read_stream(stream, "0", kMessages, Millis(15000));
  REQUIRE(entries.size() == kMessages);
  for (int i = 0; i < kMessages; ++i) {
    INFO("entry " << i);
    CHECK(entries[static_cast<size_t>(i)].field("data") == message(i));
  }
}

DeleteKeyAtEnd::~DeleteKeyAtEnd() {
  try {
    RedisClient(redis_url()).command({"DEL", key});
  } catch (const std::exception&) {
  }
}

Deliveries receive_until(std::vector<NamedClient>& clients, const std::string& sentinel) {
  Deliveries got;
  for (auto& c : clients) {
    got[c.name];  // present even when empty
    for (;;) {
      const WsEvent ev = c.ws->recv(Millis(15000));
      INFO(c.name << " waiting for " << sentinel << ": " << describe(ev));
      REQUIRE(ev.kind == WsEvent::Kind::Text);
      if (ev.data == sentinel) break;
      got[c.name].insert(ev.data);
    }
  }
  return got;
}

Deliveries expect_only(const std::vector<NamedClient>& clients, const Deliveries& some) {
  Deliveries d;
  for (const auto& c : clients)
    d[c.name];
  for (const auto& [k, v] : some)
    d[k] = v;
  return d;
}

}  // namespace holdfast::test::e2e
