// Trace I/O: trace_yaml / write_trace write ops that load_trace reads back field by field (every
// kind, every field, awkward names), and the trace keys of the transformer kinds (rope, gather,
// attention, b_group, phase, step) fail with `file:line:col: key.path: message` when wrong.
// Line and column are counted by hand from the YAML strings below (1-based; line numbers beside).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config/loaders.h"
#include "sim/config/trace_writer.h"
#include "sim/output_set.h"
#include "temp_files.h"
#include "workloads/op.h"

namespace npu {
namespace {

using testing::edit_once;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Expects every field but src_* of `got` to equal `want`'s, naming the op and field otherwise.
void expect_same_op(const Op& want, const Op& got) {
  SCOPED_TRACE("op '" + want.name + "'");
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.m, want.m);
  EXPECT_EQ(got.k, want.k);
  EXPECT_EQ(got.n, want.n);
  EXPECT_EQ(got.batch, want.batch);
  EXPECT_EQ(got.b_group, want.b_group);
  EXPECT_EQ(got.group, want.group);
  EXPECT_EQ(got.causal, want.causal);
  EXPECT_EQ(got.a_format, want.a_format);
  EXPECT_EQ(got.b_format, want.b_format);
  EXPECT_EQ(got.c_format, want.c_format);
  EXPECT_EQ(got.a_loc, want.a_loc);
  EXPECT_EQ(got.b_loc, want.b_loc);
  EXPECT_EQ(got.c_loc, want.c_loc);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.cols, want.cols);
  EXPECT_EQ(got.layer, want.layer);
  EXPECT_EQ(got.op_class, want.op_class);
  EXPECT_EQ(got.phase, want.phase);
  EXPECT_EQ(got.step, want.step);
  EXPECT_TRUE(same_op(want, got));
}

Op matrix(std::string name, OpKind kind, uint64_t m, uint64_t k, uint64_t n, Format f) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.m = m, op.k = k, op.n = n;
  op.a_format = op.b_format = op.c_format = f;
  return op;
}

Op vector_op(std::string name, OpKind kind, uint64_t rows, uint64_t cols) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.rows = rows, op.cols = cols;
  op.a_format = op.b_format = op.c_format = Format::kFp16;
  return op;
}

/// Every kind and every field away from its default somewhere, with awkward names and tags.
std::vector<Op> every_kind_and_field() {
  std::vector<Op> ops;
  Op g = matrix("L0.q_proj: W#1", OpKind::kGemm, 128, 4096, 1024, Format::kInt8);
  g.batch = 3;
  g.b_group = 32;
  g.b_format = Format::kInt4;
  g.c_format = Format::kFp16;
  g.a_loc = g.b_loc = g.c_loc = Location::kSram;
  g.layer = "0";
  g.op_class = "projection";
  g.phase = "prefill";
  ops.push_back(g);
  ops.push_back(matrix("plain", OpKind::kGemm, 4, 8, 16, Format::kInt8));      // all defaults
  ops.push_back(matrix("fp16 gemm", OpKind::kGemm, 4, 8, 16, Format::kFp16));  // shorthand
  Op mixed = matrix("mixed", OpKind::kGemm, 1, 2, 3, Format::kBf16);
  mixed.a_format = Format::kFp8;
  ops.push_back(mixed);

  Op att = matrix("L12.attention", OpKind::kAttention, 4 * 16, 64, 40, Format::kFp16);
  att.batch = 8;
  att.group = 4;
  att.causal = true;
  att.b_format = Format::kInt8;
  att.c_format = Format::kBf16;
  att.a_loc = att.c_loc = Location::kSram;
  att.b_loc = Location::kDram;
  att.layer = "12";
  att.op_class = "attention";
  att.phase = "decode";
  att.step = 7;
  ops.push_back(att);
  Op att_b = matrix("attention, plain", OpKind::kAttention, 16, 128, 16, Format::kFp16);
  att_b.b_loc = Location::kSram;
  ops.push_back(att_b);

  Op add = vector_op("residual: 'x' + \"y\"", OpKind::kAdd, 128, 1024);
  add.b_format = Format::kBf16;
  add.b_loc = Location::kSram;
  add.c_format = Format::kFp32;
  add.layer = "layer #3";
  add.op_class = "norm vector";
  ops.push_back(add);
  Op mul = vector_op("mul\twith\ttabs\nand a newline", OpKind::kMul, 7, 9);
  mul.a_format = mul.b_format = mul.c_format = Format::kInt8;  // one shorthand for all three
  ops.push_back(mul);
  Op softmax = vector_op("softmax", OpKind::kSoftmax, 2048, 128);
  softmax.a_loc = softmax.c_loc = Location::kSram;
  ops.push_back(softmax);
  Op ln = vector_op("- leading dash", OpKind::kLayerNorm, 1, 1);
  ln.a_format = ln.b_format = Format::kBf16;  // single input: b_format follows a_format
  ops.push_back(ln);
  ops.push_back(vector_op("null", OpKind::kRmsNorm, 2, 3));
  ops.push_back(vector_op("~", OpKind::kGelu, 2, 3));
  ops.push_back(vector_op("héllo wörld \\ back", OpKind::kSilu, 2, 3));
  Op rope = vector_op("[rope] {q} &a *b !c %d @e `f` ?g |h >i", OpKind::kRope, 16, 128);
  rope.step = 4294967295u;  // the largest step, without a phase
  rope.phase = "decode";
  ops.push_back(rope);
  Op gather = vector_op("embed", OpKind::kGather, 128, 4096);
  gather.a_format = gather.b_format = Format::kInt4;  // the table in the weights format
  gather.c_format = Format::kFp16;
  gather.c_loc = Location::kSram;
  gather.layer = "true";
  gather.op_class = " spaced ";
  ops.push_back(gather);
  ops.push_back(vector_op("3", OpKind::kAdd, 1, 1));
  // The same name again in other phases and steps (a generated workload's decode steps).
  Op again = vector_op("embed", OpKind::kGather, 1, 4096);
  again.phase = "decode";
  ops.push_back(again);
  again.step = 1;
  ops.push_back(again);
  return ops;
}

