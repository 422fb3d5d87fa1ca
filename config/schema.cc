#include "config/schema.h"

#include <algorithm>
#include <limits>

#include "config/env.h"
#include "config/units.h"

namespace holdfast::config {
namespace {

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string in_where(const std::string& where) {
  return where.empty() ? "at the top level" : "in " + where;
}

bool is_bool_text(std::string_view s) {
  return s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE";
}

bool is_number_text(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || !(s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  });
}

// `key: {room}` is a YAML flow map, not the template the user meant.
constexpr const char* kQuoteTemplates =
    "; a value that starts with '{' must be quoted (e.g. \"{room}\")";

bool looks_like_template(const YAML::Node& node) {
  if (!node.IsMap() || node.Style() != YAML::EmitterStyle::Flow || node.size() != 1) return false;
  const auto entry = *node.begin();
  return entry.first.IsScalar() && entry.second.IsNull();
}

Field field_of(const YAML::Node& key, const YAML::Node& value, std::string name,
               const Diagnostics& diag) {
  const Mark key_mark = diag.mark(key);
  return Field{std::move(name), value, key_mark, value.IsNull() ? key_mark : diag.mark(value)};
}

// The scalar text of `field` with ${VAR} expanded; `kind` names what was expected.
std::optional<std::string> scalar_text(Diagnostics& diag, const Field& field,
                                       std::string_view kind) {
  if (!field.value.IsScalar()) {
    diag.error(field.value_mark, "expected " + std::string(kind) + " for " + quoted(field.name) +
                                     ", got " + describe(field.value) +
                                     (looks_like_template(field.value) ? kQuoteTemplates : ""));
    return std::nullopt;
  }
  std::string out;
  std::string error;
  if (!expand_env(field.value.Scalar(), out, error)) {
    diag.error(field.value_mark, std::move(error));
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      if (node.Tag() == "?" && is_bool_text(node.Scalar())) return "a boolean";
      if (node.Tag() == "?" && is_number_text(node.Scalar())) return "a number";
      return "a string";
    default:
      return "an empty value";
  }
}

std::string join_names(const std::vector<std::string_view>& names, std::string_view last) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " " + std::string(last) + " " : ", ";
    out += names[i];
  }
  return out;
}

MapReader::MapReader(Diagnostics& diag, const Field& field, std::string where,
                     std::vector<std::string_view> keys)
    : diag_(diag), where_(std::move(where)), mark_(field.value_mark) {
  for (const auto& entry : field.value) {
    // Copies: yaml-cpp's iterator hands out a temporary pair.
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) {
      diag.error(diag.mark(key),
                 "expected a key name " + in_where(where_) + ", got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      std::string message = "unknown key " + quoted(name) + " " + in_where(where_);
      if (keys.empty()) {
        message += "; it takes no keys";
      } else {
        message += "; expected one of: ";
        for (size_t i = 0; i < keys.size(); ++i) {
          message += (i > 0 ? ", " : "") + std::string(keys[i]);
        }
      }
      diag.error(diag.mark(key), std::move(message));
      continue;
    }
    if (const Field* first = find(name)) {
      diag.error(diag.mark(key), "duplicate key " + quoted(name) + " " + in_where(where_) +
                                     " (first at " + to_string(first->key_mark) + ")");
      continue;
    }
    fields_.push_back(field_of(key, entry.second, name, diag));
  }
}

const Field* MapReader::find(std::string_view key) const {
  for (const Field& f : fields_) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

const Field* MapReader::require(std::string_view key) {
  const Field* f = find(key);
  if (f == nullptr) {
    diag_.error(mark_, "missing required key " + quoted(key) + " " + in_where(where_));
  }
  return f;
}

const Field* MapReader::exactly_one(const std::vector<std::string_view>& keys) {
  std::vector<const Field*> present;
  for (const Field& f : fields_) {
    if (std::find(keys.begin(), keys.end(), f.name) != keys.end()) present.push_back(&f);
  }
  if (present.size() == 1) return present[0];
  std::string message = where_ + " needs exactly one of " + join_names(keys, "or") + "; found ";
  if (present.empty()) {
    diag_.error(mark_, message + "none");
    return nullptr;
  }
  std::vector<std::string_view> names;
  for (const Field* f : present)
    names.push_back(f->name);
  diag_.error(present[1]->key_mark, message + join_names(names, "and"));
  return nullptr;
}

std::vector<Field> map_entries(Diagnostics& diag, const Field& field, std::string_view prefix) {
  std::vector<Field> out;
  for (const auto& entry : field.value) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) {
      diag.error(diag.mark(key), "expected a key name in " + field.name + ", got " + describe(key));
      continue;
    }
    const std::string name = std::string(prefix) + key.Scalar();
    const auto first =
        std::find_if(out.begin(), out.end(), [&](const Field& f) { return f.name == name; });
    if (first != out.end()) {
      diag.error(diag.mark(key), "duplicate key " + quoted(key.Scalar()) + " in " + field.name +
                                     " (first at " + to_string(first->key_mark) + ")");
      continue;
    }
    out.push_back(field_of(key, entry.second, name, diag));
  }
  return out;
}

