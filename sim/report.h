// Report writers: ops.csv (one row per op), summary.json (totals, schema-versioned) and
// trace.json (Chrome/Perfetto timeline, a track per array, vector unit, DMA channel and the memory
// interface). Every file is written to a temporary name in the output folder and renamed into
// place, so a reader never sees a half-written report.
#pragma once

#include <string>

#include "../arch/npu_top.h"
#include "../workloads/transformer.h"
#include "scheduler.h"

namespace npu {

inline constexpr int kSummarySchemaVersion = 1;

/// Writes `content` to `path` atomically (temporary file in the same folder, then rename).
/// Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

std::string ops_csv(const ChipConfig& chip, const RunResult& r);
/// `w`, when the ops came from a model, adds the workload, its footprint, and prefill and decode
/// figures (time to first token, tokens/s overall and per decode step, joules per token).
std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);
std::string trace_json(const ChipConfig& chip, const RunResult& r);

/// A few lines for the terminal: latency, throughput, energy, what bound the ops.
std::string summary_text(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);

/// Creates `dir` if needed and writes the three reports into it (trace.json only if the run
/// recorded a timeline).
void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w = nullptr);

}  // namespace npu
