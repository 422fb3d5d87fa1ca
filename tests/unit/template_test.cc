// Templates ("room:{room}", "{claim.tenant}") and path templates ("/rooms/{room}").
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/template.h"

using holdfast::config::PathTemplate;
using holdfast::config::Template;
using holdfast::config::TemplateContext;

namespace {

using Strings = std::vector<std::string>;

Template parse(std::string_view source, const Strings& params = {"tenant", "room"}) {
  Template t;
  std::string error;
  INFO(source);
  REQUIRE(Template::parse(source, params, t, error));
  CHECK(error.empty());
  return t;
}

std::string parse_error(std::string_view source, const Strings& params = {"room"}) {
  Template t;
  std::string error;
  CHECK_FALSE(Template::parse(source, params, t, error));
  return error;
}

PathTemplate path(std::string_view source) {
  PathTemplate p;
  std::string error;
  INFO(source);
  REQUIRE(PathTemplate::parse(source, p, error));
  return p;
}

std::string path_error(std::string_view source) {
  PathTemplate p;
  std::string error;
  CHECK_FALSE(PathTemplate::parse(source, p, error));
  return error;
}

// The parameters `request` yields, or {"no match"}.
Strings match(const PathTemplate& p, std::string_view request) {
  Strings params;
  if (!p.match(request, params)) return {"no match"};
  return params;
}

}  // namespace

TEST_CASE("template: renders parameters, claims, connection and user") {
  const Strings params = {"acme", "lobby"};
  const std::vector<std::pair<std::string, std::string>> claims = {{"tenant", "t1"},
                                                                   {"https://x/role", "admin"}};
  TemplateContext ctx;
  ctx.params = &params;
  ctx.connection_id = "c-9";
  ctx.user = "ann";
  ctx.claims = &claims;

  CHECK(parse("rooms.{tenant}.{room}").render(ctx) == "rooms.acme.lobby");
  CHECK(parse("{claim.tenant}/{claim.https://x/role}").render(ctx) == "t1/admin");
  CHECK(parse("conn:{connection}").render(ctx) == "conn:c-9");
  CHECK(parse("user:{user}").render(ctx) == "user:ann");
  CHECK(parse("{claim.missing}|").render(ctx) == "|");
}

TEST_CASE("template: parts are merged literals and typed variables") {
  const Template t = parse("a.{room}.b{connection}");
  REQUIRE(t.parts().size() == 4);
  CHECK(t.parts()[0].kind == Template::Kind::Literal);
  CHECK(t.parts()[0].text == "a.");
  CHECK(t.parts()[1].kind == Template::Kind::Param);
  CHECK(t.parts()[1].param == 1);
  CHECK(t.parts()[2].text == ".b");
  CHECK(t.parts()[3].kind == Template::Kind::Connection);
  CHECK(t.source() == "a.{room}.b{connection}");
  CHECK_FALSE(t.is_literal());
  CHECK(parse("plain.topic").is_literal());
  CHECK(parse("").empty());
}

TEST_CASE("template: a path parameter named user wins over the connection's user") {
  const Template t = parse("{user}", {"user"});
  REQUIRE(t.parts().size() == 1);
  CHECK(t.parts()[0].kind == Template::Kind::Param);
}

TEST_CASE("template: render appends and reuses the buffer") {
  const Strings params = {"acme", "lobby"};
  TemplateContext ctx;
  ctx.params = &params;
  const Template t = parse("room:{room}");
  std::string out = "prefix|";
  t.render(ctx, out);
  CHECK(out == "prefix|room:lobby");
  out.clear();
  const auto* data = out.data();
  t.render(ctx, out);
  CHECK(out == "room:lobby");
  CHECK(out.data() == data);
}

TEST_CASE("template: missing context renders empty") {
  TemplateContext ctx;
  CHECK(parse("{room}|{claim.x}|{connection}|{user}").render(ctx) == "|||");
}

