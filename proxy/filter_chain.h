// A route's filters on one worker, and the one path every refusal takes: the counters, the
// HTTP answer before the upgrade, the close code or error frame after it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/filter.h"
#include "proxy/stats.h"

namespace holdfast {

// Each filter's state for one connection, by position in its chain: one pointer in the session,
// and nothing allocated for a route without filters.
using FilterStates = std::unique_ptr<std::unique_ptr<filters::ConnectionState>[]>;

class FilterChain {
 public:
  struct Entry {
    std::unique_ptr<filters::Filter> filter;
    size_t type = 0;  // row in filters::registry()
  };

  enum class Outcome { Pass, Reject, Defer };

  FilterChain() = default;
  explicit FilterChain(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  FilterStates new_states() const;

  // Runs on_upgrade (or on_message) from filter `from` on. On Reject and Defer, `at` is the
  // filter that stopped; on Reject, `rejection` says why. `passed` is raised to the number of
  // filters whose on_upgrade let the connection through.
  Outcome upgrade(const filters::Request& req, filters::Connection& conn, FilterStates& states,
                  uint64_t handle, size_t from, size_t& at, size_t& passed,
                  filters::Rejection& rejection);
  Outcome message(const filters::Message& msg, filters::Connection& conn, FilterStates& states,
                  uint64_t handle, size_t from, size_t& at, filters::Rejection& rejection);
  // on_close for the first `passed` filters.
  void close(filters::Connection& conn, FilterStates& states, uint64_t handle, size_t passed);

  size_t type_at(size_t index) const { return entries_[index].type; }

 private:
  std::vector<Entry> entries_;
};

// Counts a refusal by `chain`'s filter `at`: the filter's decision, and for connections the
// connections_total result.
void count_rejection(Stats& stats, size_t filter_type, const filters::Rejection& r,
                     RouteStats* route);

// The HTTP response for a refusal before the upgrade: extra header lines and the JSON body.
struct HttpRefusal {
  unsigned status = 0;
  std::string headers;  // complete "name: value\r\n" lines
  std::string body;
};
HttpRefusal http_refusal(const filters::Rejection& r);

// The JSON error frame for a dropped message: {"error":"rate_limited","message":"...",
// "retry_after_ms":1000}.
std::string error_frame(const filters::Rejection& r);

}  // namespace holdfast
