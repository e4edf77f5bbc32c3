// FlatIndex: keys numbered in order of first appearance, through growth and collisions.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>

#include "../sim/flat_index.h"
#include "../workloads/op.h"

namespace npu {
namespace {

using Key = std::array<uint64_t, 3>;
struct WordsHash {
  size_t operator()(const Key& k) const { return hash_words(k); }
};
struct OneSlot {  // every key hashes alike: every look-up probes past the others
  size_t operator()(const Key&) const { return 7; }
};

template <class Hash>
void numbers_as_a_map_does(size_t keys, size_t looks) {
  FlatIndex<Key, Hash> index;
  std::map<Key, uint32_t> expected;
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < looks; ++i) {
    const Key k{rng() % keys, 3, rng() % 2};
    const auto [number, fresh] = index.emplace(k);
    const auto [at, inserted] = expected.emplace(k, static_cast<uint32_t>(expected.size()));
    ASSERT_EQ(fresh, inserted) << i;
    ASSERT_EQ(number, at->second) << i;
    ASSERT_EQ(index.at(k), at->second) << i;
  }
  EXPECT_EQ(index.size(), expected.size());
  for (const auto& [k, number] : expected) EXPECT_EQ(index.at(k), number);
}

TEST(FlatIndex, NumbersKeysInOrderOfFirstAppearanceThroughGrowth) {
  numbers_as_a_map_does<WordsHash>(5000, 40000);  // grows from 16 slots to 16,384
}

TEST(FlatIndex, NumbersKeysInOrderWhenEveryHashCollides) {
  numbers_as_a_map_does<OneSlot>(100, 2000);
}

TEST(FlatIndex, AtRefusesAKeyNeverAdded) {
  FlatIndex<Key, WordsHash> index;
  EXPECT_THROW(index.at(Key{1, 2, 3}), std::out_of_range);
  index.emplace(Key{1, 2, 3});
  EXPECT_EQ(index.at(Key{1, 2, 3}), 0u);
  EXPECT_THROW(index.at(Key{1, 2, 4}), std::out_of_range);
}

}  // namespace
}  // namespace npu