TEST_CASE("template: parse errors name the template") {
  CHECK(parse_error("rooms.{rom}") ==
        "unknown parameter {rom} in template 'rooms.{rom}'; the path has {room}");
  CHECK(parse_error("rooms.{rom}", {}) ==
        "unknown parameter {rom} in template 'rooms.{rom}'; the path has no parameters");
  CHECK(parse_error("{x}", {"a", "b", "c"}) ==
        "unknown parameter {x} in template '{x}'; the path has {a}, {b} and {c}");
  CHECK(parse_error("a{room") == "unclosed '{' in template 'a{room'; variables are written {name}");
  CHECK(parse_error("a{b{room}") ==
        "unclosed '{' in template 'a{b{room}'; variables are written {name}");
  CHECK(parse_error("a}") == "unmatched '}' in template 'a}'; variables are written {name}");
  CHECK(parse_error("{}") ==
        "empty {} in template '{}'; expected {param}, {claim.NAME}, {connection} or {user}");
  CHECK(parse_error("{claim.}") ==
        "missing claim name in {claim.} in template '{claim.}'; expected {claim.NAME}");
  CHECK(parse_error("{a b}") ==
        "invalid variable {a b} in template '{a b}'; expected {param}, {claim.NAME}, "
        "{connection} or {user}");
}

TEST_CASE("path template: literal and parameter segments match exactly") {
  const PathTemplate p = path("/tenants/{tenant}/rooms/{room}");
  CHECK(p.param_names() == Strings{"tenant", "room"});
  CHECK(p.source() == "/tenants/{tenant}/rooms/{room}");
  CHECK(match(p, "/tenants/acme/rooms/lobby") == Strings{"acme", "lobby"});
  CHECK(match(p, "/tenants/acme/rooms/lobby/") == Strings{"acme", "lobby"});
  CHECK(match(p, "/tenants/acme/rooms") == Strings{"no match"});
  CHECK(match(p, "/tenants/acme/rooms/lobby/x") == Strings{"no match"});
  CHECK(match(p, "/tenants/acme/room/lobby") == Strings{"no match"});
  CHECK(match(p, "/tenants//rooms/lobby") == Strings{"no match"});
  CHECK(match(p, "/tenants/acme/rooms/lobby//") == Strings{"no match"});
  CHECK(match(p, "tenants/acme/rooms/lobby") == Strings{"no match"});
}

TEST_CASE("path template: parameters are percent-decoded and never hold a '/'") {
  const PathTemplate p = path("/rooms/{room}");
  CHECK(match(p, "/rooms/caf%C3%A9%20au%20lait") == Strings{"café au lait"});
  CHECK(match(p, "/rooms/a%2Fb") == Strings{"no match"});
  CHECK(match(p, "/rooms/a%2fb") == Strings{"no match"});
  CHECK(match(p, "/rooms/a%00") == Strings{"no match"});
  CHECK(match(p, "/rooms/a%zz") == Strings{"no match"});
  CHECK(match(p, "/rooms/a%2") == Strings{"no match"});
  CHECK(match(p, "/rooms/a/b") == Strings{"no match"});
}

TEST_CASE("path template: the root and literal paths") {
  const PathTemplate root = path("/");
  CHECK(root.param_names().empty());
  CHECK(match(root, "/") == Strings{});
  CHECK(match(root, "//") == Strings{"no match"});
  CHECK(match(root, "/echo") == Strings{"no match"});

  const PathTemplate echo = path("/echo/");
  CHECK(match(echo, "/echo") == Strings{});
  CHECK(match(echo, "/echo/") == Strings{});
  CHECK(match(echo, "/") == Strings{"no match"});
}

TEST_CASE("path template: parse errors name the path") {
  CHECK(path_error("rooms") == "path 'rooms' must start with '/'");
  CHECK(path_error("") == "path '' must start with '/'");
  CHECK(path_error("/a?b=1") ==
        "path '/a?b=1' must not contain '?' or '#'; the query string is not matched");
  CHECK(path_error("/a//b") == "empty segment in path '/a//b'; remove the extra '/'");
  CHECK(path_error("//") == "empty segment in path '//'; remove the extra '/'");
  CHECK(path_error("/r/x{id}") ==
        "segment 'x{id}' in path '/r/x{id}' must be literal text or exactly one {name}");
  CHECK(path_error("/r/{a}{b}") ==
        "segment '{a}{b}' in path '/r/{a}{b}' must be literal text or exactly one {name}");
  CHECK(path_error("/r/{}") ==
        "invalid parameter name {} in path '/r/{}'; expected lowercase letters, digits and '_'");
  CHECK(path_error("/r/{Room}") ==
        "invalid parameter name {Room} in path '/r/{Room}'; expected lowercase letters, digits "
        "and '_'");
  CHECK(path_error("/r/{id}/{id}") == "duplicate parameter {id} in path '/r/{id}/{id}'");
}
