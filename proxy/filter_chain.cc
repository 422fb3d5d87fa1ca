#include "proxy/filter_chain.h"

#include "proxy/util/json.h"

namespace holdfast {

FilterStates FilterChain::new_states() const {
  if (entries_.empty()) return nullptr;
  auto states = std::make_unique<std::unique_ptr<filters::ConnectionState>[]>(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i)
    states[i] = entries_[i].filter->new_state();
  return states;
}

namespace {

// One hook on every filter from `from`, until one stops.
template <typename Hook>
FilterChain::Outcome run(size_t count, filters::Connection& conn, FilterStates& states,
                         uint64_t handle, size_t from, size_t& at, filters::Rejection& rejection,
                         Hook&& hook) {
  for (size_t i = from; i < count; ++i) {
    filters::Call call{conn, states[i].get(), filters::Pending{handle, i}, &rejection};
    if (hook(i, call) == filters::Verdict::Continue) continue;
    at = i;
    return call.rejected ? FilterChain::Outcome::Reject : FilterChain::Outcome::Defer;
  }
  return FilterChain::Outcome::Pass;
}

}  // namespace

FilterChain::Outcome FilterChain::upgrade(const filters::Request& req, filters::Connection& conn,
                                          FilterStates& states, uint64_t handle, size_t from,
                                          size_t& at, size_t& passed,
                                          filters::Rejection& rejection) {
  return run(entries_.size(), conn, states, handle, from, at, rejection,
             [&](size_t i, filters::Call& call) {
               const auto v = entries_[i].filter->on_upgrade(req, call);
               if (v == filters::Verdict::Continue) passed = std::max(passed, i + 1);
               return v;
             });
}

FilterChain::Outcome FilterChain::message(const filters::Message& msg, filters::Connection& conn,
                                          FilterStates& states, uint64_t handle, size_t from,
                                          size_t& at, filters::Rejection& rejection) {
  return run(
      entries_.size(), conn, states, handle, from, at, rejection,
      [&](size_t i, filters::Call& call) { return entries_[i].filter->on_message(msg, call); });
}

void FilterChain::close(filters::Connection& conn, FilterStates& states, uint64_t handle,
                        size_t passed) {
  filters::Rejection unused;
  for (size_t i = 0; i < passed && i < entries_.size(); ++i) {
    filters::Call call{conn, states[i].get(), filters::Pending{handle, i}, &unused};
    entries_[i].filter->on_close(call);
  }
}

void count_rejection(Stats& stats, size_t filter_type, const filters::Rejection& r,
                     RouteStats* route) {
  stats.filter_decision(filter_type, r.decision).inc();
  if (route == nullptr) return;
  const ConnResult result = r.kind == filters::RejectKind::Rate     ? ConnResult::RejectedRate
                            : r.kind == filters::RejectKind::Origin ? ConnResult::RejectedOrigin
                                                                    : ConnResult::RejectedAuth;
  route->connections[static_cast<size_t>(result)].inc();
}

namespace {

void append_body(std::string& out, const filters::Rejection& r) {
  out += "{\"error\":";
  util::append_json_string(out, r.error.empty() ? std::string_view("forbidden") : r.error);
  out += ",\"message\":";
  util::append_json_string(out, r.message);
  if (r.retry_after > 0 || r.retry_after_ms > 0) {
    out += ",\"retry_after_ms\":";
    out += std::to_string(r.retry_after_ms > 0 ? r.retry_after_ms
                                               : static_cast<uint64_t>(r.retry_after) * 1000);
  }
  out += '}';
}

}  // namespace

HttpRefusal http_refusal(const filters::Rejection& r) {
  HttpRefusal out;
  out.status = r.status;
  if (!r.www_authenticate.empty())
    out.headers += "www-authenticate: " + r.www_authenticate + "\r\n";
  if (r.retry_after > 0) out.headers += "retry-after: " + std::to_string(r.retry_after) + "\r\n";
  append_body(out.body, r);
  return out;
}

std::string error_frame(const filters::Rejection& r) {
  std::string out;
  append_body(out, r);
  return out;
}

}  // namespace holdfast
