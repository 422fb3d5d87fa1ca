// A route as one worker runs it: the route's config, its filters on this worker and its slot in
// the worker's counters. Every session holds the binding of the route it came in on, so that a
// reload, which gives the worker new bindings, leaves open connections on the routes they had.
//
// Sessions hold it by a RouteRef, 8 bytes where a route and a chain held apart cost 32 in every
// connection. The count is not atomic: a binding is made, held and freed by one worker's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "config/config.h"
#include "proxy/filter_chain.h"

namespace holdfast {

struct RouteBinding {
  RouteBinding(std::shared_ptr<const config::RouteConfig> r, FilterChain c, uint32_t slot)
      : route(std::move(r)), chain(std::move(c)), stats_slot(slot) {}

  const std::shared_ptr<const config::RouteConfig> route;
  FilterChain chain;
  const uint32_t stats_slot;  // the route's slot in Stats::route
  uint32_t refs = 0;          // RouteRefs that point here
};

// A counted reference to a RouteBinding; the last one to go frees it.
class RouteRef {
 public:
  RouteRef() = default;
  explicit RouteRef(RouteBinding* b) : b_(b) { hold(); }
  RouteRef(const RouteRef& o) : b_(o.b_) { hold(); }
  RouteRef(RouteRef&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  RouteRef& operator=(RouteRef o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  ~RouteRef() {
    if (b_ != nullptr && --b_->refs == 0) delete b_;
  }

  RouteBinding* operator->() const { return b_; }
  explicit operator bool() const { return b_ != nullptr; }

 private:
  void hold() {
    if (b_ != nullptr) ++b_->refs;
  }
  RouteBinding* b_ = nullptr;
};

}  // namespace holdfast
