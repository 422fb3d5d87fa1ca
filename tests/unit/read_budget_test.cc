// A connection's share of a loop turn: the frame that uses it up says so once, another
// connection starts its own share, and the turn's end resumes each connection that ran out.
#include "proxy/read_budget.h"

#include <catch2/catch.hpp>
#include <vector>

namespace holdfast {
namespace {

constexpr unsigned kShare = ReadBudget::kFramesPerTurn;

// Spends `frames` frames of `handle`; how many of them said the share ran out.
unsigned spend(ReadBudget& budget, uint64_t handle, unsigned frames) {
  unsigned ran_out = 0;
  for (unsigned i = 0; i < frames; ++i)
    ran_out += budget.spend(handle) ? 1 : 0;
  return ran_out;
}

std::vector<uint64_t> end_turn(ReadBudget& budget) {
  std::vector<uint64_t> resumed;
  budget.end_turn([&](uint64_t handle) { resumed.push_back(handle); });
  return resumed;
}

}  // namespace

TEST_CASE("the frame that uses up a connection's share says so, once") {
  ReadBudget budget;
  CHECK(spend(budget, 7, kShare - 1) == 0);
  CHECK(budget.spend(7));
  CHECK(spend(budget, 7, 3 * kShare) == 0);  // lws may hand over a frame already parsed
  CHECK(end_turn(budget) == std::vector<uint64_t>{7});
}

TEST_CASE("each connection in a turn has a share of its own") {
  ReadBudget budget;
  CHECK(spend(budget, 1, kShare - 1) == 0);
  CHECK(spend(budget, 2, kShare) == 1);
  CHECK(spend(budget, 3, kShare - 1) == 0);
  CHECK(spend(budget, 4, kShare) == 1);
  CHECK(end_turn(budget) == std::vector<uint64_t>{2, 4});
  CHECK(end_turn(budget).empty());
}

TEST_CASE("a turn's end gives a connection its whole share again") {
  ReadBudget budget;
  CHECK(spend(budget, 5, kShare - 1) == 0);
  CHECK(end_turn(budget).empty());
  CHECK(spend(budget, 5, kShare - 1) == 0);  // not one frame short of its share
  CHECK(budget.spend(5));
  CHECK(end_turn(budget) == std::vector<uint64_t>{5});
}

}  // namespace holdfast
