#include "model.h"

namespace npu {

std::string_view ffn_kind_name(FfnKind k) {
  switch (k) {
    case FfnKind::kGeluMlp:
      return "gelu_mlp";
    case FfnKind::kSwiGlu:
      return "swiglu";
    case FfnKind::kGeGlu:
      return "geglu";
  }
  return "?";
}

std::string_view norm_kind_name(NormKind k) {
  switch (k) {
    case NormKind::kLayerNorm:
      return "layernorm";
    case NormKind::kRmsNorm:
      return "rmsnorm";
  }
  return "?";
}

std::string_view pos_encoding_name(PosEncoding p) {
  switch (p) {
    case PosEncoding::kRope:
      return "rope";
    case PosEncoding::kLearned:
      return "learned";
    case PosEncoding::kNone:
      return "none";
  }
  return "?";
}

uint64_t ModelConfig::attention_params_per_layer() const {
  const uint64_t d = d_model;
  return d * q_dim() + 2 * d * kv_dim() + q_dim() * d;
}

uint64_t ModelConfig::ffn_params(uint32_t l, bool active) const {
  const uint64_t d = d_model, mats = ffn_matrices();
  if (!moe(l)) return mats * d * ffn_dim;
  const uint64_t routed = active ? experts_per_token : experts;
  return d * experts + (shared_expert_gate ? d : 0) +
         mats * d * (routed * expert_ffn_dim + uint64_t{shared_experts} * shared_expert_ffn_dim);
}

uint64_t ModelConfig::norm_params() const {
  return norm == NormKind::kLayerNorm ? 2 * uint64_t{d_model} : uint64_t{d_model};
}

uint64_t ModelConfig::layer_norm_params() const {
  const uint64_t norms = (pre_norms ? 2 : 0) + (post_norms ? 2 : 0);
  const uint64_t qk = qk_norm == QkNorm::kPerHead ? 2 * uint64_t{head_dim}
                      : qk_norm == QkNorm::kWhole ? uint64_t{q_dim()} + kv_dim()
                                                  : 0;
  return norms * norm_params() + qk;
}

uint64_t ModelConfig::layer_params(uint32_t l, bool active) const {
  return attention_params_per_layer() + ffn_params(l, active) + layer_norm_params();
}

uint64_t ModelConfig::embedding_params() const {
  const uint64_t positions = pos == PosEncoding::kLearned ? max_context : 0;
  return (uint64_t{vocab} + positions) * d_model;
}

uint64_t ModelConfig::lm_head_params() const {
  return tied_embeddings ? 0 : uint64_t{vocab} * d_model;
}

namespace {
uint64_t sum_params(const ModelConfig& m, bool active) {
  uint64_t p = m.embedding_params() + m.norm_params() + m.lm_head_params();
  for (uint32_t l = 0; l < m.layers; ++l) p += m.layer_params(l, active);
  return p;
}
}  // namespace

uint64_t ModelConfig::parameters() const {
  return sum_params(*this, false);
}

uint64_t ModelConfig::active_parameters() const {
  return sum_params(*this, true);
}

uint64_t ModelConfig::kv_bytes_per_token(Format f) const {
  return bytes_of(2 * uint64_t{layers} * kv_dim(), f);
}

}  // namespace npu
