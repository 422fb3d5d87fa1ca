// The one place a rate_limit refusal is made, so every refusal has the same shape.
#pragma once

#include <cstdint>

#include "filters/filter.h"
#include "filters/rate_limit/rate_limit.h"
#include "filters/rate_limit/settings.h"

namespace holdfast::filters::rate_limit {

// What a decision is about: a new connection (on_upgrade) or a message (on_message).
enum class What : uint8_t { Connection, Message };

// A connection gets HTTP 429 with Retry-After (or 1013 when refused after the upgrade); a message
// is dropped with an error frame (action: drop) or closes the connection with 1008 (close).
// `decision` is kLimited or kBackendFailDeny; `wait_ns` gives Retry-After and retry_after_ms.
Rejection refusal(What what, Action action, Decision decision, int64_t wait_ns);

}  // namespace holdfast::filters::rate_limit
