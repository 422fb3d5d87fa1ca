// Stage one of loading: the structure. Helpers that read YAML nodes into values, reporting
// unknown keys, wrong types and out-of-range values to Diagnostics. Each reader returns nullopt
// after reporting, so callers simply skip what failed and keep reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/diagnostics.h"

namespace holdfast::config {

// A value together with the name it is reported under and where it stood.
struct Field {
  std::string name;  // "name", "subscribe[1]", "metadata.room"
  YAML::Node value;
  Mark key_mark;    // the key, or the item itself in a sequence
  Mark value_mark;  // the value; the key when the value is empty
};

// "a map", "a sequence", "a string", "a number", "a boolean", "an empty value".
std::string describe(const YAML::Node& node);

// Lists names for messages: "kafka, redis or echo" (`last` is "or" or "and").
std::string join_names(const std::vector<std::string_view>& names, std::string_view last);

// The keys of one map. Unknown and repeated keys are reported when it is built.
class MapReader {
 public:
  // `where` names the map in messages ("upstream.kafka", "listeners[0]", "the top level");
  // `field` must hold a map (see expect_map).
  MapReader(Diagnostics& diag, const Field& field, std::string where,
            std::vector<std::string_view> keys);

  const Field* find(std::string_view key) const;
  // Reports "missing required key" at the map when `key` is absent.
  const Field* require(std::string_view key);
  // Exactly one of `keys` must be present; reports otherwise. Returns the one present, if single.
  const Field* exactly_one(const std::vector<std::string_view>& keys);

  const std::string& where() const { return where_; }
  const Mark& mark() const { return mark_; }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  Diagnostics& diag_;
  std::string where_;
  Mark mark_;
  std::vector<Field> fields_;
};

// The entries of a map whose keys are names chosen by the user (metadata, librdkafka
// properties); duplicates are reported. `prefix` is put before each name in its Field.
std::vector<Field> map_entries(Diagnostics& diag, const Field& field, std::string_view prefix);

bool expect_map(Diagnostics& diag, const Field& field);
// The items of a sequence, named "name[i]"; nullopt (reported) when it is not a sequence.
std::optional<std::vector<Field>> sequence_items(Diagnostics& diag, const Field& field);

// A scalar with ${VAR} expanded.
std::optional<std::string> read_string(Diagnostics& diag, const Field& field);
// A string that must not be empty.
std::optional<std::string> read_nonempty(Diagnostics& diag, const Field& field);
std::optional<bool> read_bool(Diagnostics& diag, const Field& field);
std::optional<int64_t> read_int(Diagnostics& diag, const Field& field, int64_t min, int64_t max);
// `zero_means_off` allows 0 below `min` ("must be 0 (off) or between ...").
std::optional<Duration> read_duration(Diagnostics& diag, const Field& field, Duration min,
                                      Duration max, bool zero_means_off = false);
std::optional<uint64_t> read_size(Diagnostics& diag, const Field& field, uint64_t min,
                                  uint64_t max);
// One of `choices`; `what` names the kind of value in messages ("log level").
std::optional<std::string> read_choice(Diagnostics& diag, const Field& field,
                                       const std::vector<std::string_view>& choices,
                                       std::string_view what);

}  // namespace holdfast::config
