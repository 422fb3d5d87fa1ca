// The command line of the benchmark tools. A tool names each flag once with where its value goes;
// every tool then reads `--name value` pairs and bare switches the same way, and says what was
// wrong: an unknown flag, a flag without its value, or a number that is not one to the last
// character (std::atoi would have read "1e5" as 1 and "fast" as 0 and run the wrong benchmark).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hfbench {

// One value, read whole: false when `v` is not a number to its last character, or is out of range.
bool ReadInt(const char* v, int* out);
bool ReadReal(const char* v, double* out);

class Flags {
 public:
  // `tool` names the program in what Parse prints.
  explicit Flags(const char* tool) : tool_(tool) {}

  Flags& Text(const char* name, std::string* to);
  Flags& Int(const char* name, int* to);
  Flags& Size(const char* name, size_t* to);
  Flags& Real(const char* name, double* to);
  Flags& Switch(const char* name, bool* to);
  // A flag whose value `apply` takes itself; it returns false when the value is not right.
  Flags& Custom(const char* name, std::function<bool(const char*)> apply);

  // Reads argv[1..argc) in order, so a later flag overrides an earlier one. False after printing
  // the first problem to stderr.
  bool Parse(int argc, char** argv) const;

 private:
  struct Flag {
    const char* name;
    bool takes_value;
    std::function<bool(const char*)> apply;
  };
  Flags& Add(const char* name, bool takes_value, std::function<bool(const char*)> apply);

  const char* tool_;
  std::vector<Flag> flags_;
};

}  // namespace hfbench
