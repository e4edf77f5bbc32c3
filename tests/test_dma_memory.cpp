// DMA engine and unified-memory interface, through simulate() on tiny chips (one simulate() per
// TEST: SystemC elaborates once per process), plus MemoryConfig::reachable_bytes_per_s().
//
// Timing model under test (arch/dma_config.h, arch/dma_engine.h, arch/unified_memory.h):
//   a descriptor on a channel = setup_cycles * descriptors + stream + latency,
//   stream = bytes in grants of <= quantum_bytes, each no faster than the memory's reachable
//   bandwidth nor the channel's own rate; the round-trip latency is paid once, at the end.
// Every expected number is derived by hand beside its assertion.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/lower.h"
#include "sim/scheduler.h"
#include "test_helpers.h"

namespace npu {
namespace {

using testing::dma_chip;

Op vector_op(std::string name, OpKind kind, uint64_t rows, uint64_t cols, Location a, Location c) {
  return testing::int8_vector_op(std::move(name), kind, rows, cols, a, c);
}

/// gelu over one row of 256 int8 with the input in DRAM and the output left in SRAM: the op's only
/// DRAM traffic is one load of 256 B, and a single row is a single tile (the planner cuts vector
/// ops into whole rows). Default vector unit (64 lanes, 4 SFU/cycle, latency 8): ALU 7 * 256 =
/// 1792 -> 28 cycles, SFU 256 -> 64 cycles, so the pass is 8 + 64 = 72 cycles (the SRAM floor,
/// (256 + 256) B / (64 banks * 1024 B) = 1 cycle, does not bind).
Op gelu_load_only() {
  return vector_op("gelu", OpKind::kGelu, 1, 256, Location::kDram, Location::kSram);
}

/// The start and end of the events a track recorded (ps), or {0, 0} if it has none.
std::pair<uint64_t, uint64_t> track_span(const Timeline& tl, const std::string& track) {
  const auto it = std::find(tl.tracks().begin(), tl.tracks().end(), track);
  if (it == tl.tracks().end()) return {0, 0};
  const uint32_t id = static_cast<uint32_t>(it - tl.tracks().begin());
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const TimelineEvent& e : tl.events())
    if (e.track == id) lo = std::min(lo, e.start_ps), hi = std::max(hi, e.end_ps);
  return hi == 0 ? std::pair<uint64_t, uint64_t>{0, 0} : std::pair<uint64_t, uint64_t>{lo, hi};
}

// ---------------------------------------------------------------------------------------------
// Reachable bandwidth (pure function).

TEST(DmaMemory, ReachableBandwidthShareMinusBackground) {
  MemoryConfig m;
  m.latency_ps = 0;  // no Little's-law cap
  m.peak_bytes_per_s = 10'000'000'000;
  m.achievable_fraction = 1.0;
  m.background_bytes_per_s = 0;
  EXPECT_EQ(m.reachable_bytes_per_s(), 10'000'000'000u);  // 10e9 * 1.0 - 0
  m.achievable_fraction = 0.75;
  EXPECT_EQ(m.reachable_bytes_per_s(), 7'500'000'000u);  // 10e9 * 0.75
  m.background_bytes_per_s = 2'500'000'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 5'000'000'000u);  // 7.5e9 - 2.5e9
  m.background_bytes_per_s = 7'500'000'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 0u);  // the background takes the whole share
  m.background_bytes_per_s = 9'000'000'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 0u);  // more than the share: still 0, not negative
}

TEST(DmaMemory, ReachableBandwidthIsExactForDecimalFractions) {
  // Fractions such as 0.8 or 0.7 are not exact in binary; the product must still come out as the
  // whole number of bytes/s it denotes, not one byte/s less.
  MemoryConfig m;
  m.latency_ps = 0;
  m.peak_bytes_per_s = 68'000'000'000;
  m.achievable_fraction = 0.8;
  EXPECT_EQ(m.reachable_bytes_per_s(), 54'400'000'000u);  // 68e9 * 0.8
  m.peak_bytes_per_s = 3'000'000'000;
  m.achievable_fraction = 0.7;
  EXPECT_EQ(m.reachable_bytes_per_s(), 2'100'000'000u);  // 3e9 * 0.7
  m.achievable_fraction = 0.29;
  EXPECT_EQ(m.reachable_bytes_per_s(), 870'000'000u);  // 3e9 * 0.29
  m.peak_bytes_per_s = 5'000'000'000;
  m.achievable_fraction = 0.82;
  m.background_bytes_per_s = 100'000'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 4'000'000'000u);  // 5e9 * 0.82 - 0.1e9
  // Every whole GB/s from 1 to 64 at every whole percentage.
  for (uint64_t gb = 1; gb <= 64; ++gb)
    for (int pct = 1; pct <= 100; ++pct) {
      m.peak_bytes_per_s = gb * 1'000'000'000;
      m.achievable_fraction = pct / 100.0;
      m.background_bytes_per_s = 0;
      EXPECT_EQ(m.reachable_bytes_per_s(), gb * 10'000'000 * static_cast<uint64_t>(pct))
          << gb << " GB/s x " << pct << "%";
    }
}

TEST(DmaMemory, ReachableBandwidthLittlesLawCap) {
  MemoryConfig m;
  m.peak_bytes_per_s = 10'000'000'000;
  m.achievable_fraction = 0.8;
  m.background_bytes_per_s = 3'000'000'000;  // share - background = 8e9 - 3e9 = 5e9
  m.max_outstanding = 16;
  m.request_bytes = 64;
  // 16 * 64 B = 1024 B in flight per 200 ns round trip = 5.12e9 B/s > 5e9: the share binds.
  m.latency_ps = 200'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 5'000'000'000u);
  // 1024 B per 250 ns = 4.096e9 B/s < 5e9: Little's law binds.
  m.latency_ps = 250'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 4'096'000'000u);
  // 64 requests of 64 B = 4096 B per 300 ns = 13,653,333,333.3 B/s, rounded down; the share is
  // 5e9, so raise the peak to let the cap bind: 100e9 * 0.8 - 3e9 = 77e9 > 13.65e9.
  m.peak_bytes_per_s = 100'000'000'000;
  m.max_outstanding = 64;
  m.latency_ps = 300'000;
  EXPECT_EQ(m.reachable_bytes_per_s(), 13'653'333'333u);
  // No latency: no cap.
  m.latency_ps = 0;
  EXPECT_EQ(m.reachable_bytes_per_s(), 77'000'000'000u);
}

// ---------------------------------------------------------------------------------------------
// One transfer.

TEST(DmaMemory, SingleLoadIsSetupPlusStreamPlusLatency) {
  const ChipConfig chip = dma_chip();
  const std::vector<Op> ops = {gelu_load_only()};
  // One row: one tile.
  const TilePlan plan = Lowering(chip).plan(ops[0]);
  EXPECT_EQ(plan.mt, 1u);
  EXPECT_EQ(plan.nt, 256u);
  EXPECT_EQ(plan.steps, 1u);
  const RunResult r = simulate(chip, ops, {});
  ASSERT_EQ(r.ops.size(), 1u);
  const OpRecord& o = r.ops[0];
  // setup 10 cycles + 256 B / 8 B per cycle = 32 cycles + latency 50 cycles = 92, then the
  // 72-cycle vector pass: 164 cycles.
  EXPECT_EQ(o.cycles(), 164u);
  EXPECT_EQ(o.dram_read_bytes, 256u);
  EXPECT_EQ(o.dram_write_bytes, 0u);
  EXPECT_EQ(o.memory_ps, 32'000u);  // the interface granted 256 B at 8 GB/s = 32 ns
  EXPECT_EQ(o.dma_descriptors, 1u);
  EXPECT_EQ(o.vector_cycles, 72u);
  // Roofline: 256 B / 8 B per cycle = 32 cycles (vector ops have no MAC floor).
  EXPECT_EQ(o.roofline_cycles, 32u);
}

TEST(DmaMemory, LoadAndStoreEachPaySetupStreamAndLatency) {
  const ChipConfig chip = dma_chip();
  const std::vector<Op> ops = {
      vector_op("gelu", OpKind::kGelu, 1, 256, Location::kDram, Location::kDram)};
  const RunResult r = simulate(chip, ops, {});
  // Load 10 + 32 + 50 = 92, gelu 72, store of 256 B: 10 + 32 + 50 = 92. Total 256 cycles.
  EXPECT_EQ(r.ops[0].cycles(), 256u);
  EXPECT_EQ(r.ops[0].dram_read_bytes, 256u);
  EXPECT_EQ(r.ops[0].dram_write_bytes, 256u);
  EXPECT_EQ(r.ops[0].memory_ps, 64'000u);  // 2 x 32 ns
  EXPECT_EQ(r.ops[0].dma_descriptors, 2u);
}

TEST(DmaMemory, QuantumSplitsTheStreamWithoutGaps) {
  // 64-B grants: the 256-B load becomes 4 grants of 64 B / 8 B per ns = 8 ns each. The channel
  // asks for the next as soon as one ends, so the stream still takes 32 ns: 164 cycles as above.
  ChipConfig chip = dma_chip();
  chip.memory.quantum_bytes = 64;
  const std::vector<Op> ops = {gelu_load_only()};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 164u);
  EXPECT_EQ(r.ops[0].memory_ps, 32'000u);
  // The memory track shows one busy stretch from the end of the setup (10 ns) to 42 ns.
  const auto span = track_span(r.timeline, "memory");
  EXPECT_EQ(span.first, 10'000u);
  EXPECT_EQ(span.second, 42'000u);
}

TEST(DmaMemory, SlowChannelBoundsTheTransfer) {
  // The channel moves 2 B/cycle = 2 GB/s, a quarter of the memory's 8 GB/s: the 256-B stream
  // takes 256 / 2 = 128 cycles instead of 32. 10 + 128 + 50 + 72 = 260 cycles.
  ChipConfig chip = dma_chip();
  chip.core.dma.bytes_per_cycle = 2;
  const std::vector<Op> ops = {gelu_load_only()};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 260u);
  EXPECT_EQ(r.ops[0].memory_ps, 32'000u);  // the interface itself was busy only 32 ns
}

TEST(DmaMemory, ChannelOutstandingBurstsBoundTheTransfer) {
  // Little's law on the channel: 4 bursts of 64 B in flight per 50 ns round trip =
  // 256 B / 50 ns = 5.12 B/ns < 8 B/ns of memory. The 256-B stream takes 256 / 5.12 = 50 ns.
  // 10 + 50 + 50 + 72 = 182 cycles.
  ChipConfig chip = dma_chip();
  chip.core.dma.max_outstanding_bursts = 4;
  chip.core.dma.max_burst_bytes = 64;
  const std::vector<Op> ops = {gelu_load_only()};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 182u);
}

/// C[4,4] = A[4,4] x B[4,4] int8 on the 4x4 ws array with A in DRAM: one fold of
/// 2*4 + 4 + 4 - 2 = 14 cycles. Cutting any dimension costs a whole extra fold (ws pays its fill
/// per fold), so the planner keeps one tile, and A arrives as one block of 4 rows x 4 B = 16 B
/// (16 / 8 = 2 cycles at 8 B/cycle).
Op small_gemm_a_from_dram() {
  return testing::gemm("g", 4, 4, 4, Location::kDram, Location::kSram, Location::kSram);
}

TEST(DmaMemory, TwoDStridesPaySetupOncePerBlock) {
  const ChipConfig chip = dma_chip();
  const std::vector<Op> ops = {small_gemm_a_from_dram()};
  const TilePlan plan = Lowering(chip).plan(ops[0]);
  EXPECT_EQ(plan.mt, 4u);
  EXPECT_EQ(plan.kt, 4u);
  EXPECT_EQ(plan.nt, 4u);
  EXPECT_EQ(plan.steps, 1u);
  const RunResult r = simulate(chip, ops, {});
  // setup 10 + stream 2 + latency 50 + array 14 = 76 cycles.
  EXPECT_EQ(r.ops[0].cycles(), 76u);
  EXPECT_EQ(r.ops[0].dma_descriptors, 1u);
}

TEST(DmaMemory, WithoutTwoDStridesEveryRowPaysSetup) {
  // strides_2d = false: the 4-row block of A is 4 hardware descriptors, 4 x 10 = 40 cycles of
  // setup. 40 + 2 + 50 + 14 = 106 cycles (latency is still paid once: the rows' bursts pipeline).
  ChipConfig chip = dma_chip();
  chip.core.dma.strides_2d = false;
  const std::vector<Op> ops = {small_gemm_a_from_dram()};
  ASSERT_EQ(Lowering(chip).plan(ops[0]).steps, 1u);
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 106u);
  EXPECT_EQ(r.ops[0].dma_descriptors, 4u);
}

TEST(DmaMemory, BackgroundTrafficSlowsTheTransfer) {
  // 8 GB/s peak, 4 GB/s of CPU/GPU traffic: 4 GB/s reachable = 4 B/cycle. The 256-B stream takes
  // 64 cycles: 10 + 64 + 50 + 72 = 196 cycles.
  ChipConfig chip = dma_chip();
  chip.memory.background_bytes_per_s = 4'000'000'000;
  EXPECT_EQ(chip.memory.reachable_bytes_per_s(), 4'000'000'000u);
  const std::vector<Op> ops = {gelu_load_only()};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 196u);
  EXPECT_EQ(r.ops[0].memory_ps, 64'000u);
  EXPECT_EQ(r.ops[0].roofline_cycles, 64u);  // 256 B / 4 B per cycle
}

TEST(DmaMemory, MemoryOutstandingRequestsBoundTheTransfer) {
  // Little's law at the interface: 2 requests of 64 B per 50 ns = 2.56 GB/s. The 256-B stream
  // takes 256 / 2.56 = 100 ns: 10 + 100 + 50 + 72 = 232 cycles.
  ChipConfig chip = dma_chip();
  chip.memory.max_outstanding = 2;
  EXPECT_EQ(chip.memory.reachable_bytes_per_s(), 2'560'000'000u);
  const std::vector<Op> ops = {gelu_load_only()};
  const RunResult r = simulate(chip, ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 232u);
  EXPECT_EQ(r.ops[0].memory_ps, 100'000u);
}

// ---------------------------------------------------------------------------------------------
// Sharing the interface.

/// rmsnorm over 2 rows x 4096 int8 on a 2-core chip with 1-KiB grants: each core gets one row
/// (4096 B = 4 grants of 1024 B / 8 B per ns = 128 ns). rmsnorm of one 4096-element row: ALU
/// 3 * 4096 = 12288 / 64 lanes = 192 cycles, SFU 1 rsqrt -> 1 cycle; 8 + 192 = 200 cycles.
struct SharedLoad {
  ChipConfig chip = dma_chip(2);
  std::vector<Op> ops = {
      vector_op("rms", OpKind::kRmsNorm, 2, 4096, Location::kDram, Location::kSram)};
  explicit SharedLoad(Arbitration a) {
    chip.memory.quantum_bytes = 1024;
    chip.memory.arbitration = a;
  }
};

TEST(DmaMemory, TwoCoresShareTheBandwidthRoundRobin) {
  SharedLoad s(Arbitration::kRoundRobin);
  const TilePlan plan = Lowering(s.chip).plan(s.ops[0]);
  EXPECT_EQ(plan.mt, 1u);     // ceil(2 rows / 2 cores) = 1 row per core
  EXPECT_EQ(plan.steps, 2u);  // one step on each core
  const RunResult r = simulate(s.chip, s.ops, {});
  const OpRecord& o = r.ops[0];
  // Both channels ask at 10 ns (after setup). Round robin alternates 128-ns grants, core 0 first
  // (requester 0): grants j = 0..7 occupy [10 + 128 j, 10 + 128 (j + 1)] ns, core 0 takes the
  // even j, core 1 the odd. The 8192 B move in 8192 / 8 = 1024 ns -- not in the 512 ns one
  // core's 4096 B would take alone.
  //   core 0: last grant j = 6 ends 10 + 7 * 128 = 906 ns, + 50 latency = 956, + 200 = 1156 ns.
  //   core 1: last grant j = 7 ends 10 + 8 * 128 = 1034 ns, + 50 = 1084, + 200 = 1284 ns.
  EXPECT_EQ(o.dram_read_bytes, 8192u);
  EXPECT_EQ(o.memory_ps, 1'024'000u);
  EXPECT_EQ(o.cycles(), 1284u);  // = setup 10 + 8192 B / 8 + latency 50 + 200
  // Fairness: the two cores finish one grant (128 ns) apart, not 512 ns apart.
  const auto c0 = track_span(r.timeline, "core0.vector");
  const auto c1 = track_span(r.timeline, "core1.vector");
  EXPECT_EQ(c0.first, 956'000u);
  EXPECT_EQ(c0.second, 1'156'000u);
  EXPECT_EQ(c1.first, 1'084'000u);
  EXPECT_EQ(c1.second, 1'284'000u);
}

TEST(DmaMemory, TwoCoresShareTheBandwidthFifo) {
  // FIFO: at every grant end the waiting request (older) beats the one just re-issued, so the
  // grants alternate exactly as under round robin: same completion times as above.
  SharedLoad s(Arbitration::kFifo);
  const RunResult r = simulate(s.chip, s.ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 1284u);
  EXPECT_EQ(track_span(r.timeline, "core0.vector").second, 1'156'000u);
  EXPECT_EQ(track_span(r.timeline, "core1.vector").second, 1'284'000u);
}

TEST(DmaMemory, TwoCoresFixedPriorityServesRequesterZeroFirst) {
  // Fixed priority, lowest requester first: core 0's channel (requester 0) re-issues its next
  // request the instant its grant ends, so it wins every arbitration until its 4 grants are done:
  //   core 0: grants j = 0..3 end 10 + 4 * 128 = 522 ns, + 50 = 572, + 200 = 772 ns -- exactly
  //   the time it would take alone;
  //   core 1: grants j = 4..7 end 1034 ns, + 50 = 1084, + 200 = 1284 ns.
  SharedLoad s(Arbitration::kPriority);
  const RunResult r = simulate(s.chip, s.ops, {});
  EXPECT_EQ(r.ops[0].cycles(), 1284u);
  EXPECT_EQ(track_span(r.timeline, "core0.vector").second, 772'000u);
  EXPECT_EQ(track_span(r.timeline, "core1.vector").second, 1'284'000u);
}

TEST(DmaMemory, GemmSplitAcrossTwoCoresSharesTheBandwidth) {
  // C[4,64] = A[4,64] x B[64,64] int8, weights B in DRAM (4096 B), A and C on chip, 2 cores with
  // 4x4 ws arrays, 1 GB/s of memory (1 B/cycle), 256-B grants, no setup or latency.
  ChipConfig chip = testing::tiny_chip();
  chip.cores = 2;
  chip.memory.peak_bytes_per_s = 1'000'000'000;
  chip.memory.quantum_bytes = 256;
  const std::vector<Op> ops = {
      testing::gemm("g", 4, 64, 64, Location::kSram, Location::kDram, Location::kSram)};
  const TilePlan plan = Lowering(chip).plan(ops[0]);
  // Any Mt < 4 would load B once per row block (2x or more the DRAM bytes) for no gain, so the
  // planner keeps Mt = M = 4.
  ASSERT_EQ(plan.mt, 4u);
  const RunResult r = simulate(chip, ops, {});
  const OpRecord& o = r.ops[0];
  // B is loaded exactly once: 64 * 64 = 4096 B, granted at 1 B/ns: the interface is busy
  // 4096 ns, and the op cannot end before that (4096 cycles).
  EXPECT_EQ(o.dram_read_bytes, 4096u);
  EXPECT_EQ(o.memory_ps, 4'096'000u);
  EXPECT_EQ(o.roofline_cycles, 4096u);
  EXPECT_GE(o.cycles(), 4096u);
  // The whole array work, 4 x 64 x 64 on 4x4 ws, is 16 x 16 = 256 folds of 2*4 + 4 + 4 - 2 = 14
  // = 3584 cycles, 1792 per core: memory-bound. Each core streams its half of B while the other
  // does too, so the op takes the total bytes over the bandwidth, not the 2048 cycles of one
  // core's half alone. After the last grant only the compute of the steps it fed remains: at most
  // two tiles per core are loaded ahead (double buffering), plus one quantum of skew
  // (256 B = 256 cycles) between the cores.
  const uint64_t tile =
      gemm_timing(chip.core.array, plan.mt, plan.kt, plan.nt, plan.compute).cycles;
  EXPECT_LE(o.cycles(), 4096u + 256u + 2 * tile);
  EXPECT_EQ(o.bound, Bound::kMemory);
}

TEST(DmaMemory, TimelineTracksAreUniquePerCore) {
  // A multi-core trace must tell the cores' DMA channels apart.
  ChipConfig chip = dma_chip(2);
  chip.core.dma.channels = 2;
  const std::vector<Op> ops = {
      vector_op("rms", OpKind::kRmsNorm, 2, 64, Location::kDram, Location::kSram)};
  const RunResult r = simulate(chip, ops, {});
  std::vector<std::string> names = r.timeline.tracks();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end())
      << "duplicate timeline track names";
}

}  // namespace
}  // namespace npu
