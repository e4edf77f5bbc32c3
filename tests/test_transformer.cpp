// The transformer workload generator (workloads/transformer.h): op counts per layer and phase,
// MACs per decoded token against the parameter count, KV-cache and weight bytes, the bytes
// standard and flash attention move as the KV length grows, decode KV lengths, encoders, and a
// WorkloadError naming the setting for every run that cannot be done. Every expected number is
// written out below from the model's published shape; no SystemC.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "sim/config/model_loader.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

ModelConfig model(const std::string& name) {
  return load_model(std::string(NPUSIM_SOURCE_DIR) + "/configs/models/" + name + ".yaml");
}

std::vector<const Op*> select(const Workload& w, const std::string& phase, uint32_t step,
                              const std::string& layer) {
  std::vector<const Op*> out;
  for (const Op& op : w.ops)
    if (op.phase == phase && op.step == step && op.layer == layer) out.push_back(&op);
  return out;
}

const Op& find(const Workload& w, const std::string& phase, uint32_t step,
               const std::string& name) {
  for (const Op& op : w.ops)
    if (op.phase == phase && op.step == step && op.name == name) return op;
  ADD_FAILURE() << "no op " << name << " in " << phase << " step " << step;
  static const Op none;
  return none;
}

std::vector<std::string> names(const std::vector<const Op*>& ops) {
  std::vector<std::string> out;
  for (const Op* op : ops) out.push_back(op->name);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Op counts

TEST(Transformer, LlamaLayerOpsInOrder) {
  // Llama 3.1 8B: rmsnorm, rope, GQA (8 KV heads), swiglu.
  const ModelConfig m = model("llama-3.1-8b");
  RunSpec s;
  s.prompt = 64;
  s.tokens = 3;
  const Workload w = build_workload(m, s);
  const std::vector<std::string> layer3 = {
      "L3.attn_norm",     "L3.q_proj",   "L3.k_proj",    "L3.v_proj",
      "L3.rope_q",        "L3.rope_k",   "L3.attention", "L3.o_proj",
      "L3.residual_attn", "L3.ffn_norm", "L3.ffn_gate",  "L3.ffn_up",
      "L3.ffn_silu",      "L3.ffn_mul",  "L3.ffn_down",  "L3.residual_ffn"};
  EXPECT_EQ(names(select(w, "prefill", 0, "3")), layer3);
  for (uint32_t t = 0; t < 3; ++t) EXPECT_EQ(names(select(w, "decode", t, "3")), layer3);
  // A pass: embed + 32 layers x 16 + final_norm + lm_head = 515.
  EXPECT_EQ(w.prefill_ops, 1u + 32 * 16 + 2);
  EXPECT_EQ(w.ops_per_decode_step, 1u + 32 * 16 + 2);
  EXPECT_EQ(w.ops.size(), 4 * (1u + 32 * 16 + 2));
  EXPECT_EQ(w.ops.front().name, "embed");
  EXPECT_EQ(w.ops[w.prefill_ops - 1].name, "lm_head");
  EXPECT_EQ(w.ops.back().name, "lm_head");
  EXPECT_EQ(w.ops.back().step, 2u);
  EXPECT_EQ(w.prefill_tokens, 64u);
  EXPECT_EQ(w.decode_steps, 3u);
  EXPECT_EQ(w.decode_tokens, 3u);

  // Standard attention: the fused op becomes scores, softmax, attn_v (18 per layer).
  s.attention = AttentionImpl::kStandard;
  const Workload ws = build_workload(m, s);
  const auto l0 = names(select(ws, "decode", 1, "0"));
  ASSERT_EQ(l0.size(), 18u);
  EXPECT_EQ(l0[6], "L0.scores");
  EXPECT_EQ(l0[7], "L0.softmax");
  EXPECT_EQ(l0[8], "L0.attn_v");
  EXPECT_EQ(ws.prefill_ops, 1u + 32 * 18 + 2);
}

TEST(Transformer, Gpt2LayerOpsInOrder) {
  // GPT-2: layernorm, learned positions (no rope), gelu_mlp, tied LM head.
  const ModelConfig m = model("gpt2");
  RunSpec s;
  s.prompt = 16;
  s.tokens = 2;
  const Workload w = build_workload(m, s);
  const std::vector<std::string> layer0 = {"L0.attn_norm",     "L0.q_proj",    "L0.k_proj",
                                           "L0.v_proj",        "L0.attention", "L0.o_proj",
                                           "L0.residual_attn", "L0.ffn_norm",  "L0.ffn_up",
                                           "L0.ffn_gelu",      "L0.ffn_down",  "L0.residual_ffn"};
  EXPECT_EQ(names(select(w, "prefill", 0, "0")), layer0);
  EXPECT_EQ(names(select(w, "decode", 1, "0")), layer0);
  // embed + pos_embed + 12 layers x 12 + final_norm + lm_head = 148.
  EXPECT_EQ(w.prefill_ops, 2u + 12 * 12 + 2);
  EXPECT_EQ(w.ops_per_decode_step, 2u + 12 * 12 + 2);
  EXPECT_EQ(names(select(w, "prefill", 0, "")),
            (std::vector<std::string>{"embed", "pos_embed", "final_norm", "lm_head"}));
  EXPECT_EQ(find(w, "prefill", 0, "L0.attn_norm").kind, OpKind::kLayerNorm);
  EXPECT_EQ(find(w, "prefill", 0, "L0.ffn_gelu").kind, OpKind::kGelu);
  EXPECT_EQ(find(w, "prefill", 0, "pos_embed").kind, OpKind::kAdd);
}

TEST(Transformer, NamesAreUniqueWithinAPhaseAndStep) {
  RunSpec s;
  s.prompt = 8;
  s.tokens = 4;
  s.attention = AttentionImpl::kStandard;
  for (const char* name : {"llama-3.2-1b", "gpt2", "phi-3-mini"}) {
    const Workload w = build_workload(model(name), s);
    std::set<std::string> seen;
    for (const Op& op : w.ops)
      EXPECT_TRUE(seen.insert(op.phase + "/" + std::to_string(op.step) + "/" + op.name).second)
          << name << " " << op.name;
    EXPECT_EQ(seen.size(), w.ops.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes and formats

TEST(Transformer, LlamaPrefillShapesAndFormats) {
  const ModelConfig m = model("llama-3.1-8b");  // d 4096, 32 heads, 8 KV heads, hd 128, ffn 14336
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 100;
  s.batch = 2;
  s.weights = Format::kInt4;
  s.activations = Format::kBf16;
  s.kv = Format::kFp8;
  const Workload w = build_workload(m, s);
  const uint64_t R = 2 * 100;

  const Op& embed = find(w, "prefill", 0, "embed");
  EXPECT_EQ(embed.kind, OpKind::kGather);
  EXPECT_EQ(embed.rows, R);
  EXPECT_EQ(embed.cols, 4096u);
  EXPECT_EQ(embed.a_format, Format::kInt4);
  EXPECT_EQ(embed.c_format, Format::kBf16);
  EXPECT_EQ(embed.op_class, "data_movement");

  const Op& q = find(w, "prefill", 0, "L5.q_proj");
  EXPECT_EQ(q.kind, OpKind::kGemm);
  EXPECT_EQ(q.m, R);
  EXPECT_EQ(q.k, 4096u);
  EXPECT_EQ(q.n, 32u * 128);
  EXPECT_EQ(q.batch, 1u);
  EXPECT_EQ(q.a_format, Format::kBf16);
  EXPECT_EQ(q.b_format, Format::kInt4);
  EXPECT_EQ(q.b_group, 32u);
  EXPECT_EQ(q.c_format, Format::kBf16);
  EXPECT_EQ(q.layer, "5");
  EXPECT_EQ(q.op_class, "projection");

  const Op& k = find(w, "prefill", 0, "L5.k_proj");
  EXPECT_EQ(k.n, 8u * 128);
  EXPECT_EQ(k.c_format, Format::kFp8);  // writes the KV cache
  const Op& rk = find(w, "prefill", 0, "L5.rope_k");
  EXPECT_EQ(rk.kind, OpKind::kRope);
  EXPECT_EQ(rk.rows, R);
  EXPECT_EQ(rk.cols, 8u * 128);
  EXPECT_EQ(rk.a_format, Format::kFp8);
  EXPECT_EQ(rk.c_format, Format::kFp8);
  const Op& rq = find(w, "prefill", 0, "L5.rope_q");
  EXPECT_EQ(rq.cols, 32u * 128);
  EXPECT_EQ(rq.a_format, Format::kBf16);

  const Op& a = find(w, "prefill", 0, "L5.attention");
  EXPECT_EQ(a.kind, OpKind::kAttention);
  EXPECT_EQ(a.batch, 2u * 8);  // B x kv_heads
  EXPECT_EQ(a.group, 4u);      // 32 / 8
  EXPECT_EQ(a.m, 4u * 100);    // g x P
  EXPECT_EQ(a.n, 100u);        // the prompt's own positions
  EXPECT_EQ(a.k, 128u);
  EXPECT_TRUE(a.causal);
  EXPECT_EQ(a.a_format, Format::kBf16);
  EXPECT_EQ(a.b_format, Format::kFp8);
  EXPECT_EQ(a.c_format, Format::kBf16);
  EXPECT_EQ(a.op_class, "attention");

  const Op& o = find(w, "prefill", 0, "L5.o_proj");
  EXPECT_EQ(o.m, R);
  EXPECT_EQ(o.k, 32u * 128);
  EXPECT_EQ(o.n, 4096u);
  const Op& down = find(w, "prefill", 0, "L5.ffn_down");
  EXPECT_EQ(down.k, 14336u);
  EXPECT_EQ(down.n, 4096u);
  EXPECT_EQ(down.op_class, "ffn");
  const Op& mul = find(w, "prefill", 0, "L5.ffn_mul");
  EXPECT_EQ(mul.rows, R);
  EXPECT_EQ(mul.cols, 14336u);

  // LM head: the last position of each sequence only, unless asked for every position.
  const Op& head = find(w, "prefill", 0, "lm_head");
  EXPECT_EQ(head.m, 2u);
  EXPECT_EQ(head.k, 4096u);
  EXPECT_EQ(head.n, 128256u);
  s.lm_head_all_positions = true;
  EXPECT_EQ(find(build_workload(m, s), "prefill", 0, "lm_head").m, R);

  // Float weights carry no scales.
  s.weights = Format::kFp8;
  EXPECT_EQ(find(build_workload(m, s), "prefill", 0, "L0.q_proj").b_group, 0u);
}

/// One decode step over 10 cached positions, weights in `w` with a scale per `group`.
RunSpec one_decode_step(Format w, uint32_t group) {
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 10;
  s.tokens = 1;
  s.weights = w;
  s.weight_group = group;
  return s;
}

TEST(Transformer, KProjInt4BytesWithGroupScales) {
  const ModelConfig m = model("llama-3.1-8b");
  const Workload w = build_workload(m, one_decode_step(Format::kInt4, 32));
  const Op& k = find(w, "decode", 0, "L0.k_proj");
  const uint64_t d = 4096, kv = 8, hd = 128;
  // 4 bits per weight + one fp16 scale per 32 weights: 4.5 bits per weight.
  EXPECT_EQ(k.b_bytes(k.k * k.n), d * kv * hd / 2 + d * kv * hd / 32 * 2);
  EXPECT_EQ(k.b_bytes(k.k * k.n), d * kv * hd * 9 / 16);
}

// ---------------------------------------------------------------------------------------------
// MACs per decoded token

TEST(Transformer, DecodeMacsPerTokenAreTheMatmulParameters) {
  // One decode step, batch 1, small context: every weight matrix is used once (MACs = its
  // parameters), the LM head too (vocab x d, also when tied to the embeddings), and attention
  // adds 2 x layers x heads x head_dim x kv_len (Q x K^T and P x V). FLOPs = 2 x MACs.
  for (const char* name : {"llama-2-7b", "llama-3.1-8b", "llama-3.2-1b", "mistral-7b", "phi-3-mini",
                           "qwen2.5-0.5b", "gpt2"}) {
    SCOPED_TRACE(name);
    const ModelConfig m = model(name);
    RunSpec s;
    s.phase = Phase::kDecode;
    s.context = 15;
    s.tokens = 1;
    const Workload w = build_workload(m, s);
    uint64_t macs = 0;
    for (const Op& op : w.ops) macs += op.macs();
    const uint64_t kv_len = 16, L = m.layers, d = m.d_model;
    const uint64_t attn_w =
        d * m.heads * m.head_dim + 2 * d * m.kv_heads * m.head_dim + m.heads * m.head_dim * d;
    const uint64_t ffn_w = uint64_t{m.ffn_kind == FfnKind::kSwiGlu ? 3u : 2u} * d * m.ffn_dim;
    const uint64_t lm_head = uint64_t{m.vocab} * d;
    const uint64_t attention = 2 * L * m.heads * m.head_dim * kv_len;
    EXPECT_EQ(macs, L * (attn_w + ffn_w) + lm_head + attention);
    // ~ the parameters without the embedding tables, plus the LM head's vocab x d when it is
    // tied (then counted once in the parameters, as the table): within 1 %.
    const double matmul_params = static_cast<double>(m.parameters() - m.embedding_params() +
                                                     (m.tied_embeddings ? lm_head : 0));
    EXPECT_NEAR(static_cast<double>(macs) / matmul_params, 1.0, 0.01);
  }
  // GPT-2 (tied, small table of positions): within 1 % of the plain parameter count.
  const ModelConfig g = model("gpt2");
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 15;
  s.tokens = 1;
  uint64_t macs = 0;
  for (const Op& op : build_workload(g, s).ops) macs += op.macs();
  EXPECT_NEAR(static_cast<double>(macs) / static_cast<double>(g.parameters()), 1.0, 0.01);
}

// ---------------------------------------------------------------------------------------------
// Footprint

TEST(Transformer, Llama2KvCacheAt4096TokensIsTwoGiB) {
  const ModelConfig m = model("llama-2-7b");
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 4000;
  s.tokens = 96;  // the cache ends at 4,096 positions
  s.kv = Format::kFp16;
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.max_kv_length, 4096u);
  // K and V x 32 layers x 4096 positions x 4096 (32 heads x 128) x 2 bytes.
  EXPECT_EQ(w.footprint.kv_cache_bytes, uint64_t{32} * 2 * 4096 * 4096 * 2);
  EXPECT_EQ(w.footprint.kv_cache_bytes, uint64_t{2} << 30);
  // Prefill only: the cache holds the prompt.
  s.phase = Phase::kPrefill;
  s.context = 0;
  s.prompt = 1024;
  s.batch = 3;
  EXPECT_EQ(build_workload(m, s).footprint.kv_cache_bytes, uint64_t{32} * 2 * 4096 * 3 * 1024 * 2);
}

TEST(Transformer, GqaKvCacheIsAQuarterOfMha) {
  const ModelConfig gqa = model("llama-3.1-8b");  // 8 KV heads for 32 query heads
  ModelConfig mha = gqa;
  mha.kv_heads = 32;
  RunSpec s;
  s.prompt = 500;
  s.tokens = 12;
  const uint64_t a = build_workload(gqa, s).footprint.kv_cache_bytes;
  const uint64_t b = build_workload(mha, s).footprint.kv_cache_bytes;
  EXPECT_EQ(a, uint64_t{32} * 2 * 8 * 128 * 512 * 2);
  EXPECT_EQ(4 * a, b);
}

TEST(Transformer, WeightBytes) {
  const ModelConfig m = model("llama-2-7b");  // untied, rope, rmsnorm, matrices multiples of 32
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.weights = Format::kFp16;
  s.activations = Format::kFp16;
  // fp16 weights and fp16 norms: 2 bytes per parameter.
  EXPECT_EQ(build_workload(m, s).footprint.weight_bytes, 2 * m.parameters());
  // int4, group 32: 4.5 bits per matrix parameter (token table and LM head too); norms fp16.
  s.weights = Format::kInt4;
  const uint64_t norms = (2 * 32 + 1) * uint64_t{4096};
  const uint64_t matrices = m.parameters() - norms;
  EXPECT_EQ(build_workload(m, s).footprint.weight_bytes, matrices * 9 / 16 + 2 * norms);
  // int8, no scales.
  s.weights = Format::kInt8;
  s.weight_group = 0;
  EXPECT_EQ(build_workload(m, s).footprint.weight_bytes, matrices + 2 * norms);

  // GPT-2: tied (one vocab x d table), learned position table in the activations format.
  const ModelConfig g = model("gpt2");
  s.weights = Format::kInt8;
  s.weight_group = 0;
  const uint64_t pos = 1024 * 768, g_norms = (2 * 12 + 1) * 2 * 768;
  EXPECT_EQ(build_workload(g, s).footprint.weight_bytes,
            (g.parameters() - pos - g_norms) + 2 * (pos + g_norms));
}

TEST(Transformer, AnLmHeadInItsOwnFormatIsStoredAndStreamedInIt) {
  // Llama-3.2-1B (tied: one 128,256 x 2,048 table) as AI Hub exports it: int4 weights without
  // scales, the LM head at int8.
  const ModelConfig m = model("llama-3.2-1b");
  RunSpec s = one_decode_step(Format::kInt4, 0);
  const uint64_t table = 128256 * uint64_t{2048};
  const Workload same = build_workload(m, s);
  s.lm_head_weights = Format::kInt8;
  const Workload own = build_workload(m, s);
  const Op& head = find(own, "decode", 0, "lm_head");
  EXPECT_EQ(head.b_format, Format::kInt8);
  EXPECT_EQ(head.b_bytes(head.k * head.n), table);  // one byte a weight, no scales
  EXPECT_EQ(find(own, "decode", 0, "L0.q_proj").b_format, Format::kInt4);
  // Tied, but in another format than the int4 token table: a second copy, one byte a weight.
  EXPECT_EQ(own.footprint.weight_bytes, same.footprint.weight_bytes + table);

  // With group scales: one fp16 scale per 32 weights of the head too (8.5 bits a weight).
  s.weight_group = 32;
  const Workload grouped = build_workload(m, s);
  const Op& g = find(grouped, "decode", 0, "lm_head");
  EXPECT_EQ(g.b_group, 32u);
  EXPECT_EQ(g.b_bytes(g.k * g.n), table + table / 32 * 2);
  // A float head has no scales, and in the weights' own format nothing changes.
  s.lm_head_weights = Format::kFp16;
  EXPECT_EQ(find(build_workload(m, s), "decode", 0, "lm_head").b_group, 0u);
  s.weights = Format::kFp16;
  EXPECT_EQ(build_workload(m, s).footprint.weight_bytes, 2 * m.parameters());

  // Untied (Llama-2-7B): the head changes format in place, 32,000 x 4,096 from 4.5 to 8.5 bits.
  const ModelConfig l2 = model("llama-2-7b");
  RunSpec u;
  u.phase = Phase::kPrefill;
  u.weights = Format::kInt4;
  const uint64_t head2 = 32000 * uint64_t{4096};
  const uint64_t before = build_workload(l2, u).footprint.weight_bytes;
  u.lm_head_weights = Format::kInt8;
  EXPECT_EQ(build_workload(l2, u).footprint.weight_bytes, before + head2 * 8 / 16);
}

TEST(Transformer, PeakActivationIsTheLargestOpsDramTensors) {
  const ModelConfig m = model("llama-2-7b");
  RunSpec s;
  s.prompt = 128;
  s.tokens = 4;
  // ffn_mul reads two 128 x 11008 fp16 tensors and writes a third.
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.footprint.peak_activation_bytes, uint64_t{3} * 128 * 11008 * 2);
  EXPECT_EQ(w.footprint.peak_activation_op, "L0.ffn_mul (prefill)");
  // With the LM head for every position: its input 128 x 4096 and its logits 128 x 32000.
  s.lm_head_all_positions = true;
  const Workload all = build_workload(m, s);
  EXPECT_EQ(all.footprint.peak_activation_bytes, uint64_t{128} * 4096 * 2 + 128 * 32000 * 2);
  EXPECT_EQ(all.footprint.peak_activation_op, "lm_head (prefill)");
}

// ---------------------------------------------------------------------------------------------
// Attention: KV lengths, masks, standard vs flash

TEST(Transformer, DecodeKvLengthGrowsByOnePerStep) {
  const ModelConfig m = model("llama-3.2-1b");  // 32 heads, 8 KV heads, hd 64
  RunSpec s;
  s.prompt = 40;
  s.tokens = 5;
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.context, 40u);  // defaults to the prompt
  EXPECT_EQ(w.max_kv_length, 45u);
  const Op& pre = find(w, "prefill", 0, "L0.attention");
  EXPECT_EQ(pre.n, 40u);
  EXPECT_EQ(pre.m, 4u * 40);
  EXPECT_TRUE(pre.causal);
  for (uint32_t t = 0; t < 5; ++t) {
    const Op& a = find(w, "decode", t, "L7.attention");
    EXPECT_EQ(a.n, 40u + t + 1);
    EXPECT_EQ(a.m, 4u);  // g x 1 query position
    EXPECT_EQ(a.batch, 8u);
    EXPECT_EQ(find(w, "decode", t, "lm_head").m, 1u);
    EXPECT_EQ(find(w, "decode", t, "L7.q_proj").m, 1u);
  }
  // Decode alone, an explicit context.
  s.phase = Phase::kDecode;
  s.context = 1000;
  s.batch = 4;
  const Workload d = build_workload(m, s);
  EXPECT_EQ(d.prefill_ops, 0u);
  EXPECT_EQ(d.prefill_tokens, 0u);
  EXPECT_EQ(find(d, "decode", 0, "L0.attention").n, 1001u);
  EXPECT_EQ(find(d, "decode", 4, "L0.attention").n, 1005u);
  EXPECT_EQ(find(d, "decode", 4, "L0.attention").batch, 4u * 8);
  EXPECT_EQ(find(d, "decode", 4, "L0.q_proj").m, 4u);
  EXPECT_EQ(d.decode_tokens, 4u * 5);
}

TEST(Transformer, PrefillAfterCachedPositionsAttendsToAllOfThem) {
  const ModelConfig m = model("llama-3.2-1b");  // 32 heads, 8 KV heads (g = 4), hd 64
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 128;
  const Workload empty = build_workload(m, s);
  s.context = 3968;  // a 128-token chunk at the end of a 4096-position cache
  const Workload w = build_workload(m, s);
  EXPECT_EQ(w.context, 3968u);
  EXPECT_EQ(w.max_kv_length, 4096u);
  EXPECT_EQ(w.prefill_tokens, 128u);
  EXPECT_EQ(w.ops.size(), empty.ops.size());  // the same graph, longer attention
  const Op& a = find(w, "prefill", 0, "L3.attention");
  EXPECT_EQ(a.m, 4u * 128);  // g x P query rows
  EXPECT_EQ(a.n, 4096u);     // C + P keys; causal: position p sees C + p + 1 of them
  EXPECT_TRUE(a.causal);
  EXPECT_EQ(find(empty, "prefill", 0, "L3.attention").n, 128u);
  // Projections and the FFN do not change; the cache grows by the prompt's 128 positions.
  EXPECT_TRUE(same_op(find(w, "prefill", 0, "L3.ffn_up"), find(empty, "prefill", 0, "L3.ffn_up")));
  EXPECT_EQ(w.footprint.kv_cache_bytes, 2u * 16 * 8 * 64 * 4096 * 2);  // K,V x layers x kv x hd
  // Causal over an offset: the last of the 128 queries sees all 4096 keys, the first 3969.
  EXPECT_EQ(a.macs(), 2u * 8 * 4 * 64 * (128 * 3968 + 128 * 129 / 2));
}

TEST(Transformer, StandardScoresGrowWithNSquaredFlashKvWithN) {
  const ModelConfig m = model("llama-3.2-1b");  // 32 heads, 8 KV heads, hd 64
  // Standard prefill, no SRAM to keep scores: scores B x heads x P x P in DRAM, twice (written
  // by scores, read and written by softmax, read by attn_v).
  const auto score_bytes = [&](uint64_t P) {
    RunSpec s;
    s.phase = Phase::kPrefill;
    s.prompt = P;
    s.attention = AttentionImpl::kStandard;
    const Workload w = build_workload(m, s, 0);
    const Op& sc = find(w, "prefill", 0, "L0.scores");
    const Op& sm = find(w, "prefill", 0, "L0.softmax");
    const Op& av = find(w, "prefill", 0, "L0.attn_v");
    EXPECT_EQ(sc.c_loc, Location::kDram);
    EXPECT_EQ(sm.a_loc, Location::kDram);
    EXPECT_EQ(sm.c_loc, Location::kDram);
    EXPECT_EQ(av.a_loc, Location::kDram);
    EXPECT_EQ(sc.batch, 8u);
    EXPECT_EQ(sc.m, 4 * P);
    EXPECT_EQ(sc.k, 64u);
    EXPECT_EQ(sc.n, P);
    EXPECT_EQ(sc.b_group, 0u);
    EXPECT_EQ(sm.rows, 32 * P);
    EXPECT_EQ(sm.cols, P);
    EXPECT_EQ(av.k, P);
    EXPECT_EQ(av.n, 64u);
    const uint64_t c = bytes_of(sc.batch * sc.m * sc.n, sc.c_format);
    EXPECT_EQ(c, 32 * P * P * 2);
    return c + bytes_of(sm.rows * sm.cols, sm.a_format) + bytes_of(sm.rows * sm.cols, sm.c_format) +
           bytes_of(av.batch * av.m * av.k, av.a_format);
  };
  EXPECT_DOUBLE_EQ(static_cast<double>(score_bytes(512)) / static_cast<double>(score_bytes(256)),
                   4.0);

  // Flash decode: K and V of every KV head read once per step: 2 x B x kv_heads x n x hd.
  const auto kv_bytes = [&](uint64_t context) {
    RunSpec s;
    s.phase = Phase::kDecode;
    s.context = context;
    s.tokens = 1;
    const Workload w = build_workload(m, s);
    const Op& a = find(w, "decode", 0, "L0.attention");
    const uint64_t b = bytes_of(2 * a.batch * a.n * a.k, a.b_format);
    EXPECT_EQ(b, 2 * 8 * (context + 1) * 64 * 2);
    return b;
  };
  EXPECT_DOUBLE_EQ(static_cast<double>(kv_bytes(2047)) / static_cast<double>(kv_bytes(1023)), 2.0);

  // Scores that fit on chip stay there: 32 heads x 64 x 64 x 2 bytes = 256 KiB.
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 64;
  s.attention = AttentionImpl::kStandard;
  uint64_t onchip = 32 * 64 * 64 * 2;
  Workload w = build_workload(m, s, onchip);
  EXPECT_EQ(find(w, "prefill", 0, "L0.scores").c_loc, Location::kSram);
  EXPECT_EQ(find(w, "prefill", 0, "L0.softmax").a_loc, Location::kSram);
  EXPECT_EQ(find(w, "prefill", 0, "L0.softmax").c_loc, Location::kSram);
  EXPECT_EQ(find(w, "prefill", 0, "L0.attn_v").a_loc, Location::kSram);
  EXPECT_EQ(find(w, "prefill", 0, "L0.attn_v").c_loc, Location::kDram);
  onchip -= 1;
  w = build_workload(m, s, onchip);
  EXPECT_EQ(find(w, "prefill", 0, "L0.scores").c_loc, Location::kDram);
}

TEST(Transformer, EncoderHasNoLmHeadAndCannotDecode) {
  const ModelConfig m = model("bert-base");
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 128;
  const Workload w = build_workload(m, s);
  for (const Op& op : w.ops) {
    EXPECT_NE(op.name, "lm_head");
    EXPECT_NE(op.name, "final_norm");
    EXPECT_EQ(op.phase, "prefill");
  }
  // Post-norm: embed, pos_embed, embed_norm; each layer normalises after its residuals.
  EXPECT_EQ(names(select(w, "prefill", 0, "")),
            (std::vector<std::string>{"embed", "pos_embed", "embed_norm"}));
  const std::vector<std::string> layer0 = {"L0.q_proj",    "L0.k_proj",       "L0.v_proj",
                                           "L0.attention", "L0.o_proj",       "L0.residual_attn",
                                           "L0.attn_norm", "L0.ffn_up",       "L0.ffn_gelu",
                                           "L0.ffn_down",  "L0.residual_ffn", "L0.ffn_norm"};
  EXPECT_EQ(names(select(w, "prefill", 0, "0")), layer0);
  EXPECT_EQ(w.ops.back().name, "L11.ffn_norm");
  const Op& a = find(w, "prefill", 0, "L0.attention");
  EXPECT_FALSE(a.causal);
  EXPECT_EQ(a.n, 128u);
  EXPECT_EQ(w.footprint.kv_cache_bytes, 0u);
  EXPECT_EQ(w.decode_steps, 0u);

  for (Phase p : {Phase::kDecode, Phase::kBoth}) {
    s.phase = p;
    try {
      build_workload(m, s);
      ADD_FAILURE() << "an encoder decoded";
    } catch (const WorkloadError& e) {
      EXPECT_EQ(e.setting(), RunField::kPhase);
    }
  }
}

TEST(Transformer, AnEncodersMaskedLmHeadRunsOverEveryPosition) {
  // BertForMaskedLM over 384 tokens: after the last layer, the transform (384 x 768 x 768), GELU,
  // LayerNorm and the tied decoder (384 x 768 x 30,522), each reading the op before it.
  const ModelConfig m = model("bert-base");
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 384;
  s.weights = Format::kInt8;
  s.weight_group = 0;
  const Workload body = build_workload(m, s);
  s.lm_head_all_positions = true;
  const Workload w = build_workload(m, s);
  ASSERT_EQ(w.ops.size(), body.ops.size() + 4);
  const std::vector<std::string> head = {"mlm_transform", "mlm_gelu", "mlm_norm", "lm_head"};
  for (size_t i = 0; i < head.size(); ++i) {
    const Op& op = w.ops[body.ops.size() + i];
    EXPECT_EQ(op.name, head[i]);
    EXPECT_EQ(op.a_from, 1u) << op.name;  // the op before it
  }
  const Op& t = find(w, "prefill", 0, "mlm_transform");
  EXPECT_EQ(t.m * t.k * t.n, uint64_t{384} * 768 * 768);
  const Op& d = find(w, "prefill", 0, "lm_head");
  EXPECT_EQ(d.m * d.k * d.n, uint64_t{384} * 768 * 30522);
  EXPECT_EQ(find(w, "prefill", 0, "mlm_norm").kind, OpKind::kLayerNorm);
  // The transform's 768 x 768 int8 weights and its LayerNorm's 2 x 768 fp16 parameters; the
  // decoder is the token table.
  EXPECT_EQ(w.footprint.weight_bytes, body.footprint.weight_bytes + 768 * 768 + 2 * 768 * 2);

  // Without the head, an encoder's LM head format has nothing to change: refused.
  s.lm_head_all_positions = false;
  s.lm_head_weights = Format::kInt8;
  try {
    build_workload(m, s);
    ADD_FAILURE() << "an encoder without a head took its format";
  } catch (const WorkloadError& e) {
    EXPECT_EQ(e.setting(), RunField::kLmHeadWeights);
  }
}

// ---------------------------------------------------------------------------------------------
// Bad runs

void expect_error(const ModelConfig& m, const RunSpec& s, RunField setting,
                  const std::string& text = "") {
  const std::string name(run_field_name(setting));
  try {
    build_workload(m, s);
    ADD_FAILURE() << "no error; expected one naming " << name;
  } catch (const WorkloadError& e) {
    EXPECT_EQ(e.setting(), setting) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(name + ": ", 0), 0u) << e.what();
    if (!text.empty()) {
      EXPECT_NE(e.message().find(text), std::string::npos) << e.what();
    }
  }
}

