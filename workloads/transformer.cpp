#include "transformer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace npu {

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::kPrefill:
      return "prefill";
    case Phase::kDecode:
      return "decode";
    case Phase::kBoth:
      return "both";
  }
  return "?";
}

std::optional<Phase> parse_phase(std::string_view s) {
  for (Phase p : {Phase::kPrefill, Phase::kDecode, Phase::kBoth})
    if (s == phase_name(p)) return p;
  return std::nullopt;
}

std::string_view attention_impl_name(AttentionImpl a) {
  switch (a) {
    case AttentionImpl::kFlash:
      return "flash";
    case AttentionImpl::kStandard:
      return "standard";
  }
  return "?";
}

std::optional<AttentionImpl> parse_attention_impl(std::string_view s) {
  for (AttentionImpl a : {AttentionImpl::kFlash, AttentionImpl::kStandard})
    if (s == attention_impl_name(a)) return a;
  return std::nullopt;
}

std::string_view routing_name(Routing r) {
  switch (r) {
    case Routing::kUniform:
      return "uniform";
    case Routing::kZipf:
      return "zipf";
    case Routing::kFile:
      return "file";
  }
  return "?";
}

std::vector<uint64_t> expert_tokens(const RunSpec& s, uint64_t rows, uint32_t experts,
                                    uint32_t per_token, uint32_t layer, uint32_t step) {
  const uint64_t E = experts, picks = rows * per_token;
  std::vector<uint64_t> by_rank(E, 0);
  if (s.routing == Routing::kUniform) {
    for (uint64_t r = 0; r < E; ++r) by_rank[r] = picks / E + (r < picks % E ? 1 : 0);
  } else {
    // The experts by rank and their weights: Zipf's r^-s, or a file's, heaviest first.
    std::vector<double> weight(E, 0.0);
    std::vector<uint32_t> expert(E);
    for (uint32_t r = 0; r < E; ++r) expert[r] = r;
    if (s.routing == Routing::kZipf) {
      for (uint64_t r = 0; r < E; ++r)
        weight[r] = std::pow(static_cast<double>(r + 1), -s.routing_skew);
    } else {
      std::vector<double> of_expert(E, 0.0);
      for (const RoutingWeights::Row& row : *s.routing_weights->of(layer))
        of_expert[row.expert] += row.weight;
      std::stable_sort(expert.begin(), expert.end(),
                       [&](uint32_t a, uint32_t b) { return of_expert[a] > of_expert[b]; });
      for (uint64_t r = 0; r < E; ++r) weight[r] = of_expert[expert[r]];
    }
    // Rank by rank, the share of what is left that the rank's weight is of the weights left,
    // within what it can take (one pick per token) and what the later ranks cannot.
    std::vector<double> tail(E + 1, 0.0);  // tail[r]: the weights of ranks r and after
    for (uint64_t r = E; r-- > 0;) tail[r] = tail[r + 1] + weight[r];
    uint64_t left = picks;
    for (uint64_t r = 0; r < E; ++r) {
      const uint64_t later = (E - r - 1) * rows;  // what the later ranks can take
      const uint64_t least = left > later ? left - later : 0;
      const double w = tail[r] - tail[r + 1];
      // No weight left (a file's unlisted experts): the next ranks take what they can.
      const auto share =
          tail[r] > 0 ? static_cast<uint64_t>(std::llround(static_cast<double>(left) * w / tail[r]))
                      : left;
      by_rank[r] = std::clamp(share, least, std::min(rows, left));
      left -= by_rank[r];
    }
    if (s.routing == Routing::kFile) {  // no rotation
      std::vector<uint64_t> out(E, 0);
      for (uint64_t r = 0; r < E; ++r) out[expert[r]] = by_rank[r];
      return out;
    }
  }
  const uint64_t turn = s.routing == Routing::kUniform ? uint64_t{layer} + step : layer;
  const uint64_t offset = turn * per_token % E;
  std::vector<uint64_t> out(E, 0);
  for (uint64_t r = 0; r < E; ++r) out[(r + offset) % E] = by_rank[r];
  return out;
}

double speculative_tokens_per_step(uint32_t k, double acceptance) {
  if (acceptance >= 1.0) return k + 1.0;
  return (1.0 - std::pow(acceptance, k + 1.0)) / (1.0 - acceptance);
}

uint64_t prefill_chunks(const RunSpec& s) {
  return s.chunk == 0 || s.chunk >= s.prompt ? 1 : ceil_div(s.prompt, s.chunk);
}

uint64_t chunk_tokens(const RunSpec& s, uint64_t i) {
  if (prefill_chunks(s) == 1) return s.prompt;
  return std::min(s.chunk, s.prompt - i * s.chunk);
}

std::string_view run_field_name(RunField f) {
  switch (f) {
    case RunField::kModel:
      return "model";
    case RunField::kPhase:
      return "phase";
    case RunField::kPrompt:
      return "prompt";
    case RunField::kTokens:
      return "tokens";
    case RunField::kContext:
      return "context";
    case RunField::kBatch:
      return "batch";
    case RunField::kWeights:
      return "weights";
    case RunField::kActivations:
      return "activations";
    case RunField::kKv:
      return "kv";
    case RunField::kAttention:
      return "attention";
    case RunField::kWeightGroup:
      return "weight_group";
    case RunField::kLmHeadWeights:
      return "lm_head_weights";
    case RunField::kLmHeadAll:
      return "lm_head_all_positions";
    case RunField::kRouting:
      return "routing";
    case RunField::kRoutingSkew:
      return "routing_skew";
    case RunField::kChunk:
      return "chunk";
    case RunField::kKvBlock:
      return "kv_block";
    case RunField::kDraft:
      return "draft";
    case RunField::kDraftTokens:
      return "draft_tokens";
    case RunField::kAcceptance:
      return "acceptance";
  }
  return "?";
}

WorkloadError::WorkloadError(RunField setting, std::string message)
    : std::runtime_error(std::string(run_field_name(setting)) + ": " + message),
      m_setting(setting),
      m_message(std::move(message)) {}

