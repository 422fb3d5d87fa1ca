// holdfast: a WebSocket edge proxy to Kafka and Redis.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "proxy/file_limit.h"
#include "proxy/log.h"
#include "proxy/openssl_allocator.h"
#include "proxy/server.h"

namespace {

constexpr const char* kUsage = R"(usage: holdfast -c FILE [--log-level LEVEL]
       holdfast --validate -c FILE
       holdfast --version | --help

Holds WebSocket connections for services that speak Kafka or Redis.

  -c, --config FILE     the YAML config (see docs/configuration.md)
      --validate        check the config: print OK and exit 0, or print every
                        error as file:line:col: message and exit 1
      --log-level LEVEL debug, info, warn or error (overrides log.level)
      --version         print the version
  -h, --help            print this help

Signals: SIGTERM and SIGINT drain and exit 0.
)";

}  // namespace

int main(int argc, char** argv) {
  holdfast::install_openssl_allocator();
  std::string config_path;
  std::string level_override;
  bool validate = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--validate") {
      validate = true;
    } else if (a == "--log-level" && i + 1 < argc) {
      level_override = argv[++i];
    } else if (a == "--version") {
      std::printf("holdfast %s\n", HOLDFAST_VERSION);
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "holdfast: unknown argument '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "holdfast: no config given (-c FILE)\n\n%s", kUsage);
    return 2;
  }

  const auto result = holdfast::config::load_file(config_path);
  if (!result.errors.empty()) {
    for (const auto& e : result.errors)
      std::fprintf(validate ? stdout : stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  if (validate) {
    std::puts("OK");
    return 0;
  }

  holdfast::log::Level level;
  const std::string& level_text =
      level_override.empty() ? result.config->log_level : level_override;
  if (!holdfast::log::parse_level(level_text, level)) {
    std::fprintf(stderr, "holdfast: unknown log level '%s' (debug, info, warn, error)\n",
                 level_text.c_str());
    return 2;
  }
  holdfast::log::set_level(level);
  if (!result.config->log_bus_file.empty()) {
    const int fd = ::open(result.config->log_bus_file.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "holdfast: cannot open log.bus_file '%s': %s\n",
                   result.config->log_bus_file.c_str(), std::strerror(errno));
      return 1;
    }
    holdfast::log::set_bus_fd(fd);
  }
  std::string limit_error;
  if (!holdfast::apply_file_limit(result.config->file_limit, limit_error)) {
    std::fprintf(stderr, "holdfast: %s\n", limit_error.c_str());
    return 1;
  }
  const uint64_t file_limit = holdfast::file_limit();
  holdfast::log::info("starting", {{"version", HOLDFAST_VERSION},
                                   {"config", config_path},
                                   {"instance", result.config->instance},
                                   {"file_limit", file_limit}});
  if (holdfast::inherited_file_limit_is_costly(result.config->file_limit, file_limit)) {
    holdfast::log::warn("large file limit: every close scans a table that long",
                        {{"file_limit", file_limit},
                         {"remedy", "set file_limit to the connections this process will hold"}});
  }
  holdfast::Server server(result.config);
  if (!level_override.empty()) server.keep_log_level();
  return server.run();
}
