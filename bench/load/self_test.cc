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
  };
  return RunSelfTests("hf-load", cases, [self](const SelfTestCase& c, std::string* out) {
    return RunAgainstFaultyServer(self, c.fault,
                                  {"--connections", "4", "--closed", "4", "--duration", "0.5",
                                   "--warmup", "0.1", "--drain", "0.5", "--src-count", "2"},
                                  out);
  });
}

}  // namespace hfbench
