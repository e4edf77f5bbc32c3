#include "scalesim.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "../arch/systolic_array_config.h"
#include "config/error.h"
#include "output_set.h"

namespace npu {
namespace {

/// a / b as Python's true division of two ints gives it (correctly rounded).
double py_div(uint64_t a, uint64_t b) {
  constexpr uint64_t kExact = uint64_t{1} << 53;
  if (a < kExact && b < kExact) return static_cast<double>(a) / static_cast<double>(b);
  return static_cast<double>(static_cast<long double>(a) / static_cast<long double>(b));
}

/// Output size of one conv dimension as SCALE-Sim computes it: ceil((in - f + s) / s). Windows
/// that run past the input's edge read address -1 (nothing) for the elements outside it.
uint64_t out_dim(uint64_t in, uint64_t f, uint64_t s) {
  return ceil_div(in - f + s, s);
}

/// Input rows (or columns) any window touches: the union of [o*s, o*s + f) over o, within [0, in).
uint64_t covered(uint64_t in, uint64_t f, uint64_t s, uint64_t out) {
  uint64_t n = 0, end = 0;
  for (uint64_t o = 0; o < out; ++o) {
    const uint64_t b = std::max(o * s, end), e = std::min(o * s + f, in);
    if (e > b) n += e - b;
    end = std::max(end, e);
  }
  return n;
}

struct Geometry {
  uint64_t oh, ow, px, window;
  const ScaleSimLayer* l;
  /// The last output pixel whose window element j is inside the input (a rectangle of pixels).
  uint64_t last_pixel_reading(uint64_t j) const {
    const uint64_t a = j / (l->filter_w * l->channels), b = (j / l->channels) % l->filter_w;
    const uint64_t ohm = std::min(oh - 1, (l->ifmap_h - 1 - a) / l->stride_h);
    const uint64_t owm = std::min(ow - 1, (l->ifmap_w - 1 - b) / l->stride_w);
    return ohm * ow + owm;
  }
  /// Whether some pixel in [p0, p1) reads window element j inside the input.
  bool any_pixel_reads(uint64_t j, uint64_t p0, uint64_t p1) const {
    const uint64_t a = j / (l->filter_w * l->channels), b = (j / l->channels) % l->filter_w;
    for (uint64_t p = p0; p < p1; ++p)
      if ((p / ow) * l->stride_h + a < l->ifmap_h && (p % ow) * l->stride_w + b < l->ifmap_w)
        return true;
    return false;
  }
  /// Whether output pixel p's window starts inside the input.
  bool pixel_reads(uint64_t p) const {
    return (p / ow) * l->stride_h < l->ifmap_h && (p % ow) * l->stride_w < l->ifmap_w;
  }
  /// The last window element pixel p reads inside the input (pixel_reads(p) must hold).
  uint64_t last_element_read(uint64_t p) const {
    const uint64_t o_h = p / ow, o_w = p % ow;
    const uint64_t am = std::min(l->filter_h - 1, l->ifmap_h - 1 - o_h * l->stride_h);
    const uint64_t bm = std::min(l->filter_w - 1, l->ifmap_w - 1 - o_w * l->stride_w);
    return am * l->filter_w * l->channels + bm * l->channels + l->channels - 1;
  }
};

/// SCALE-Sim's CALC-mode read buffer (memory/read_buffer_estimate_bw.py) collects the distinct
/// addresses it is asked for into sets of floor(elems / 100); while fewer than 50 sets (the
/// active half) have filled, nothing is evicted and it fetches them all, once, at the end, in
/// ceil(sets * set size / 10) cycles ending at cycle -1. Returns false when the operand fills the
/// active half (then its sliding prefetch is not modelled here).
bool read_buffer_dram(uint64_t sram_kb, uint64_t footprint, double& start, double& stop,
                      uint64_t& reads) {
  const uint64_t elems = sram_kb * 1024, per_set = elems / 100;
  const uint64_t active_sets = 50, calc_bw = 10;
  reads = footprint;
  if (per_set == 0 || footprint >= active_sets * per_set) {
    start = -static_cast<double>(ceil_div(active_sets * per_set, calc_bw));
    return false;
  }
  const uint64_t sets = ceil_div(footprint, per_set);
  start = -static_cast<double>(ceil_div(sets * per_set, calc_bw));
  stop = -1;
  return true;
}

}  // namespace

ScaleSimLayerSize scalesim_layer_size(const ScaleSimConfig& cfg, const ScaleSimLayer& l) {
  // M = OH x OW, K = FH x FW x C, N = filters, mapped as gemm_timing maps them (ws: Sr = K,
  // Sc = N; os: M, N; is: K, M).
  const long double px = static_cast<long double>(out_dim(l.ifmap_h, l.filter_h, l.stride_h)) *
                         out_dim(l.ifmap_w, l.filter_w, l.stride_w);
  const long double window = static_cast<long double>(l.filter_h) * l.filter_w * l.channels;
  const long double nf = l.num_filters;
  const long double sr = cfg.dataflow == "os" ? px : window;
  const long double sc = cfg.dataflow == "is" ? px : nf;
  return {std::ceil(sr / cfg.array_rows) * std::ceil(sc / cfg.array_cols), px * window * nf};
}

ScaleSimLayerReport scalesim_layer(const ScaleSimConfig& cfg, const ScaleSimLayer& l) {
  Geometry g{};
  g.l = &l;
  g.oh = out_dim(l.ifmap_h, l.filter_h, l.stride_h);
  g.ow = out_dim(l.ifmap_w, l.filter_w, l.stride_w);
  g.px = g.oh * g.ow;
  g.window = l.filter_h * l.filter_w * l.channels;
  const uint64_t nf = l.num_filters;

  // The folds: npusim's gemm_timing with M = px, K = window, N = filters and one MAC per PE
  // maps exactly as SCALE-Sim does (ws: Sr = K, Sc = N, T = M; os: M, N, K; is: K, M, N) and
  // its cycles (folds back to back) are the rows of SCALE-Sim's demand matrices
  // (tests/test_systolic_array.cpp, MatchesIndependentScaleSimV2Derivation).
  SystolicArrayConfig ac;
  ac.rows = static_cast<uint32_t>(cfg.array_rows);
  ac.cols = static_cast<uint32_t>(cfg.array_cols);
  ac.dataflow = *parse_dataflow(cfg.dataflow);
  ac.macs_per_pe_per_cycle[static_cast<size_t>(Format::kInt8)] = 1;
  ac.overlap_folds = false;
  const ArrayTiming t = gemm_timing(ac, g.px, g.window, nf, Format::kInt8);
  const uint64_t R = cfg.array_rows, C = cfg.array_cols;
  const uint64_t Sr = t.sr, Sc = t.sc, T = t.t, L = t.fold_cycles;
  const uint64_t row_folds = ceil_div(Sr, R), col_folds = ceil_div(Sc, C);
  auto rows_used = [&](uint64_t fr) { return std::min(R, Sr - fr * R); };
  auto cols_used = [&](uint64_t fc) { return std::min(C, Sc - fc * C); };
  const uint64_t ru0 = rows_used(0), ruL = rows_used(row_folds - 1);
  const uint64_t cu0 = cols_used(0), cuL = cols_used(col_folds - 1);
  (void)cu0;
  const uint64_t base_last = (t.folds - 1) * L;  // first row of the last fold (fc, fr last)
  const bool os = ac.dataflow == Dataflow::kOs, ws = ac.dataflow == Dataflow::kWs;

  ScaleSimLayerReport r;
  // SCALE-Sim's total is the cycle at which its last ofmap demand row is serviced: the row
  // index, rows - 1. CALC mode's read buffers answer every request after their hit latency
  // (never a stall) and its ofmap write buffer frees space as it starts a drain, so it stalls
  // only if half the ofmap SRAM fills within one drain: 0 stall cycles.
  r.total_cycles = t.cycles - 1;
  r.stall_cycles = 0;

  // Utilisations, per fold in SCALE-Sim's order (column folds outer, row folds inner), summed
  // left to right and averaged as Python does. A fold's cycles in Compute Util are the rows of
  // its padded filter (ws), ifmap (is) or ofmap (os) demand matrix plus its width - 1:
  // ws/is: (2R + C + T - 2) + C - 1; os: (T - 1 + R) + C - 1.
  const uint64_t util_fold_cycles = os ? T + R + C - 2 : 2 * R + 2 * C + T - 3;
  double map_sum = 0, util_sum = 0;
  for (uint64_t fc = 0; fc < col_folds; ++fc)
    for (uint64_t fr = 0; fr < row_folds; ++fr) {
      const uint64_t mac_used = rows_used(fr) * cols_used(fc);
      map_sum += py_div(mac_used, R * C);
      util_sum += py_div(mac_used * T, R * C * util_fold_cycles);
    }
  const double folds = static_cast<double>(t.folds);
  r.mapping_efficiency = map_sum / folds * 100;
  r.compute_util = util_sum / folds * 100;
  {
    // In 64-bit integers while they hold the products (Python's exact division), else in long
    // double: never wrapped around.
    uint64_t num = 0, den = 0;
    const bool fits =
        !__builtin_mul_overflow(g.px, nf, &num) && !__builtin_mul_overflow(num, g.window, &num) &&
        !__builtin_mul_overflow(num, uint64_t{100}, &num) &&
        !__builtin_mul_overflow(r.total_cycles, R, &den) && !__builtin_mul_overflow(den, C, &den);
    r.overall_util =
        fits ? py_div(num, den)
             : static_cast<double>(static_cast<long double>(g.px) * nf * g.window * 100 /
                                   (static_cast<long double>(r.total_cycles) * R * C));
  }

  // SRAM counts: the sizes of the operand slices each fold's demand matrix takes.
  // ws: ifmap T x rows per fold, filter the stationary block, ofmap T x cols per fold.
  // os: ifmap T x rows, filter T x cols, ofmap the block -- plus (R + C) per fold, which
  //     SCALE-Sim adds to its ofmap write count (shape[0] + shape[1] of the padded block).
  // is: ifmap the stationary block, filter T x rows, ofmap T x cols per fold.
  switch (ac.dataflow) {
    case Dataflow::kWs:
      r.ifmap_sram_reads = t.a_reads;   // = col_folds * T * Sr
      r.filter_sram_reads = t.b_reads;  // = Sr * Sc
      r.ofmap_sram_writes = row_folds * T * Sc;
      break;
    case Dataflow::kOs:
      r.ifmap_sram_reads = t.a_reads;   // = col_folds * T * Sr
      r.filter_sram_reads = t.b_reads;  // = row_folds * T * Sc
      r.ofmap_sram_writes = Sr * Sc + t.folds * (R + C);
      break;
    case Dataflow::kIs:
      r.ifmap_sram_reads = t.a_reads;   // = Sr * Sc
      r.filter_sram_reads = t.b_reads;  // = col_folds * T * Sr
      r.ofmap_sram_writes = row_folds * T * Sc;
      break;
  }
  // The ofmap elements the demand matrices actually carry (what the write buffer sees).
  const uint64_t ofmap_demands = os ? Sr * Sc : row_folds * T * Sc;

  // Start and stop cycles: the first and last demand rows holding a request (reads are serviced
  // a hit latency of 1 later). Per fold, ws/is: R rows of stationary load (the stationary block
  // is flipped, its padding first), then T streamed rows, skewed one row per array row; the
  // ofmap starts after 2R - 1 rows and is skewed one row per column. os: the streamed operands
  // start at once; the ofmap block (flipped) follows T - 1 rows.
  auto streamed_ifmap_stop = [&]() {
    // The latest valid request of a fold's skewed ifmap columns, from the last fold back: under
    // os an output pixel whose window starts past the input's edge (OH rounds up) reads nothing,
    // and a fold can hold only such pixels.
    for (uint64_t f = t.folds; f-- > 0;) {
      const uint64_t fr = f % row_folds;
      bool any = false;
      uint64_t last = 0;
      for (uint64_t c = 0; c < rows_used(fr); ++c) {
        const uint64_t idx = fr * R + c;  // ws: window element; os: output pixel
        if (!ws && !g.pixel_reads(idx)) continue;
        const uint64_t row = ws ? R + g.last_pixel_reading(idx) + c : g.last_element_read(idx) + c;
        last = std::max(last, row);
        any = true;
      }
      if (any) return f * L + last + 1;
    }
    return uint64_t{0};
  };
  switch (ac.dataflow) {
    case Dataflow::kWs:
      r.ifmap_sram_start = static_cast<double>(R + 1);
      r.ifmap_sram_stop = static_cast<double>(streamed_ifmap_stop());
      r.filter_sram_start = static_cast<double>(R - ru0 + 1);
      r.filter_sram_stop = static_cast<double>(base_last + R);
      r.ofmap_sram_start = static_cast<double>(2 * R - 1);
      r.ofmap_sram_stop = static_cast<double>(base_last + 2 * R + T + cuL - 3);
      break;
    case Dataflow::kOs:
      r.ifmap_sram_start = 1;
      r.ifmap_sram_stop = static_cast<double>(streamed_ifmap_stop());
      r.filter_sram_start = 1;
      r.filter_sram_stop = static_cast<double>(base_last + T + cuL - 1);
      r.ofmap_sram_start = static_cast<double>(T - 1 + R - ru0);
      r.ofmap_sram_stop = static_cast<double>(base_last + T + R + cuL - 3);
      break;
    case Dataflow::kIs: {
      r.ifmap_sram_start = static_cast<double>(R - ru0 + 1);
      // The stationary ifmap block of a fold is flipped: window element fr * R + i sits in row
      // R - 1 - i. A fold's block can hold no valid address at all (its pixels' windows all run
      // past the input's edge for its elements), so search back from the last fold.
      bool found = false;
      for (uint64_t f = t.folds; f-- > 0 && !found;) {
        const uint64_t fc = f / row_folds, fr = f % row_folds;
        for (uint64_t i = 0; i < rows_used(fr) && !found; ++i)
          if (g.any_pixel_reads(fr * R + i, fc * C, fc * C + cols_used(fc))) {
            r.ifmap_sram_stop = static_cast<double>(f * L + R - 1 - i + 1);
            found = true;
          }
      }
      r.filter_sram_start = static_cast<double>(R + 1);
      r.filter_sram_stop = static_cast<double>(base_last + R + T + ruL - 1);
      r.ofmap_sram_start = static_cast<double>(2 * R - 1);
      r.ofmap_sram_stop = static_cast<double>(base_last + 2 * R + T + cuL - 3);
      break;
    }
  }

  // DRAM. Reads: the distinct addresses of each operand (the input pixels some window touches;
  // every weight), fetched once -- SCALE-Sim's own count while the operand fits in half its SRAM
  // (read_buffer_dram). Writes: the write buffer drains every ofmap demand in lines of C words
  // from the cycle the last ofmap row is serviced; exact while they fit in its drain half
  // (ceil-half active, the rest drains), else SCALE-Sim drains part-way through the layer too.
  const uint64_t ifmap_fp = covered(l.ifmap_h, l.filter_h, l.stride_h, g.oh) *
                            covered(l.ifmap_w, l.filter_w, l.stride_w, g.ow) * l.channels;
  const uint64_t filter_fp = g.window * nf;
  r.ifmap_dram_exact = read_buffer_dram(cfg.ifmap_sram_kb, ifmap_fp, r.ifmap_dram_start,
                                        r.ifmap_dram_stop, r.ifmap_dram_reads);
  if (!r.ifmap_dram_exact) r.ifmap_dram_stop = r.ifmap_sram_stop;
  r.filter_dram_exact = read_buffer_dram(cfg.filter_sram_kb, filter_fp, r.filter_dram_start,
                                         r.filter_dram_stop, r.filter_dram_reads);
  if (!r.filter_dram_exact) r.filter_dram_stop = r.filter_sram_stop;
  const uint64_t ofmap_elems = cfg.ofmap_sram_kb * 1024;
  const uint64_t drain_half = ofmap_elems - ceil_div(ofmap_elems, 2);
  r.ofmap_dram_exact = ofmap_demands <= drain_half;
  r.ofmap_dram_writes = ofmap_demands;
  r.ofmap_dram_start = static_cast<double>(r.total_cycles);
  r.ofmap_dram_stop =
      static_cast<double>(r.total_cycles + ceil_div(std::min(ofmap_demands, drain_half), C) - 1);

  // Bandwidths, words per cycle: SRAM over the total cycles, DRAM over each operand's window.
  const uint64_t tc = r.total_cycles;
  auto bw = [](uint64_t n, uint64_t cycles) { return cycles == 0 ? HUGE_VAL : py_div(n, cycles); };
  r.ifmap_sram_bw = bw(r.ifmap_sram_reads, tc);
  r.filter_sram_bw = bw(r.filter_sram_reads, tc);
  r.ofmap_sram_bw = bw(r.ofmap_sram_writes, tc);
  auto span = [](double a, double b) { return static_cast<uint64_t>(std::llround(b - a + 1)); };
  r.ifmap_dram_bw = bw(r.ifmap_dram_reads, span(r.ifmap_dram_start, r.ifmap_dram_stop));
  r.filter_dram_bw = bw(r.filter_dram_reads, span(r.filter_dram_start, r.filter_dram_stop));
  r.ofmap_dram_bw = bw(r.ofmap_dram_writes, span(r.ofmap_dram_start, r.ofmap_dram_stop));
  return r;
}

std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".einn") == std::string::npos) s += ".0";
  return s;
}

