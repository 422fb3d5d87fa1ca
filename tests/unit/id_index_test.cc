#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/util/id_index.h"

using holdfast::util::IdIndex;

namespace {

struct Item {
  std::string name;
  std::string_view id() const { return name; }
};

}  // namespace

TEST_CASE("id index: finds what was inserted, and nothing else") {
  std::vector<Item*> slots(1, nullptr);
  IdIndex<Item> index(slots);
  CHECK(index.find("a") == nullptr);
  CHECK_FALSE(index.erase("a"));
  std::vector<Item> items(100);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].name = "conn-" + std::to_string(i);
    slots.push_back(&items[i]);
  }
  for (uint32_t slot = 1; slot < slots.size(); ++slot)
    index.insert(slots[slot]->id(), slot);
  CHECK(index.size() == 100);
  for (const Item& it : items)
    CHECK(index.find(it.name) == &it);
  CHECK(index.find("conn-100") == nullptr);
  CHECK(index.find("") == nullptr);
  size_t visited = 0;
  index.for_each([&](Item&) { ++visited; });
  CHECK(visited == 100);
}

TEST_CASE("id index: matches a map through random inserts and erases, and shrinks again") {
  // Many entries in small tables: long probe runs, wrapping at the end of the table, and backward
  // shifts across it.
  std::vector<Item> items(5000);
  std::vector<Item*> slots(1, nullptr);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].name = std::to_string(i * 7919);
    slots.push_back(&items[i]);
  }
  IdIndex<Item> index(slots);
  std::unordered_map<std::string, Item*> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 60000; ++step) {
    const uint32_t slot = 1 + rng() % items.size();
    Item& it = *slots[slot];
    if (model.count(it.name) != 0) {
      REQUIRE(index.erase(it.name));
      model.erase(it.name);
    } else {
      index.insert(it.name, slot);
      model.emplace(it.name, &it);
    }
    REQUIRE(index.size() == model.size());
    if (step % 997 == 0) {
      for (const Item& probe : items)
        REQUIRE(index.find(probe.name) == (model.count(probe.name) ? &probe : nullptr));
    }
  }
  CHECK(index.capacity() * 3 >= index.size() * 4);
  for (auto& [name, item] : model)
    REQUIRE(index.erase(name));
  CHECK(index.size() == 0);
  CHECK(index.capacity() <= 16);
  for (const Item& probe : items)
    REQUIRE(index.find(probe.name) == nullptr);
}
