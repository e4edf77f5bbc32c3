// Report writers: ops.csv (one row per op), summary.json (totals, schema-versioned) and
// trace.json (Chrome/Perfetto timeline, a track per array, vector unit, DMA channel and the memory
// interface). A run's reports replace the previous run's in the output folder as one set
// (sim/output_set.h): a reader never sees a half-written report, nor reports of two runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "../arch/npu_top.h"
#include "../workloads/transformer.h"
#include "scheduler.h"

namespace npu {

inline constexpr int kSummarySchemaVersion = 1;

/// A column of a report: its name (the CSV header) and unit ("" for none).
struct ReportColumn {
  std::string name, unit;
};
/// ops.csv's columns in order (documented in configs/SCHEMA.md, "ops.csv").
/// ops.csv's columns; with `compiled`, the compiled schedule's after them.
std::vector<ReportColumn> ops_csv_columns(bool compiled = false);
std::string ops_csv(const ChipConfig& chip, const RunResult& r);
/// `w`, when the ops came from a model, adds the workload, its footprint, and prefill and decode
/// figures (time to first token, tokens/s overall and per decode step, joules per token).
std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);
std::string trace_json(const ChipConfig& chip, const RunResult& r);

/// A few lines for the terminal: latency, throughput, energy, what bound the run and each phase,
/// bytes in kB/MB/GB and times in us/ms/s.
std::string summary_text(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);

/// One line when activations in `act` run on the array at 1/4 or less of the best rate of any
/// activation format (int8, int16, fp8, fp16, bf16): "note: fp16 activations run at 1/8 of this
/// chip's int8 rate; try --activations int16 (2x faster on the array)". The suggestion is the
/// fastest format of the same width and the other kind (integer / float), else the fastest.
/// None when the rate is above 1/4 of the best or the array has no rate for `act`.
std::optional<std::string> activation_rate_note(const SystolicArrayConfig& a, Format act);

/// Writes the three reports (trace.json only if the run recorded a timeline) as one set that
/// replaces the previous set in `dir` (sim/output_set.h: `dir` must be absent, empty or hold a
/// previous set unless `force`).
void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w = nullptr, bool force = false);

}  // namespace npu
