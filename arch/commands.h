// Tile commands: what the lowering in sim/ hands a core. A core runs a program of steps; each
// step loads its operands into one of two input buffer slots (so the next step's loads overlap
// this step's compute), runs one array or vector command, and, when it completes an output tile,
// hands that tile to the store path (two output slots, so the store overlaps the next compute).
#pragma once

#include <systemc>

#include <array>
#include <cstdint>
#include <vector>

#include "dma_engine.h"
#include "types.h"
#include "vector_unit.h"

namespace npu {

enum class Unit : uint8_t { kArray, kVector };

struct ArrayCommand {
  uint64_t m = 0, k = 0, n = 0;
  Format compute = Format::kInt8;  ///< MAC format (the wider operand)
  Format a = Format::kInt8, b = Format::kInt8;
};

struct VectorCommand {
  VectorKind kind = VectorKind::kAdd;
  uint64_t rows = 0, cols = 0;
  Format in = Format::kFp16, out = Format::kFp16;
  Format in2 = Format::kFp16;  ///< the second input of add/mul
};

/// The few descriptors of one step, held inline: a million steps should not mean a million
/// allocations.
class DescriptorList {
 public:
  static constexpr size_t kCapacity = 3;
  void push_back(const DmaDescriptor& d) {
    sc_assert(m_size < kCapacity);
    m_items[m_size++] = d;
  }
  bool empty() const { return m_size == 0; }
  size_t size() const { return m_size; }
  const DmaDescriptor* begin() const { return m_items.data(); }
  const DmaDescriptor* end() const { return m_items.data() + m_size; }
  const DmaDescriptor& operator[](size_t i) const { return m_items[i]; }

 private:
  std::array<DmaDescriptor, kCapacity> m_items{};
  size_t m_size = 0;
};

struct TileStep {
  DescriptorList loads;  ///< into this step's input slot; empty if resident
  Unit unit = Unit::kArray;
  ArrayCommand array;
  VectorCommand vector;
  bool starts_output = false;  ///< first step accumulating into a new output slot
  bool ends_output = false;    ///< last step of its output tile: release to the store path
  DescriptorList stores;       ///< issued when ends_output (empty: output stays on chip)
};

struct CoreProgram {
  std::vector<TileStep> steps;
  uint32_t label = 0;  ///< timeline label (the op's name)
};

}  // namespace npu
