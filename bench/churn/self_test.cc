// hf-churn --self-test: churn against the echo server, correct and with each fault that leaves a
// connection without its echo or gives it something else. The correct run must pass and each
// faulty one fail, naming what went wrong.
#include "../common/self_test.h"

namespace hfbench {

int SelfTest(const char* self) {
  const std::vector<SelfTestCase> cases = {
      {"every echo right", Fault::kNone, 0, "\"ok\":true"},
      {"one echo never sent", Fault::kDrop, 1, "no answer within the timeout"},
      {"one echo held back", Fault::kReorder, 1, "no answer within the timeout"},
      {"one echo to another connection", Fault::kMisroute, 1, "not this connection's echo"},
      {"one echo sent twice", Fault::kDuplicate, 1, "not this connection's echo"},
      {"one echo changed", Fault::kCorrupt, 1, "not this connection's echo"},
  };
  return RunSelfTests("hf-churn", cases, [self](const SelfTestCase& c, std::string* out) {
    return RunAgainstFaultyServer(self, c.fault,
                                  {"--path", "/", "--slots", "4", "--duration", "1", "--warmup",
                                   "0.1", "--timeout", "0.3", "--src-count", "2"},
                                  out);
  });
}

}  // namespace hfbench