ScaleSimReports scalesim_reports(const std::vector<ScaleSimLayerReport>& layers) {
  ScaleSimReports out;
  out.compute =
      "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util "
      "%,\n";
  out.bandwidth =
      "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg "
      "FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  out.detailed =
      "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start "
      "Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop "
      "Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
      "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start "
      "Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  const auto f = python_float;
  for (size_t i = 0; i < layers.size(); ++i) {
    const ScaleSimLayerReport& r = layers[i];
    out.compute += fmt::format("{}, {}, {}, {}, {}, {},\n", i, r.total_cycles, r.stall_cycles,
                               f(r.overall_util), f(r.mapping_efficiency), f(r.compute_util));
    out.bandwidth += fmt::format("{}, {}, {}, {}, {}, {}, {},\n", i, f(r.ifmap_sram_bw),
                                 f(r.filter_sram_bw), f(r.ofmap_sram_bw), f(r.ifmap_dram_bw),
                                 f(r.filter_dram_bw), f(r.ofmap_dram_bw));
    out.detailed += fmt::format(
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {},\n", i,
        f(r.ifmap_sram_start), f(r.ifmap_sram_stop), r.ifmap_sram_reads, f(r.filter_sram_start),
        f(r.filter_sram_stop), r.filter_sram_reads, f(r.ofmap_sram_start), f(r.ofmap_sram_stop),
        r.ofmap_sram_writes, f(r.ifmap_dram_start), f(r.ifmap_dram_stop), r.ifmap_dram_reads,
        f(r.filter_dram_start), f(r.filter_dram_stop), r.filter_dram_reads, f(r.ofmap_dram_start),
        f(r.ofmap_dram_stop), r.ofmap_dram_writes);
  }
  return out;
}

std::string write_scalesim_reports(const std::string& outdir, const std::string& run_name,
                                   const std::vector<ScaleSimLayerReport>& layers, bool force) {
  const std::string dir = outdir + "/" + run_name;
  if (!force)
    for (const char* name :
         {kScaleSimComputeReport, kScaleSimBandwidthReport, kScaleSimDetailedReport}) {
      struct stat st {};
      if (::lstat((dir + "/" + name).c_str(), &st) == 0)
        throw ConfigError(dir + "/" + name, 0, 0, "",
                          "a report is already there (give --force to replace it)");
    }
  const ScaleSimReports text = scalesim_reports(layers);
  OutputSet set(dir, force);
  set.write(kScaleSimComputeReport, text.compute);
  set.write(kScaleSimBandwidthReport, text.bandwidth);
  set.write(kScaleSimDetailedReport, text.detailed);
  set.commit();
  return dir;
}

}  // namespace npu
