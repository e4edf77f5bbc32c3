#include "compile.h"

#include <algorithm>

namespace npu {

const char* fusion_name(Fusion f) {
  switch (f) {
    case Fusion::kNone:
      return "";
    case Fusion::kEpilogue:
      return "epilogue";
    case Fusion::kPrologue:
      return "prologue";
    case Fusion::kSharedInput:
      return "shared_input";
    case Fusion::kPool:
      return "pool";
  }
  return "?";
}

bool runs_on_array(const Op& op) {
  return op.kind == OpKind::kGemm || op.kind == OpKind::kAttention ||
         (op.kind == OpKind::kConv2d && !op.conv.depthwise());
}

namespace {

bool element_wise(OpKind k) {
  switch (k) {
    case OpKind::kAdd:
    case OpKind::kMul:
    case OpKind::kGelu:
    case OpKind::kSilu:
    case OpKind::kRope:
    case OpKind::kEltwise:
      return true;
    default:
      return false;
  }
}

bool is_norm(OpKind k) {
  return k == OpKind::kLayerNorm || k == OpKind::kRmsNorm;
}

constexpr int64_t kNoProducer = -1;

/// Index of the op `back` ops before op i, or kNoProducer.
int64_t producer(size_t i, uint32_t back) {
  return back > 0 && back <= i ? static_cast<int64_t>(i - back) : kNoProducer;
}

/// The compiler's walk over one run: kernels first, then where each tensor lives.
class Compiler {
 public:
  Compiler(const ChipConfig& chip, std::vector<Op> ops)
      : m_chip(chip), m_cfg(chip.compiler), m_n(ops.size()) {
    m_g.ops = std::move(ops);
    m_g.info.resize(m_n);
  }

  CompiledGraph run() {
    form_kernels();
    place_tensors();
    return std::move(m_g);
  }

 private:
  /// The rule by which op i joins the open kernel [m_k0, i), or kNone.
  Fusion fusion_of(size_t i) const {
    const std::vector<Op>& ops = m_g.ops;
    const Op& op = ops[i];
    const int64_t pa = producer(i, op.a_from), pb = producer(i, op.b_from);
    const int64_t k0 = static_cast<int64_t>(m_k0);
    if (m_cfg.fuse_epilogue && element_wise(op.kind) && m_kernel_has_matrix &&
        ((pa >= k0 && ops[static_cast<size_t>(pa)].c_elems() == op.a_elems()) ||
         (pb >= k0 && ops[static_cast<size_t>(pb)].c_elems() == op.b_elems())))
      return Fusion::kEpilogue;
    if (op.kind == OpKind::kGemm && pa >= k0) {
      if (m_cfg.fuse_prologue && pa == k0 && is_norm(ops[m_k0].kind)) return Fusion::kPrologue;
      if (m_cfg.fuse_shared_input)
        for (size_t j = m_k0; j < i; ++j)
          if (ops[j].kind == OpKind::kGemm && producer(j, ops[j].a_from) == pa)
            return Fusion::kSharedInput;
    }
    if (m_cfg.fuse_pool && (op.kind == OpKind::kMaxPool || op.kind == OpKind::kAvgPool) &&
        pa == static_cast<int64_t>(i) - 1 && pa >= k0 && ops[i - 1].kind == OpKind::kConv2d)
      return Fusion::kPool;
    return Fusion::kNone;
  }

  void form_kernels() {
    const std::vector<Op>& ops = m_g.ops;
    uint32_t kernel = 0, call = 0;
    for (size_t i = 0; i < m_n; ++i) {
      CompiledOp& c = m_g.info[i];
      const bool new_call =
          i > 0 && (ops[i].phase != ops[i - 1].phase || ops[i].step != ops[i - 1].step);
      if (i > 0 && !new_call) c.fused = fusion_of(i);
      if (i > 0 && c.fused == Fusion::kNone) {
        ++kernel;
        m_k0 = i;
        m_kernel_has_matrix = false;
      }
      if (new_call) ++call;
      c.kernel = kernel;
      c.call = call;
      m_kernel_has_matrix = m_kernel_has_matrix || runs_on_array(ops[i]);
    }
    m_g.kernels = m_n > 0 ? kernel + 1 : 0;
    m_g.calls = m_n > 0 ? call + 1 : 0;
  }

