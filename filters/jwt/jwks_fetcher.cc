#include "filters/jwt/jwks_fetcher.h"

#include "proxy/stats.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "proxy/log.h"
#include "proxy/util/random.h"

namespace holdfast::filters::jwt {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr milliseconds kBackoffFirst{1000};
constexpr milliseconds kBackoffMax{60000};

template <typename Handle>
void close_and_free(Handle* h) {
  h->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

// The URL without user:password@ and without the query, for logs.
std::string loggable(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = out.find("://");
  const size_t at = out.find('@');
  const size_t path = out.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos &&
      (path == std::string::npos || at < path)) {
    out.erase(scheme + 3, at - scheme - 2);
  }
  return out;
}

size_t on_body(char* data, size_t size, size_t count, void* userp) {
  auto* body = static_cast<std::string*>(userp);
  const size_t n = size * count;
  if (body->size() + n > kMaxBodyBytes) return 0;  // aborts the transfer
  body->append(data, n);
  return n;
}

}  // namespace

struct JwksFetcher::Curl {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  uv_timer_t* timer = nullptr;    // libcurl's timeout
  std::vector<uv_poll_t*> polls;  // one per socket libcurl watches
  int64_t started_ms = 0;

  void remove_easy() {
    if (easy == nullptr) return;
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
    easy = nullptr;
  }
};

JwksFetcher::JwksFetcher(JwksUrl url, uv_loop_t* main_loop, Stats* stats)
    : url_(std::move(url)), stats_(stats), loop_(main_loop) {}

JwksFetcher::~JwksFetcher() {
  // After a stop() everything is closed. Without one the loop never ran again (start-up
  // failed), so only libcurl's own memory is given back.
  if (curl_ && curl_->multi != nullptr) {
    curl_multi_setopt(curl_->multi, CURLMOPT_SOCKETFUNCTION, nullptr);
    curl_multi_setopt(curl_->multi, CURLMOPT_TIMERFUNCTION, nullptr);
    curl_->remove_easy();
    curl_multi_cleanup(curl_->multi);
  }
  if (curl_) curl_slist_free_all(curl_->headers);
}