class TraceIo : public testing::TempFileTest {
 protected:
  void expect_trace_error(const std::string& text, const std::string& where,
                          const std::string& fragment) {
    expect_config_error([](const std::string& p) { load_trace(p); }, text, where, fragment);
  }
};

using TraceIoErrors = TraceIo;

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_F(TraceIo, EveryKindAndFieldRoundTrips) {
  const std::vector<Op> ops = every_kind_and_field();
  const std::string file = path("every.yaml");
  write_file_atomic(file, trace_yaml(ops, "every kind: and #field"));
  EXPECT_EQ(read_file(file), trace_yaml(ops, "every kind: and #field"));
  // Atomic: the trace and nothing else (no temporary left behind).
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir())) ++files;
  EXPECT_EQ(files, 1u);

  const std::vector<Op> back = load_trace(file);
  ASSERT_EQ(back.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    expect_same_op(ops[i], back[i]);
    EXPECT_EQ(back[i].src_file, file);
    EXPECT_EQ(back[i].src_key, "ops[" + std::to_string(i) + "]");
  }
  // One op per line, after the comment, the name and `ops:`.
  EXPECT_EQ(back[0].src_line, 4);
  EXPECT_EQ(back.back().src_line, static_cast<int>(3 + ops.size()));
  // Written again from what was read, the text is the same.
  EXPECT_EQ(trace_yaml(back, "every kind: and #field"), read_file(file));
}

