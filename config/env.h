// Environment expansion in scalar values: ${VAR}, ${VAR:-default} and $$ for a literal '$'.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::config {

// Expands `text` into `out`. ${VAR:-default} takes the default when VAR is unset or empty, as
// the shell does; ${VAR} with VAR unset is an error. A '$' followed by anything other than '{'
// or '$' stays as it is. On failure returns false and sets `error` to the whole message.
bool expand_env(std::string_view text, std::string& out, std::string& error);

}  // namespace holdfast::config
