// Lowering of the spatial ops (conv2d, maxpool, avgpool); see sim/lower.h.
//
// Output tiles. A spatial tiling is `images` whole images (images > 1), or out_rows x out_cols
// output pixels of one image; tiles are numbered image, row block, column block. A dense conv
// also cuts the filters into blocks of nt (fastest) and the channels into slices (kt = r x s x
// channels); a window op (depthwise conv, pools) cuts the channels into blocks of nt, numbered
// slowest, so depthwise weights stay resident while a core walks a block's pixels.
//
// What a tile loads. The input region its windows read: along each axis covered_inputs() of
// its output range (the tile's rows plus the r - stride halo rows above and below it that the
// windows overlap into, no padding), for its channel slice, in NHWC: one descriptor of
// region-rows x (region-cols x c) bytes when the slice is every channel, else one row of
// `channels` per pixel. Neighbouring tiles re-read their shared halo (no line buffer is modelled).
// Dense conv: an input region the core's previous step loaded is not loaded again (as GEMM A
// rows), and the weights of the tile (r x s x channels x filters) are loaded every step, as
// GEMM B tiles are.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lower.h"
#include "lower_detail.h"

namespace npu {

using namespace lower_detail;

namespace {

/// One output tile's pixels: images [n0, n0 + images), output rows [oh0, oh0 + rows), output
/// columns [ow0, ow0 + cols).
struct SpatialTile {
  uint64_t n0 = 0, images = 0, oh0 = 0, rows = 0, ow0 = 0, cols = 0;
  uint64_t pixels() const { return images * rows * cols; }
};

/// How a plan cuts the output pixels.
struct SpatialCut {
  uint64_t images, rows, cols;  // per tile, at most
  uint64_t tiles;               // over the whole op
};

SpatialCut spatial_cut(const Op& op, uint64_t images, uint64_t rows, uint64_t cols) {
  const ConvShape& c = op.conv;
  if (images > 1) return {images, c.out_h(), c.out_w(), ceil_div(op.batch, images)};
  return {1, rows, cols, op.batch * ceil_div(c.out_h(), rows) * ceil_div(c.out_w(), cols)};
}

SpatialCut spatial_cut(const Op& op, const TilePlan& p) {
  return spatial_cut(op, p.images, p.out_rows, p.out_cols);
}

SpatialTile spatial_tile(const Op& op, const SpatialCut& cut, uint64_t t) {
  const ConvShape& c = op.conv;
  SpatialTile s;
  if (cut.images > 1) {
    s.n0 = t * cut.images;
    s.images = std::min(cut.images, op.batch - s.n0);
    s.rows = c.out_h();
    s.cols = c.out_w();
    return s;
  }
  const uint64_t nr = ceil_div(c.out_h(), cut.rows), nc = ceil_div(c.out_w(), cut.cols);
  s.n0 = t / (nr * nc);
  s.images = 1;
  s.oh0 = (t / nc) % nr * cut.rows;
  s.ow0 = t % nc * cut.cols;
  s.rows = std::min(cut.rows, c.out_h() - s.oh0);
  s.cols = std::min(cut.cols, c.out_w() - s.ow0);
  return s;
}

/// Input rows and columns a tile's windows read.
uint64_t region_rows(const ConvShape& c, const SpatialTile& t) {
  return covered_inputs(t.oh0, t.rows, c.r, c.stride, c.pad, c.h);
}
uint64_t region_cols(const ConvShape& c, const SpatialTile& t) {
  return covered_inputs(t.ow0, t.cols, c.s, c.stride, c.pad, c.w);
}

/// The most input indices `count` consecutive outputs can read along an axis (any position).
uint64_t max_covered(uint64_t count, uint64_t kernel, uint64_t stride, uint64_t in) {
  const uint64_t span = stride <= kernel ? (count - 1) * stride + kernel : count * kernel;
  return std::min(span, in);
}

/// The largest input region of one tile of a cut, in pixels of one channel.
uint64_t max_region_pixels(const ConvShape& c, const SpatialCut& cut) {
  return cut.images * max_covered(cut.rows, c.r, c.stride, c.h) *
         max_covered(cut.cols, c.s, c.stride, c.w);
}

/// Input pixels over all tiles of a cut, per channel (for the planner's estimate): exact for
/// whole images and up to 1024 blocks per axis, else blocks x the largest block's coverage.
double region_pixels_total(const Op& op, const SpatialCut& cut) {
  const ConvShape& c = op.conv;
  auto axis = [](uint64_t outs, uint64_t block, uint64_t kernel, uint64_t stride, uint64_t pad,
                 uint64_t in) {
    const uint64_t blocks = ceil_div(outs, block);
    if (blocks > 1024)
      return static_cast<double>(blocks) *
             static_cast<double>(max_covered(block, kernel, stride, in));
    double sum = 0;
    for (uint64_t b = 0; b < blocks; ++b)
      sum += static_cast<double>(
          covered_inputs(b * block, std::min(block, outs - b * block), kernel, stride, pad, in));
    return sum;
  };
  return static_cast<double>(op.batch) * axis(c.out_h(), cut.rows, c.r, c.stride, c.pad, c.h) *
         axis(c.out_w(), cut.cols, c.s, c.stride, c.pad, c.w);
}

/// The spatial cuts a planner tries: row x column blocks of one image, and (batch > 1) whole
/// images in blocks.
std::vector<SpatialCut> spatial_cuts(const Op& op) {
  std::vector<SpatialCut> cuts;
  for (uint64_t rows : candidates(op.conv.out_h()))
    for (uint64_t cols : candidates(op.conv.out_w()))
      cuts.push_back(spatial_cut(op, 1, rows, cols));
  if (op.batch > 1)
    for (uint64_t images : candidates(op.batch))
      if (images > 1) cuts.push_back(spatial_cut(op, images, 0, 0));
  return cuts;
}

/// The load of a tile's input region, `channels` of the op's c (none when the tile's windows
/// read only padding).
void load_region(const Op& op, const SpatialTile& t, uint64_t channels, DescriptorList& loads) {
  const ConvShape& c = op.conv;
  const uint64_t rows = region_rows(c, t), cols = region_cols(c, t);
  if (rows == 0 || cols == 0) return;
  if (channels == c.c)  // NHWC: a region row is cols x c contiguous elements
    loads.push_back({t.images * rows, bytes_of(cols * channels, op.a_format)});
  else  // a channel slice: one run of `channels` per pixel
    loads.push_back({t.images * rows * cols, bytes_of(channels, op.a_format)});
}

VectorKind window_kind(const Op& op) {
  return op.kind == OpKind::kMaxPool   ? VectorKind::kMaxPool
         : op.kind == OpKind::kAvgPool ? VectorKind::kAvgPool
                                       : VectorKind::kDepthwise;
}

}  // namespace

TilePlan Lowering::plan_conv(const Op& op, const OpSignature& key) const {
  const ConvShape& cv = op.conv;
  const SramConfig& sram = m_chip.core.sram;
  const MacFormat mf = mac_format(op, "convolution");
  const Format fmt = mf.compute;
  const Format acc = accumulator_of(fmt);
  const uint64_t taps = cv.r * cv.s;
  const bool a_dram = op.a_loc == Location::kDram, b_dram = op.b_loc == Location::kDram,
             c_dram = op.c_loc == Location::kDram;
  const double out_bytes =
      c_dram ? static_cast<double>(bytes_of(op.batch * cv.out_h() * cv.out_w() * cv.f, op.c_format))
             : 0.0;
  std::vector<std::pair<double, TilePlan>> fits;
  bool too_many_steps = false;
  const std::vector<SpatialCut> cuts = spatial_cuts(op);
  // Every tiling on each of core_choices() (see TilePlan::cores).
  for (const uint64_t cores : core_choices(m_chip.cores)) {
    for (const SpatialCut& cut : cuts) {
      const uint64_t mt = cut.images * cut.rows * cut.cols;
      const uint64_t region = max_region_pixels(cv, cut);
      if (2 * bytes_of(region, op.a_format) > sram.input_bytes) continue;
      const double region_total = region_pixels_total(op, cut);
      for (uint64_t nt : candidates(cv.f)) {
        if (2 * bytes_of(mt * nt, acc) > sram.output_bytes) break;
        for (uint64_t ch : candidates(cv.c)) {
          const uint64_t kt = taps * ch;
          if (2 * bytes_of(region * ch, op.a_format) > sram.input_bytes ||
              2 * op.b_bytes(kt * nt) > sram.weight_bytes)
            break;
          const uint64_t tn = ceil_div(cv.f, nt), tk = ceil_div(cv.c, ch);
          if (cut.tiles > kMaxPlanSteps / tn || cut.tiles * tn > kMaxPlanSteps / tk) {
            too_many_steps = true;
            continue;
          }
          const uint64_t out_tiles = cut.tiles * tn;
          const uint64_t per_core = ceil_div(out_tiles, cores);
          const double step = static_cast<double>(array_step_cycles(mf, mt, kt, nt));
          const double compute = static_cast<double>(per_core * tk) * step;
          // Input regions once per output tile when the channels are sliced, else once per
          // spatial tile a core reaches (filter blocks are the fastest); weights once per spatial
          // tile; the output once.
          const double a_bytes =
              a_dram ? region_total * static_cast<double>(bytes_of(cv.c, op.a_format)) *
                           (tk > 1 ? static_cast<double>(tn)
                                   : static_cast<double>(row_blocks_loaded(out_tiles, tn, cores)) /
                                         static_cast<double>(cut.tiles))
                     : 0.0;
          const double b_bytes = b_dram ? static_cast<double>(op.b_bytes(taps * cv.c * cv.f)) *
                                              static_cast<double>(cut.tiles)
                                        : 0.0;
          const uint64_t streams =
              (b_dram ? 1 : 0) + (a_dram && tk > 1 ? 1 : 0) + (c_dram && tk == 1 ? 1 : 0);
          const double memory =
              (a_bytes + b_bytes + out_bytes) / dram_bytes_per_cycle(cores, streams);
          const double a_tile =
              a_dram ? static_cast<double>(bytes_of(region * ch, op.a_format)) : 0;
          const double b_tile = b_dram ? static_cast<double>(op.b_bytes(kt * nt)) : 0;
          const double c_tile = c_dram ? static_cast<double>(bytes_of(mt * nt, op.c_format)) : 0;
          const double cost =
              pipelined_cycles(compute, step, memory, a_tile + b_tile, std::max(a_tile, b_tile),
                               std::max(b_tile, tk > 1 ? a_tile : 0.0), c_tile,
                               static_cast<double>(per_core * tk), std::min(cores, out_tiles));
          TilePlan p{mt, nt, kt, out_tiles * tk, fmt, mf.dequant_b};
          p.images = cut.images, p.out_rows = cut.rows, p.out_cols = cut.cols;
          p.cores = cores;
          fits.push_back({cost, p});
        }
      }
    }
  }
  if (fits.empty() && too_many_steps) fail_steps(op, "convolution");
  if (fits.empty()) {
    const uint64_t window = std::min(cv.r, cv.h) * std::min(cv.s, cv.w);
    fail(op,
         "no tile fits the core's SRAM: even one output pixel of one channel and one filter "
         "needs " +
             bytes_text(2 * bytes_of(window, op.a_format)) + " of the " +
             bytes_text(sram.input_bytes) + " input buffer, " + bytes_text(2 * op.b_bytes(taps)) +
             " of the " + bytes_text(sram.weight_bytes) + " weight buffer and " +
             bytes_text(2 * bytes_of(1, acc)) + " of the " + bytes_text(sram.output_bytes) +
             " output buffer (double-buffered)");
  }
  return choose(key, fits);
}

uint64_t Lowering::spatial_tile_sram_bytes(const Op& op, const TilePlan& p) const {
  const ConvShape& cv = op.conv;
  const uint64_t taps = cv.r * cv.s, mt = p.images * p.out_rows * p.out_cols;
  const uint64_t region = max_region_pixels(cv, spatial_cut(op, p.images, p.out_rows, p.out_cols));
  if (op.kind == OpKind::kConv2d && !cv.depthwise()) {  // plan_conv's sums
    const uint64_t ch = p.kt / taps;
    return 2 * bytes_of(region * ch, op.a_format) + 2 * op.b_bytes(p.kt * p.nt) +
           2 * bytes_of(mt * p.nt, accumulator_of(p.compute));
  }
  const uint64_t ch = p.nt;  // plan_window's
  return 2 * bytes_of(region * ch, op.a_format) + 2 * bytes_of(mt * ch, op.c_format) +
         (cv.depthwise() ? 2 * bytes_of(taps * ch, op.b_format) : 0);
}

TilePlan Lowering::plan_window(const Op& op) const {
  const ConvShape& cv = op.conv;
  const SramConfig& sram = m_chip.core.sram;
  const VectorKind kind = window_kind(op);
  const bool depthwise = kind == VectorKind::kDepthwise;
  const uint64_t taps = cv.r * cv.s, cores = m_chip.cores;
  const bool a_dram = op.a_loc == Location::kDram,
             b_dram = depthwise && op.b_loc == Location::kDram,
             c_dram = op.c_loc == Location::kDram;
  const double bytes_per_cycle = dram_bytes_per_cycle(cores, (a_dram ? 1 : 0) + (c_dram ? 1 : 0));
  const double out_bytes =
      c_dram ? static_cast<double>(bytes_of(op.batch * cv.out_h() * cv.out_w() * cv.c, op.c_format))
             : 0.0;
  std::vector<std::pair<double, TilePlan>> fits;
  bool too_many_steps = false;
  for (const SpatialCut& cut : spatial_cuts(op)) {
    const uint64_t mt = cut.images * cut.rows * cut.cols;
    const uint64_t region = max_region_pixels(cv, cut);
    const double region_total = region_pixels_total(op, cut);
    for (uint64_t ch : candidates(cv.c)) {
      if (2 * bytes_of(region * ch, op.a_format) > sram.input_bytes ||
          2 * bytes_of(mt * ch, op.c_format) > sram.output_bytes ||
          (depthwise && 2 * bytes_of(taps * ch, op.b_format) > sram.weight_bytes))
        break;
      const uint64_t tc = ceil_div(cv.c, ch);
      if (cut.tiles > kMaxPlanSteps / tc) {
        too_many_steps = true;
        continue;
      }
      const uint64_t steps = cut.tiles * tc, per_core = ceil_div(steps, cores);
      const double step =
          static_cast<double>(vector_timing(m_chip.core.vector, kind, mt, ch, taps).cycles);
      const double compute = static_cast<double>(per_core) * step;
      const double a_bytes =
          a_dram ? region_total * static_cast<double>(bytes_of(cv.c, op.a_format)) : 0.0;
      // Each core loads the weights of every channel block it reaches: about all of them, plus
      // one block per core.
      const double b_bytes = b_dram ? static_cast<double>(bytes_of(taps * cv.c, op.b_format) +
                                                          cores * bytes_of(taps * ch, op.b_format))
                                    : 0.0;
      const double memory = (a_bytes + b_bytes + out_bytes) / bytes_per_cycle;
      const double a_tile = a_dram ? static_cast<double>(bytes_of(region * ch, op.a_format)) : 0;
      const double c_tile = c_dram ? static_cast<double>(bytes_of(mt * ch, op.c_format)) : 0;
      const double cost = pipelined_cycles(compute, step, memory, a_tile, a_tile, a_tile, c_tile,
                                           static_cast<double>(per_core), std::min(cores, steps));
      TilePlan p{mt, ch, taps, steps, op.a_format, false};
      p.images = cut.images, p.out_rows = cut.rows, p.out_cols = cut.cols;
      fits.push_back({cost, p});
    }
  }
  if (fits.empty() && too_many_steps) fail_steps(op, op_kind_name(op.kind) + " op");
  if (fits.empty()) {
    const uint64_t window = std::min(cv.r, cv.h) * std::min(cv.s, cv.w);
    fail(op, "no tile fits the core's SRAM: even one output pixel of one channel needs " +
                 bytes_text(2 * bytes_of(window, op.a_format)) + " of the " +
                 bytes_text(sram.input_bytes) + " input buffer and " +
                 bytes_text(2 * bytes_of(1, op.c_format)) + " of the " +
                 bytes_text(sram.output_bytes) + " output buffer" +
                 (depthwise ? ", and its weights " + bytes_text(2 * bytes_of(taps, op.b_format)) +
                                  " of the " + bytes_text(sram.weight_bytes) + " weight buffer"
                            : std::string()) +
                 " (double-buffered)");
  }
  return fastest(fits);
}

void Lowering::lower_spatial(const Op& op, const TilePlan& p, std::vector<CoreProgram>& out) const {
  const ConvShape& cv = op.conv;
  const SpatialCut cut = spatial_cut(op, p);
  const uint64_t taps = cv.r * cv.s;
  if (op.kind == OpKind::kConv2d && !cv.depthwise()) {
    // Implicit GEMM: M = the tile's pixels, K = taps x the slice's channels, N = its filters.
    const uint64_t ch = p.kt / taps;
    const uint64_t tn = ceil_div(cv.f, p.nt), tk = ceil_div(cv.c, ch);
    const uint64_t out_tiles = cut.tiles * tn, cores = cores_used(p, out.size());
    const Format b_in = p.dequant_b ? p.compute : op.b_format;
    for (uint64_t core = 0; core < cores; ++core) {
      auto& steps = out[core].steps;
      const auto [begin, end] = block_of(out_tiles, cores, core);
      uint64_t last_a = std::numeric_limits<uint64_t>::max();  // (spatial tile, slice) loaded
      for (uint64_t t = begin; t < end; ++t) {
        const uint64_t si = t / tn, fi = t % tn;
        const SpatialTile tile = spatial_tile(op, cut, si);
        const uint64_t mt = tile.pixels();
        const uint64_t nt = std::min(p.nt, cv.f - fi * p.nt);
        for (uint64_t ki = 0; ki < tk; ++ki) {
          const uint64_t chs = std::min(ch, cv.c - ki * ch), kt = taps * chs;
          TileStep s;
          if (p.dequant_b)
            s.commands.push_back(
                vector_command({VectorKind::kCopy, kt, nt, op.b_format, p.compute, op.b_format}));
          s.commands.push_back(array_command({mt, kt, nt, p.compute, op.a_format, b_in}));
          const uint64_t a_id = si * tk + ki;
          if (op.a_loc == Location::kDram && a_id != last_a) load_region(op, tile, chs, s.loads);
          last_a = a_id;
          if (op.b_loc == Location::kDram)
            s.loads.push_back({kt, ceil_div(op.b_bytes(kt * nt), kt)});
          s.starts_output = ki == 0;
          s.ends_output = ki + 1 == tk;
          if (s.ends_output && op.c_loc == Location::kDram)
            s.stores.push_back({mt, bytes_of(nt, op.c_format), true});
          steps.push_back(s);
        }
      }
    }
    return;
  }
  // Window kinds on the vector unit: channel blocks (slowest) x spatial tiles.
  const VectorKind kind = window_kind(op);
  const bool depthwise = kind == VectorKind::kDepthwise;
  const uint64_t steps_total = cut.tiles * ceil_div(cv.c, p.nt);
  for (uint64_t core = 0; core < out.size(); ++core) {
    auto& steps = out[core].steps;
    const auto [begin, end] = block_of(steps_total, out.size(), core);
    uint64_t last_w = std::numeric_limits<uint64_t>::max();  // channel block of the weights held
    for (uint64_t t = begin; t < end; ++t) {
      const uint64_t ci = t / cut.tiles;
      const SpatialTile tile = spatial_tile(op, cut, t % cut.tiles);
      const uint64_t chs = std::min(p.nt, cv.c - ci * p.nt), mt = tile.pixels();
      TileStep s;
      if (op.a_loc == Location::kDram) load_region(op, tile, chs, s.loads);
      if (depthwise && op.b_loc == Location::kDram && ci != last_w)
        s.loads.push_back({taps, bytes_of(chs, op.b_format)});
      last_w = ci;
      VectorCommand v{kind, mt, chs, op.a_format, op.c_format, op.b_format};
      v.taps = taps;
      v.in_elems =
          std::max<uint64_t>(1, tile.images * region_rows(cv, tile) * region_cols(cv, tile) * chs);
      v.in2_elems = taps * chs;
      s.commands.push_back(vector_command(v));
      s.starts_output = s.ends_output = true;
      if (op.c_loc == Location::kDram) s.stores.push_back({mt, bytes_of(chs, op.c_format), true});
      steps.push_back(s);
    }
  }
}

TileStep Lowering::largest_spatial_step(const Op& op, const TilePlan& p) const {
  const ConvShape& cv = op.conv;
  const uint64_t taps = cv.r * cv.s;
  const bool dense = op.kind == OpKind::kConv2d && !cv.depthwise();
  const uint64_t ch = dense ? p.kt / taps : p.nt;
  const uint64_t region = p.images * max_covered(p.out_rows, cv.r, cv.stride, cv.h) *
                          max_covered(p.out_cols, cv.s, cv.stride, cv.w);
  TileStep s;
  if (op.a_loc == Location::kDram) {
    if (ch == cv.c)
      s.loads.push_back(
          {p.images * max_covered(p.out_rows, cv.r, cv.stride, cv.h),
           bytes_of(max_covered(p.out_cols, cv.s, cv.stride, cv.w) * ch, op.a_format)});
    else
      s.loads.push_back({region, bytes_of(ch, op.a_format)});
  }
  if (dense) {
    if (op.b_loc == Location::kDram)
      s.loads.push_back({p.kt, ceil_div(op.b_bytes(p.kt * p.nt), p.kt)});
    if (p.dequant_b)
      s.commands.push_back(
          vector_command({VectorKind::kCopy, p.kt, p.nt, op.b_format, p.compute, op.b_format}));
    s.commands.push_back(array_command({p.mt, p.kt, p.nt, p.compute, op.a_format, op.b_format}));
  } else {
    if (op.kind == OpKind::kConv2d && op.b_loc == Location::kDram)
      s.loads.push_back({taps, bytes_of(ch, op.b_format)});
    VectorCommand v{window_kind(op), p.mt, ch, op.a_format, op.c_format, op.b_format};
    v.taps = taps;
    s.commands.push_back(vector_command(v));
  }
  if (op.c_loc == Location::kDram) s.stores.push_back({p.mt, bytes_of(p.nt, op.c_format), true});
  return s;
}

}  // namespace npu
