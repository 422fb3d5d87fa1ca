#include "config/loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/diagnostics.h"
#include "config/draft.h"

namespace holdfast::config {
namespace {

// yaml-cpp's message for a tab in indentation does not say so; say it.
std::string tab_hint(std::string_view yaml, const YAML::Mark& mark) {
  if (mark.line < 0) return {};
  size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = yaml.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return {};
  const std::string_view text = yaml.substr(start, yaml.find('\n', start) - start);
  const size_t indent_end = text.find_first_not_of(" \t");
  return text.substr(0, indent_end).find('\t') != std::string_view::npos
             ? "; indent with spaces, not tabs"
             : "";
}

// Moves the routes into their listeners, now that nothing refers into them any more, and
// gives each its contract `source`.
std::shared_ptr<const Config> freeze(Draft& draft) {
  for (ListenerDraft& listener : draft.listeners) {
    for (RouteDraft& route : listener.routes) {
      route.route->source = "/holdfast/" + draft.config->instance + "/" + route.route->name;
      listener.listener.routes.push_back(route.route);
    }
    draft.config->listeners.push_back(std::move(listener.listener));
  }
  return draft.config;
}

}  // namespace

LoadResult load_string(std::string_view yaml, const std::string& name) {
  Diagnostics diag(name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    diag.error(diag.mark(e.mark), "invalid YAML: " + e.msg + tab_hint(yaml, e.mark));
    return LoadResult{nullptr, diag.take_sorted()};
  }
  Draft draft;
  read_document(diag, root, draft);
  check_meaning(diag, draft);
  if (!diag.empty()) return LoadResult{nullptr, diag.take_sorted()};
  return LoadResult{freeze(draft), {}};
}

LoadResult load_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::string text;
  int err = f == nullptr ? errno : 0;
  if (f != nullptr) {
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
      text.append(buf, n);
    if (std::ferror(f)) err = errno;
    std::fclose(f);
  }
  if (err != 0) {
    Diagnostics diag(path);
    diag.file_error("cannot read the file: " + std::string(std::strerror(err)));
    return LoadResult{nullptr, diag.take_sorted()};
  }
  return load_string(text, path);
}

}  // namespace holdfast::config
