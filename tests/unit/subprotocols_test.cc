// What the proxy answers for a Sec-WebSocket-Protocol header before libwebsockets sees it.
#include <catch2/catch.hpp>

#include <string>

#include "proxy/subprotocols.h"

namespace holdfast {

TEST_CASE("subprotocols: none, or a list that offers holdfast, passes", "[unit]") {
  CHECK(check_subprotocols("") == SubprotocolCheck::Ok);
  CHECK(check_subprotocols("holdfast") == SubprotocolCheck::Ok);
  CHECK(check_subprotocols("chat, holdfast") == SubprotocolCheck::Ok);
  CHECK(check_subprotocols("holdfast,eyJhbGciOiJIUzI1NiJ9.e30.sig") == SubprotocolCheck::Ok);
  // Names after the match are never looked at, however long.
  CHECK(check_subprotocols("holdfast, " + std::string(100, 't')) == SubprotocolCheck::Ok);
}

TEST_CASE("subprotocols: a list without holdfast is unsupported", "[unit]") {
  CHECK(check_subprotocols("chat") == SubprotocolCheck::Unsupported);
  CHECK(check_subprotocols("HOLDFAST") == SubprotocolCheck::Unsupported);  // names are exact
  CHECK(check_subprotocols(" , ") == SubprotocolCheck::Unsupported);
  CHECK(check_subprotocols("holdfastx, xholdfast") == SubprotocolCheck::Unsupported);
  const HttpRefusal r = subprotocol_refusal(SubprotocolCheck::Unsupported);
  CHECK(r.status == 400);
  CHECK(r.body.find(R"("error":"unsupported_subprotocol")") != std::string::npos);
}

TEST_CASE("subprotocols: what libwebsockets would drop is too long", "[unit]") {
  const std::string head = "holdfast, ";
  CHECK(check_subprotocols(head + std::string(127 - head.size(), 't')) == SubprotocolCheck::Ok);
  CHECK(check_subprotocols(head + std::string(128 - head.size(), 't')) ==
        SubprotocolCheck::TooLong);
  CHECK(check_subprotocols(std::string(62, 'n') + ", holdfast") == SubprotocolCheck::Ok);
  CHECK(check_subprotocols(std::string(63, 'n') + ", holdfast") == SubprotocolCheck::TooLong);
  const HttpRefusal r = subprotocol_refusal(SubprotocolCheck::TooLong);
  CHECK(r.status == 431);
  CHECK(r.body.find(R"("error":"header_too_large")") != std::string::npos);
}

}  // namespace holdfast