  /// SRAM bytes per core op j's tile buffers take: the input buffer if A is streamed from
  /// DRAM, the weight buffer if B is (a vector op streams both through the input buffer), the
  /// output buffer always. `pending(p)` says whether the
  /// result of op p is still undecided (taken as resident: optimistic, checked afterwards).
  template <class Pending>
  uint64_t footprint(size_t j, Pending pending) const {
    const Op& op = m_g.ops[j];
    const SramConfig& sram = m_chip.core.sram;
    const auto streamed = [&](Location loc, uint32_t back) {
      const int64_t p = producer(j, back);
      return loc == Location::kDram && !(p != kNoProducer && pending(static_cast<size_t>(p)));
    };
    const bool a = streamed(op.a_loc, op.a_from);
    const bool b = op_kind_info(op.kind).second_input && streamed(op.b_loc, op.b_from);
    // A vector op's inputs share the input buffer (sim/lower.cpp); a matrix op's B has its own.
    if (is_vector_kind(op.kind)) return (a || b ? sram.input_bytes : 0) + sram.output_bytes;
    return (a ? sram.input_bytes : 0) + (b ? sram.weight_bytes : 0) + sram.output_bytes;
  }

  /// Points the consumers of op p's result at SRAM (all, or those in p's kernel) or DRAM.
  void route(size_t p, bool on_chip) {
    std::vector<Op>& ops = m_g.ops;
    for (const size_t j : consumers(p)) {
      const bool here = on_chip || m_g.info[j].kernel == m_g.info[p].kernel;
      if (producer(j, ops[j].a_from) == int64_t(p))
        ops[j].a_loc = here ? Location::kSram : m_given[j].a_loc;
      if (producer(j, ops[j].b_from) == int64_t(p))
        ops[j].b_loc = here ? Location::kSram : m_given[j].b_loc;
    }
    ops[p].c_loc = on_chip ? Location::kSram : m_given[p].c_loc;
  }