TEST(Transformer, BadRunsNameTheSetting) {
  const ModelConfig m = model("llama-2-7b");  // max_context 4096
  RunSpec s;

  RunSpec r = s;
  r.prompt = 0;
  expect_error(m, r, RunField::kPrompt);
  r.prompt = 4097;
  expect_error(m, r, RunField::kPrompt,
               "prompt P = 4097 exceeds llama-2-7b's maximum of 4096 positions");
  r = s;
  r.tokens = 0;
  expect_error(m, r, RunField::kTokens);
  r = s;
  r.batch = 0;
  expect_error(m, r, RunField::kBatch);
  r.batch = kMaxBatch + 1;
  expect_error(m, r, RunField::kBatch);
  r = s;
  r.phase = Phase::kDecode;
  r.context = 4000;
  r.tokens = 100;
  expect_error(m, r, RunField::kTokens,
               "context C + T = 4000 + 100 = 4100 exceeds llama-2-7b's maximum of 4096 positions");
  r.context = 5000;
  r.tokens = 1;
  expect_error(m, r, RunField::kContext);
  r = s;
  r.phase = Phase::kBoth;
  r.prompt = 4000;
  r.tokens = 200;  // the context defaults to the prompt
  expect_error(m, r, RunField::kTokens, "context C + T = 4000 + 200 = 4200");
  r = s;
  r.context = 77;  // both phases: the context is the prompt
  expect_error(m, r, RunField::kContext);
  r.phase = Phase::kPrefill;  // prefill after 77 cached positions: valid, up to the maximum
  r.prompt = 4096 - 77;
  EXPECT_EQ(build_workload(m, r).max_kv_length, 4096u);
  r.prompt += 1;
  expect_error(m, r, RunField::kContext,
               "context C + prompt P = 77 + 4020 exceeds llama-2-7b's maximum");
  r.prompt = 16;
  expect_error(model("bert-base"), r, RunField::kContext, "bert-base is an encoder (no KV cache)");

  r = s;
  r.weights = Format::kFp32;
  expect_error(m, r, RunField::kWeights);
  r.weights = Format::kInt32;
  expect_error(m, r, RunField::kWeights);
  r = s;
  r.lm_head_weights = Format::kFp32;
  expect_error(m, r, RunField::kLmHeadWeights);
  r = s;
  r.activations = Format::kInt4;
  expect_error(m, r, RunField::kActivations);
  r.activations = Format::kFp32;
  expect_error(m, r, RunField::kActivations);
  r = s;
  r.kv = Format::kInt4;
  expect_error(m, r, RunField::kKv);
  r = s;
  r.weight_group = kMaxWeightGroup + 1;
  expect_error(m, r, RunField::kWeightGroup);
  r = s;
  r.phase = Phase::kDecode;  // every position's logits: an opt-in of the prefill
  r.lm_head_all_positions = true;
  expect_error(m, r, RunField::kLmHeadAll, "this run has no prefill");
  r.phase = Phase::kBoth;
  EXPECT_NO_THROW(build_workload(m, r));

  // Caps: positions beyond 2^24 (a model allowing more), too many ops, too large an op.
  ModelConfig big = model("llama-3.2-1b");
  big.max_context = uint32_t{1} << 27;
  r = s;
  r.phase = Phase::kPrefill;
  r.prompt = kMaxPositions + 1;
  expect_error(big, r, RunField::kPrompt);
  r = s;
  r.phase = Phase::kDecode;
  r.context = kMaxPositions + 1;
  r.tokens = 1;
  expect_error(big, r, RunField::kContext);
  r.context = 10;
  r.tokens = kMaxPositions + 1;
  expect_error(big, r, RunField::kTokens);
  r.tokens = 100000;  // 100,000 steps of 16 layers x 16 + 3 ops
  expect_error(big, r, RunField::kTokens, "over the cap of 2000000");
  r = s;
  r.phase = Phase::kPrefill;
  r.batch = kMaxBatch;
  r.prompt = 131072;  // 2^29 rows x 2048 x 8192 MACs in the FFN
  expect_error(big, r, RunField::kPrompt, "over the cap of 2^56");

  ModelConfig broken = m;
  broken.kv_heads = 5;
  expect_error(broken, s, RunField::kModel);
}

TEST(Transformer, NamesOfTheEnums) {
  EXPECT_EQ(parse_phase("prefill"), Phase::kPrefill);
  EXPECT_EQ(parse_phase("decode"), Phase::kDecode);
  EXPECT_EQ(parse_phase("both"), Phase::kBoth);
  EXPECT_FALSE(parse_phase("Both").has_value());
  EXPECT_EQ(parse_attention_impl("flash"), AttentionImpl::kFlash);
  EXPECT_EQ(parse_attention_impl("standard"), AttentionImpl::kStandard);
  EXPECT_FALSE(parse_attention_impl("paged").has_value());
  EXPECT_EQ(phase_name(Phase::kDecode), "decode");
  EXPECT_EQ(attention_impl_name(AttentionImpl::kStandard), "standard");
}

}  // namespace
}  // namespace npu