TEST_F(TraceIo, WritesOnlyKeysAwayFromTheDefaults) {
  std::vector<Op> ops;
  ops.push_back(matrix("g", OpKind::kGemm, 4, 8, 16, Format::kInt8));
  ops.push_back(matrix("h", OpKind::kGemm, 4, 8, 16, Format::kFp16));
  Op att = matrix("L0.attention", OpKind::kAttention, 8, 64, 16, Format::kFp16);
  att.group = 2;
  att.causal = true;
  att.b_format = Format::kInt8;
  ops.push_back(att);
  Op s = vector_op("s", OpKind::kSoftmax, 4, 16);
  s.a_loc = Location::kSram;
  s.phase = "decode";
  s.step = 2;
  ops.push_back(s);
  Op q = matrix("L1.q_proj: x", OpKind::kGemm, 1, 2, 3, Format::kFp16);
  q.b_format = Format::kInt4;
  q.b_group = 32;
  q.layer = "1";
  ops.push_back(q);
  EXPECT_EQ(trace_yaml(ops, ""),
            "# Op trace (schema: configs/SCHEMA.md), 5 ops, one per line; keys at their defaults "
            "are left out.\n"
            "ops:\n"
            "  - {name: g, kind: gemm, m: 4, k: 8, n: 16}\n"
            "  - {name: h, kind: gemm, m: 4, k: 8, n: 16, format: fp16}\n"
            "  - {name: L0.attention, kind: attention, m: 8, k: 64, n: 16, group: 2, causal: "
            "true, b_format: int8}\n"
            "  - {name: s, kind: softmax, rows: 4, cols: 16, a: sram, phase: decode, step: 2}\n"
            "  - {name: \"L1.q_proj: x\", kind: gemm, m: 1, k: 2, n: 3, b_group: 32, format: "
            "fp16, b_format: int4, layer: 1}\n");
}

