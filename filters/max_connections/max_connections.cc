#include "filters/max_connections/max_connections.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace holdfast::filters::max_connections {
namespace {

using config::Diagnostics;
using config::Field;

struct Settings : config::FilterSettings {
  int64_t per_listener = 0;  // 0: no cap
  int64_t per_ip = 0;
  int64_t per_user = 0;
};

// Open connections admitted through any max_connections entry, across every worker and route:
// per listener ("l<index>"), per client IP ("i<ip>") and per user ("u<id>"). Touched twice per
// connection (admit, close), never per message.
class Counts {
 public:
  static Counts& instance() {
    static Counts counts;
    return counts;
  }

  // Adds one to each key unless that would pass its cap; returns the decision.
  Decision admit(const Settings& s, const std::string& listener, const std::string& ip,
                 const std::string& user) {
    std::lock_guard lock(mu_);
    if (s.per_listener > 0 && value(listener) >= s.per_listener) return kListenerFull;
    if (s.per_ip > 0 && value(ip) >= s.per_ip) return kIpFull;
    if (s.per_user > 0 && !user.empty() && value(user) >= s.per_user) return kUserFull;
    ++counts_[listener];
    ++counts_[ip];
    if (!user.empty()) ++counts_[user];
    return kAllowed;
  }

  void release(const std::string& listener, const std::string& ip, const std::string& user) {
    std::lock_guard lock(mu_);
    drop(listener);
    drop(ip);
    if (!user.empty()) drop(user);
  }

 private:
  int64_t value(const std::string& key) const {
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }
  void drop(const std::string& key) {
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second <= 0) counts_.erase(it);
  }

  std::mutex mu_;
  std::unordered_map<std::string, int64_t> counts_;
};

struct Admitted : ConnectionState {
  std::string listener, ip, user;
  bool counted = false;
};

class CapFilter final : public Filter {
 public:
  CapFilter(std::shared_ptr<const Settings> settings, const WorkerEnv& env)
      : settings_(std::move(settings)), env_(env) {}

  std::unique_ptr<ConnectionState> new_state() override { return std::make_unique<Admitted>(); }

  Verdict on_upgrade(const Request& req, Call& call) override {
    auto& a = static_cast<Admitted&>(*call.state);
    a.listener = "l" + std::to_string(req.listener);
    a.ip = "i" + call.conn.client_ip;
    a.user = call.conn.auth_id.empty() ? std::string() : "u" + call.conn.auth_id;
    const Decision d = Counts::instance().admit(*settings_, a.listener, a.ip, a.user);
    if (d == kAllowed) {
      a.counted = true;
      env_.host->count(env_.filter_type, kAllowed);
      return Verdict::Continue;
    }
    Rejection r;
    r.kind = RejectKind::Rate;
    r.status = 429;
    r.close_code = 1013;
    r.error = "too_many_connections";
    r.message = d == kListenerFull ? "too many connections on this listener"
                : d == kIpFull     ? "too many connections from this address"
                                   : "too many connections for this user";
    r.decision = d;
    r.retry_after = 1;
    return call.reject(std::move(r));
  }

  void on_close(Call& call) override {
    auto& a = static_cast<Admitted&>(*call.state);
    if (!a.counted) return;
    a.counted = false;
    Counts::instance().release(a.listener, a.ip, a.user);
  }

 private:
  std::shared_ptr<const Settings> settings_;
  WorkerEnv env_;
};

}  // namespace

std::shared_ptr<const config::FilterSettings> read(Diagnostics& diag, const Field& field) {
  if (!config::expect_map(diag, field)) return nullptr;
  config::MapReader map(diag, field, field.name, {"per_listener", "per_ip", "per_user"});
  auto settings = std::make_shared<Settings>();
  const std::pair<std::string_view, int64_t*> caps[] = {{"per_listener", &settings->per_listener},
                                                        {"per_ip", &settings->per_ip},
                                                        {"per_user", &settings->per_user}};
  bool any = false;
  for (const auto& [key, out] : caps) {
    if (const Field* f = map.find(key)) {
      any = true;
      if (auto n = config::read_int(diag, *f, 1, 10'000'000)) *out = *n;
    }
  }
  if (!any) {
    diag.error(map.mark(),
               "expected at least one of per_listener, per_ip or per_user in '" + field.name + "'");
  }
  return settings;
}

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& /*env*/) {
  return std::make_shared<SettingsFactory<CapFilter, Settings>>(std::move(settings));
}

}  // namespace holdfast::filters::max_connections
