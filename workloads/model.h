// A transformer model's shape: the numbers of its published config (layers, hidden size, heads,
// KV heads, FFN size and kind, vocabulary, norm, position encoding), from which the workload
// generator derives the ops of a prefill or a decode step and the KV-cache sizes. Loaded from our
// YAML or a Hugging Face config.json by sim/config/model_loader.h (schema: configs/SCHEMA.md).
//
// The shape covers decoder (Llama 2/3, Mistral, Mixtral, Phi-3, Qwen2/3 and their MoE models,
// GPT-2) and encoder (BERT) transformers: every layer has the same attention (heads x head_dim
// queries, kv_heads x head_dim keys and values, sliding or not) and an FFN that is dense or, on
// mixture-of-experts layers, a router over `experts` FFNs. Cross attention and other per-layer
// differences are not described.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "../arch/types.h"  // number formats: the shared vocabulary, no hardware

namespace npu {

/// The feed-forward block of a layer.
enum class FfnKind : uint8_t {
  kGeluMlp,  ///< `gelu_mlp`: up [d, ffn], GELU, down [ffn, d] (GPT-2, BERT): 2 matrices
  kSwiGlu,   ///< `swiglu`: gate and up [d, ffn], SiLU(gate) * up, down [ffn, d] (Llama): 3
  kGeGlu,    ///< `geglu`: gate and up [d, ffn], GELU(gate) * up, down [ffn, d] (Gemma): 3
};
inline constexpr std::array<FfnKind, 3> kAllFfnKinds = {FfnKind::kGeluMlp, FfnKind::kSwiGlu,
                                                        FfnKind::kGeGlu};
std::string_view ffn_kind_name(FfnKind k);  ///< "gelu_mlp", "swiglu", "geglu"

/// The normalisation before (or after) each block.
enum class NormKind : uint8_t {
  kLayerNorm,  ///< `layernorm`: mean and variance, scale and shift (2 x d parameters)
  kRmsNorm,    ///< `rmsnorm`: root mean square, scale only (d parameters)
};
inline constexpr std::array<NormKind, 2> kAllNormKinds = {NormKind::kLayerNorm, NormKind::kRmsNorm};
std::string_view norm_kind_name(NormKind k);  ///< "layernorm", "rmsnorm"

/// How positions enter the model.
enum class PosEncoding : uint8_t {
  kRope,     ///< `rope`: rotary embeddings applied to Q and K in every layer; no parameters
  kLearned,  ///< `learned`: an absolute position-embedding table [max_context, d] (GPT-2, BERT)
  kNone,     ///< `none`: no position information (e.g. ALiBi-style biases are not modelled)
};
inline constexpr std::array<PosEncoding, 3> kAllPosEncodings = {
    PosEncoding::kRope, PosEncoding::kLearned, PosEncoding::kNone};
std::string_view pos_encoding_name(PosEncoding p);  ///< "rope", "learned", "none"

/// Normalisation of the queries and keys before RoPE (ModelConfig::qk_norm).
enum class QkNorm : uint8_t { kNone, kPerHead, kWhole };

struct ModelConfig {
  std::string name;         ///< e.g. "llama-3.1-8b"; used in reports
  std::string family;       ///< optional; the Hugging Face model_type ("llama", "gpt2", ...)
  std::string description;  ///< optional free text

  uint32_t layers = 0;    ///< transformer blocks (num_hidden_layers)
  uint32_t d_model = 0;   ///< hidden size (hidden_size)
  uint32_t heads = 0;     ///< query heads (num_attention_heads)
  uint32_t kv_heads = 0;  ///< key/value heads (num_key_value_heads): = heads for MHA, fewer for
                          ///< GQA, 1 for MQA; divides heads
  uint32_t head_dim = 0;  ///< per head; usually d_model / heads
  uint32_t ffn_dim = 0;   ///< FFN intermediate size (intermediate_size)
  FfnKind ffn_kind = FfnKind::kSwiGlu;
  uint32_t vocab = 0;  ///< vocabulary size (vocab_size)
  NormKind norm = NormKind::kRmsNorm;
  PosEncoding pos = PosEncoding::kRope;
  bool tied_embeddings = false;  ///< the LM head reuses the token-embedding matrix
  uint32_t max_context = 0;      ///< max positions (max_position_embeddings)
  bool causal = true;            ///< decoder (causal mask); false for an encoder such as BERT
  /// Sliding-window attention (sliding_window): a layer that slides attends to, and caches, only
  /// the latest W positions; 0 = every layer attends to every position.
  uint32_t sliding_window = 0;
  /// Which layers slide (Gemma's sliding_window_pattern): 0 = all; N = all but every Nth, layer
  /// i attending to every position when (i + 1) % N == 0 (Gemma 2: 2, Gemma 3: 6).
  uint32_t global_every = 0;

