#include "base/owning_list.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace zkx {
namespace {

// Counts the live elements, so that a leak or a double free shows.
struct Item {
  explicit Item(int v, int* live) : value(v), alive(live) { ++*alive; }
  ~Item() { --*alive; }
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  int value;
  int* alive;
  Item* list_prev = nullptr;
  Item* list_next = nullptr;
};

std::vector<int> Values(std::vector<std::unique_ptr<Item>> items) {
  std::vector<int> values;
  for (const auto& item : items) values.push_back(item->value);
  std::sort(values.begin(), values.end());
  return values;
}

TEST(OwningListTest, RemovesFromTheHeadTheMiddleAndTheTail) {
  int alive = 0;
  OwningList<Item> list;
  std::vector<Item*> raw;
  for (int i = 0; i < 5; ++i) {
    auto item = std::make_unique<Item>(i, &alive);
    raw.push_back(item.get());
    list.Add(std::move(item));
  }
  EXPECT_EQ(list.size(), 5u);
  // Added at the head: 4 is the head, 0 the tail.
  for (Item* taken : {raw[4], raw[2], raw[0]}) {
    std::unique_ptr<Item> owned = list.Remove(taken);
    ASSERT_EQ(owned.get(), taken);
  }
  EXPECT_EQ(alive, 2);  // the three handed back are freed
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(Values(list.TakeAll()), (std::vector<int>{1, 3}));
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(alive, 0);
}

TEST(OwningListTest, RemovingAnElementTwiceOrOneInNoListGivesNull) {
  int alive = 0;
  OwningList<Item> list;
  auto first = std::make_unique<Item>(1, &alive);
  Item* raw = first.get();
  list.Add(std::move(first));
  list.Add(std::make_unique<Item>(2, &alive));
  std::unique_ptr<Item> owned = list.Remove(raw);
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(list.Remove(raw), nullptr);  // taken out already
  Item loose(3, &alive);
  EXPECT_EQ(list.Remove(&loose), nullptr);
  EXPECT_EQ(list.size(), 1u);
}

TEST(OwningListTest, FreesWhatIsLeft) {
  int alive = 0;
  {
    OwningList<Item> list;
    for (int i = 0; i < 3; ++i) list.Add(std::make_unique<Item>(i, &alive));
    EXPECT_EQ(list.size(), 3u);
    EXPECT_EQ(alive, 3);
  }
  EXPECT_EQ(alive, 0);
}

}  // namespace
}  // namespace zkx
