// Sliding-window attention (Mistral v0.1, Phi-3, Gemma's local layers): each query sees only the
// latest W of its keys, and a sliding layer's KV cache is a ring buffer of W positions. Checked by
// hand: the keys and MACs of a windowed attention op, a decode step's keys and the cache once the
// context passes the window, which layers slide with global_every, and the inputs that carry it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config/loaders.h"
#include "sim/config/model_loader.h"
#include "sim/config/trace_writer.h"
#include "temp_files.h"
#include "workloads/transformer.h"

namespace npu {
namespace {

/// One attention group: 4 query positions after 2 cached keys (n = 6), head dim 8.
Op attention_op(uint64_t window) {
  Op op;
  op.name = "a";
  op.kind = OpKind::kAttention;
  op.m = 4;
  op.n = 6;
  op.k = 8;
  op.causal = true;
  op.window = window;
  op.a_format = op.b_format = op.c_format = Format::kFp16;
  return op;
}

TEST(SlidingWindow, AnAttentionOpReadsOnlyTheWindowsKeys) {
  // Position p sees keys [0, 2 + p + 1): 3, 4, 5, 6 keys; with a window of 3, 3 each.
  const Op full = attention_op(0), window = attention_op(3);
  EXPECT_EQ(full.macs(), 2u * 8 * (3 + 4 + 5 + 6));
  EXPECT_EQ(window.macs(), 2u * 8 * (3 + 3 + 3 + 3));
  // The keys a block of positions reads: from its first position's window start to its last
  // position's key. Positions [0, 4): keys [0, 6); [2, 4): keys [2, 6).
  EXPECT_EQ(attention_keys(full, 0, 4), 6u);
  EXPECT_EQ(attention_keys(window, 0, 4), 6u);
  EXPECT_EQ(attention_keys(window, 2, 4), 4u);
  EXPECT_EQ(attention_keys(window, 3, 4), 3u);
  EXPECT_EQ(attention_keys(full, 3, 4), 6u);
  // A window wider than every position's keys changes nothing.
  EXPECT_EQ(attention_op(6).macs(), full.macs());
  // The window is part of what makes ops alike (the replay key).
  EXPECT_NE(op_signature(full), op_signature(window));
}

ModelConfig tiny(uint32_t layers, uint32_t window, uint32_t global_every) {
  ModelConfig m;
  m.name = "tiny";
  m.layers = layers;
  m.d_model = 64;
  m.heads = 2;
  m.kv_heads = 1;
  m.head_dim = 32;
  m.ffn_dim = 128;
  m.vocab = 256;
  m.max_context = 4096;
  m.sliding_window = window;
  m.global_every = global_every;
  return m;
}

std::vector<const Op*> attentions(const Workload& w, const std::string& phase) {
  std::vector<const Op*> out;
  for (const Op& op : w.ops)
    if (op.kind == OpKind::kAttention && op.phase == phase) out.push_back(&op);
  return out;
}

TEST(SlidingWindow, DecodeReadsTheWindowAndTheCacheStopsGrowing) {
  RunSpec s;
  s.phase = Phase::kDecode;
  s.context = 100;
  s.tokens = 4;
  const Workload w = build_workload(tiny(1, 64, 0), s);
  // Every step attends to the latest 64 positions (the context is past the window): the same op,
  // step after step.
  const auto att = attentions(w, "decode");
  ASSERT_EQ(att.size(), 4u);
  for (const Op* op : att) {
    EXPECT_EQ(op->n, 64u);
    EXPECT_EQ(op->window, 0u);  // one query: all n keys are the window's
    EXPECT_EQ(op_signature(*op), op_signature(*att[0]));
  }
  // The ring buffer: 2 (K and V) x 32 (kv_dim) x 64 positions x 2 bytes (fp16).
  EXPECT_EQ(w.footprint.kv_cache_bytes, 2u * 32 * 64 * 2);
  // Without the window: 104 positions at the end.
  EXPECT_EQ(build_workload(tiny(1, 0, 0), s).footprint.kv_cache_bytes, 2u * 32 * 104 * 2);
  // Before the window fills, a step reads its whole context.
  s.context = 10;
  const Workload early = build_workload(tiny(1, 64, 0), s);
  EXPECT_EQ(attentions(early, "decode")[0]->n, 11u);
}

TEST(SlidingWindow, GlobalEveryLeavesEveryNthLayerAttendingToAll) {
  // Gemma 2's alternation: layers 0 and 2 slide, 1 and 3 attend globally.
  RunSpec s;
  s.phase = Phase::kPrefill;
  s.prompt = 200;
  const Workload w = build_workload(tiny(4, 64, 2), s);
  const auto att = attentions(w, "prefill");
  ASSERT_EQ(att.size(), 4u);
  for (size_t l = 0; l < att.size(); ++l) {
    SCOPED_TRACE(l);
    EXPECT_EQ(att[l]->n, 200u);
    EXPECT_EQ(att[l]->window, l % 2 == 0 ? 64u : 0u);
  }
  const ModelConfig m = tiny(4, 64, 2);
  EXPECT_TRUE(m.slides(0));
  EXPECT_FALSE(m.slides(1));
  EXPECT_TRUE(m.slides(2));
  EXPECT_FALSE(m.slides(3));
  // Two sliding layers of 64 positions and two global ones of 200 in the cache.
  EXPECT_EQ(w.footprint.kv_cache_bytes, 2u * 32 * (64 + 200 + 64 + 200) * 2);
}

class SlidingWindowFiles : public testing::TempFileTest {};

TEST_F(SlidingWindowFiles, ModelYamlAndTracesCarryTheWindow) {
  const std::string base =
      "name: t\nlayers: 2\nd_model: 64\nheads: 2\nkv_heads: 1\nffn_dim: 128\nffn_kind: swiglu\n"
      "vocab: 256\nnorm: rmsnorm\npos: rope\ntied_embeddings: true\nmax_context: 4096\n";
  const ModelConfig m = load_model(write(base + "sliding_window: 512\nglobal_every: 2\n"));
  EXPECT_EQ(m.sliding_window, 512u);
  EXPECT_EQ(m.global_every, 2u);
  expect_config_error(load_model, base + "global_every: 2\n", "13:15: global_every",
                      "it needs sliding_window");
  expect_config_error(load_model, base + "causal: false\nsliding_window: 8\n",
                      "14:17: sliding_window", "a sliding window needs a causal model");

  // A trace's attention op takes `window` (with causal: true), and the writer writes it back.
  const std::string trace =
      write("ops:\n  - {name: a, kind: attention, m: 4, k: 8, n: 6, causal: true, window: 3}\n");
  const std::vector<Op> ops = load_trace(trace);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].window, 3u);
  EXPECT_EQ(load_trace(write(trace_yaml(ops, "w")))[0].window, 3u);
  expect_config_error(load_trace,
                      "ops:\n  - {name: a, kind: attention, m: 4, k: 8, n: 6, window: 3}\n",
                      "2:58: ops[0].window", "a sliding window needs causal: true");
}

}  // namespace
}  // namespace npu
