// Numbers keys in order of first appearance: key -> 0, 1, 2, ... A run looks up every op's key
// (its signature, its distinct-op group) once or twice, so the look-up is on the path of every
// op: open addressing over a power-of-two table (a mask, not std::unordered_map's division by a
// prime, and no node per key), linear probing, grown to keep at most half the slots used. The
// keys sit in blocks of 256 that never move (a long decode has a key per step: a doubling array
// of them would hold up to three times their size while it grows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace npu {

template <class Key, class Hash>
class FlatIndex {
 public:
  /// The number of `key`, and whether it is new (then it is the number of keys before it).
  std::pair<uint32_t, bool> emplace(const Key& key) {
    if (2 * (m_size + 1) > m_slots.size()) grow();
    size_t s = slot_of(key);
    if (m_slots[s] != 0) return {m_slots[s] - 1, false};
    if (m_size % kBlock == 0) m_blocks.push_back(std::make_unique<Key[]>(kBlock));
    m_blocks.back()[m_size % kBlock] = key;
    m_slots[s] = static_cast<uint32_t>(++m_size);
    return {m_slots[s] - 1, true};
  }
  /// The number of a key added before (throws std::out_of_range for any other).
  uint32_t at(const Key& key) const {
    const size_t s = m_slots.empty() ? 0 : slot_of(key);
    if (m_slots.empty() || m_slots[s] == 0) throw std::out_of_range("FlatIndex: no such key");
    return m_slots[s] - 1;
  }
  size_t size() const { return m_size; }

 private:
  /// The slot holding `key`, or the empty one where it would go.
  size_t slot_of(const Key& key) const {
    const size_t mask = m_slots.size() - 1;
    size_t s = Hash()(key) & mask;
    while (m_slots[s] != 0 && !(key_at(m_slots[s] - 1) == key)) s = (s + 1) & mask;
    return s;
  }
  void grow() {
    std::vector<uint32_t> old(m_slots.empty() ? 16 : 2 * m_slots.size(), 0);
    m_slots.swap(old);
    const size_t mask = m_slots.size() - 1;
    for (uint32_t i = 0; i < m_size; ++i) {
      size_t s = Hash()(key_at(i)) & mask;
      while (m_slots[s] != 0) s = (s + 1) & mask;
      m_slots[s] = i + 1;
    }
  }

  const Key& key_at(size_t i) const { return m_blocks[i / kBlock][i % kBlock]; }

  static constexpr size_t kBlock = 256;
  std::vector<std::unique_ptr<Key[]>> m_blocks;  ///< the keys in order of their numbers
  size_t m_size = 0;
  std::vector<uint32_t> m_slots;  ///< a key's number + 1; 0 = empty
};

}  // namespace npu