namespace {

using u128 = unsigned __int128;

std::string u128_text(u128 x) {
  if (x == 0) return "0";
  std::string s;
  while (x > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(x % 10)));
    x /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

bool is_int(Format f) {
  return f == Format::kInt4 || f == Format::kInt8;
}

/// Elements per fp16 scale of weights in `f`: the run's weight_group for int4 / int8, else 0.
uint32_t scale_group(Format f, const RunSpec& s) {
  return is_int(f) ? s.weight_group : 0;
}

// Which of an op's tensors are activations (count towards the activation peak): not weights,
// not the KV cache.
enum ActBits : unsigned { kActA = 1, kActB = 2, kActC = 4 };

/// Which positions of a pass get logits (the final norm and the LM head).
enum class Logits : uint8_t {
  kNone,  ///< a prefill chunk before the last
  kLast,  ///< each sequence's last position: the next token
  kAll,   ///< every position (lm_head_all_positions; a speculative verification)
};

/// The keys an attention of q query positions over kv_len reads, under a sliding `window` (0:
/// none): a decode step's (q = 1) are at most the window's, all the ring-buffer cache holds.
uint64_t attention_keys(uint64_t kv_len, uint64_t q, uint64_t window) {
  return window > 0 && q == 1 ? std::min(kv_len, window) : kv_len;
}

/// Builds the ops of one pass (the prefill, or one decode step) into a Workload.
class Builder {
 public:
  /// An op index that names no op (a `from` without a B producer).
  static constexpr size_t kNoOp = std::numeric_limits<size_t>::max();

  /// `prefix` goes before every op name (a draft model's "draft.").
  Builder(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes, Workload& w,
          std::string prefix = "")
      : prefix_(std::move(prefix)),
        m_(m),
        s_(s),
        onchip_bytes_(onchip_bytes),
        w_(w),
        decoder_(m.causal),
        act_(s.activations),
        wf_(s.weights),
        // An encoder keeps no cache: its K and V are plain activations.
        kvf_(m.causal ? s.kv : s.activations),
        wgroup_(scale_group(s.weights, s)),
        headf_(lm_head_format(s)),
        head_group_(scale_group(headf_, s)) {}

  /// Makes ops without counting the peak activations (Workload::footprint): a streamed call's,
  /// whose run's footprint was taken when the run was built.
  Builder& without_footprint() {
    footprint_ = false;
    return *this;
  }

  /// Emits one pass: q query positions per sequence over kv_len keys, ending with the logits of
  /// `logits` positions (a decoder's).
  void pass(const std::string& phase, uint32_t step, uint64_t q, uint64_t kv_len, Logits logits) {
    const uint64_t B = s_.batch;
    const uint64_t rows = logits == Logits::kNone ? 0 : logits == Logits::kAll ? B * q : B;
    const AttentionGroup all{B, q, kv_len};
    pass(phase, step, B * q, &all, 1, rows);
  }

  /// Sequences of one pass alike in their queries and keys: one attention op.
  struct AttentionGroup {
    uint64_t batch, q, kv_len;
  };

  /// Emits one pass over R rows (the tokens of every sequence together): the projections, norms
  /// and FFN over all R, the attention of each of the `n` groups (named `attention` when there
  /// is one, `attention.<g>` otherwise), and the final norm and LM head over `logit_rows` rows
  /// (none when 0; a decoder's).
  void pass(const std::string& phase, uint32_t step, uint64_t R, const AttentionGroup* groups,
            size_t n, uint64_t logit_rows) {
    phase_ = phase;
    step_ = step;
    const uint64_t d = m_.d_model;
    const unsigned kv_act = decoder_ ? 0u : unsigned{kActC};  // a K/V result: cache or activation

    Op& e = make("embed", OpKind::kGather, "", "data_movement");
    e.rows = R;
    e.cols = d;
    e.a_format = e.b_format = wf_;
    e.c_format = act_;
    push(e, kActC);
    size_t x = w_.ops.size() - 1;  // the op that produced the residual stream
    // pos_embed's second input is the position table, a parameter, not an activation.
    if (m_.pos == PosEncoding::kLearned) {
      vec("pos_embed", OpKind::kAdd, "", "norm_vector", R, d, std::nullopt, kActA | kActC);
      x = from(x);
    }
    if (!decoder_) {
      norm("embed_norm", "", R);
      x = from(x);
    }

    for (uint32_t l = 0; l < m_.layers; ++l) {
      const std::string layer = std::to_string(l), p = "L" + layer + ".";
      size_t h = x;  // the projections' input
      if (decoder_ && m_.pre_norms) {
        norm(p + "attn_norm", layer, R);
        h = from(x);
      }
      gemm(p + "q_proj", layer, "projection", R, d, m_.q_dim(), act_);
      size_t q_op = from(h);
      gemm(p + "k_proj", layer, "projection", R, d, m_.kv_dim(), kvf_, kActA | kv_act);
      const size_t k = from(h);
      gemm(p + "v_proj", layer, "projection", R, d, m_.kv_dim(), kvf_, kActA | kv_act);
      from(h);
      size_t k_op = k;
      const unsigned k_act = decoder_ ? 0u : unsigned{kActA | kActC};  // K: the cache
      if (m_.qk_norm != QkNorm::kNone) {  // over each head's head_dim, or each whole row
        const bool per_head = m_.qk_norm == QkNorm::kPerHead;
        vec(p + "q_norm", OpKind::kRmsNorm, layer, "norm_vector", per_head ? R * m_.heads : R,
            per_head ? m_.head_dim : m_.q_dim());
        q_op = from(q_op);
        vec(p + "k_norm", OpKind::kRmsNorm, layer, "norm_vector", per_head ? R * m_.kv_heads : R,
            per_head ? m_.head_dim : m_.kv_dim(), kvf_, k_act);
        k_op = from(k_op);
      }
      if (m_.pos == PosEncoding::kRope) {
        vec(p + "rope_q", OpKind::kRope, layer, "norm_vector", R, m_.q_dim());
        q_op = from(q_op);
        vec(p + "rope_k", OpKind::kRope, layer, "norm_vector", R, m_.kv_dim(), kvf_, k_act);
        from(k_op);
      }
      size_t o = kNoOp;
      for (size_t g = 0; g < n; ++g)
        o = attention(p, layer, q_op, groups[g], m_.slides(l) ? m_.sliding_window : 0,
                      n == 1 ? "" : "." + std::to_string(g));
      gemm(p + "o_proj", layer, "projection", R, m_.q_dim(), d, act_);
      size_t attn_out = from(o);
      if (m_.post_norms) {
        norm(p + "attn_post_norm", layer, R);
        attn_out = from(attn_out);
      }
      vec(p + "residual_attn", OpKind::kAdd, layer, "norm_vector", R, d);
      x = from(attn_out, x);
      if (!decoder_) {
        norm(p + "attn_norm", layer, R);
        x = from(x);
      }
      size_t h2 = x;  // the FFN's input
      if (decoder_ && m_.pre_norms) {
        norm(p + "ffn_norm", layer, R);
        h2 = from(x);
      }
      size_t out = m_.moe(l) ? moe(p, l, layer, R, h2) : ffn(p, layer, "ffn", R, m_.ffn_dim, h2);
      if (m_.post_norms) {
        norm(p + "ffn_post_norm", layer, R);
        out = from(out);
      }
      vec(p + "residual_ffn", OpKind::kAdd, layer, "norm_vector", R, d);
      x = from(out, x);
      if (!decoder_) {
        norm(p + "ffn_norm", layer, R);
        x = from(x);
      }
    }

    if (!decoder_ && s_.lm_head_all_positions) {
      // An encoder's masked-LM head (BertForMaskedLM, DistilBertForMaskedLM) over every
      // position: a d x d transform, GELU, LayerNorm, then the decoder to the vocabulary (tied
      // to the token table in BERT and DistilBERT).
      gemm("mlm_transform", "", "projection", R, d, d, act_);
      const size_t transform = from(x);
      vec("mlm_gelu", OpKind::kGelu, "", "projection", R, d);
      const size_t gelu = from(transform);
      norm("mlm_norm", "", R);
      lm_head(R, from(gelu));
    }
    if (decoder_ && logit_rows > 0) {
      norm("final_norm", "", R);
      const size_t final_norm = from(x);
      const uint64_t rows = logit_rows;
      const size_t head = lm_head(rows, final_norm);
      if (m_.logit_softcap) {  // c x tanh(x / c) over the logits, costed as a GELU pass
        vec("logit_softcap", OpKind::kGelu, "", "projection", rows, m_.vocab);
        from(head);
      }
    }
  }

