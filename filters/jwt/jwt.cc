// The `jwt` filter on each worker: finds the token, verifies it against the current keys, and
// sets the connection's identity. With keys from a URL, an unknown kid or keys not loaded yet
// may wait for a fetch; such a connection is held and resumed when the fetch ends.
#include "filters/jwt/jwt.h"

#include <algorithm>
#include <chrono>

#include "filters/jwt/extract.h"
#include "filters/jwt/jwks_fetcher.h"
#include "filters/jwt/settings.h"
#include "filters/jwt/token.h"

namespace holdfast::filters::jwt {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

// An exp past this (year 2286) is treated as no expiry, so time arithmetic cannot overflow.
constexpr int64_t kMaxExp = 10'000'000'000;
// How often held connections are checked against their deadline.
constexpr uint64_t kWaitCheckMs = 250;

constexpr std::string_view kRealm = "Bearer realm=\"holdfast\"";

std::string_view short_reason(Decision d) {
  switch (d) {
    case kMissing:
      return "a bearer token is required";
    case kMalformed:
      return "malformed token";
    case kBadAlgorithm:
      return "token algorithm not allowed";
    case kUnknownKey:
      return "unknown signing key";
    case kBadSignature:
      return "invalid token signature";
    case kBadIssuer:
      return "wrong token issuer";
    case kBadAudience:
      return "wrong token audience";
    case kExpired:
      return "token expired";
    case kNotYetValid:
      return "token not yet valid";
    case kKeysUnavailable:
      return "signing keys unavailable";
    default:
      return "unauthorized";
  }
}

Rejection refusal(Decision d) {
  Rejection r;
  r.kind = RejectKind::Auth;
  r.status = 401;
  r.close_code = 1008;
  r.error = "unauthorized";
  r.message = std::string(short_reason(d));
  r.decision = d;
  r.www_authenticate = std::string(kRealm);
  if (d != kMissing) {
    r.www_authenticate += ", error=\"invalid_token\", error_description=\"";
    r.www_authenticate += short_reason(d);
    r.www_authenticate += '"';
  }
  return r;
}

Decision decision_of(Check c) {
  switch (c) {
    case Check::Ok:
      return kAllowed;
    case Check::Malformed:
      return kMalformed;
    case Check::BadAlgorithm:
      return kBadAlgorithm;
    case Check::BadSignature:
      return kBadSignature;
    case Check::BadIssuer:
      return kBadIssuer;
    case Check::BadAudience:
      return kBadAudience;
    case Check::Expired:
      return kExpired;
    case Check::NotYetValid:
      return kNotYetValid;
  }
  return kMalformed;
}

template <typename Handle>
void close_and_free(Handle* h) {
  h->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

class JwtFilter;

// A connection's wait for a fetch. Only connections on a route with a JWKS URL have one.
struct Waiting : ConnectionState {
  ~Waiting() override;
  JwtFilter* filter = nullptr;
  Connection* conn = nullptr;  // the proxy keeps it as long as this state
  Pending pending;
  std::string token;
  uint64_t after = 0;  // answered by the first fetch that completes past this count
  SteadyClock::time_point deadline;
  bool queued = false;
};

class JwtFilter final : public Filter {
 public:
  JwtFilter(std::shared_ptr<const Settings> settings, std::shared_ptr<JwksFetcher> fetcher,
            const WorkerEnv& env)
      : settings_(std::move(settings)), fetcher_(std::move(fetcher)), env_(env) {
    rules_.issuer = settings_->issuer;
    rules_.audiences = settings_->audiences;
    rules_.leeway_seconds = std::chrono::duration_cast<seconds>(settings_->leeway).count();
    rules_.require_exp = settings_->require_exp;
  }

  // The loop handles, for a URL's keys; false when they could not be made.
  bool init() {
    if (!fetcher_) return true;
    uv_loop_t* loop = env_.host->loop();
    async_ = new uv_async_t;
    if (uv_async_init(loop, async_, [](uv_async_t* h) {
          if (h->data != nullptr) static_cast<JwtFilter*>(h->data)->answer_waiting(false);
        }) != 0) {
      delete async_;
      async_ = nullptr;
      return false;
    }
    async_->data = this;
    timer_ = new uv_timer_t;
    uv_timer_init(loop, timer_);
    timer_->data = this;
    fetcher_->subscribe(async_);
    return true;
  }

  ~JwtFilter() override {
    for (Waiting* w : waiting_)
      w->queued = false;
    waiting_.clear();
    if (fetcher_ && async_ != nullptr) fetcher_->unsubscribe(async_);
    if (async_ != nullptr) close_and_free(async_);
    if (timer_ != nullptr) close_and_free(timer_);
  }

  std::unique_ptr<ConnectionState> new_state() override {
    if (!fetcher_) return nullptr;
    return std::make_unique<Waiting>();
  }

  Verdict on_upgrade(const Request& req, Call& call) override {
    const std::string_view token = find_token(settings_->tokens, req);
    if (token.empty()) {
      if (!settings_->optional) return call.reject(refusal(kMissing));
      env_.host->count(env_.filter_type, kAnonymous);
      return Verdict::Continue;
    }
    // Read before the keys, so that a fetch ending in between still answers a wait.
    const uint64_t completed = fetcher_ ? fetcher_->completed() : 0;
    const Decision d = check(token, call.conn);
    if (d == kAllowed) return Verdict::Continue;
    if (fetcher_ && call.state != nullptr && may_wait(d)) {
      auto& w = static_cast<Waiting&>(*call.state);
      w.filter = this;
      w.conn = &call.conn;
      w.pending = call.pending;
      w.token.assign(token);
      w.after = completed;
      w.deadline = SteadyClock::now() + fetcher_->url().timeout + milliseconds(750);
      w.queued = true;
      waiting_.push_back(&w);
      if (waiting_.size() == 1) {
        uv_timer_start(
            timer_,
            [](uv_timer_t* t) {
              if (t->data != nullptr) static_cast<JwtFilter*>(t->data)->answer_waiting(true);
            },
            kWaitCheckMs, kWaitCheckMs);
      }
      return call.defer();
    }
    return call.reject(refusal(d));
  }

  void forget(Waiting* w) {
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), w), waiting_.end());
    if (waiting_.empty() && timer_ != nullptr) uv_timer_stop(timer_);
  }

 private:
  // An unknown kid is refused at once, with the same 401 whether the URL is up or down, and asks
  // for a refetch so that a retry finds a key the provider has just published. Holding it
  // instead would cost a held connection per forged kid. Keys never loaded (start-up) wait for
  // a fetch that is running.
  bool may_wait(Decision d) {
    if (d == kUnknownKey) fetcher_->ask_refetch();
    if (d == kKeysUnavailable) return fetcher_->fetching();
    return false;
  }

  // Verifies `compact` and, when it passes, sets the identity on `conn` and counts it.
  Decision check(std::string_view compact, Connection& conn) {
    if (compact.size() > kMaxTokenBytes) return kMalformed;
    Token token;
    if (const Check c = decode(compact, token); c != Check::Ok) return decision_of(c);
    if (!settings_->algorithms.has(token.alg)) return kBadAlgorithm;
    // Fixed keys are read without touching their shared count, which every worker shares.
    std::shared_ptr<const KeySet> fetched;
    const KeySet* keys = settings_->keys.get();
    if (fetcher_) {
      fetched = fetcher_->keys();
      keys = fetched.get();
    }
    if (keys == nullptr) return kKeysUnavailable;
    const auto candidates = keys->candidates(token.kid, token.alg);
    if (candidates.empty()) {
      // A key is there but cannot make this signature: the algorithm is wrong for it.
      const bool known = token.kid.empty() ? !keys->keys.empty() : keys->has_kid(token.kid);
      return known ? kBadAlgorithm : kUnknownKey;
    }
    const bool signed_ok = std::any_of(candidates.begin(), candidates.end(), [&](const Key* key) {
      return verify_signature(token, *key);
    });
    if (!signed_ok) return kBadSignature;
    const int64_t now =
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (const Check c = check_claims(token, rules_, now); c != Check::Ok) return decision_of(c);
    if (token.sub.empty()) return kMalformed;
    admit(token, conn);
    return kAllowed;
  }

  void admit(const Token& token, Connection& conn) {
    conn.auth_id = token.sub;
    for (const auto& [name, claim] : settings_->claims) {
      if (auto value = token.claim(claim)) conn.claims.emplace_back(name, std::move(*value));
    }
    if (settings_->close_on_expiry && token.exp && *token.exp > 0 && *token.exp < kMaxExp) {
      conn.expires =
          std::chrono::system_clock::time_point(seconds(*token.exp)) +
          std::chrono::duration_cast<std::chrono::system_clock::duration>(settings_->expiry_grace);
    }
    env_.host->count(env_.filter_type, kAllowed);
  }

  // Answers the waits a finished fetch settles, or (`deadlines_only`) those out of time. One at
  // a time: resuming a connection may end another one, whose state then leaves the list.
  void answer_waiting(bool deadlines_only) {
    const uint64_t completed = fetcher_->completed();
    const auto now = SteadyClock::now();
    for (;;) {
      auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Waiting* w) {
        return w->after < completed || (deadlines_only && now >= w->deadline);
      });
      if (it == waiting_.end()) break;
      Waiting* w = *it;
      waiting_.erase(it);
      w->queued = false;
      const Pending pending = w->pending;
      const Decision d = check(w->token, *w->conn);
      w->token.clear();
      w->token.shrink_to_fit();
      if (d == kAllowed) {
        env_.host->resume(pending, nullptr);
      } else {
        const Rejection r = refusal(d);
        env_.host->resume(pending, &r);
      }
    }
    if (waiting_.empty() && timer_ != nullptr) uv_timer_stop(timer_);
  }

  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<JwksFetcher> fetcher_;
  WorkerEnv env_;
  ClaimRules rules_;
  uv_async_t* async_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  std::vector<Waiting*> waiting_;
};

Waiting::~Waiting() {
  if (queued && filter != nullptr) filter->forget(this);
}

class Factory final : public FilterFactory {
 public:
  Factory(std::shared_ptr<const Settings> settings, std::shared_ptr<JwksFetcher> fetcher)
      : settings_(std::move(settings)), fetcher_(std::move(fetcher)) {}

  std::unique_ptr<Filter> for_worker(const WorkerEnv& env) override {
    auto filter = std::make_unique<JwtFilter>(settings_, fetcher_, env);
    if (!filter->init()) return nullptr;
    return filter;
  }

  void stop() override {
    if (fetcher_) fetcher_->stop();
  }

 private:
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<JwksFetcher> fetcher_;
};

}  // namespace

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& env) {
  auto s = std::static_pointer_cast<const Settings>(std::move(settings));
  std::shared_ptr<JwksFetcher> fetcher;
  if (s->jwks_url) {
    fetcher = std::make_shared<JwksFetcher>(*s->jwks_url, env.main_loop, env.stats);
    if (!fetcher->start()) return nullptr;
  } else if (!s->keys) {
    return nullptr;
  }
  return std::make_shared<Factory>(std::move(s), std::move(fetcher));
}

}  // namespace holdfast::filters::jwt
