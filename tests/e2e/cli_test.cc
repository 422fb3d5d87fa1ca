// The command line: --validate, --version and --help.
#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>

#include "tests/e2e/e2e_support.h"

namespace holdfast::test::e2e {
namespace {

constexpr std::string_view kGood = R"(instance: e2e-cli
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "127.0.0.1:9092" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: kecho
        path: /kafka/echo
        upstream: { kafka: { topic: cli.in } }
        replies: { kafka: { topic: cli.out } }
)";

// Line 9 has an unknown key at column 30; line 11 a duration that is not one, at column 22.
constexpr std::string_view kBad = R"(instance: e2e-cli
admin: { address: 127.0.0.1:0 }
buses:
  kafka: { brokers: "127.0.0.1:9092" }
listeners:
  - address: 127.0.0.1:0
    routes:
      - name: kecho
        upstream: { kafka: { topik: cli.in } }
        path: /kafka/echo
        bus_timeout: soon
)";

}  // namespace

TEST_CASE("holdfast --validate accepts a good file and reports a bad one by line and column",
          "[cli]") {
  {
    TempFile good(kGood, ".yaml");
    const RunResult ok = run_holdfast({"--validate", "-c", good.path()});
    INFO("stdout: " << ok.out << "\nstderr: " << ok.err);
    CHECK(ok.status == 0);
    CHECK(ok.out == "OK\n");
  }

  TempFile bad(kBad, ".yaml");
  const RunResult failed = run_holdfast({"--validate", "-c", bad.path()});
  const std::string text = failed.out + failed.err;
  INFO("stdout: " << failed.out << "\nstderr: " << failed.err);
  CHECK(failed.status == 1);
  // No "OK" line; the temp file's random name, in every error line, may itself hold "OK".
  CHECK(("\n" + text).find("\nOK\n") == std::string::npos);
  // Every line is file:line:col: message.
  const std::regex line_re(
      "^" + std::regex_replace(bad.path(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
      R"(:(\d+):(\d+): .+$)");
  std::vector<std::pair<int, int>> positions;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos);
    pos = eol == std::string::npos ? text.size() : eol + 1;
    if (line.empty()) continue;
    std::smatch m;
    INFO("line: " << line);
    REQUIRE(std::regex_match(line, m, line_re));
    positions.emplace_back(std::stoi(m[1].str()), std::stoi(m[2].str()));
  }
  // Other errors may follow from these two (the unit tests pin the exact messages), but these
  // two are there, where they are in the file.
  const auto has = [&](std::pair<int, int> p) {
    return std::find(positions.begin(), positions.end(), p) != positions.end();
  };
  CHECK(has({9, 30}));
  CHECK(has({11, 22}));
  CHECK(text.find(":9:30: unknown key 'topik'") != std::string::npos);

  const RunResult missing = run_holdfast({"--validate", "-c", bad.path() + ".absent"});
  CHECK(missing.status == 1);
  CHECK((missing.out + missing.err).find(bad.path() + ".absent: ") != std::string::npos);
}

TEST_CASE("holdfast --version and --help exit 0", "[cli]") {
  const RunResult version = run_holdfast({"--version"});
  CHECK(version.status == 0);
  CHECK(version.out.rfind("holdfast ", 0) == 0);

  const RunResult help = run_holdfast({"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("--validate") != std::string::npos);
  CHECK(help.out.find("-c") != std::string::npos);
}

}  // namespace holdfast::test::e2e