 private:
  /// An FFN of width `dim` over `rows` rows reading op `in`, named `<p>ffn_*`: gate, up, SiLU,
  /// mul, down (swiglu) or up, GELU, down (gelu_mlp). Returns its down projection's index.
  size_t ffn(const std::string& p, const std::string& layer, const char* op_class, uint64_t rows,
             uint64_t dim, size_t in) {
    const uint64_t d = m_.d_model;
    size_t act;                              // the op whose result ffn_down reads
    if (m_.ffn_kind != FfnKind::kGeluMlp) {  // gated: SiLU (swiglu) or GELU (geglu)
      const bool silu = m_.ffn_kind == FfnKind::kSwiGlu;
      gemm(p + "ffn_gate", layer, op_class, rows, d, dim, act_);
      const size_t gate = from(in);
      gemm(p + "ffn_up", layer, op_class, rows, d, dim, act_);
      const size_t up = from(in);
      vec(p + (silu ? "ffn_silu" : "ffn_gelu"), silu ? OpKind::kSilu : OpKind::kGelu, layer,
          op_class, rows, dim);
      const size_t gated = from(gate);
      vec(p + "ffn_mul", OpKind::kMul, layer, op_class, rows, dim);
      act = from(gated, up);
    } else {
      gemm(p + "ffn_up", layer, op_class, rows, d, dim, act_);
      const size_t up = from(in);
      vec(p + "ffn_gelu", OpKind::kGelu, layer, op_class, rows, dim);
      act = from(up);
    }
    gemm(p + "ffn_down", layer, op_class, rows, dim, d, act_);
    return from(act);
  }

  /// A mixture-of-experts FFN over R rows reading op `in` (layer l): the router (a d x experts
  /// GEMM, then softmax and top-k over each row's experts), each routed expert that receives
  /// tokens (expert_tokens) as an FFN over its tokens, named `<p>e<i>.ffn_*` (its GEMMs load
  /// its tokens' rows of `in` directly: the permutation is folded into their loads, as fused
  /// MoE kernels gather rows by DMA), the combine (each token's expert outputs weighted and
  /// summed: a vector pass over the R x experts_per_token expert rows; its writes are counted at
  /// that size, an over-count of (experts_per_token - 1) x R rows), and the shared experts as
  /// one FFN of shared_experts x shared_expert_ffn_dim over every row, added to the combine.
  /// Returns the index of the op whose result the residual add reads.
  size_t moe(const std::string& p, uint32_t l, const std::string& layer, uint64_t R, size_t in) {
    const uint64_t d = m_.d_model, picks = R * m_.experts_per_token;
    gemm(p + "router", layer, "moe_routing", R, d, m_.experts, act_);
    const size_t router = from(in);
    vec(p + "router_topk", OpKind::kSoftmax, layer, "moe_routing", R, m_.experts);
    from(router);
    size_t last = kNoOp;
    const std::vector<uint64_t> tokens =
        expert_tokens(s_, R, m_.experts, m_.experts_per_token, l, step_);
    for (uint32_t e = 0; e < m_.experts; ++e) {
      if (tokens[e] == 0) continue;
      expert_ = e;
      last =
          ffn(p + "e" + std::to_string(e) + ".", layer, "expert", tokens[e], m_.expert_ffn_dim, in);
      expert_.reset();
    }
    vec(p + "moe_combine", OpKind::kEltwise, layer, "moe_routing", picks, d);
    size_t out = from(last);
    if (m_.shared_experts > 0) {
      size_t shared = ffn(p + "shared.", layer, "ffn", R,
                          uint64_t{m_.shared_experts} * m_.shared_expert_ffn_dim, in);
      if (m_.shared_expert_gate) {  // sigmoid(x . g) x shared: a d x 1 GEMM, its sigmoid
        // (costed as a SiLU pass), and the scaling of each row
        gemm(p + "shared_gate", layer, "moe_routing", R, d, 1, act_);
        const size_t shared_gate = from(in);
        vec(p + "shared_gate_sigmoid", OpKind::kSilu, layer, "moe_routing", R, 1);
        const size_t gate = from(shared_gate);
        vec(p + "shared_scale", OpKind::kMul, layer, "moe_routing", R, d);
        shared = from(shared, gate);
      }
      vec(p + "shared_add", OpKind::kAdd, layer, "moe_routing", R, d);
      out = from(shared, out);
    }
    return out;
  }

  /// Records that the op just pushed reads A (and B, unless kNoOp) from the ops at those
  /// indices of the workload; returns the op's own index.
  size_t from(size_t a, size_t b = kNoOp) {
    const size_t self = w_.ops.size() - 1;
    Op& op = w_.ops.back();
    auto back = [&](size_t producer) {
      if (producer >= self) throw std::logic_error("Builder: an op reads one not made before it");
      return static_cast<uint32_t>(self - producer);
    };
    op.a_from = back(a);
    if (b != kNoOp) op.b_from = back(b);
    return self;
  }

  /// Starts the next op in place, at the end of the workload; push() completes it.
  Op& make(std::string name, OpKind kind, const std::string& layer, const char* op_class) {
    Op& op = w_.ops.emplace_back();
    op.name = prefix_.empty() ? std::move(name) : prefix_ + name;
    op.kind = kind;
    op.layer = layer;
    op.op_class = op_class;
    op.phase = phase_;
    op.step = step_;
    op.expert = expert_;
    op.a_loc = op.b_loc = op.c_loc = Location::kDram;
    return op;
  }

