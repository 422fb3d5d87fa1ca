#include <string>
#include <string_view>
#include <vector>

#include "../common/self_test.h"

namespace hfbench {

int SelfTest(const char* self) {
  const std::vector<SelfTestCase> cases = {
      {"correct echo", Fault::kNone, 0, "\"ok\":true"},
      {"one message dropped", Fault::kDrop, 1, "1 missing"},
      {"two messages swapped", Fault::kReorder, 1, "1 reordered"},
      {"one message to the wrong connection", Fault::kMisroute, 1, "1 misrouted"},
      {"one message echoed twice", Fault::kDuplicate, 1, "1 duplicate"},
      {"one message changed", Fault::kCorrupt, 1, "1 corrupt"},
      {"idle, every ping answered", Fault::kNone, 0, "\"pongs\":4"},
      {"idle, one ping never answered", Fault::kDropPong, 1, "1 missing"},
      {"idle, one pong changed", Fault::kCorruptPong, 1, "1 corrupt"},
  };
  return RunSelfTests("hf-load", cases, [self](const SelfTestCase& c, std::string* out) {
    std::vector<std::string> args = {"--connections", "4",   "--duration", "0.5",
                                     "--warmup",      "0.1", "--drain",    "0.5",
                                     "--src-count",   "2"};
    if (std::string_view(c.name).substr(0, 4) == "idle") {
      args.insert(args.end(), {"--idle", "--ping-payload", "8"});
    } else {
      args.insert(args.end(), {"--closed", "4"});
    }
    return RunAgainstFaultyServer(self, c.fault, args, out);
  });
}

}  // namespace hfbench