bool expect_map(Diagnostics& diag, const Field& field) {
  if (field.value.IsMap()) return true;
  diag.error(field.value_mark,
             "expected a map for " + quoted(field.name) + ", got " + describe(field.value));
  return false;
}

std::optional<std::vector<Field>> sequence_items(Diagnostics& diag, const Field& field) {
  if (!field.value.IsSequence()) {
    diag.error(field.value_mark,
               "expected a sequence for " + quoted(field.name) + ", got " + describe(field.value));
    return std::nullopt;
  }
  std::vector<Field> items;
  size_t index = 0;
  for (const YAML::Node& item : field.value) {
    const Mark mark = item.IsNull() ? field.value_mark : diag.mark(item);
    items.push_back(Field{field.name + "[" + std::to_string(index++) + "]", item, mark, mark});
  }
  return items;
}

std::optional<std::string> read_string(Diagnostics& diag, const Field& field) {
  return scalar_text(diag, field, "a string");
}

std::optional<std::string> read_nonempty(Diagnostics& diag, const Field& field) {
  auto text = read_string(diag, field);
  if (text && text->empty()) {
    diag.error(field.value_mark,
               "expected a non-empty string for " + quoted(field.name) + ", got an empty string");
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_bool(Diagnostics& diag, const Field& field) {
  const auto text = scalar_text(diag, field, "a boolean");
  if (!text) return std::nullopt;
  if (is_bool_text(*text)) return (*text)[0] == 't' || (*text)[0] == 'T';
  diag.error(field.value_mark, "invalid boolean " + quoted(*text) + " for " + quoted(field.name) +
                                   "; expected true or false");
  return std::nullopt;
}

std::optional<int64_t> read_int(Diagnostics& diag, const Field& field, int64_t min, int64_t max) {
  const auto text = scalar_text(diag, field, "an integer");
  if (!text) return std::nullopt;
  const auto value = parse_int(*text);
  if (!value) {
    diag.error(field.value_mark, "invalid integer " + quoted(*text) + " for " + quoted(field.name) +
                                     "; expected a whole number");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    const std::string range =
        max == std::numeric_limits<int64_t>::max()
            ? " must be at least " + std::to_string(min)
            : " must be between " + std::to_string(min) + " and " + std::to_string(max);
    diag.error(field.value_mark, field.name + range + ", got " + *text);
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> read_duration(Diagnostics& diag, const Field& field, Duration min,
                                      Duration max, bool zero_means_off) {
  const auto text = scalar_text(diag, field, "a duration");
  if (!text) return std::nullopt;
  const auto value = parse_duration(*text);
  if (!value) {
    diag.error(field.value_mark, "invalid duration " + quoted(*text) + " for " +
                                     quoted(field.name) +
                                     "; expected a number with ms, s, m or h (e.g. 500ms, 30s)");
    return std::nullopt;
  }
  if (zero_means_off && value->count() == 0) return value;
  if (*value < min || *value > max) {
    diag.error(field.value_mark, field.name + " must be " + (zero_means_off ? "0 (off) or " : "") +
                                     "between " + format_duration(min) + " and " +
                                     format_duration(max) + ", got " + *text);
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> read_size(Diagnostics& diag, const Field& field, uint64_t min,
                                  uint64_t max) {
  const auto text = scalar_text(diag, field, "a size");
  if (!text) return std::nullopt;
  const auto value = parse_size(*text);
  if (!value) {
    diag.error(field.value_mark,
               "invalid size " + quoted(*text) + " for " + quoted(field.name) +
                   "; expected bytes or a number with KiB, MiB or GiB (e.g. 64KiB)");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diag.error(field.value_mark, field.name + " must be between " + std::to_string(min) + " and " +
                                     std::to_string(max) + " bytes, got " + *text);
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_choice(Diagnostics& diag, const Field& field,
                                       const std::vector<std::string_view>& choices,
                                       std::string_view what) {
  auto text = scalar_text(diag, field, "a " + std::string(what));
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  diag.error(field.value_mark, "invalid " + std::string(what) + " " + quoted(*text) + " for " +
                                   quoted(field.name) + "; expected " + join_names(choices, "or"));
  return std::nullopt;
}

}  // namespace holdfast::config