  /// The LM head over `rows` rows reading op `in`, its weights in their own format
  /// (RunSpec::lm_head_weights). Returns its index.
  size_t lm_head(uint64_t rows, size_t in) {
    gemm("lm_head", "", "projection", rows, m_.d_model, m_.vocab, act_);
    w_.ops.back().b_format = headf_;
    w_.ops.back().b_group = head_group_;
    return from(in);
  }

  /// Weight GEMM: C[M, N] = A[M, K] (activations) x W[K, N] (weights with scales).
  void gemm(std::string name, const std::string& layer, const char* op_class, uint64_t M,
            uint64_t K, uint64_t N, Format c_format, unsigned act = kActA | kActC) {
    Op& op = make(std::move(name), OpKind::kGemm, layer, op_class);
    op.m = M;
    op.k = K;
    op.n = N;
    op.a_format = act_;
    op.b_format = wf_;
    op.b_group = wgroup_;
    op.c_format = c_format;
    push(op, act);
  }

  /// Vector op over rows x cols, every operand in `f` (activations unless given).
  void vec(std::string name, OpKind kind, const std::string& layer, const char* op_class,
           uint64_t rows, uint64_t cols, std::optional<Format> f = std::nullopt,
           std::optional<unsigned> act = std::nullopt) {
    Op& op = make(std::move(name), kind, layer, op_class);
    op.rows = rows;
    op.cols = cols;
    op.a_format = op.b_format = op.c_format = f.value_or(act_);
    const unsigned two_inputs = kind == OpKind::kAdd || kind == OpKind::kMul ? kActB : 0u;
    push(op, act.value_or(kActA | kActC | two_inputs));
  }

  void norm(std::string name, const std::string& layer, uint64_t rows) {
    vec(std::move(name), m_.norm == NormKind::kRmsNorm ? OpKind::kRmsNorm : OpKind::kLayerNorm,
        layer, "norm_vector", rows, m_.d_model);
  }

  /// Emits the attention reading Q from op `q_op`; returns the index of the op whose result is
  /// its output.
  /// `window`: the layer's sliding window (0: none). A decode step (q = 1) reads at most the
  /// window's keys, all the ring-buffer cache holds: its keys are min(kv_len, window), so once
  /// the context passes the window every step's attention is the same op. A prefill's queries
  /// each see the latest `window` of their keys: flash attention reads only those (Op::window);
  /// standard attention computes every score and masks, so its work is the full one.
  /// `suffix` follows the names of its ops (one of several groups).
  size_t attention(const std::string& p, const std::string& layer, size_t q_op,
                   const AttentionGroup& group, uint64_t window, const std::string& suffix) {
    const uint64_t B = group.batch, q = group.q, g = m_.group_size(), batch = B * m_.kv_heads;
    const uint64_t kv_len = attention_keys(group.kv_len, q, window);
    const unsigned kv_act = decoder_ ? 0u : unsigned{kActB};
    if (s_.attention == AttentionImpl::kFlash) {
      Op& op = make(p + "attention" + suffix, OpKind::kAttention, layer, "attention");
      op.batch = batch;
      op.group = m_.group_size();
      op.m = g * q;
      op.n = kv_len;
      op.k = m_.head_dim;
      op.causal = m_.causal;
      if (window > 0 && kv_len > window) op.window = window;
      if (decoder_) op.kv_block = s_.kv_block;  // the cache's pages
      op.softcap = m_.attn_softcap;
      op.a_format = act_;
      op.b_format = kvf_;
      op.c_format = act_;
      push(op, kActA | kActC | kv_act);
      return from(q_op);
    }
    // Standard: the scores stay on chip only if all of them fit at once.
    const uint64_t score_elems = B * m_.heads * q * kv_len;
    const Location loc =
        bytes_of(score_elems, act_) <= onchip_bytes_ ? Location::kSram : Location::kDram;
    Op& sc = make(p + "scores" + suffix, OpKind::kGemm, layer, "attention");
    sc.batch = batch;
    sc.m = g * q;
    sc.k = m_.head_dim;
    sc.n = kv_len;
    sc.a_format = act_;
    sc.b_format = kvf_;
    sc.b_group = 0;
    sc.c_format = act_;
    sc.c_loc = loc;
    push(sc, kActA | kActC | kv_act);
    size_t scores = from(q_op);
    if (m_.attn_softcap) {  // c x tanh(x / c) over the scores, costed as a GELU pass
      Op& cap = make(p + "scores_softcap" + suffix, OpKind::kGelu, layer, "attention");
      cap.rows = B * m_.heads * q;
      cap.cols = kv_len;
      cap.a_format = cap.b_format = cap.c_format = act_;
      cap.a_loc = cap.c_loc = loc;
      push(cap, kActA | kActC);
      scores = from(scores);
    }

    Op& sm = make(p + "softmax" + suffix, OpKind::kSoftmax, layer, "attention");
    sm.rows = B * m_.heads * q;
    sm.cols = kv_len;
    sm.a_format = sm.b_format = sm.c_format = act_;
    sm.a_loc = sm.c_loc = loc;
    push(sm, kActA | kActC);
    const size_t probs = from(scores);

    Op& av = make(p + "attn_v" + suffix, OpKind::kGemm, layer, "attention");
    av.batch = batch;
    av.m = g * q;
    av.k = kv_len;
    av.n = m_.head_dim;
    av.a_format = act_;
    av.a_loc = loc;
    av.b_format = kvf_;
    av.b_group = 0;
    av.c_format = act_;
    push(av, kActA | kActC | kv_act);
    return from(probs);
  }

  /// Bytes of A, B and C of `op` (B: both K and V for attention).
  static std::array<uint64_t, 3> tensor_bytes(const Op& op) {
    switch (op.kind) {
      case OpKind::kGemm:
        return {bytes_of(op.batch * op.m * op.k, op.a_format),
                bytes_of(op.batch * op.k * op.n, op.b_format),
                bytes_of(op.batch * op.m * op.n, op.c_format)};
      case OpKind::kAttention:
        return {bytes_of(op.batch * op.m * op.k, op.a_format),
                bytes_of(2 * op.batch * op.n * op.k, op.b_format),
                bytes_of(op.batch * op.m * op.k, op.c_format)};
      default: {
        const uint64_t e = op.rows * op.cols;
        return {bytes_of(e, op.a_format), bytes_of(e, op.b_format), bytes_of(e, op.c_format)};
      }
    }
  }

