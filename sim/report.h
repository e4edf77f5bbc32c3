// Report writers: ops.csv (one row per op), summary.json (totals, schema-versioned) and
// trace.json (Chrome/Perfetto timeline, a track per array, vector unit, DMA channel and the memory
// interface). A run's reports replace the previous run's in the output folder as one set
// (sim/output_set.h): a reader never sees a half-written report, nor reports of two runs.
#pragma once

#include <string>

#include "../arch/npu_top.h"
#include "../workloads/transformer.h"
#include "scheduler.h"

namespace npu {

inline constexpr int kSummarySchemaVersion = 1;

/// Writes `content` to `path` atomically (a new file of an unpredictable name in the same folder,
/// created O_EXCL | O_NOFOLLOW, then a rename; a link at `path` is replaced, not written
/// through). Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

std::string ops_csv(const ChipConfig& chip, const RunResult& r);
/// `w`, when the ops came from a model, adds the workload, its footprint, and prefill and decode
/// figures (time to first token, tokens/s overall and per decode step, joules per token).
std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);
std::string trace_json(const ChipConfig& chip, const RunResult& r);

/// A few lines for the terminal: latency, throughput, energy, what bound the ops.
std::string summary_text(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);

/// Writes the three reports (trace.json only if the run recorded a timeline) as one set that
/// replaces the previous set in `dir` (sim/output_set.h: `dir` must be absent, empty or hold a
/// previous set unless `force`).
void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w = nullptr, bool force = false);

}  // namespace npu
