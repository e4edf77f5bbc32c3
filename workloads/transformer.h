// The op graph an inference engine runs for a dense transformer (workloads/model.h), op for op,
// with shapes, number formats and where each tensor lives: a prefill of P prompt tokens and/or
// T decode steps over a KV cache, for B sequences at once.
//
// The graph, with R = rows = B x P in prefill and B in each decode step (q = P or 1 query
// positions per sequence, g = heads / kv_heads query heads per KV head):
//   embed                gather R x d from the token table (weights format) -> activations
//   pos_embed            add R x d of the position table (learned positions only)
//   embed_norm           encoders only (BERT's embedding layernorm)
//   per layer l, names `L<l>.<op>`, Op::layer = "<l>":
//     attn_norm          layernorm / rmsnorm R x d (decoders: before attention, pre-norm)
//     q_proj             gemm R x d -> heads x head_dim
//     k_proj, v_proj     gemm R x d -> kv_heads x head_dim, written in the KV format (the cache)
//     rope_q, rope_k     rotary embeddings on Q (activations) and K (KV format), rope models only
//     attention          flash: one fused op, batch B x kv_heads, m = g x q, n = KV length, k =
//                        head_dim, causal = the model's mask;
//     or scores, softmax, attn_v
//                        standard: Q x K^T (batch B x kv_heads, m = g x q, k = head_dim, n = KV
//                        length), softmax over B x heads x q rows of KV-length columns, P x V
//                        (k = KV length, n = head_dim). The scores and probabilities stay in SRAM
//                        when B x heads x q x KV length elements (activations) fit in the
//                        on-chip bytes build_workload is given, else they go through DRAM (the
//                        O(n^2) traffic).
//     o_proj             gemm R x (heads x head_dim) -> d
//     residual_attn      add R x d
//     ffn_norm           (decoders: before the FFN)
//     ffn_gate, ffn_up, ffn_silu, ffn_mul, ffn_down   (swiglu)
//     ffn_up, ffn_gelu, ffn_down                      (gelu_mlp)
//     residual_ffn       add R x d
//   final_norm           R x d (every position is normalised, as vLLM and Hugging Face do)
//   lm_head              gemm M x d -> vocab, M = B (the last position of each sequence) or, in
//                        prefill with lm_head_all_positions, R. Decoders only.
// An encoder (causal == false: BERT) normalises after each block (post-norm: attn_norm after
// residual_attn, ffn_norm after residual_ffn), starts with embed_norm, has no final norm and no LM
// head (the graph ends with the last layer), no KV cache (K and V are plain activations) and no
// decode phase.
//
// KV lengths: prefill attends over its own P positions (the cache starts empty); decode step t
// (0-based) attends over C + t + 1 positions: the C cached ones, the t tokens decoded before and
// its own. Sampling, biases, dropout and the attention mask's construction are not modelled.
//
// Formats: GEMM A = activations, B = weights (with one fp16 scale per `weight_group` elements for
// int4 / int8 weights, as llama.cpp's Q4_0 / Q8_0: 4.5 / 8.5 bits per weight), C = activations;
// the KV cache (k_proj / v_proj results, rope_k, the attention's K and V) in the KV format. The
// token table and a tied LM head are in the weights format with its scales; the position table
// and the norm parameters in the activations format.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../arch/types.h"  // number formats: the shared vocabulary, no hardware
#include "model.h"
#include "op.h"