int64_t JwksFetcher::now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool JwksFetcher::start() {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = std::make_unique<Curl>();
  curl_->multi = curl_multi_init();
  if (curl_->multi == nullptr) return false;
  curl_->headers = curl_slist_append(nullptr, "Accept: application/json, application/jwk-set+json");

  curl_->timer = new uv_timer_t;
  uv_timer_init(loop_, curl_->timer);
  curl_->timer->data = this;
  schedule_timer_ = new uv_timer_t;
  uv_timer_init(loop_, schedule_timer_);
  schedule_timer_->data = this;
  wake_ = new uv_async_t;
  uv_async_init(loop_, wake_, [](uv_async_t* h) {
    if (h->data != nullptr) static_cast<JwksFetcher*>(h->data)->on_wake();
  });
  wake_->data = this;

  auto on_socket = [](CURL* /*easy*/, curl_socket_t fd, int what, void* userp,
                      void* socketp) -> int {
    auto* self = static_cast<JwksFetcher*>(userp);
    Curl& c = *self->curl_;
    auto* poll = static_cast<uv_poll_t*>(socketp);
    if (what == CURL_POLL_REMOVE) {
      if (poll != nullptr) {
        uv_poll_stop(poll);
        c.polls.erase(std::remove(c.polls.begin(), c.polls.end(), poll), c.polls.end());
        close_and_free(poll);
        curl_multi_assign(c.multi, fd, nullptr);
      }
      return 0;
    }
    if (poll == nullptr) {
      poll = new uv_poll_t;
      if (uv_poll_init_socket(self->loop_, poll, fd) != 0) {
        delete poll;
        return -1;
      }
      poll->data = self;
      c.polls.push_back(poll);
      curl_multi_assign(c.multi, fd, poll);
    }
    const int events =
        (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
    uv_poll_start(poll, events, [](uv_poll_t* h, int status, int ready) {
      auto* me = static_cast<JwksFetcher*>(h->data);
      if (me == nullptr) return;
      int flags = 0;
      if (status < 0) flags |= CURL_CSELECT_ERR;
      if (ready & UV_READABLE) flags |= CURL_CSELECT_IN;
      if (ready & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
      uv_os_fd_t socket = -1;
      uv_fileno(reinterpret_cast<uv_handle_t*>(h), &socket);
      int running = 0;
      curl_multi_socket_action(me->curl_->multi, socket, flags, &running);
      me->on_wake();
    });
    return 0;
  };
  auto on_timer = [](CURLM* /*multi*/, long timeout_ms, void* userp) -> int {
    auto* self = static_cast<JwksFetcher*>(userp);
    uv_timer_t* timer = self->curl_->timer;
    if (timeout_ms < 0) {
      uv_timer_stop(timer);
      return 0;
    }
    uv_timer_start(
        timer,
        [](uv_timer_t* t) {
          auto* me = static_cast<JwksFetcher*>(t->data);
          if (me == nullptr) return;
          int running = 0;
          curl_multi_socket_action(me->curl_->multi, CURL_SOCKET_TIMEOUT, 0, &running);
          me->on_wake();
        },
        static_cast<uint64_t>(timeout_ms), 0);
    return 0;
  };
  curl_multi_setopt(curl_->multi, CURLMOPT_SOCKETFUNCTION,
                    static_cast<curl_socket_callback>(on_socket));
  curl_multi_setopt(curl_->multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(curl_->multi, CURLMOPT_TIMERFUNCTION,
                    static_cast<curl_multi_timer_callback>(on_timer));
  curl_multi_setopt(curl_->multi, CURLMOPT_TIMERDATA, this);

  start_fetch();
  return true;
}

void JwksFetcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (wake_ != nullptr) close_and_free(wake_);
    wake_ = nullptr;
  }
  if (!curl_) return;
  // The loop's handles go first; libcurl is then told nothing more while it cleans up.
  for (uv_poll_t* poll : curl_->polls) {
    uv_poll_stop(poll);
    close_and_free(poll);
  }
  curl_->polls.clear();
  if (curl_->multi != nullptr) {
    curl_multi_setopt(curl_->multi, CURLMOPT_SOCKETFUNCTION, nullptr);
    curl_multi_setopt(curl_->multi, CURLMOPT_TIMERFUNCTION, nullptr);
    curl_->remove_easy();
    curl_multi_cleanup(curl_->multi);
  }
  curl_->multi = nullptr;
  if (curl_->timer != nullptr) close_and_free(curl_->timer);
  curl_->timer = nullptr;
  if (schedule_timer_ != nullptr) close_and_free(schedule_timer_);
  schedule_timer_ = nullptr;
  busy_.store(false, std::memory_order_release);
}

bool JwksFetcher::ask_refetch() {
  if (busy_.load(std::memory_order_acquire)) return true;
  if (last_failed_.load(std::memory_order_acquire)) return false;
  const int64_t since = now_ms() - last_start_ms_.load(std::memory_order_acquire);
  if (since < url_.refetch_interval.count()) return false;
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return true;
  std::lock_guard lock(mu_);
  if (stopped_ || wake_ == nullptr) {
    busy_.store(false, std::memory_order_release);
    return false;
  }
  uv_async_send(wake_);
  return true;
}

void JwksFetcher::subscribe(uv_async_t* async) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(async);
}

void JwksFetcher::unsubscribe(uv_async_t* async) {
  std::lock_guard lock(mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), async),
                     subscribers_.end());
}

