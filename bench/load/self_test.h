#pragma once

namespace hfbench {

// Runs this program against an in-process echo server, once correct and once per kind of fault,
// and checks that the correct run passes and every faulty run exits 1 naming the fault.
// Returns the process exit code: 0 when every expectation held.
int SelfTest(const char* self);

}  // namespace hfbench