  void place_tensors() {
    std::vector<Op>& ops = m_g.ops;
    m_given.resize(m_n);
    // Each op's consumers, in order: counted, then listed (one flat list for the run).
    const auto each_use = [&](auto&& f) {
      for (size_t j = 0; j < m_n; ++j)
        for (const uint32_t back : {ops[j].a_from, ops[j].b_from})
          if (const int64_t p = producer(j, back); p != kNoProducer) f(static_cast<size_t>(p), j);
    };
    m_consumer_start.assign(m_n + 1, 0);
    each_use([&](size_t p, size_t) { ++m_consumer_start[p + 1]; });
    for (size_t p = 0; p < m_n; ++p) m_consumer_start[p + 1] += m_consumer_start[p];
    m_consumer_list.resize(m_consumer_start[m_n]);
    std::vector<size_t> next(m_consumer_start.begin(), m_consumer_start.end() - 1);
    each_use([&](size_t p, size_t j) { m_consumer_list[next[p]++] = j; });
    for (size_t j = 0; j < m_n; ++j) m_given[j] = {ops[j].a_loc, ops[j].b_loc, ops[j].c_loc};
    enum class State : uint8_t { kNone, kInside, kCandidate, kResident, kSpilled };
    std::vector<State> state(m_n, State::kNone);
    std::vector<size_t> last(m_n, 0);
    // Tensors passed inside a kernel: on chip, whatever the budget. The others are candidates.
    for (size_t p = 0; p < m_n; ++p) {
      const Consumers c = consumers(p);
      if (c.empty()) continue;  // a result of the run (logits, the KV cache)
      last[p] = c.back();       // consumers are listed in order
      m_max_span = std::max(m_max_span, last[p] - p);
      state[p] = m_g.info[last[p]].kernel == m_g.info[p].kernel ? State::kInside
                 : m_cfg.residency                              ? State::kCandidate
                                                                : State::kSpilled;
      if (state[p] == State::kInside) route(p, true);
    }
    // Candidates in producer order: resident if, at every op of its span, it fits with the
    // tensors already resident beside the tile buffers, taking later candidates as resident.
    const uint64_t size = m_chip.core.sram.size_bytes, cores = m_chip.cores;
    std::vector<uint64_t> live(m_n, 0), share(m_n, 0);
    for (size_t p = 0; p < m_n; ++p) {
      if (state[p] != State::kCandidate) continue;
      share[p] = ceil_div(bytes_of(ops[p].c_elems(), ops[p].c_format), cores);
      const auto pending = [&](size_t q) { return q >= p && state[q] == State::kCandidate; };
      bool fits = true;
      for (size_t j = p; j <= last[p] && fits; ++j)
        fits = live[j] + share[p] + footprint(j, pending) <= size;
      state[p] = fits ? State::kResident : State::kSpilled;
      if (fits)
        for (size_t j = p; j <= last[p]; ++j) live[j] += share[p];
      route(p, fits);
    }
    // Check every op with the locations as decided: a candidate that spilled makes its
    // consumers stream it, which may leave too little room for the tensors resident there. Then
    // the resident tensor used farthest ahead spills, and the check resumes at its first
    // consumer.
    const auto decided = [](size_t) { return false; };
    for (size_t j = 0; j < m_n; ++j) {
      if (live[j] == 0 || live[j] + footprint(j, decided) <= size) continue;
      size_t victim = m_n;
      for (size_t p = j + 1; p-- > 0 && p + m_max_span >= j;)
        if (state[p] == State::kResident && last[p] >= j &&
            (victim == m_n || last[p] > last[victim]))
          victim = p;
      if (victim == m_n) continue;  // cannot happen: live[j] > 0 names a resident tensor
      state[victim] = State::kSpilled;
      for (size_t k = victim; k <= last[victim]; ++k) live[k] -= share[victim];
      route(victim, false);
      j = std::min(j, consumers(victim).front()) - 1;  // recheck from its first consumer
    }
    for (size_t j = 0; j < m_n; ++j) {
      const uint64_t used = live[j] + footprint(j, decided);
      m_g.info[j].sram_free_bytes = size - std::min(size, used);
    }
    for (size_t p = 0; p < m_n; ++p) {
      const uint64_t bytes = bytes_of(ops[p].c_elems(), ops[p].c_format);
      const uint64_t once = bytes * (1 + consumers(p).size());
      switch (state[p]) {
        case State::kInside:
          ++m_g.fused_tensors;
          m_g.dram_bytes_avoided += once;
          break;
        case State::kResident:
          ++m_g.resident_tensors;
          m_g.dram_bytes_avoided += once;
          break;
        case State::kSpilled:
          ++m_g.spilled_tensors;
          m_g.info[p].spilled = true;
          break;
        default:
          break;
      }
    }
  }

  const ChipConfig& m_chip;
  const CompilerConfig& m_cfg;
  size_t m_n;
  CompiledGraph m_g;
  size_t m_k0 = 0;  ///< first op of the open kernel
  /// The consumers of op p's result, in order: m_consumer_list from m_consumer_start[p] to
  /// m_consumer_start[p + 1].
  std::vector<size_t> m_consumer_start, m_consumer_list;
  struct Consumers {
    const size_t *first, *last;
    const size_t* begin() const { return first; }
    const size_t* end() const { return last; }
    bool empty() const { return first == last; }
    size_t size() const { return static_cast<size_t>(last - first); }
    size_t front() const { return *first; }
    size_t back() const { return last[-1]; }
  };
  Consumers consumers(size_t p) const {
    const size_t* list = m_consumer_list.data();
    return {list + m_consumer_start[p], list + m_consumer_start[p + 1]};
  }
  struct Given {
    Location a_loc, b_loc, c_loc;
  };
  std::vector<Given> m_given;  ///< locations as the ops came (a trace's sram stays sram)
  size_t m_max_span = 0;       ///< the longest producer-to-last-use span
  bool m_kernel_has_matrix = false;
};

}  // namespace

CompiledGraph compile(const ChipConfig& chip, std::vector<Op> ops) {
  return Compiler(chip, std::move(ops)).run();
}

}  // namespace npu
