#include "filters/rate_limit/outcome.h"

#include "filters/rate_limit/gcra.h"

namespace holdfast::filters::rate_limit {

Rejection refusal(What what, Action action, Decision decision, int64_t wait_ns) {
  const bool unavailable = decision == kBackendFailDeny;
  Rejection r;
  r.kind = RejectKind::Rate;
  r.status = 429;
  r.error = "rate_limited";
  r.decision = decision;
  r.retry_after = retry_after_seconds(wait_ns);
  r.retry_after_ms = retry_after_millis(wait_ns);
  if (what == What::Connection) {
    r.close_code = 1013;
    r.message = unavailable ? "rate limit unavailable" : "too many connection attempts";
    return r;
  }
  r.close_code = 1008;
  r.drop_message = action == Action::Drop;
  r.message = unavailable              ? "rate limit unavailable"
              : action == Action::Drop ? "message rate limit exceeded"
                                       : "rate limit exceeded";
  return r;
}

}  // namespace holdfast::filters::rate_limit
