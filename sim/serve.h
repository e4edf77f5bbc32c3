// `npusim serve`: a model serving a stream of requests with continuous batching
// (workloads/serving.h schedules; this simulates each step's ops on the chip as the run goes and
// writes the reports: requests.csv, steps.csv, summary.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../workloads/serving.h"
#include "run_totals.h"

namespace npu {

struct ServeSettings {
  ServeLimits limits;
  /// KV cache blocks from the device's memory (memory.capacity_gib less the weights and the
  /// largest step's activations) when limits.kv_blocks is 0 and the chip has a capacity.
  bool kv_from_capacity = true;
  double slo_ttft_s = 0, slo_tpot_s = 0;  ///< goodput's targets; 0: none
};

/// One step of a serve run.
struct ServeStep {
  double start_s = 0, end_s = 0;
  uint64_t prefill_seqs = 0, decode_seqs = 0, prefill_tokens = 0, decode_tokens = 0;
  uint64_t kv_blocks = 0;  ///< blocks held while it ran
  uint64_t waiting = 0;    ///< requests arrived and waiting while it ran
  Totals t;
};

struct ServeResult {
  std::vector<ServeStep> steps;
  std::vector<Request> requests;  ///< in order of arrival
  std::vector<RequestState> states;
  RunTotals totals;
  uint64_t kv_blocks = 0;       ///< the cache's blocks (0: unlimited)
  uint64_t kv_block_bytes = 0;  ///< bytes of one block (every layer's K and V)
  uint64_t preemptions = 0;
  double end_s = 0;  ///< the last request's finish
};

/// The KV cache blocks the device's memory leaves for `m` under `s` (weights and the activations
/// of a step of `step_tokens`), or nullopt when the chip models no capacity. Throws ConfigError
/// (`<workload>`) when the weights alone do not fit.
std::optional<uint64_t> kv_blocks_from_capacity(const ChipConfig& chip, const ModelConfig& m,
                                                const RunSpec& s, const ServeLimits& limits);

/// Bytes of one KV block: K and V of kv_block positions in every layer (a sliding layer's too:
/// the pool is shared, as vLLM's is without its hybrid allocator).
uint64_t kv_block_bytes(const ModelConfig& m, const RunSpec& s, uint64_t kv_block);

/// Checks every request against the model and the cache (prompt + output within max_context,
/// its blocks within the cache): a ConfigError at `file`:line of the first that is not, or at
/// `file` for a generated one.
void check_requests(const std::vector<Request>& reqs, const ModelConfig& m,
                    const ServeLimits& limits, const std::string& file);

/// Refuses (ConfigError at `file`) a load whose simulation would pass the run limits
/// work (kMaxRunWork ops, sim/run_limits.h) before anything runs, from a lower bound: at least
/// max(the longest output, all tokens / step_tokens, all output tokens / max_batch) steps of
/// at least the ops of a one-token step each.
void check_serve_work(const ModelConfig& m, const RunSpec& s, const std::vector<Request>& reqs,
                      const ServeLimits& limits, const std::string& file);

/// Serves `reqs` on `chip`: each step's ops simulated as the scheduler makes them (one graph
/// call each), the next step starting when this one ends or, when nothing can run, at the next
/// arrival. `s` gives the formats, attention, weight group, routing (its lengths are the
/// requests'); `limits.kv_block` becomes its kv_block.
ServeResult serve(const ChipConfig& chip, const ModelConfig& m, RunSpec s,
                  std::vector<Request> reqs, const ServeLimits& limits, const SimOptions& opts);

/// Writes requests.csv, steps.csv and summary.json into `dir` (as one set: sim/output_set.h).
void write_serve_reports(const std::string& dir, bool force, const ChipConfig& chip,
                         const ModelConfig& m, const ServeResult& r, const ServeSettings& settings);

/// summary.json of a serve run: the run's figures as `npusim run` writes them, and `serve`.
std::string serve_summary_json(const ChipConfig& chip, const ModelConfig& m, const ServeResult& r,
                               const ServeSettings& settings);

/// The console's summary of a serve run.
std::string serve_summary_text(const ChipConfig& chip, const ModelConfig& m, const ServeResult& r,
                               const ServeSettings& settings);

}  // namespace npu
