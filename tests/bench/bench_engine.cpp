// Speed of the engine (Google Benchmark). Not a test: run `build/npusim_bench`.
//   BM_Gemm1000: 1,000 GEMMs of 512x4096x4096 int8 on a 16-core chip with 32x32 arrays -- the
//   engine issue's target is under 1 s wall on one core. Counters: tile steps/s (array or vector
//   commands) and DMA descriptors/s.
#include <benchmark/benchmark.h>
#include <systemc>

#include "kernel_reset.h"
#include "sim/scheduler.h"

namespace {

npu::ChipConfig chip16() {
  npu::ChipConfig c;
  c.name = "bench16";
  c.clock.period_ps = 1000;  // 1 GHz
  c.cores = 16;
  c.core.array.rows = c.core.array.cols = 32;
  c.core.array.macs_per_pe_per_cycle[static_cast<size_t>(npu::Format::kInt8)] = 1;
  c.core.sram.size_bytes = 2 << 20;
  c.core.sram.input_bytes = 768 << 10;
  c.core.sram.weight_bytes = 768 << 10;
  c.core.sram.output_bytes = 512 << 10;
  c.memory.peak_bytes_per_s = 136'000'000'000;
  return c;
}

void BM_Gemm1000(benchmark::State& state) {
  const npu::ChipConfig chip = chip16();
  std::vector<npu::Op> ops(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].name = "g" + std::to_string(i);
    ops[i].m = 512, ops[i].k = 4096, ops[i].n = 4096;
  }
  npu::SimOptions opts;
  opts.timeline = state.range(1) != 0 ? npu::TimelineDetail::kBlocks : npu::TimelineDetail::kNone;
  opts.memoize = false;  // measure the engine, not the replay of repeated ops
  uint64_t steps = 0, descriptors = 0;
  for (auto _ : state) {
    npu::reset_systemc_kernel();
    const npu::RunResult r = npu::simulate(chip, ops, opts);
    for (const auto& o : r.ops) steps += o.plan.steps, descriptors += o.dma_descriptors;
    benchmark::DoNotOptimize(r.total_cycles);
  }
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["descriptors/s"] =
      benchmark::Counter(static_cast<double>(descriptors), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Gemm1000)->Args({1000, 0})->Args({1000, 1})->Unit(benchmark::kMillisecond);

}  // namespace

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
