// The Sec-WebSocket-Protocol header as libwebsockets 4.1.6 will take it.
//
// lws copies the header into 128 bytes and each name before the one it matches into 63, and an
// upgrade it cannot match ("holdfast" is the only protocol it serves) is dropped with no answer at
// all. The proxy checks first, so the client gets a status and a reason instead of a reset.
#pragma once

#include <string_view>

#include "proxy/filter_chain.h"

namespace holdfast {

inline constexpr std::string_view kSubprotocol = "holdfast";

enum class SubprotocolCheck { Ok, TooLong, Unsupported };

// `header` is the whole Sec-WebSocket-Protocol value; empty when the request carried none.
SubprotocolCheck check_subprotocols(std::string_view header);

// The answer for a check other than Ok: 431 for too long, 400 for no "holdfast" entry.
HttpRefusal subprotocol_refusal(SubprotocolCheck check);

}  // namespace holdfast