  /// RMSNorm over the queries and keys before RoPE: over each head's (Qwen3, Gemma 3: q_norm,
  /// k_norm of head_dim parameters each per layer), or over the whole projection (OLMo 2: of
  /// q_dim and kv_dim parameters).
  QkNorm qk_norm = QkNorm::kNone;
  /// Gemma 2/3: a norm after the attention's output projection and after the FFN, before each
  /// residual add (post_attention_layernorm, post_feedforward_layernorm): 4 norms a layer.
  bool post_norms = false;
  /// A decoder's norms before the attention and before the FFN (input_layernorm,
  /// post_attention_layernorm in Llama's naming). OLMo 2 has none: its only norms are the
  /// post_norms.
  bool pre_norms = true;
  /// Gemma 2: the attention scores pass through c x tanh(x / c) before the softmax
  /// (attn_logit_softcapping), and the logits after the LM head (final_logit_softcapping).
  bool attn_softcap = false;
  bool logit_softcap = false;

  // Mixture of experts (Mixtral, Qwen2-MoE, Qwen3-MoE, PhiMoE). On an MoE layer the FFN is a
  // router (a d x experts GEMM, then softmax and top-k) that sends each token to
  // experts_per_token of `experts` FFNs of expert_ffn_dim (of ffn_kind), plus shared_experts
  // FFNs of shared_expert_ffn_dim that every token passes through (Qwen2-MoE); the other layers'
  // FFN is the dense one of ffn_dim. experts = 0: a dense model.
  uint32_t experts = 0;
  uint32_t experts_per_token = 0;
  uint32_t expert_ffn_dim = 0;
  uint32_t shared_experts = 0;
  uint32_t shared_expert_ffn_dim = 0;
  /// Qwen2-MoE: the shared experts' output is scaled by sigmoid(x . g), a d x 1 gate per layer
  /// (shared_expert_gate), before it is added to the combine.
  bool shared_expert_gate = false;
  /// Which layers are MoE (Qwen2-MoE's decoder_sparse_step): layer l when (l + 1) % moe_every
  /// == 0; 1 = every layer.
  uint32_t moe_every = 1;

  /// Whether layer `l` (0-based) has a mixture-of-experts FFN.
  bool moe(uint32_t l) const { return experts > 0 && (l + 1) % moe_every == 0; }

  /// Whether layer `l` (0-based) attends through the sliding window.
  bool slides(uint32_t l) const {
    return sliding_window > 0 && (global_every == 0 || (l + 1) % global_every != 0);
  }

  /// Width of the queries (and of the attention output): heads x head_dim.
  uint64_t q_dim() const { return uint64_t{heads} * head_dim; }
  /// Width of the keys, and of the values: kv_heads x head_dim.
  uint64_t kv_dim() const { return uint64_t{kv_heads} * head_dim; }
  /// Query heads sharing one KV head (1 for MHA).
  uint32_t group_size() const { return kv_heads == 0 ? 0 : heads / kv_heads; }
  /// Weight matrices of the FFN: 2 (gelu_mlp) or 3 (swiglu, geglu).
  uint32_t ffn_matrices() const { return ffn_kind == FfnKind::kGeluMlp ? 2 : 3; }

  // Parameter counts. Weight matrices and norm parameters only: biases are left out (GPT-2's
  // are 82,944 of 124.4 M, 0.07 %; Qwen2's QKV biases 27,648 of 494 M), as are BERT's
  // token-type embeddings (1,536) and pooler (590,592, 0.5 %), which a language-model workload
  // does not run.

  /// Q, K, V and O projections of one layer: d x q + 2 x d x kv + q x d.
  uint64_t attention_params_per_layer() const;
  /// The FFN of layer `l`: ffn_matrices() x d x ffn_dim when dense; on an MoE layer the router
  /// (d x experts) and ffn_matrices() x d x (experts x expert_ffn_dim + shared_experts x
  /// shared_expert_ffn_dim), or with `active`, only the experts_per_token experts a token uses.
  uint64_t ffn_params(uint32_t l, bool active = false) const;
  /// One norm: 2 x d for layernorm (scale and shift), d for rmsnorm (scale).
  uint64_t norm_params() const;
  /// The norms of a layer: two before the attention and the FFN when pre_norms (BERT's two
  /// after them), two more with post_norms, and the q and k norms (qk_norm).
  uint64_t layer_norm_params() const;
  /// Layer `l`: attention + FFN + its norms (two before the attention and the FFN when
  /// pre_norms, BERT's two after them; two more with post_norms) + the q and k norms (qk_norm).
  uint64_t layer_params(uint32_t l, bool active = false) const;
  /// Token embeddings (vocab x d), plus the position table (max_context x d) when learned.
  uint64_t embedding_params() const;
  /// The output projection to the vocabulary: vocab x d, or 0 when tied to the embeddings.
  uint64_t lm_head_params() const;
  /// All: embeddings + every layer + one final norm + LM head. The final norm stands for the
  /// norm after the last block (Llama, GPT-2) or, in BERT, the embedding layernorm, which has
  /// the same size.
  uint64_t parameters() const;
  /// The parameters one token uses: parameters() with experts_per_token experts in place of all
  /// of them (the "active parameters" of an MoE model; = parameters() for a dense one).
  uint64_t active_parameters() const;

  /// Bytes of KV cache one token adds: K and V, every layer, kv_heads x head_dim elements each,
  /// in `f`: bytes_of(2 x layers x kv_dim, f).
  uint64_t kv_bytes_per_token(Format f) const;
};

}  // namespace npu