namespace npu {

enum class Phase : uint8_t { kPrefill, kDecode, kBoth };
std::string_view phase_name(Phase p);  ///< "prefill", "decode", "both"
std::optional<Phase> parse_phase(std::string_view s);

enum class AttentionImpl : uint8_t {
  kFlash,     ///< fused, tiled: no scores in DRAM; K and V read once per query block
  kStandard,  ///< scores materialised: O(n^2) bytes unless they fit on chip
};
std::string_view attention_impl_name(AttentionImpl a);  ///< "flash", "standard"
std::optional<AttentionImpl> parse_attention_impl(std::string_view s);

/// How a mixture-of-experts router spreads a layer's picks (rows x experts_per_token: each token
/// picks experts_per_token distinct experts) over the experts. Deterministic: a run's every
/// layer and step gets its counts from this rule, not from sampling.
enum class Routing : uint8_t {
  /// As evenly as they go: each expert gets floor or ceil of picks / experts. Which experts get
  /// the extra picks rotates with the layer and the decode step (batch-1 decode: each step's
  /// experts_per_token experts follow the previous step's).
  kUniform,
  /// Zipf: the expert of rank r (1-based) gets a share of the picks proportional to
  /// r^-routing_skew, at most one pick per token (the overflow goes to the next ranks); the
  /// ranks rotate with the layer only, so a layer's hot experts stay hot across steps.
  kZipf,
  /// From a routing file (RunSpec::routing_weights): each layer's experts get shares of the picks
  /// proportional to their weights, at most one pick per token (the overflow goes to the next
  /// heaviest); no rotation: the file says which experts are hot in which layer.
  kFile,
};
std::string_view routing_name(Routing r);  ///< "uniform", "zipf", "file"

/// The expert weights of a routing file (sim/config/routing_file.h), by layer: what a router's
/// load looked like in a real run (e.g. the fraction of tokens each expert took).
struct RoutingWeights {
  std::string file;
  struct Row {
    uint32_t expert;
    double weight;
    int line;  ///< in the file
  };
  /// Rows of each layer listed (index = layer), and the rows of `*` (every layer not listed).
  std::vector<std::vector<Row>> layers;
  std::vector<Row> every;
  /// The rows that apply to layer `l` (null when none do).
  const std::vector<Row>* of(uint32_t l) const {
    if (l < layers.size() && !layers[l].empty()) return &layers[l];
    return every.empty() ? nullptr : &every;
  }
};

/// The settings of a run, by name. The front ends spell them (the command line's `--prompt`, an
/// experiment's `workload.prompt`: sim/config/workload_settings.h); this layer names them so.
enum class RunField : uint8_t {
  kModel,  ///< the ModelConfig itself
  kPhase,
  kPrompt,
  kTokens,
  kContext,
  kBatch,
  kWeights,
  kActivations,
  kKv,
  kAttention,
  kWeightGroup,
  kLmHeadWeights,
  kLmHeadAll,
  kRouting,
  kRoutingSkew,
  kChunk,
  kKvBlock,
  kDraft,  ///< the draft model of speculative decoding (a ModelConfig, as kModel)
  kDraftTokens,
  kAcceptance,
};
/// The RunSpec member's name ("prompt", "weight_group", "lm_head_all_positions"; "model").
std::string_view run_field_name(RunField f);

/// What to run. Defaults here are the defaults of every front end.
struct RunSpec {
  Phase phase = Phase::kBoth;
  uint64_t prompt = 128;  ///< P, prompt tokens processed by prefill
  uint64_t tokens = 32;   ///< T, tokens generated by decode (decode steps)
  /// C, KV length already cached when the phase starts. Decode: 0 means "the prompt" (P), for
  /// kBoth and kDecode alike; with kBoth any other value than P is an error (decode continues
  /// the prompt just prefilled). kPrefill: the P prompt tokens follow C cached positions and
  /// attend to all C + P (0: an empty cache); an encoder has no cache.
  uint64_t context = 0;
  uint64_t batch = 1;                  ///< B sequences
  Format weights = Format::kInt8;      ///< one of kWeightFormats
  Format activations = Format::kFp16;  ///< one of kActivationFormats
  Format kv = Format::kFp16;           ///< one of kActivationFormats
  AttentionImpl attention = AttentionImpl::kFlash;
  /// Prefill: the LM head for every position, not only the last. An encoder (BERT) has no head
  /// without it; with it, its masked-LM head over every position (a d x d transform, GELU,
  /// LayerNorm, then the d x vocab decoder), as BertForMaskedLM runs it.
  bool lm_head_all_positions = false;
  /// Elements per fp16 scale for int4 / int8 weights (llama.cpp Q4_0 / Q8_0: 32, i.e. 4.5 / 8.5
  /// bits per weight); 0 = no scales. Ignored for int16 and float weights.
  uint32_t weight_group = 32;
  /// The LM head's weight format when it differs from `weights` (one of kWeightFormats; its
  /// scales as `weight_group` says for integer formats): quantisers often keep the head wider
  /// than the body (Qualcomm AI Hub's w4a16 LLMs: 8-bit; llama.cpp's Q4_K_M: 6-bit; GPTQ and
  /// AWQ: fp16). A tied head in another format than the token table is a second copy of it.
  std::optional<Format> lm_head_weights;
  /// Chunked prefill: the prompt in passes of at most `chunk` tokens per sequence, each
  /// attending to the cache so far (the cached positions, the chunks before and its own), each
  /// a step of the prefill phase (step i: chunk i) and a graph call; the LM head runs after the
  /// last chunk only (every chunk with lm_head_all_positions). 0: the whole prompt in one pass.
  uint64_t chunk = 0;
  /// Paged KV cache: K and V stored in pages of `kv_block` positions per sequence (vLLM's block
  /// size). Flash attention reads them page by page (a DMA transfer per page a block of keys
  /// touches, the last page partial) and the cache takes whole pages. 0: one contiguous cache.
  uint64_t kv_block = 0;
  /// Speculative decoding (with a draft model, build_workload's `draft`): each step the draft
  /// decodes draft_tokens (K) tokens one at a time, then the target verifies the K + 1
  /// positions in one pass; each drafted token is accepted with probability `acceptance` (A),
  /// so a step yields (1 - A^(K+1)) / (1 - A) tokens on average (K + 1 when A = 1).
  uint32_t draft_tokens = 4;
  double acceptance = 0.8;
  Routing routing = Routing::kUniform;  ///< mixture-of-experts models only
  double routing_skew = 1.0;            ///< Zipf exponent (Routing::kZipf), 0 - 8
  /// Routing::kFile: the weights (set with routing = kFile).
  std::shared_ptr<const RoutingWeights> routing_weights;
};

/// The LM head's weight format: lm_head_weights, else the weights'.
inline Format lm_head_format(const RunSpec& s) {
  return s.lm_head_weights.value_or(s.weights);
}

/// Tokens per sequence of prefill chunk `i` of `s` (s.chunk, or the whole prompt when 0).
uint64_t chunk_tokens(const RunSpec& s, uint64_t i);
/// Prefill chunks of `s`: ceil(prompt / chunk), 1 when not chunked.
uint64_t prefill_chunks(const RunSpec& s);

/// Tokens each routed expert of an MoE layer receives: `rows` tokens each picking `per_token`
/// distinct experts of `experts`, spread by `s.routing` (layer `layer`, decode step `step`: the
/// rotation). The counts add up to rows x per_token and none exceeds rows.
std::vector<uint64_t> expert_tokens(const RunSpec& s, uint64_t rows, uint32_t experts,
                                    uint32_t per_token, uint32_t layer, uint32_t step);

/// The formats the generator takes for weights, and for activations and the KV cache.
inline constexpr std::array<Format, 6> kWeightFormats = {
    Format::kInt4, Format::kInt8, Format::kInt16, Format::kFp8, Format::kFp16, Format::kBf16};
inline constexpr std::array<Format, 5> kActivationFormats = {
    Format::kInt8, Format::kInt16, Format::kFp8, Format::kFp16, Format::kBf16};

/// Memory the run needs (DRAM), in bytes.
struct Footprint {
  /// Every weight matrix with its scales (Q, K, V, O, the FFN's), the token table (weights
  /// format with scales), the position table (learned positions, activations format), the LM
  /// head when untied or in another format than the table (its format with scales), an
  /// encoder's masked-LM transform and LayerNorm when it runs them, and the norm parameters
  /// (activations format).
  uint64_t weight_bytes = 0;
  /// KV cache at its largest: 2 x layers x kv_heads x head_dim x B x (max KV length) elements in
  /// the KV format; max KV length = P after prefill, C + T after decode. 0 for an encoder.
  uint64_t kv_cache_bytes = 0;
  /// The largest op's activation tensors: the bytes of the operands and result of one op that
  /// live in DRAM and are neither weights (nor the position table) nor the KV cache (counted
  /// above). Scores kept on chip (standard attention that fits) do not count.
  uint64_t peak_activation_bytes = 0;
  std::string peak_activation_op;  ///< name of that op ("L0.ffn_up"), with its phase
  /// The weights one token uses: weight_bytes with experts_per_token of each MoE layer's routed
  /// experts in place of all (= weight_bytes for a dense model). Decode at batch 1 streams about
  /// this much per step; prefill and large batches touch every expert.
  uint64_t active_weight_bytes = 0;

