#include "filters/origin/origin.h"

#include <algorithm>

#include "filters/origin/settings.h"

namespace holdfast::filters::origin {
namespace {

using config::Diagnostics;
using config::Field;

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "https://app.example" or "https://*.example"; no path, no trailing slash.
bool valid_pattern(std::string_view s) {
  const size_t scheme = s.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return false;
  std::string_view host = s.substr(scheme + 3);
  if (host.starts_with("*.")) host.remove_prefix(2);
  return !host.empty() && host.find_first_of("/*?# ") == std::string_view::npos;
}

class OriginFilter final : public Filter {
 public:
  OriginFilter(std::shared_ptr<const Settings> settings, const WorkerEnv& env)
      : settings_(std::move(settings)), env_(env) {}

  Verdict on_upgrade(const Request& req, Call& call) override {
    if (req.origin.empty() ? !settings_->allow_missing : !allowed(*settings_, req.origin)) {
      return call.reject(req.origin.empty() ? refusal(kMissing, "an Origin header is required")
                                            : refusal(kForbidden, "origin not allowed"));
    }
    env_.host->count(env_.filter_type, kAllowed);
    return Verdict::Continue;
  }

 private:
  static Rejection refusal(Decision decision, std::string message) {
    Rejection r;
    r.kind = RejectKind::Origin;
    r.status = 403;
    r.error = "forbidden";
    r.message = std::move(message);
    r.decision = decision;
    return r;
  }

  std::shared_ptr<const Settings> settings_;
  WorkerEnv env_;
};

}  // namespace

bool allowed(const Settings& settings, std::string_view origin) {
  std::string o = lowercase(origin);
  while (!o.empty() && o.back() == '/')
    o.pop_back();
  for (const auto& pattern : settings.allow) {
    if (pattern == o) return true;
    const size_t star = pattern.find("://*.");
    if (star == std::string::npos) continue;
    // scheme://*.domain matches scheme://<something>.domain
    const std::string_view scheme(pattern.data(), star + 3);
    const std::string_view suffix(pattern.data() + star + 4, pattern.size() - star - 4);
    if (o.size() > scheme.size() + suffix.size() && o.starts_with(scheme) && o.ends_with(suffix)) {
      return true;
    }
  }
  return false;
}

std::shared_ptr<const config::FilterSettings> read(Diagnostics& diag, const Field& field) {
  if (!config::expect_map(diag, field)) return nullptr;
  config::MapReader map(diag, field, field.name, {"allow", "allow_missing"});
  auto settings = std::make_shared<Settings>();
  if (const Field* f = map.require("allow")) {
    const auto items = config::sequence_items(diag, *f);
    if (items && items->empty()) {
      diag.error(f->value_mark,
                 "expected at least one origin for '" + f->name + "', got an empty sequence");
    }
    for (const Field& item : items ? *items : std::vector<Field>{}) {
      const auto text = config::read_nonempty(diag, item);
      if (text && !valid_pattern(*text)) {
        diag.error(item.value_mark, "invalid origin '" + *text + "' for '" + item.name +
                                        "'; expected scheme://host[:port] or scheme://*.domain "
                                        "(e.g. https://app.example)");
      } else if (text) {
        settings->allow.push_back(lowercase(*text));
      }
    }
  }
  if (const Field* f = map.find("allow_missing")) {
    if (auto b = config::read_bool(diag, *f)) settings->allow_missing = *b;
  }
  return settings;
}

std::shared_ptr<FilterFactory> make(std::shared_ptr<const config::FilterSettings> settings,
                                    const ProcessEnv& /*env*/) {
  return std::make_shared<SettingsFactory<OriginFilter, Settings>>(std::move(settings));
}

}  // namespace holdfast::filters::origin
