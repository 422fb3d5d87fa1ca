#include "config/template.h"

#include "config/units.h"

#include <algorithm>

namespace holdfast::config {
namespace {

constexpr std::string_view kVariables = "{param}, {claim.NAME}, {connection} or {user}";

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_param_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

bool is_word_char(char c) {
  return is_name_char(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string list_params(const std::vector<std::string>& names) {
  if (names.empty()) return "no parameters";
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += "{" + names[i] + "}";
  }
  return out;
}

void append_literal(std::vector<Template::Part>& parts, std::string_view text) {
  if (text.empty()) return;
  if (!parts.empty() && parts.back().kind == Template::Kind::Literal) {
    parts.back().text += text;
  } else {
    parts.push_back({Template::Kind::Literal, std::string(text), 0});
  }
}

// Decodes %XX escapes of one path segment. Fails on a malformed escape, or on a '/' or NUL that
// would let a parameter reach outside its segment.
bool decode_segment(std::string_view in, std::string& out) {
  return percent_decode(in, out) &&
         out.find_first_of(std::string_view("/\0", 2)) == std::string::npos;
}

}  // namespace

bool Template::parse(std::string_view source, const std::vector<std::string>& param_names,
                     Template& out, std::string& error) {
  std::vector<Part> parts;
  const std::string in_template = " in template " + quoted(source);
  size_t pos = 0;
  while (pos < source.size()) {
    const size_t open = source.find_first_of("{}", pos);
    if (open == std::string_view::npos) {
      append_literal(parts, source.substr(pos));
      break;
    }
    if (source[open] == '}') {
      error = "unmatched '}'" + in_template + "; variables are written {name}";
      return false;
    }
    append_literal(parts, source.substr(pos, open - pos));
    const size_t close = source.find_first_of("{}", open + 1);
    if (close == std::string_view::npos || source[close] == '{') {
      error = "unclosed '{'" + in_template + "; variables are written {name}";
      return false;
    }
    const std::string_view name = source.substr(open + 1, close - open - 1);
    const std::string var = "{" + std::string(name) + "}";
    if (name.empty()) {
      error = "empty {}" + in_template + "; expected " + std::string(kVariables);
      return false;
    }
    const auto param = std::find(param_names.begin(), param_names.end(), name);
    if (param != param_names.end()) {
      parts.push_back({Kind::Param, {}, static_cast<size_t>(param - param_names.begin())});
    } else if (name.starts_with("claim.")) {
      const std::string_view claim = name.substr(6);
      if (claim.empty()) {
        error = "missing claim name in {claim.}" + in_template + "; expected {claim.NAME}";
        return false;
      }
      parts.push_back({Kind::Claim, std::string(claim), 0});
    } else if (name == "connection") {
      parts.push_back({Kind::Connection, {}, 0});
    } else if (name == "user") {
      parts.push_back({Kind::User, {}, 0});
    } else if (std::all_of(name.begin(), name.end(), is_word_char)) {
      error =
          "unknown parameter " + var + in_template + "; the path has " + list_params(param_names);
      return false;
    } else {
      error = "invalid variable " + var + in_template + "; expected " + std::string(kVariables);
      return false;
    }
    pos = close + 1;
  }
  out.parts_ = std::move(parts);
  out.source_ = std::string(source);
  return true;
}

void Template::render(const TemplateContext& ctx, std::string& out) const {
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Kind::Literal:
        out += part.text;
        break;
      case Kind::Param:
        if (ctx.params != nullptr && part.param < ctx.params->size()) {
          out += (*ctx.params)[part.param];
        }
        break;
      case Kind::Claim:
        if (ctx.claims == nullptr) break;
        for (const auto& [name, value] : *ctx.claims) {
          if (name == part.text) {
            out += value;
            break;
          }
        }
        break;
      case Kind::Connection:
        out += ctx.connection_id;
        break;
      case Kind::User:
        out += ctx.user;
        break;
    }
  }
}

bool PathTemplate::parse(std::string_view source, PathTemplate& out, std::string& error) {
  const std::string path = quoted(source);
  if (source.empty() || source[0] != '/') {
    error = "path " + path + " must start with '/'";
    return false;
  }
  if (source.find_first_of("?#") != std::string_view::npos) {
    error = "path " + path + " must not contain '?' or '#'; the query string is not matched";
    return false;
  }
  std::vector<Segment> segments;
  std::vector<std::string> names;
  std::string_view rest = source.substr(1);
  if (rest.size() > 1 && rest.back() == '/') rest.remove_suffix(1);  // "/echo/" serves "/echo"
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || (slash != std::string_view::npos && rest.empty())) {
      error = "empty segment in path " + path + "; remove the extra '/'";
      return false;
    }
    const bool braced = seg.front() == '{' && seg.back() == '}' && seg.size() >= 2;
    const std::string_view inner = braced ? seg.substr(1, seg.size() - 2) : seg;
    if (inner.find_first_of("{}") != std::string_view::npos) {
      error = "segment " + quoted(seg) + " in path " + path +
              " must be literal text or exactly one {name}";
      return false;
    }
    if (!braced) {
      segments.push_back({false, std::string(seg)});
      continue;
    }
    if (!is_param_name(inner)) {
      error = "invalid parameter name {" + std::string(inner) + "} in path " + path +
              "; expected lowercase letters, digits and '_'";
      return false;
    }
    if (std::find(names.begin(), names.end(), inner) != names.end()) {
      error = "duplicate parameter {" + std::string(inner) + "} in path " + path;
      return false;
    }
    names.emplace_back(inner);
    segments.push_back({true, std::string(inner)});
  }
  out.segments_ = std::move(segments);
  out.param_names_ = std::move(names);
  out.source_ = std::string(source);
  return true;
}

bool PathTemplate::match(std::string_view path, std::vector<std::string>& params) const {
  if (path.empty() || path[0] != '/') return false;
  std::string_view rest = path.substr(1);
  if (rest.size() > 1 && rest.back() == '/') rest.remove_suffix(1);  // "/echo/" is "/echo"
  params.resize(param_names_.size());
  size_t param = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (rest.empty()) return false;  // fewer segments than the template
    const size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (slash != std::string_view::npos && rest.empty()) return false;  // "a//"
    const Segment& want = segments_[i];
    if (!want.is_param) {
      if (seg != want.text) return false;
    } else if (seg.empty() || !decode_segment(seg, params[param++])) {
      return false;
    }
  }
  return rest.empty();
}

}  // namespace holdfast::config
