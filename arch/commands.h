// Tile commands: what the lowering in sim/ hands a core. A core runs a program of steps; each
// step loads its operands into one of two input buffer slots (so the next step's loads overlap
// this step's compute), runs one array or vector command, and, when it completes an output tile,
// hands that tile to the store path (two output slots, so the store overlaps the next compute).
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "dma_config.h"
#include "types.h"
#include "vector_unit_config.h"

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
  Format in2 = Format::kFp16;  ///< the second input of add/mul, the depthwise weights
  uint64_t taps = 1;           ///< window kinds: inputs per output element
  /// Elements read of the input and of the second input; 0 = rows x cols. A window pass reads
  /// its input region (fewer elements than rows x cols x taps: windows overlap) and, depthwise,
  /// taps x cols weights.
  uint64_t in_elems = 0, in2_elems = 0;
};

/// A short list held inline: a million steps should not mean a million allocations.
template <class T, size_t N>
class InlineList {
 public:
  static constexpr size_t kCapacity = N;
  void push_back(const T& x) {
    if (m_size >= N) throw std::logic_error("InlineList: more items than its capacity");
    m_items[m_size++] = x;
  }
  bool empty() const { return m_size == 0; }
  size_t size() const { return m_size; }
  const T* begin() const { return m_items.data(); }
  const T* end() const { return m_items.data() + m_size; }
  const T& operator[](size_t i) const { return m_items[i]; }

 private:
  std::array<T, N> m_items{};
  size_t m_size = 0;
};

/// One command for a compute unit.
struct Command {
  Unit unit = Unit::kArray;
  ArrayCommand array;
  VectorCommand vector;
};
inline Command array_command(const ArrayCommand& a) {
  return {Unit::kArray, a, {}};
}
inline Command vector_command(const VectorCommand& v) {
  return {Unit::kVector, {}, v};
}

using DescriptorList = InlineList<DmaDescriptor, 3>;

/// One step of a core's program. Its commands run one after the other (e.g. a weight
/// dequantisation pass, then the GEMM tile; or flash attention's Q K^T, online softmax, P V).
struct TileStep {
  DescriptorList loads;  ///< into this step's input slot; empty if resident
  InlineList<Command, 4> commands;
  bool starts_output = false;  ///< first step accumulating into a new output slot
  bool ends_output = false;    ///< last step of its output tile: release to the store path
  DescriptorList stores;       ///< issued when ends_output (empty: output stays on chip)
};

bool operator==(const ArrayCommand& x, const ArrayCommand& y);
bool operator==(const VectorCommand& x, const VectorCommand& y);
bool operator==(const Command& x, const Command& y);  ///< the fields of its unit's command
bool operator==(const TileStep& x, const TileStep& y);

/// A core's steps in order, each run of equal consecutive steps held once with its count, and
/// each step held once for the runs that repeat it: a GEMM's K loop and flash attention's key
/// blocks repeat one step, and its output tiles repeat their runs, so a long op's program takes
/// the memory of its distinct steps and a few words a run, not of its steps. Iterating yields
/// every step.
class StepRuns {
 public:
  struct Run {
    uint64_t count = 0;
    uint64_t first = 0;  ///< the position of its first step
    /// Its step, as an index of the steps held. Runs with one id hold equal steps: a run takes
    /// the id of an equal one among the few before it (a GEMM's output tiles repeat their k
    /// loop's runs), else a new one.
    uint32_t id = 0;
  };
  class const_iterator {
   public:
    const_iterator(const Run* run, uint64_t k, const TileStep* steps)
        : m_run(run), m_k(k), m_steps(steps) {}
    const TileStep& operator*() const { return m_steps[m_run->id]; }
    const TileStep* operator->() const { return &m_steps[m_run->id]; }
    const_iterator& operator++() {
      if (++m_k == m_run->count) {
        ++m_run;
        m_k = 0;
      }
      return *this;
    }
    /// The id of the run this step is in.
    uint32_t run_id() const { return m_run->id; }
    /// Moves on `n` steps (staying before the end).
    void advance(uint64_t n) {
      for (n += m_k; n >= m_run->count; ++m_run) n -= m_run->count;
      m_k = n;
    }
    bool operator==(const const_iterator& o) const { return m_run == o.m_run && m_k == o.m_k; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    const Run* m_run;
    uint64_t m_k;  ///< which repeat of the run's step
    const TileStep* m_steps;
  };

  /// Appends `count` copies of `s`. Iterators stay valid only until the next push_back.
  void push_back(const TileStep& s, uint64_t count = 1);
  /// Keeps the memory (a run lowers op after op into one program).
  void clear() {
    m_runs.clear();
    m_steps.clear();
    m_size = 0;
  }
  uint64_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  const std::vector<Run>& runs() const { return m_runs; }
  /// The step a run repeats.
  const TileStep& step(const Run& r) const { return m_steps[r.id]; }
  const_iterator begin() const { return {m_runs.data(), 0, m_steps.data()}; }
  const_iterator end() const { return {m_runs.data() + m_runs.size(), 0, m_steps.data()}; }
  /// The first position x >= from whose step differs from the step d later, as far as run ids
  /// tell (equal steps in runs of different ids count as different); size() - d when none does.
  /// Steady-state skipping: the program repeats with period d over [from, result + d).
  uint64_t periodic_until(uint64_t from, uint64_t d) const;

 private:
  /// The run holding position x.
  size_t run_at(uint64_t x) const;

  std::vector<Run> m_runs;
  std::vector<TileStep> m_steps;  ///< by id
  uint64_t m_size = 0;            ///< steps
};

struct CoreProgram {
  StepRuns steps;
  uint32_t label = 0;  ///< timeline label (the op's name)
};

}  // namespace npu
