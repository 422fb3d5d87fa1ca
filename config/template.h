// Templates over path parameters and connection attributes: "room:{room}", "{claim.tenant}".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace holdfast::config {

// What a template may refer to when it is rendered for one connection.
struct TemplateContext {
  const std::vector<std::string>* params = nullptr;  // path parameters, by index
  std::string_view connection_id;
  std::string_view user;  // authenticated subject, empty when anonymous
  // Claims are looked up by name; null when the connection carries none.
  const std::vector<std::pair<std::string, std::string>>* claims = nullptr;
};

class Template {
 public:
  enum class Kind { Literal, Param, Claim, Connection, User };
  struct Part {
    Kind kind = Kind::Literal;
    std::string text;  // literal text, or the claim name
    size_t param = 0;  // index into TemplateContext::params
  };

  Template() = default;

  // Parses `source` against the route's parameter names. On failure returns false and sets
  // `error` to a message such as "unknown parameter {rom}; the path has {room}".
  static bool parse(std::string_view source, const std::vector<std::string>& param_names,
                    Template& out, std::string& error);

  // Appends the rendering to `out`; reuses its capacity (no allocation once warm).
  void render(const TemplateContext& ctx, std::string& out) const;
  std::string render(const TemplateContext& ctx) const {
    std::string s;
    render(ctx, s);
    return s;
  }

  bool empty() const { return parts_.empty(); }
  bool is_literal() const {
    return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == Kind::Literal);
  }
  const std::string& source() const { return source_; }
  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
  std::string source_;
};

// A route path such as /rooms/{room}. Segments are literal or one whole parameter.
class PathTemplate {
 public:
  static bool parse(std::string_view source, PathTemplate& out, std::string& error);

  // Matches a request path (without query string). On success fills `params` in order.
  bool match(std::string_view path, std::vector<std::string>& params) const;

  const std::vector<std::string>& param_names() const { return param_names_; }
  const std::string& source() const { return source_; }

 private:
  struct Segment {
    bool is_param = false;
    std::string text;
  };
  std::vector<Segment> segments_;
  std::vector<std::string> param_names_;
  std::string source_;
};

}  // namespace holdfast::config
