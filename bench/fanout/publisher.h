#pragma once

#include <hiredis/hiredis.h>

#include <string>

#include "options.h"

namespace hfbench::fanout {

// Publishes records: PUBLISH to a Redis channel (holdfast's services), or HTTP POST on one
// kept-alive connection (nchan's publisher endpoint, Centrifugo's HTTP API).
class Publisher {
 public:
  explicit Publisher(const Options& o);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  bool ok() const { return ok_; }
  // Publishes one record and waits for the answer; false when it was not taken.
  bool Publish(const std::string& payload);

 private:
  const Options& o_;
  redisContext* redis_ = nullptr;
  int fd_ = -1;
  std::string path_;
  bool ok_ = false;
};

}  // namespace hfbench::fanout