  /// Completes the op make() started: counts its activations towards the peak (unless the
  /// workload's footprint is not wanted).
  void push(const Op& op, unsigned act) {
    if (!footprint_) return;
    const auto bytes = tensor_bytes(op);
    uint64_t total = 0;
    if ((act & kActA) && op.a_loc == Location::kDram) total += bytes[0];
    if ((act & kActB) && op.b_loc == Location::kDram) total += bytes[1];
    if ((act & kActC) && op.c_loc == Location::kDram) total += bytes[2];
    Footprint& f = w_.footprint;
    if (total > f.peak_activation_bytes) {
      f.peak_activation_bytes = total;
      f.peak_activation_op = op.name + " (" + phase_ +
                             (phase_ == "decode" ? " step " + std::to_string(step_) : "") + ")";
    }
  }

  std::string prefix_;
  const ModelConfig& m_;
  const RunSpec& s_;
  uint64_t onchip_bytes_;
  Workload& w_;
  bool decoder_;
  Format act_, wf_, kvf_;
  uint32_t wgroup_;
  Format headf_;
  uint32_t head_group_;
  std::string phase_;
  uint32_t step_ = 0;
  std::optional<uint32_t> expert_;  ///< the routed expert whose ops are being made
  bool footprint_ = true;           ///< push() counts the peak activations
};

/// The graph calls of a run, in order: the prefill's chunks and, speculating, the draft model's
/// prefill; then each decode step: one call, or the draft's K passes and the target's
/// verification of K + 1 positions. `s` is the run as built (`context` resolved).
class Calls {
 public:
  Calls(const RunSpec& s, bool speculative)
      : m_s(s),
        m_spec(speculative),
        m_decode(s.phase != Phase::kPrefill),
        m_chunks(s.phase != Phase::kDecode ? prefill_chunks(s) : 0),
        m_prefill_calls(m_chunks + (speculative && m_chunks > 0 ? 1 : 0)),
        m_per_step(speculative ? s.draft_tokens + 1 : 1),
        m_tokens_per_step(speculative ? speculative_tokens_per_step(s.draft_tokens, s.acceptance)
                                      : 1.0) {
    m_steps = 0;
    if (!m_decode) return;
    // Steps until the expected accepted tokens reach T.
    m_steps = static_cast<uint64_t>(std::ceil(static_cast<double>(s.tokens) / m_tokens_per_step));
    while (m_steps > 1 && accepted(m_steps - 1) >= s.tokens) --m_steps;
    while (accepted(m_steps) < s.tokens) ++m_steps;
  }

  uint64_t chunks() const { return m_chunks; }
  uint64_t prefill_calls() const { return m_prefill_calls; }
  uint64_t decode_steps() const { return m_steps; }
  uint64_t per_step() const { return m_per_step; }
  uint64_t count() const { return m_prefill_calls + m_steps * m_per_step; }
  double tokens_per_step() const { return m_tokens_per_step; }
  /// The KV length at its largest: the last step's verification (or decode) end.
  uint64_t max_kv() const {
    if (!m_decode) return (m_s.phase == Phase::kPrefill ? m_s.context : 0) + m_s.prompt;
    if (!m_spec) return m_s.context + m_s.tokens;
    return m_s.context + accepted(m_steps - 1) + m_s.draft_tokens + 1;
  }

  /// Call c is decode step j (returned) of a run without a draft, after decode step j - 1: the
  /// same pass over one more key. 0 when it is not.
  uint64_t decode_step_after_another(uint64_t c) const {
    return !m_spec && m_decode && c > m_prefill_calls && c < count() ? c - m_prefill_calls : 0;
  }
  /// The keys decode step j (without a draft) attends to.
  uint64_t decode_keys(uint64_t j) const { return m_s.context + j + 1; }

  /// Emits call `c` of the run: the target's ops through `target`, the draft's through `draft`.
  void emit(uint64_t c, Builder& target, Builder* draft) const {
    const RunSpec& s = m_s;
    const uint64_t cached = m_decode ? 0 : s.context;  // a prefill alone may follow a cache
    if (c < m_chunks) {
      const uint64_t q = chunk_tokens(s, c), before = c * s.chunk;
      const bool last = c + 1 == m_chunks;
      target.pass("prefill", static_cast<uint32_t>(c), q, cached + before + q,
                  s.lm_head_all_positions ? Logits::kAll
                  : last                  ? Logits::kLast
                                          : Logits::kNone);
      return;
    }
    if (c < m_prefill_calls) {  // the draft reads the prompt too
      draft->pass("draft_prefill", 0, s.prompt, s.prompt, Logits::kLast);
      return;
    }
    const uint64_t k = c - m_prefill_calls, j = k / m_per_step, i = k % m_per_step;
    if (!m_spec) {
      target.pass("decode", static_cast<uint32_t>(j), 1, decode_keys(j), Logits::kLast);
      return;
    }
    const uint64_t before = s.context + accepted(j);
    if (i < s.draft_tokens)
      draft->pass("draft", static_cast<uint32_t>(j * s.draft_tokens + i), 1, before + i + 1,
                  Logits::kLast);
    else
      target.pass("decode", static_cast<uint32_t>(j), s.draft_tokens + 1,
                  before + s.draft_tokens + 1, Logits::kAll);
  }

 private:
  /// Tokens accepted before step j (the expectation, rounded down), at most T.
  uint64_t accepted(uint64_t j) const {
    return std::min<uint64_t>(
        m_s.tokens, static_cast<uint64_t>(std::floor(static_cast<double>(j) * m_tokens_per_step)));
  }

  const RunSpec& m_s;
  bool m_spec, m_decode;
  uint64_t m_chunks, m_prefill_calls, m_per_step, m_steps;
  double m_tokens_per_step;
};

void check_model(const ModelConfig& m) {
  const auto fail = [&](const std::string& what) {
    throw WorkloadError(RunField::kModel, "model '" + m.name + "': " + what);
  };
  if (m.layers == 0 || m.d_model == 0 || m.heads == 0 || m.kv_heads == 0 || m.head_dim == 0 ||
      m.ffn_dim == 0 || m.vocab == 0 || m.max_context == 0)
    fail("layers, d_model, heads, kv_heads, head_dim, ffn_dim, vocab and max_context must be >= 1");
  if (m.heads % m.kv_heads != 0)
    fail("kv_heads (" + std::to_string(m.kv_heads) + ") must divide heads (" +
         std::to_string(m.heads) + ")");
  if (m.experts > 0 && (m.experts_per_token < 1 || m.experts_per_token > m.experts ||
                        m.expert_ffn_dim == 0 || m.moe_every == 0))
    fail("experts_per_token must be 1 to experts, and expert_ffn_dim and moe_every >= 1");
  if (m.experts == 0 && (m.experts_per_token > 0 || m.expert_ffn_dim > 0 || m.shared_experts > 0))
    fail("experts_per_token, expert_ffn_dim and shared_experts need experts");
  if ((m.shared_experts > 0) != (m.shared_expert_ffn_dim > 0))
    fail("shared_experts and shared_expert_ffn_dim go together");
}

template <size_t N>
void check_format(RunField setting, Format f, const std::array<Format, N>& accepted) {
  if (std::find(accepted.begin(), accepted.end(), f) != accepted.end()) return;
  std::string use;
  for (size_t i = 0; i < N; ++i)
    use += std::string(i == 0       ? ""
                       : i + 1 == N ? " or "
                                    : ", ") +
           std::string(format_name(accepted[i]));
  throw WorkloadError(setting,
                      "format " + std::string(format_name(f)) + " is not supported; use " + use);
}

void check_count(RunField option, const char* what, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi)
    throw WorkloadError(option, std::string(what) + " must be " + std::to_string(lo) + " to " +
                                    std::to_string(hi) + ", got " + std::to_string(v));
}