// Main loop: a worker asked for a fetch, or libcurl made progress.
void JwksFetcher::on_wake() {
  if (!curl_ || curl_->multi == nullptr) return;
  if (curl_->easy == nullptr && busy_.load(std::memory_order_acquire)) {
    start_fetch();
    return;
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(curl_->multi, &left)) {
    if (msg->msg != CURLMSG_DONE || msg->easy_handle != curl_->easy) continue;
    const CURLcode result = msg->data.result;
    long status = 0;
    curl_easy_getinfo(curl_->easy, CURLINFO_RESPONSE_CODE, &status);
    std::string error;
    if (result != CURLE_OK) {
      error = curl_->error[0] != '\0' ? curl_->error : curl_easy_strerror(result);
    } else if (status != 200) {
      error = "HTTP status " + std::to_string(status);
    }
    curl_->remove_easy();
    std::shared_ptr<const KeySet> keys;
    size_t skipped_count = 0;
    if (error.empty()) {
      std::vector<std::string> skipped;
      keys = parse_jwks(curl_->body, error, &skipped);
      skipped_count = skipped.size();
      for (const auto& line : skipped)
        log::warn("jwks key skipped", {{"url", loggable(url_.url)}, {"reason", line}});
      if (keys && keys->keys.empty()) {
        error = "the JWKS has no usable key";
        keys.reset();
      }
    }
    curl_->body.clear();
    curl_->body.shrink_to_fit();
    finish(error, std::move(keys), skipped_count);
    return;
  }
}

void JwksFetcher::start_fetch() {
  if (!curl_ || curl_->multi == nullptr || curl_->easy != nullptr) return;
  busy_.store(true, std::memory_order_release);
  uv_timer_stop(schedule_timer_);
  const int64_t now = now_ms();
  last_start_ms_.store(now, std::memory_order_release);
  curl_->started_ms = now;
  curl_->body.clear();
  curl_->error[0] = '\0';
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    finish("cannot create a transfer", nullptr, 0);
    return;
  }
  const long timeout = static_cast<long>(url_.timeout.count());
  curl_easy_setopt(easy, CURLOPT_URL, url_.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "holdfast/" HOLDFAST_VERSION);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, curl_->headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &curl_->body);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_->error);
  if (!url_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, url_.ca_file.c_str());
  if (curl_multi_add_handle(curl_->multi, easy) != CURLM_OK) {
    curl_easy_cleanup(easy);
    finish("cannot start a transfer", nullptr, 0);
    return;
  }
  curl_->easy = easy;
}

void JwksFetcher::finish(const std::string& error, std::shared_ptr<const KeySet> keys,
                         size_t skipped) {
  const int64_t took = now_ms() - curl_->started_ms;
  if (keys) {
    const size_t count = keys->keys.size();
    keys_.store(std::move(keys), std::memory_order_release);
    last_failed_.store(false, std::memory_order_release);
    ever_loaded_ = true;
    backoff_ = kBackoffFirst;
    if (stats_ != nullptr) {
      stats_->jwks_fetch_ok.inc();
      stats_->jwks_last_success.set(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    }
    schedule(url_.cache_duration);
    log::info("jwks fetched", {{"url", loggable(url_.url)},
                               {"keys", static_cast<uint64_t>(count)},
                               {"skipped", static_cast<uint64_t>(skipped)},
                               {"ms", took}});
  } else {
    last_failed_.store(true, std::memory_order_release);
    if (stats_ != nullptr) stats_->jwks_fetch_failed.inc();
    // 0.75 to 1.25 times the backoff, so that many instances do not retry in step.
    const auto base = backoff_.count();
    const auto jitter =
        static_cast<int64_t>(util::fast_random() % static_cast<uint64_t>(base / 2 + 1));
    const milliseconds delay{std::min<int64_t>(base * 3 / 4 + jitter, kBackoffMax.count())};
    backoff_ = std::min(backoff_ * 2, kBackoffMax);
    schedule(delay);
    log::warn("jwks fetch failed",
              {{"url", loggable(url_.url)},
               {"error", error},
               {"ms", took},
               {"retry_ms", static_cast<int64_t>(delay.count())},
               {"keys", ever_loaded_ ? "keeping the last good set" : "none yet"}});
  }
  busy_.store(false, std::memory_order_release);
  completed_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard lock(mu_);
  for (uv_async_t* async : subscribers_)
    uv_async_send(async);
}

void JwksFetcher::schedule(milliseconds delay) {
  if (schedule_timer_ == nullptr) return;
  uv_timer_start(
      schedule_timer_,
      [](uv_timer_t* t) {
        if (t->data != nullptr) static_cast<JwksFetcher*>(t->data)->start_fetch();
      },
      static_cast<uint64_t>(delay.count()), 0);
}

}  // namespace holdfast::filters::jwt