TEST_F(TraceIo, ManyOpsStayCompact) {
  // 20 decode steps of 1000 ops whose names repeat in every step (20k ops: yaml-cpp's parse,
  // which dominates, keeps this at a second or two).
  std::vector<Op> ops;
  ops.reserve(20'000);
  for (uint32_t step = 0; step < 20; ++step)
    for (int i = 0; i < 1000; ++i) {
      Op op = i % 2 ? matrix("L" + std::to_string(i / 2) + ".ffn_up", OpKind::kGemm, 1, 4096, 14336,
                             Format::kFp16)
                    : vector_op("L" + std::to_string(i / 2) + ".ffn_silu", OpKind::kSilu, 1, 14336);
      if (i % 2) {
        op.b_format = Format::kInt4;
        op.b_group = 32;
      }
      op.layer = std::to_string(i / 2);
      op.op_class = "ffn";
      op.phase = "decode";
      op.step = step;
      ops.push_back(op);
    }
  const std::string file = path("big.yaml");
  write_file_atomic(file, trace_yaml(ops, "big"));
  EXPECT_LT(std::filesystem::file_size(file), 160u * ops.size());  // about 130 bytes an op
  const std::vector<Op> back = load_trace(file);
  ASSERT_EQ(back.size(), ops.size());
  size_t differ = 0;
  for (size_t i = 0; i < ops.size(); ++i) differ += !same_op(ops[i], back[i]);
  EXPECT_EQ(differ, 0u);
}

TEST_F(TraceIo, RejectsOpsTheFormatCannotExpress) {
  auto expect_rejected = [](Op op, const std::string& fragment) {
    try {
      trace_yaml({op}, "t");
      ADD_FAILURE() << "no error; expected " << fragment;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  Op g = matrix("g", OpKind::kGemm, 1, 1, 1, Format::kInt8);
  Op v = vector_op("v", OpKind::kSoftmax, 1, 2);
  Op x = g;
  x.rows = 3;
  expect_rejected(x, "ops[0] 'g' (gemm): rows or cols is set");
  x = g;
  x.group = 2;
  expect_rejected(x, "group, causal, window, kv_block or softcap is set");
  x = v;
  x.batch = 2;
  expect_rejected(x, "m, k, n or batch is set");
  x = v;
  x.b_format = Format::kInt8;
  expect_rejected(x, "b_format differs from a_format");
  x = v;
  x.b_loc = Location::kSram;
  expect_rejected(x, "b is sram");
  x = v;
  x.b_group = 32;
  expect_rejected(x, "b_group is set");
  x = v;
  x.name.clear();
  expect_rejected(x, "the name is empty");
  EXPECT_THROW(trace_yaml({}, "t"), std::invalid_argument);
}

TEST_F(TraceIo, UnwritablePathThrows) {
  const std::vector<Op> ops = {matrix("g", OpKind::kGemm, 1, 1, 1, Format::kInt8)};
  EXPECT_THROW(write_file_atomic(path("no/such/folder/t.yaml"), trace_yaml(ops, "t")),
               std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Bad traces: the transformer kinds and keys

// A valid trace using the new kinds and keys. Line numbers on the right.
const std::string kTrace =
    "ops:\n"                 // 1
    "  - name: g\n"          // 2
    "    kind: gemm\n"       // 3
    "    m: 4\n"             // 4
    "    k: 8\n"             // 5
    "    n: 32\n"            // 6
    "  - name: att\n"        // 7
    "    kind: attention\n"  // 8
    "    batch: 2\n"         // 9
    "    m: 8\n"             // 10
    "    n: 16\n"            // 11
    "    k: 64\n"            // 12
    "    group: 2\n"         // 13
    "    causal: true\n"     // 14
    "  - name: r\n"          // 15
    "    kind: rope\n"       // 16
    "    rows: 4\n"          // 17
    "    cols: 16\n"         // 18
    "  - name: e\n"          // 19
    "    kind: gather\n"     // 20
    "    rows: 4\n"          // 21
    "    cols: 24\n"         // 22
    "    phase: decode\n"    // 23
    "    step: 3\n";         // 24

TEST_F(TraceIoErrors, BaseTraceLoads) {
  const std::vector<Op> ops = load_trace(write(kTrace));
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[1].kind, OpKind::kAttention);
  EXPECT_EQ(ops[1].batch, 2u);
  EXPECT_EQ(ops[1].group, 2u);
  EXPECT_TRUE(ops[1].causal);
  EXPECT_EQ(ops[1].a_format, Format::kFp16);  // attention's default format
  EXPECT_EQ(ops[1].b_format, Format::kFp16);
  EXPECT_EQ(ops[2].kind, OpKind::kRope);
  EXPECT_EQ(ops[3].kind, OpKind::kGather);
  EXPECT_EQ(ops[3].phase, "decode");
  EXPECT_EQ(ops[3].step, 3u);
  EXPECT_EQ(ops[0].phase, "");
  EXPECT_EQ(ops[0].b_group, 0u);
}

TEST_F(TraceIoErrors, RopeWithOddCols) {
  expect_trace_error(edit_once(kTrace, "cols: 16", "cols: 15"), "18:11: ops[2].cols",
                     "a rope op rotates pairs of elements: cols must be even, got 15");
}

TEST_F(TraceIoErrors, GroupNotDividingM) {
  expect_trace_error(edit_once(kTrace, "group: 2", "group: 3"), "13:12: ops[1].group",
                     "group (3) must divide m (8)");
}

TEST_F(TraceIoErrors, ZeroGroup) {
  expect_trace_error(edit_once(kTrace, "group: 2", "group: 0"), "13:12: ops[1].group",
                     "must be at least 1, got 0");
}

TEST_F(TraceIoErrors, CausalWithMorePositionsThanKeys) {
  // m / group = 4 query positions over 3 keys.
  expect_trace_error(edit_once(kTrace, "n: 16", "n: 3"), "11:8: ops[1].n",
                     "with causal: true, n (3 keys) must be at least m / group (4 query "
                     "positions)");
}

TEST_F(TraceIoErrors, NotCausalAllowsFewerKeys) {
  const std::vector<Op> ops = load_trace(
      write(edit_once(edit_once(kTrace, "n: 16", "n: 3"), "causal: true", "causal: false")));
  EXPECT_FALSE(ops[1].causal);
  EXPECT_EQ(ops[1].n, 3u);
}

TEST_F(TraceIoErrors, CausalMustBeABool) {
  expect_trace_error(edit_once(kTrace, "causal: true", "causal: yes"), "14:13: ops[1].causal",
                     "expected true or false, got 'yes'");
}

TEST_F(TraceIoErrors, ZeroBGroup) {
  expect_trace_error(edit_once(kTrace, "    n: 32\n", "    n: 32\n    b_group: 0\n"),
                     "7:14: ops[0].b_group", "must be at least 1, got 0");
}

TEST_F(TraceIoErrors, BGroupOverTheCap) {
  expect_trace_error(edit_once(kTrace, "    n: 32\n", "    n: 32\n    b_group: 1048577\n"),
                     "7:14: ops[0].b_group", "must be at most 1048576, got 1048577");
}

TEST_F(TraceIoErrors, UnknownPhaseListsThePhases) {
  expect_trace_error(edit_once(kTrace, "phase: decode", "phase: foo"), "23:12: ops[3].phase",
                     "unknown value 'foo' (accepted: prefill, decode, draft_prefill, draft)");
}

TEST_F(TraceIoErrors, MisspeltPhaseIsSuggested) {
  expect_trace_error(edit_once(kTrace, "phase: decode", "phase: decdoe"), "23:12: ops[3].phase",
                     "unknown value 'decdoe'; did you mean 'decode'? (accepted: prefill, decode, "
                     "draft_prefill, draft)");
}

TEST_F(TraceIoErrors, NegativeStep) {
  expect_trace_error(edit_once(kTrace, "step: 3", "step: -1"), "24:11: ops[3].step",
                     "must be at least 0, got -1");
}

TEST_F(TraceIoErrors, GatherTableInSram) {
  expect_trace_error(edit_once(kTrace, "    step: 3\n", "    step: 3\n    a: sram\n"),
                     "25:8: ops[3].a",
                     "a gather picks its rows from a table in DRAM: 'a' must be dram");
}

TEST_F(TraceIoErrors, BGroupOnAttention) {
  expect_trace_error(edit_once(kTrace, "    causal: true\n", "    causal: true\n    b_group: 32\n"),
                     "15:5: ops[1].b_group",
                     "'b_group' does not apply to an attention op (only a gemm's B carries "
                     "group-wise scales)");
}

TEST_F(TraceIoErrors, GroupOnGemm) {
  expect_trace_error(edit_once(kTrace, "    n: 32\n", "    n: 32\n    group: 2\n"),
                     "7:5: ops[0].group", "'group' does not apply to a gemm op");
}

TEST_F(TraceIoErrors, CausalOnVectorOp) {
  expect_trace_error(edit_once(kTrace, "    cols: 16\n", "    cols: 16\n    causal: true\n"),
                     "19:5: ops[2].causal", "'causal' does not apply to a rope op");
}

TEST_F(TraceIoErrors, SecondInputOnRopeAndGather) {
  expect_trace_error(edit_once(kTrace, "    cols: 16\n", "    cols: 16\n    b: sram\n"),
                     "19:5: ops[2].b", "a rope op: it has one input, 'a'");
  expect_trace_error(edit_once(kTrace, "    cols: 24\n", "    cols: 24\n    b_format: int8\n"),
                     "23:5: ops[3].b_format", "a gather op: it has one input, 'a'");
}

TEST_F(TraceIoErrors, VectorShapeOnAttention) {
  expect_trace_error(edit_once(kTrace, "    causal: true\n", "    causal: true\n    rows: 4\n"),
                     "15:5: ops[1].rows",
                     "'rows' does not apply to an attention op (an attention op's shape is batch, "
                     "m, n, k and group)");
}

TEST_F(TraceIoErrors, MisspeltKeysAreSuggested) {
  expect_trace_error(edit_once(kTrace, "causal: true", "casual: true"), "14:5: ops[1].casual",
                     "unknown key 'casual'; did you mean 'causal'?");
  expect_trace_error(edit_once(kTrace, "    n: 32\n", "    n: 32\n    b_grop: 32\n"),
                     "7:5: ops[0].b_grop", "unknown key 'b_grop'; did you mean 'b_group'?");
  expect_trace_error(edit_once(kTrace, "step: 3", "stpe: 3"), "24:5: ops[3].stpe",
                     "unknown key 'stpe'; did you mean 'step'?");
}

TEST_F(TraceIoErrors, DuplicateNameInOnePhaseAndStep) {
  // Names repeat across steps (decode step 3 vs no phase), but not within one.
  EXPECT_NO_THROW(load_trace(write(edit_once(kTrace, "name: e", "name: g"))));
  expect_trace_error(kTrace +
                         "  - name: e\n"         // 25
                         "    kind: silu\n"      // 26
                         "    rows: 1\n"         // 27
                         "    cols: 1\n"         // 28
                         "    step: 3\n"         // 29
                         "    phase: decode\n",  // 30
                     "25:11: ops[4].name",
                     "duplicate op name 'e' in decode step 3 (first used at line 19)");
}

TEST_F(TraceIoErrors, FlowStyleErrorsPointIntoTheLine) {
  // The writer's one-line style: positions are within the line.
  expect_trace_error(
      "ops:\n"
      "  - {name: r, kind: rope, rows: 4, cols: 7, phase: decode}\n",
      "2:42: ops[0].cols", "cols must be even, got 7");
}

}  // namespace
}  // namespace npu