  /// What the run needs resident at once: weights + KV cache + peak activations.
  uint64_t total_bytes() const { return weight_bytes + kv_cache_bytes + peak_activation_bytes; }
};

class WorkloadStream;

/// The generated workload.
struct Workload {
  std::string model;  ///< ModelConfig::name
  bool moe = false;   ///< the model has mixture-of-experts layers
  RunSpec spec;       ///< as run: `context` resolved (P when given as 0)
  /// Prefill ops first (phase "prefill", step 0), then decode step 0, 1, ... (phase "decode",
  /// step t). Names are unique within a phase and step.
  std::vector<Op> ops;
  Footprint footprint;
  uint64_t prefill_tokens = 0;       ///< B x P when prefill runs, else 0
  uint64_t prefill_steps = 0;        ///< prefill chunks (1 unless chunked), 0 without prefill
  uint64_t decode_steps = 0;         ///< T when decode runs, else 0
  uint64_t decode_tokens = 0;        ///< B x T tokens generated, when decode runs, else 0
  uint64_t prefill_ops = 0;          ///< ops[0, prefill_ops) are the prefill
  uint64_t ops_per_decode_step = 0;  ///< every decode step has the same ops
  /// Speculative decoding: the draft model's name (its ops are named "draft.*", in phases
  /// "draft_prefill" and "draft"), and the tokens a step yields on average; a decode step is
  /// then the draft's K passes (draft steps j x K ... j x K + K - 1) and the verification
  /// (decode step j). Empty and 1 otherwise.
  std::string draft_model;
  double tokens_per_step = 1;
  uint64_t context = 0;        ///< C, KV length cached before decode step 0 (or the prompt)
  uint64_t max_kv_length = 0;  ///< C + P (prefill only) or C + T
  /// Built streamed: `ops` is empty and this makes them one graph call at a time.
  std::shared_ptr<const WorkloadStream> stream;

