#include "proxy/config_watch.h"

#include <fstream>
#include <sstream>

#include "proxy/log.h"

namespace holdfast {
namespace {

constexpr uint64_t kSettleMs = 300;

bool read_all(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

template <typename Handle>
void close_and_free(Handle*& h) {
  if (h == nullptr) return;
  h->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  h = nullptr;
}

}  // namespace

ConfigWatch::ConfigWatch(uv_loop_t* loop, std::string file, std::function<void()> on_change)
    : loop_(loop), file_(std::move(file)), on_change_(std::move(on_change)) {
  const size_t slash = file_.rfind('/');
  dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : file_.substr(0, slash);
}

ConfigWatch::~ConfigWatch() {
  stop();
}

bool ConfigWatch::start() {
  read_all(file_, content_);
  event_ = new uv_fs_event_t;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_fs_event_init(loop_, event_);
  event_->data = this;
  const int rc = uv_fs_event_start(
      event_,
      [](uv_fs_event_t* h, const char*, int, int) {
        if (h->data != nullptr) static_cast<ConfigWatch*>(h->data)->on_event();
      },
      dir_.c_str(), 0);
  if (rc != 0) {
    log::error("cannot watch the config file's directory",
               {{"dir", dir_}, {"error", uv_strerror(rc)}});
    stop();
    return false;
  }
  log::info("watching the config file", {{"file", file_}});
  return true;
}

void ConfigWatch::stop() {
  close_and_free(event_);
  close_and_free(timer_);
}

void ConfigWatch::on_event() {
  // Any entry of the directory may be the one that names the file (a symlink swap renames
  // `..data`), so every event restarts the wait and the content decides.
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        if (t->data != nullptr) static_cast<ConfigWatch*>(t->data)->on_settled();
      },
      kSettleMs, 0);
}

void ConfigWatch::on_settled() {
  std::string now;
  if (!read_all(file_, now) || now == content_) return;
  content_ = std::move(now);
  on_change_();
}

}  // namespace holdfast