/// The largest op of a pass (q positions per sequence over kv_len keys) must stay under
/// kMaxOpMacs MACs and elements, so no count of it overflows 64 bits.
void check_pass_size(const ModelConfig& m, const RunSpec& s, uint64_t q, uint64_t kv_len,
                     bool prefill, RunField option) {
  const u128 B = s.batch, R = B * q, d = m.d_model;
  const u128 head_rows = prefill && s.lm_head_all_positions ? R : B;
  const std::pair<const char*, u128> sizes[] = {
      {"q_proj", R * d * m.q_dim()},
      {"o_proj", R * m.q_dim() * d},
      {"ffn_up", R * d * m.ffn_dim},
      {"expert ffn_up", R * d * m.expert_ffn_dim},
      {"shared ffn_up", R * d * m.shared_experts * m.shared_expert_ffn_dim},
      {"router", R * d * m.experts},
      {"lm_head", head_rows * d * m.vocab},
      // flash: Q x K^T and P x V; standard: the scores' elements are fewer than this
      {"attention", 2 * B * m.heads * q * kv_len * m.head_dim},
      {"scores", B * m.heads * q * kv_len},
  };
  for (const auto& [name, n] : sizes)
    if (n > kMaxOpMacs)
      throw WorkloadError(option, "batch " + std::to_string(s.batch) + " x " + std::to_string(q) +
                                      " positions over " + std::to_string(kv_len) + " keys makes " +
                                      name + " " + u128_text(n) +
                                      " MACs (or elements), over the cap of 2^56");
}

uint64_t weight_bytes(uint64_t elems, Format f, const RunSpec& s) {
  const uint32_t group = scale_group(f, s);
  const uint64_t scales = group > 0 ? ceil_div(elems, uint64_t{group}) * 2 : 0;
  return bytes_of(elems, f) + scales;
}

uint64_t weight_bytes(uint64_t elems, const RunSpec& s) {
  return weight_bytes(elems, s.weights, s);
}

/// Bytes of layer l's weight matrices with their scales (with `active`, of the experts one token
/// uses).
uint64_t layer_weight_bytes(const ModelConfig& m, const RunSpec& s, uint32_t l, bool active) {
  const uint64_t d = m.d_model, mats = m.ffn_matrices();
  uint64_t b = weight_bytes(d * m.q_dim(), s) + 2 * weight_bytes(d * m.kv_dim(), s) +
               weight_bytes(m.q_dim() * d, s);
  if (!m.moe(l)) return b + mats * weight_bytes(d * m.ffn_dim, s);
  const uint64_t routed = active ? m.experts_per_token : m.experts;
  b += weight_bytes(d * m.experts, s) + routed * mats * weight_bytes(d * m.expert_ffn_dim, s);
  if (m.shared_experts > 0)
    b += mats * weight_bytes(d * m.shared_experts * m.shared_expert_ffn_dim, s);
  return b;
}

Footprint weights_and_cache(const ModelConfig& m, const RunSpec& s, uint64_t max_kv) {
  Footprint f;
  const uint64_t d = m.d_model;
  const uint64_t tables =
      weight_bytes(uint64_t{m.vocab} * d, s) +
      (m.tied_embeddings && lm_head_format(s) == s.weights
           ? 0
           : weight_bytes(uint64_t{m.vocab} * d, lm_head_format(s), s)) +
      bytes_of(uint64_t{m.layers} * m.layer_norm_params() + m.norm_params(), s.activations) +
      (m.pos == PosEncoding::kLearned ? bytes_of(uint64_t{m.max_context} * d, s.activations) : 0);
  // An encoder's masked-LM head adds its transform and LayerNorm (its decoder is the head).
  const uint64_t mlm =
      !m.causal && s.lm_head_all_positions
          ? weight_bytes(uint64_t{d} * d, s) + bytes_of(m.norm_params(), s.activations)
          : 0;
  f.weight_bytes = f.active_weight_bytes = tables + mlm;
  for (uint32_t l = 0; l < m.layers; ++l) {
    f.weight_bytes += layer_weight_bytes(m, s, l, false);
    f.active_weight_bytes += layer_weight_bytes(m, s, l, true);
  }
  if (m.causal) {
    // A sliding layer's cache is a ring buffer of the window's positions.
    // A paged cache takes whole pages (per sequence and layer).
    const auto paged = [&](uint64_t n) {
      return s.kv_block == 0 ? n : ceil_div(n, s.kv_block) * s.kv_block;
    };
    uint64_t positions = 0;
    for (uint32_t l = 0; l < m.layers; ++l)
      positions += paged(m.slides(l) ? std::min<uint64_t>(max_kv, m.sliding_window) : max_kv);
    f.kv_cache_bytes = bytes_of(2 * m.kv_dim() * s.batch * positions, s.kv);
  }
  return f;
}

}  // namespace

WorkloadStream::WorkloadStream(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes,
                               const ModelConfig* draft)
    : m_model(m),
      m_draft(draft ? std::optional<ModelConfig>(*draft) : std::nullopt),
      m_spec(s),
      m_onchip(onchip_bytes),
      m_calls(Calls(s, draft != nullptr).count()) {}

void WorkloadStream::ops(uint64_t c, std::vector<Op>& out, bool previous) const {
  const Calls calls(m_spec, m_draft.has_value());
  // A decode step is the step before over one more key: with flash attention and no routed
  // experts (whose tokens are drawn per step), its ops differ from that step's only in their
  // step and their attentions' keys, so those are updated in place. The compiler moved only
  // locations; each op gets back those Builder::make gave it (DRAM: flash attention places
  // nothing itself).
  if (const uint64_t j = calls.decode_step_after_another(c);
      previous && j > 0 && m_model.experts == 0 && m_spec.attention == AttentionImpl::kFlash) {
    const uint64_t keys = calls.decode_keys(j);
    uint32_t layer = 0;  // one attention op a layer, in order
    for (Op& op : out) {
      op.a_loc = op.b_loc = op.c_loc = Location::kDram;
      op.step = static_cast<uint32_t>(j);
      if (op.kind == OpKind::kAttention)
        op.n = attention_keys(keys, 1, m_model.slides(layer++) ? m_model.sliding_window : 0);
    }
    if (layer != m_model.layers) throw std::logic_error("WorkloadStream: not a decode step's ops");
    return;
  }
  Workload scratch;
  scratch.ops = std::move(out);
  scratch.ops.clear();
  Builder b(m_model, m_spec, m_onchip, scratch);
  b.without_footprint();
  std::optional<Builder> d;
  if (m_draft) d.emplace(*m_draft, m_spec, m_onchip, scratch, "draft.").without_footprint();
  calls.emit(c, b, d ? &*d : nullptr);
  out = std::move(scratch.ops);
}

