// Running an experiment's points, each in its own worker process, into a results folder:
//
//   DIR/sweep.json    what the folder holds: the experiment, a fingerprint of its points and
//                     columns (a resume or a merge of something else is refused), the shard
//   DIR/results.csv   one row per point (sim/results.h); rows are appended as points finish,
//                     each with one write() of a whole line to the file opened O_APPEND, so a
//                     kill at any moment leaves only whole rows (a resume drops a cut-off last
//                     line, should the file system ever leave one). When every point of the
//                     shard is in, the file is rewritten (atomically) in point order.
//   DIR/pareto.csv    the rows on the Pareto front of the objectives (default: minimise
//                     seconds, energy_j and area.proxy), written once every point is in
//   DIR/points/ID/    with keep_reports: each point's summary.json and ops.csv
//   DIR/.work/        scratch of running workers, removed at the end
//
// A worker is the npusim binary itself (`npusim point EXP --id N --out SCRATCH`, fork + exec):
// SystemC elaborates once per process, and a point that crashes takes nothing else with it.
// Its exit status and the last line it wrote to stderr go into the row of a failed point.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "experiment.h"
#include "results.h"

namespace npu {

struct SweepOptions {
  std::string out;               ///< the results folder (created if missing)
  size_t jobs = 1;               ///< workers at once
  bool resume = false;           ///< continue a folder's sweep: points already recorded are skipped
  bool retry_failed = false;     ///< with resume: run the points recorded as not ok again
  size_t shard = 0, shards = 1;  ///< run the points whose id % shards == shard
  std::string worker;            ///< the npusim binary the workers run
  std::vector<std::string> set_args;  ///< the command line's --set arguments, for the workers
  bool keep_reports = false;          ///< keep each point's reports under DIR/points/ID/
  double timeout_s = 0;               ///< a point still running after this is killed (0: never)
  bool progress = false;              ///< a progress line with an ETA on stderr
};

struct SweepResult {
  size_t points = 0;                   ///< of the experiment
  size_t in_shard = 0;                 ///< of this shard
  size_t already = 0;                  ///< recorded before this run
  size_t ran = 0, ok = 0, failed = 0;  ///< by this run
  bool interrupted = false;
  bool complete = false;  ///< every point of the shard is recorded
  size_t pareto = 0;      ///< points on the front (when complete)
  double wall_s = 0;      ///< of this run
  double worker_s = 0;    ///< the workers' wall time, summed
};

/// results.csv's header: point, the swept keys, status, the metrics, message.
std::vector<std::string> result_columns(const Experiment& e,
                                        const std::vector<std::string>& metrics);

/// Runs the experiment's points (those of the shard not yet recorded) with `metrics` as the
/// metric columns (validate_experiment()'s). Throws std::runtime_error when the folder holds
/// another sweep, or results without `resume`, or cannot be written. SIGINT, SIGTERM and SIGHUP
/// stop it after killing the running workers (their points are not recorded): `interrupted`.
SweepResult run_sweep(const Experiment& e, const std::vector<std::string>& metrics,
                      const SweepOptions& o);

/// DIR/sweep.json.
struct SweepManifest {
  std::string experiment, name, arch, fingerprint;
  size_t points = 0, shard = 0, shards = 1;
  std::vector<std::string> columns, minimize, maximize;
};
SweepManifest read_manifest(const std::string& dir);

/// The fingerprint of what an experiment runs: its YAML (comments aside), the command line's
/// --set, the columns and the number of points.
std::string experiment_fingerprint(const Experiment& e, const std::vector<std::string>& columns);

struct MergeResult {
  size_t points = 0, rows = 0, missing = 0, pareto = 0;
};
/// Joins the results of shard folders (or any folders of the same sweep) into `out`: the rows
/// of every point once, in point order, as an unsharded run writes them, and the Pareto front.
/// Throws std::runtime_error when the folders hold different sweeps, disagree on a point, or
/// (unless `partial`) some point is in none of them; ConfigError (bad input) when `out` holds a
/// results.csv, pareto.csv or sweep.json that is not of this sweep (the user's own), unless
/// `force`.
MergeResult merge_results(const std::string& out, const std::vector<std::string>& dirs,
                          bool partial, bool force = false);

/// Writes DIR/pareto.csv from a complete table.
size_t write_pareto(const std::string& dir, const ResultTable& t,
                    const std::vector<std::string>& minimize,
                    const std::vector<std::string>& maximize);

}  // namespace npu