  /// The ops of the run: prefill_ops + decode_steps x ops_per_decode_step.
  uint64_t op_count() const { return prefill_ops + decode_steps * ops_per_decode_step; }
};

/// The ops of a workload one graph call at a time, so a run of millions of ops never holds them
/// all: the prefill's chunks (one call unless chunked) when it runs, then one call per decode
/// step. The ops of call c are
/// exactly those of the same call in the workload built whole (the same names, shapes, formats
/// and edges: no edge crosses a call).
class WorkloadStream {
 public:
  WorkloadStream(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes,
                 const ModelConfig* draft = nullptr);
  uint64_t calls() const { return m_calls; }
  /// Replaces `out` with the ops of call `c` (< calls()). `previous`: `out` holds the ops of
  /// call c - 1 as this made them, their locations perhaps changed by the compiler
  /// (sim/compile.h changes nothing else): a decode step's are then updated, not made again.
  void ops(uint64_t c, std::vector<Op>& out, bool previous = false) const;

 private:
  ModelConfig m_model;
  std::optional<ModelConfig> m_draft;
  RunSpec m_spec;  ///< as run (`context` resolved)
  uint64_t m_onchip;
  uint64_t m_calls;
};

/// A run the model cannot do, or a setting outside the caps; `setting` is the one to change.
/// what() is "<run_field_name>: <message>"; the front ends spell the setting their way.
class WorkloadError : public std::runtime_error {
 public:
  WorkloadError(RunField setting, std::string message);
  RunField setting() const { return m_setting; }
  const std::string& message() const { return m_message; }

 private:
  RunField m_setting;
  std::string m_message;
};

// Caps, so every count fits 64 bits and a workload fits memory.
inline constexpr uint64_t kMaxBatch = 4096;
inline constexpr uint64_t kMaxPositions = uint64_t{1} << 24;  ///< P, T and C each
inline constexpr uint32_t kMaxWeightGroup = 1u << 16;
inline constexpr uint32_t kMaxDraftTokens = 64;  ///< K of speculative decoding
/// Ops of one workload built whole (about 1 KB each with their records); a streamed workload
/// (build_workload's `streamed`) has no such cap.
inline constexpr uint64_t kMaxOps = 2'000'000;
inline constexpr uint64_t kMaxOpMacs = uint64_t{1} << 56;  ///< MACs (or elements) of one op

/// Builds the op graph of `s` on `m`. `onchip_bytes` is the SRAM the chip has for intermediates
/// (the simulator decides it, sim/capacity.h): standard attention keeps its scores on chip only
/// if they fit (0: always in DRAM). Throws WorkloadError for a run that cannot be done: P < 1
/// with prefill, T < 1 with decode, B < 1, P or C + T beyond the model's max_context, decode on
/// an encoder, an unsupported format, a value over the caps above.
/// `streamed`: the ops are not built (Workload::stream makes them a call at a time); the counts
/// and the footprint are the same, and the op cap does not apply.
/// `draft`: speculative decoding with this draft model on the same chip (its weights and cache
/// count in the footprint).
Workload build_workload(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes = 0,
                        bool streamed = false, const ModelConfig* draft = nullptr);

/// One sequence's part of an iteration of continuous batching (npusim serve).
struct SeqPass {
  uint64_t q = 1;       ///< new positions it computes: a prefill chunk, or 1 when decoding
  uint64_t kv_len = 1;  ///< keys they attend to: its cached positions + q
  bool logits = true;   ///< it emits a token (decoding, or its prompt's last chunk)
};

/// Makes into `out` the ops of one iteration of continuous batching, phase "serve", step `step`:
/// every sequence's new positions in one pass, as vLLM batches them: the projections, norms and
/// FFN over all their rows together (Σ q), one attention per set of sequences alike in q and
/// keys (`L<l>.attention`, or `L<l>.attention.<g>` in the order of (q, keys) when they differ),
/// and the final norm and LM head over the sequences that emit a token. From `s` it takes the
/// formats, the attention, kv_block, weight_group and routing (its batch and lengths are the
/// sequences'). `seqs` must not be empty; the caller checks the lengths (build_workload's checks).
void serve_step_ops(const ModelConfig& m, const RunSpec& s, uint64_t onchip_bytes,
                    const std::vector<SeqPass>& seqs, uint32_t step, std::vector<Op>& out);

/// The tokens a speculative step yields on average: (1 - A^(K+1)) / (1 - A), K + 1 when A = 1.
double speculative_tokens_per_step(uint32_t k, double acceptance);

}  // namespace npu