void serve_step_ops(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes,
                    const std::vector<SeqPass>& seqs, uint32_t step, std::vector<Op>& out) {
  // Sequences alike in queries and keys share an attention op: in the order of (q, keys).
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> alike;
  uint64_t rows = 0, logit_rows = 0;
  for (const SeqPass& p : seqs) {
    ++alike[{p.q, p.kv_len}];
    rows += p.q;
    logit_rows += p.logits ? 1 : 0;
  }
  std::vector<Builder::AttentionGroup> groups;
  for (const auto& [shape, count] : alike) groups.push_back({count, shape.first, shape.second});
  Workload scratch;
  scratch.ops = std::move(out);
  scratch.ops.clear();
  Builder(m, s, onchip_bytes, scratch)
      .without_footprint()
      .pass("serve", step, rows, groups.data(), groups.size(), logit_rows);
  out = std::move(scratch.ops);
}

Workload build_workload(const ModelConfig& m, const RunSpec& spec, uint64_t onchip_bytes,
                        bool streamed, const ModelConfig* draft) {
  check_model(m);
  if (draft) check_model(*draft);
  check_format(RunField::kWeights, spec.weights, kWeightFormats);
  if (spec.lm_head_weights)
    check_format(RunField::kLmHeadWeights, *spec.lm_head_weights, kWeightFormats);
  if (spec.lm_head_weights && !m.causal && !spec.lm_head_all_positions)
    throw WorkloadError(RunField::kLmHeadWeights,
                        m.name +
                            " is an encoder: it has no LM head unless lm_head_all asks for "
                            "its masked-LM head");
  check_format(RunField::kActivations, spec.activations, kActivationFormats);
  check_format(RunField::kKv, spec.kv, kActivationFormats);
  check_count(RunField::kBatch, "batch", spec.batch, 1, kMaxBatch);
  check_count(RunField::kWeightGroup, "weight group", spec.weight_group, 0, kMaxWeightGroup);

  const bool prefill = spec.phase != Phase::kDecode;
  const bool decode = spec.phase != Phase::kPrefill;
  const uint64_t max_ctx = m.max_context;
  const std::string max_text = m.name + "'s maximum of " + std::to_string(max_ctx) + " positions";
  if (decode && !m.causal)
    throw WorkloadError(RunField::kPhase, m.name +
                                              " is an encoder (no causal mask, no KV cache): "
                                              "it cannot decode; run the prefill phase alone");

  RunSpec s = spec;
  if (!prefill && s.lm_head_all_positions)
    throw WorkloadError(RunField::kLmHeadAll,
                        "asks for the logits of every prompt position; this run has no prefill "
                        "(a decode step's head already runs over every position it computes)");
  if (prefill) {
    check_count(RunField::kPrompt, "prompt", s.prompt, 1, kMaxPositions);
    if (s.prompt > max_ctx)
      throw WorkloadError(RunField::kPrompt,
                          "prompt P = " + std::to_string(s.prompt) + " exceeds " + max_text);
  }
  if (s.phase == Phase::kPrefill && s.context != 0) {
    // A prompt appended to C cached positions (a chunk of a long prompt, a later turn of a chat,
    // a static-shape prompt processor over a fixed-size cache): C + P keys per query.
    if (!m.causal)
      throw WorkloadError(RunField::kContext,
                          m.name +
                              " is an encoder (no KV cache): a prompt cannot follow cached "
                              "positions; leave the context at 0");
    check_count(RunField::kContext, "context", s.context, 0, kMaxPositions);
    if (s.context + s.prompt > max_ctx)
      throw WorkloadError(RunField::kContext,
                          "context C + prompt P = " + std::to_string(s.context) + " + " +
                              std::to_string(s.prompt) + " exceeds " + max_text);
  }
  if (s.phase == Phase::kBoth && s.context != 0 && s.context != s.prompt)
    throw WorkloadError(RunField::kContext,
                        "with both phases, decode continues the prompt just "
                        "prefilled, so the context is the prompt (" +
                            std::to_string(s.prompt) + "), not " + std::to_string(s.context) +
                            "; run the decode phase alone for another context");
  if (decode) {
    const bool explicit_context = s.context != 0;
    if (!explicit_context) s.context = s.prompt;
    const RunField c_option = explicit_context ? RunField::kContext : RunField::kPrompt;
    check_count(c_option, explicit_context ? "context" : "context (the prompt)", s.context, 0,
                kMaxPositions);
    check_count(RunField::kTokens, "tokens", s.tokens, 1, kMaxPositions);
    const uint64_t end = s.context + s.tokens;
    if (end > max_ctx)
      throw WorkloadError(s.context >= max_ctx ? c_option : RunField::kTokens,
                          "context C + T = " + std::to_string(s.context) + " + " +
                              std::to_string(s.tokens) + " = " + std::to_string(end) + " exceeds " +
                              max_text);
  }

  // Prefill-only runs may follow C cached positions; with decode, prefill starts empty.
  const uint64_t prefill_cached = decode ? 0 : s.context;
  if (prefill)
    check_pass_size(m, s, chunk_tokens(s, 0), prefill_cached + s.prompt, true, RunField::kPrompt);
  if (decode) check_pass_size(m, s, 1, s.context + s.tokens, false, RunField::kTokens);

  if (s.chunk != 0) {
    check_count(RunField::kChunk, "chunk", s.chunk, 0, kMaxPositions);
    if (!prefill)
      throw WorkloadError(RunField::kChunk, "chunks split a prefill; this run has none");
    if (!m.causal && prefill_chunks(s) > 1)
      throw WorkloadError(RunField::kChunk,
                          m.name +
                              " is an encoder (no KV cache): a chunk cannot attend to the "
                              "chunks before it; leave chunk at 0");
  }
  if (s.kv_block != 0) {
    check_count(RunField::kKvBlock, "kv block", s.kv_block, 0, kMaxPositions);
    if (!m.causal)
      throw WorkloadError(RunField::kKvBlock, m.name + " is an encoder: it keeps no KV cache");
    if (s.attention != AttentionImpl::kFlash)
      throw WorkloadError(RunField::kKvBlock,
                          "a paged cache is read by flash attention (--attention flash); "
                          "standard attention's K and V GEMMs read a contiguous cache");
  }
  if (m.experts == 0 && s.routing != RunSpec{}.routing)
    throw WorkloadError(RunField::kRouting, m.name + " has no experts to route tokens to");
  if (s.routing == Routing::kFile) {
    if (!s.routing_weights) throw std::logic_error("routing file without its weights");
    // Every layer's rows name experts the model has and layers it has, and every MoE layer
    // has rows with some weight.
    const RoutingWeights& rw = *s.routing_weights;
    const auto at = [&](int line) { return rw.file + ":" + std::to_string(line) + ": "; };
    for (size_t l = 0; l < rw.layers.size(); ++l)
      if (!rw.layers[l].empty() && l >= m.layers)
        throw WorkloadError(RunField::kRouting, at(rw.layers[l][0].line) + "layer " +
                                                    std::to_string(l) + ": " + m.name + " has " +
                                                    std::to_string(m.layers) + " layers");
    for (uint32_t l = 0; l < m.layers; ++l) {
      if (!m.moe(l)) continue;
      const auto* rows = rw.of(l);
      if (!rows)
        throw WorkloadError(RunField::kRouting, rw.file + ": no weights for layer " +
                                                    std::to_string(l) +
                                                    " (give its rows, or rows for layer *)");
      double total = 0;
      for (const RoutingWeights::Row& row : *rows) {
        if (row.expert >= m.experts)
          throw WorkloadError(RunField::kRouting,
                              at(row.line) + "expert " + std::to_string(row.expert) + ": " +
                                  m.name + " has " + std::to_string(m.experts) + " experts (0 to " +
                                  std::to_string(m.experts - 1) + ")");
        total += row.weight;
      }
      if (total <= 0)
        throw WorkloadError(RunField::kRouting, at(rows->front().line) + "layer " +
                                                    std::to_string(l) + "'s weights are all 0");
    }
  }
  if (s.routing != Routing::kZipf && s.routing_skew != RunSpec{}.routing_skew)
    throw WorkloadError(RunField::kRoutingSkew, "a skew is for zipf routing (routing is " +
                                                    std::string(routing_name(s.routing)) + ")");

  if (draft) {
    if (!decode) throw WorkloadError(RunField::kDraft, "speculative decoding needs a decode phase");
    if (!draft->causal)
      throw WorkloadError(RunField::kDraft, draft->name + " is an encoder: it cannot draft tokens");
    if (draft->vocab != m.vocab)
      throw WorkloadError(RunField::kDraft, draft->name + "'s vocabulary (" +
                                                std::to_string(draft->vocab) + ") is not " +
                                                m.name + "'s (" + std::to_string(m.vocab) +
                                                "): a draft model shares the target's tokenizer");
    check_count(RunField::kDraftTokens, "draft tokens", s.draft_tokens, 1, kMaxDraftTokens);
  } else if (s.draft_tokens != RunSpec{}.draft_tokens || s.acceptance != RunSpec{}.acceptance) {
    throw WorkloadError(
        s.draft_tokens != RunSpec{}.draft_tokens ? RunField::kDraftTokens : RunField::kAcceptance,
        "is for speculative decoding: give a draft model (draft)");
  }

  Workload w;
  w.model = m.name;
  w.moe = m.experts > 0;
  const Calls calls(s, draft != nullptr);
  w.context = decode ? s.context : prefill_cached;
  w.max_kv_length = calls.max_kv();
  if (draft) {
    w.draft_model = draft->name;
    w.tokens_per_step = calls.tokens_per_step();
    for (const ModelConfig* x : {&m, draft})
      if (w.max_kv_length > x->max_context)
        throw WorkloadError(
            RunField::kTokens,
            "speculative decoding reaches " + std::to_string(w.max_kv_length) +
                " positions (context C + T + the last step's K + 1 drafted), over " + x->name +
                "'s maximum of " + std::to_string(x->max_context));
  }
  w.footprint = weights_and_cache(m, s, w.max_kv_length);
  if (draft) {  // both models on the chip: its weights and its cache too
    const Footprint f = weights_and_cache(*draft, s, w.max_kv_length);
    w.footprint.weight_bytes += f.weight_bytes;
    w.footprint.active_weight_bytes += f.active_weight_bytes;
    w.footprint.kv_cache_bytes += f.kv_cache_bytes;
  }
  w.spec = s;

  Builder b(m, s, onchip_bytes, w);
  std::optional<Builder> db;
  if (draft) db.emplace(*draft, s, onchip_bytes, w, "draft.");
  const auto emit = [&](uint64_t c) { calls.emit(c, b, db ? &*db : nullptr); };
  for (uint64_t c = 0; c < calls.prefill_calls(); ++c) emit(c);
  if (prefill) {
    w.prefill_ops = w.ops.size();
    w.prefill_steps = calls.chunks();
    w.prefill_tokens = s.batch * s.prompt;
  }
  if (decode) {
    const uint64_t first = calls.prefill_calls(), per = calls.per_step();
    const uint64_t steps = calls.decode_steps();
    for (uint64_t c = first; c < first + per; ++c) emit(c);
    w.ops_per_decode_step = w.ops.size() - w.prefill_ops;
    if (streamed) {
      // The counts and the footprint from the calls that decide them: decode step 0 (the step
      // count) and the last step (the largest attention); the peak activation is the first op
      // that reaches it in run order, as the whole build finds it.
      if (steps > 1)
        for (uint64_t c = first + (steps - 1) * per; c < calls.count(); ++c) emit(c);
    } else {
      const u128 total = u128{w.prefill_ops} + u128{w.ops_per_decode_step} * steps;
      if (total > kMaxOps)
        throw WorkloadError(RunField::kTokens, std::to_string(steps) + " decode steps of " +
                                                   std::to_string(w.ops_per_decode_step) +
                                                   " ops make " + u128_text(total) +
                                                   " ops, over the cap of " +
                                                   std::to_string(kMaxOps) +
                                                   " a run keeps every record of; decode fewer "
                                                   "tokens, or let npusim run stream the reports "
                                                   "(--timeline ops with --report ops, or "
                                                   "--timeline steps or none)");
      w.ops.reserve(static_cast<size_t>(total));
      for (uint64_t c = first + per; c < calls.count(); ++c) emit(c);
    }
    w.decode_steps = steps;
    w.decode_tokens = s.batch * s.tokens;
  }
  if (streamed) {
    w.ops.clear();
    w.ops.shrink_to_fit();
    w.stream = std::make_shared<const WorkloadStream>(m, s, onchip_bytes, draft);
  }
  return w;
}

}  // namespace npu
