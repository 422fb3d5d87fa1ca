// Route bindings live as long as the last reference: a reload drops the worker's, and open
// connections keep theirs.
#include "proxy/route_binding.h"

#include <catch2/catch.hpp>

namespace holdfast {

TEST_CASE("route binding: freed with its last reference") {
  auto route = std::make_shared<config::RouteConfig>();
  route->name = "chat";
  RouteRef worker(new RouteBinding(route, FilterChain(), 3));
  CHECK(worker->refs == 1);
  CHECK(route.use_count() == 2);
  {
    RouteRef session = worker;
    CHECK(worker->refs == 2);
    RouteRef moved = std::move(session);
    CHECK_FALSE(session);
    CHECK(moved->refs == 2);
    worker = RouteRef();  // the reload: the worker lets go first
    REQUIRE(moved);
    CHECK(moved->refs == 1);
    CHECK(moved->route->name == "chat");
    CHECK(moved->stats_slot == 3);
    CHECK(route.use_count() == 2);
  }
  CHECK(route.use_count() == 1);  // the binding went with the last session's reference
}

}  // namespace holdfast
