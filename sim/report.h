// Report writers: ops.csv (one row per op), summary.json (totals, schema-versioned) and
// trace.json (Chrome/Perfetto timeline, a track per array, vector unit, DMA channel and the memory
// interface). A run's reports replace the previous run's in the output folder as one set
// (sim/output_set.h): a reader never sees a half-written report, nor reports of two runs.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../arch/chip_config.h"
#include "../workloads/transformer.h"
#include "output_set.h"
#include "run_totals.h"
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
void write_ops_csv(TextSink& sink, const ChipConfig& chip, const RunResult& r);

/// How much a run reports (`--report`): every op (ops.csv, one row per op), its steps (steps.csv,
/// one row per prefill and decode step, and distinct_ops.csv, one row per distinct op with its
/// count and totals), or the summary alone. summary.json is the same at every level.
enum class ReportLevel : uint8_t { kOps, kSteps, kSummary };
std::optional<ReportLevel> parse_report_level(const std::string& s);

/// steps.csv's and distinct_ops.csv's columns (configs/SCHEMA.md documents them).
const std::vector<ReportColumn>& steps_csv_columns();
const std::vector<ReportColumn>& distinct_ops_csv_columns();
/// steps.csv: one row per step (consecutive ops of one phase and step) with its totals, and
/// tokens and tokens/s when the ops came from the model `w`.
void write_steps_csv(TextSink& sink, const ChipConfig& chip, const RunTotals& r, const Workload* w);
/// distinct_ops.csv: one row per distinct op (phase, class, kind, shape, formats, tile) in the
/// order of first appearance, with its count and totals.
void write_distinct_ops_csv(TextSink& sink, const RunTotals& r);
/// A distinct group's leading fields (name, kind, class, phase, shape, formats, tile) from its
/// first op: RunTotals' Describe for distinct_ops.csv.
std::string distinct_op_fields(const OpRecord& o);
/// trace.json with one slice per step (the `steps` timeline: no per-op events).
void write_steps_trace_json(TextSink& sink, const ChipConfig& chip, const RunTotals& r,
                            const Workload* w);
/// `w`, when the ops came from a model, adds the workload, its footprint, and prefill and decode
/// figures (time to first token, tokens/s overall and per decode step, joules per token).
std::string summary_json(const ChipConfig& chip, const RunResult& r, const Workload* w = nullptr);
std::string summary_json(const ChipConfig& chip, const RunTotals& r, const Workload* w = nullptr);
/// The same as a JSON object, for a report that adds to it (npusim serve's `serve`).
nlohmann::ordered_json summary_object(const ChipConfig& chip, const RunTotals& r,
                                      const Workload* w = nullptr);
std::string trace_json(const ChipConfig& chip, const RunResult& r);
void write_trace_json(TextSink& sink, const ChipConfig& chip, const RunResult& r);

/// A few lines for the terminal: latency, throughput, energy, what bound the run and each phase,
/// bytes in kB/MB/GB and times in us/ms/s.
std::string summary_text(const ChipConfig& chip, const RunTotals& r, const Workload* w = nullptr);

/// One line when activations in `act` run on the array at 1/4 or less of the best rate of any
/// activation format (int8, int16, fp8, fp16, bf16): "note: fp16 activations run at 1/8 of this
/// chip's int8 rate; try --activations int16 (2x faster on the array)". The suggestion is the
/// fastest format of the same width and the other kind (integer / float), else the fastest.
/// None when the rate is above 1/4 of the best or the array has no rate for `act`.
std::optional<std::string> activation_rate_note(const SystolicArrayConfig& a, Format act);

/// trace.json's file name: trace.json.gz when gzip-compressed.
inline const char* trace_file_name(bool gzip) {
  return gzip ? "trace.json.gz" : "trace.json";
}

/// A streamed run's per-op reports, written call by call as the run goes (memory does not grow
/// with the ops): ops.csv, and trace.json with a slice per op (and kernel, compiled) when
/// `trace`. Opened in `set` at construction, closed by finish(); the bytes are those
/// write_ops_csv and write_trace_json write from the whole run's records (the ops timeline).
class OpReportStream {
 public:
  OpReportStream(OutputSet& set, const ChipConfig& chip, bool compiled, bool trace, bool gzip);
  OpReportStream(const OpReportStream&) = delete;
  OpReportStream& operator=(const OpReportStream&) = delete;

  /// The rows of the next call's records (its ops are the next ids); `graph`: its compiled
  /// graph, when the schedule compiles.
  void add_call(const RunResult& call, const CompiledGraph* graph);
  /// Ends the files (trace.json's kernels after its ops, then the counters' close at the run's
  /// end) and closes them.
  void finish(uint64_t total_cycles);

 private:
  const ChipConfig& m_chip;
  const Lowering m_lowering;  ///< the tile buffers' SRAM, for trace.json's counter
  std::unique_ptr<OutputFile> m_csv, m_trace;
  /// The kernels' slices, which follow every op's in trace.json: kept in an unnamed temporary
  /// file until finish().
  struct Fd {  ///< closed with the stream, also when its constructor fails
    int fd = -1;
    Fd() = default;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
  } m_kernels_fd;
  static constexpr uint32_t kOpsTrack = 0;  ///< the ops timeline's one track (tid 1)
  static constexpr size_t kKernelsTid = 2;  ///< the kernels' thread, after the tracks'
  std::unique_ptr<TextSink> m_kernels;
  uint64_t m_next_id = 0;
};

/// Writes the reports of `level` (trace.json if the run recorded
/// a timeline, or its steps when `steps_trace`), streamed to disk, as one set that replaces the
/// previous set in `dir` (sim/output_set.h: `dir` must be absent, empty or hold a previous set
/// unless `force`).
void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult& r,
                   const Workload* w = nullptr, bool force = false,
                   ReportLevel level = ReportLevel::kOps, bool steps_trace = false);
/// The same from a run's totals, and its records `r` when it kept them (a streamed run does
/// not: then ops.csv and a timeline of ops or blocks cannot be written). `gzip_trace`: the
/// trace is written gzip-compressed, as trace.json.gz.
void write_reports(const std::string& dir, const ChipConfig& chip, const RunResult* r,
                   const RunTotals& t, const Workload* w, bool force, ReportLevel level,
                   bool steps_trace, bool gzip_trace = false);
/// The same into `set`, not committed: a streamed run at the ops level has written ops.csv and
/// trace.json into it (OpReportStream) and adds its summary.
void write_reports(OutputSet& set, const ChipConfig& chip, const RunResult* r, const RunTotals& t,
                   const Workload* w, ReportLevel level, bool steps_trace, bool gzip_trace);

}  // namespace npu
