// Watches the config file for `reload: { watch: true }` and calls back when its content changed.
//
// It watches the directory, not the file: editors and Kubernetes replace a file (a rename, or the
// ConfigMap's `..data` symlink swap) rather than write into it, and a watch on the old inode would
// go quiet. Events are gathered for a short while, then the file is read, and only a change of
// content calls back, so touching the file or a burst of events makes one reload at most.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

namespace holdfast {

class ConfigWatch {
 public:
  ConfigWatch(uv_loop_t* loop, std::string file, std::function<void()> on_change);
  ~ConfigWatch();
  ConfigWatch(const ConfigWatch&) = delete;
  ConfigWatch& operator=(const ConfigWatch&) = delete;

  // Main loop only. False (logged) when the directory cannot be watched.
  bool start();
  // Closes the handles; the callback is not called again.
  void stop();

 private:
  void on_event();
  void on_settled();

  uv_loop_t* loop_;
  std::string file_;
  std::string dir_;
  std::function<void()> on_change_;
  std::string content_;  // as last read
  uv_fs_event_t* event_ = nullptr;
  uv_timer_t* timer_ = nullptr;
};

}  // namespace holdfast
