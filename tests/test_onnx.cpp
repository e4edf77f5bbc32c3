// ONNX import (sim/config/onnx_importer.cpp, `npusim run --onnx`, `npusim trace import`): small
// models built by the test with Debian's python3-onnx (its helper API; the script is below) —
// a transformer block, a ResNet-style stage, models with unsupported ops and a grouped conv — and
// checked by hand: the ops they import to, their shapes and MACs, DRAM bytes, the CLI run, the
// trace round trip and the refusals. Skipped only when python3-onnx is missing (scripts/setup.sh
// installs it).
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "sim/config/loaders.h"
#include "sim/config/onnx_importer.h"
#include "sim/scheduler.h"
#include "temp_files.h"
#include "test_helpers.h"

namespace npu {
namespace {

namespace fs = std::filesystem;
using testing::npusim;
using testing::read_text;
using testing::run_process;

const std::string kPython = "/usr/bin/python3";  // Debian's, where python3-onnx is installed
const std::string kChip = std::string(NPUSIM_SOURCE_DIR) + "/configs/presets/example-npu.yaml";

// The models. Weights are zeros (only their shapes and types matter).
//  block.onnx: a pre-norm transformer block, fp16, x: batch x 16 x 64 (batch symbolic), 4 heads
//    of 16, FFN 64 -> 256 (bias, Sigmoid(h) * h) -> 64.
//  resnet.onnx: fp32, x: 1 x 16 x 8 x 8; conv 3x3 (bias) + Relu, conv 3x3, residual Add + Relu,
//    a depthwise conv 3x3 (group 16), MaxPool 2x2/2, GlobalAveragePool, Flatten, Gemm 16 -> 10.
//  grouped.onnx: the same with group 4 in the third conv.
//  unsupported.onnx: MatMul 32 x 32 over 1 x 8 x 32, then Erf, Tanh, Tanh.
//  custom.onnx: an op of a custom domain (no shape inference), then a MatMul.
const char* const kGenerator = R"PY(
import sys, numpy as np
import onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh

def init(name, shape, dtype=np.float32):
    return nh.from_array(np.zeros(shape, dtype=dtype), name)

def save(nodes, inputs, outputs, inits, path, name, opsets=(("", 17),)):
    g = h.make_graph(nodes, name, inputs, outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid(d, v) for d, v in opsets])
    onnx.save(m, path)

n = h.make_node

def transformer(path):
    D, S, H, F = 64, 16, 4, 256
    f16 = np.float16
    inits = [init("g1", [D], f16), init("b1", [D], f16), init("g2", [D], f16), init("b2", [D], f16),
             init("Wq", [D, D], f16), init("Wk", [D, D], f16), init("Wv", [D, D], f16),
             init("Wo", [D, D], f16), init("W1", [D, F], f16), init("c1", [F], f16),
             init("W2", [F, D], f16), nh.from_array(np.array(0.25, dtype=f16), "scale"),
             nh.from_array(np.array([1, S, H, D // H], dtype=np.int64), "heads"),
             nh.from_array(np.array([1, S, D], dtype=np.int64), "merged")]
    nodes = [
        n("LayerNormalization", ["x", "g1", "b1"], ["ln1"], name="ln1", axis=-1),
        n("MatMul", ["ln1", "Wq"], ["q"], name="q_proj"),
        n("MatMul", ["ln1", "Wk"], ["k"], name="k_proj"),
        n("MatMul", ["ln1", "Wv"], ["v"], name="v_proj"),
        n("Reshape", ["q", "heads"], ["q4"]), n("Transpose", ["q4"], ["qh"], perm=[0, 2, 1, 3]),
        n("Reshape", ["k", "heads"], ["k4"]), n("Transpose", ["k4"], ["kt"], perm=[0, 2, 3, 1]),
        n("Reshape", ["v", "heads"], ["v4"]), n("Transpose", ["v4"], ["vh"], perm=[0, 2, 1, 3]),
        n("MatMul", ["qh", "kt"], ["s"], name="scores"),
        n("Mul", ["s", "scale"], ["s2"], name="scale"),
        n("Softmax", ["s2"], ["p"], name="softmax", axis=-1),
        n("MatMul", ["p", "vh"], ["o"], name="context"),
        n("Transpose", ["o"], ["o2"], perm=[0, 2, 1, 3]), n("Reshape", ["o2", "merged"], ["o3"]),
        n("MatMul", ["o3", "Wo"], ["attn"], name="o_proj"),
        n("Add", ["x", "attn"], ["r1"], name="residual1"),
        n("LayerNormalization", ["r1", "g2", "b2"], ["ln2"], name="ln2", axis=-1),
        n("MatMul", ["ln2", "W1"], ["h0"], name="ffn_up"),
        n("Add", ["h0", "c1"], ["h1"], name="ffn_up_bias"),
        n("Sigmoid", ["h1"], ["sg"], name="sigmoid"),
        n("Mul", ["h1", "sg"], ["h2"], name="silu"),
        n("MatMul", ["h2", "W2"], ["f"], name="ffn_down"),
        n("Add", ["r1", "f"], ["y"], name="residual2"),
    ]
    x = h.make_tensor_value_info("x", T.FLOAT16, ["batch", S, D])
    y = h.make_tensor_value_info("y", T.FLOAT16, None)
    save(nodes, [x], [y], inits, path, "block")

def resnet(path, group=16):
    inits = [init("W1", [16, 16, 3, 3]), init("B1", [16]), init("W2", [16, 16, 3, 3]),
             init("Wd", [16, 16 // group, 3, 3]), init("Wfc", [10, 16]), init("Bfc", [10])]
    k3 = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    nodes = [
        n("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", **k3),
        n("Relu", ["c1"], ["r1"]),
        n("Conv", ["r1", "W2"], ["c2"], name="conv2", **k3),
        n("Add", ["x", "c2"], ["a"], name="residual"),
        n("Relu", ["a"], ["r2"]),
        n("Conv", ["r2", "Wd"], ["d"], name="dwconv", group=group, **k3),
        n("MaxPool", ["d"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        n("GlobalAveragePool", ["mp"], ["gap"], name="gap"),
        n("Flatten", ["gap"], ["fl"]),
        n("Gemm", ["fl", "Wfc", "Bfc"], ["y"], name="fc", transB=1),
    ]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 16, 8, 8])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], inits, path, "resnet_stage")

def unsupported(path):
    nodes = [n("MatMul", ["x", "W"], ["m"], name="proj"), n("Erf", ["m"], ["e"], name="erf"),
             n("Tanh", ["e"], ["t"], name="tanh0"), n("Tanh", ["t"], ["y"], name="tanh1")]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 8, 32])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], [init("W", [32, 32])], path, "unsupported")

def custom(path):
    nodes = [n("MyOp", ["x"], ["m"], name="mine", domain="example.custom"),
             n("MatMul", ["m", "W"], ["y"], name="proj")]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 8, 32])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], [init("W", [32, 32])], path, "custom",
         opsets=(("", 17), ("example.custom", 1)))

def edges(path):
    # Conv 3x3/2 with pads [0,0,1,1] over 17 x 17; a SAME_UPPER conv; MaxPool 3x3/2 with
    # ceil_mode; a Reshape whose shape is computed (Shape, Gather, Unsqueeze, Concat); Softmax
    # over axis 1 (opset 13).
    nodes = [
        n("Conv", ["x", "W1"], ["c1"], name="asym", kernel_shape=[3, 3], strides=[2, 2],
          pads=[0, 0, 1, 1]),
        n("Conv", ["c1", "W2"], ["c2"], name="same", kernel_shape=[3, 3], auto_pad="SAME_UPPER"),
        n("MaxPool", ["c2"], ["p"], name="ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        n("Shape", ["p"], ["sh"]), n("Gather", ["sh", "zero"], ["b0"], axis=0),
        n("Unsqueeze", ["b0", "ax0"], ["b1"]), n("Concat", ["b1", "minus1"], ["shp"], axis=0),
        n("Reshape", ["p", "shp"], ["flat"]),
        n("Softmax", ["p"], ["y"], name="sm", axis=1),
    ]
    inits = [init("W1", [8, 3, 3, 3]), init("W2", [8, 8, 3, 3]),
             nh.from_array(np.array(0, dtype=np.int64), "zero"),
             nh.from_array(np.array([0], dtype=np.int64), "ax0"),
             nh.from_array(np.array([-1], dtype=np.int64), "minus1")]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 3, 17, 17])
    outs = [h.make_tensor_value_info("y", T.FLOAT, None),
            h.make_tensor_value_info("flat", T.FLOAT, None)]
    save(nodes, [x], outs, inits, path, "edges", opsets=(("", 13),))

def embedding(path):
    # An embedding lookup, a 1-D conv (k 3, pad 1) and an int8 MatMulInteger.
    nodes = [n("Gather", ["E", "ids"], ["e"], name="embed"),
             n("Transpose", ["e"], ["et"], perm=[0, 2, 1]),
             n("Conv", ["et", "Wc"], ["c"], name="conv1d", kernel_shape=[3], pads=[1, 1]),
             n("MatMulInteger", ["q8", "W8"], ["m8"], name="int8mm")]
    inits = [init("E", [1000, 32]), init("Wc", [32, 32, 3]), init("W8", [32, 16], np.int8)]
    ins = [h.make_tensor_value_info("ids", T.INT64, [2, 10]),
           h.make_tensor_value_info("q8", T.INT8, [4, 32])]
    outs = [h.make_tensor_value_info("c", T.FLOAT, None),
            h.make_tensor_value_info("m8", T.INT32, None)]
    save(nodes, ins, outs, inits, path, "embedding")

def decomposed(path):
    # A BERT-style FFN as exported before opsets 17/20: LayerNorm and GELU written out in nodes.
    c = lambda name, v: nh.from_array(np.array(v, dtype=np.float32), name)
    nodes = [
        n("ReduceMean", ["x"], ["mu"], axes=[-1]), n("Sub", ["x", "mu"], ["d"]),
        n("Pow", ["d", "two"], ["d2"]), n("ReduceMean", ["d2"], ["var"], axes=[-1]),
        n("Add", ["var", "eps"], ["ve"]), n("Sqrt", ["ve"], ["sd"]), n("Div", ["d", "sd"], ["nx"]),
        n("Mul", ["nx", "gamma"], ["gx"]), n("Add", ["gx", "beta"], ["ln"], name="ln"),
        n("MatMul", ["ln", "W1"], ["h0"], name="up"), n("Add", ["h0", "b1"], ["h"]),
        n("Div", ["h", "sqrt2"], ["hs"]), n("Erf", ["hs"], ["er"]), n("Add", ["er", "one"], ["e1"]),
        n("Mul", ["h", "e1"], ["he"]), n("Mul", ["he", "half"], ["g"], name="gelu"),
        n("MatMul", ["g", "W2"], ["y"], name="down"),
    ]
    inits = [c("two", 2.0), c("eps", 1e-5), c("sqrt2", 1.4142135), c("one", 1.0), c("half", 0.5),
             init("gamma", [32]), init("beta", [32]), init("W1", [32, 128]), init("b1", [128]),
             init("W2", [128, 32])]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 8, 32])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], inits, path, "decomposed", opsets=(("", 13),))

def qdq(path):
    # A QDQ int8 MatMul as quantization tools export it: x quantized and dequantized, int8
    # weights dequantized, the float result quantized and dequantized.
    s = lambda name: nh.from_array(np.array(0.1, dtype=np.float32), name)
    z = lambda name: nh.from_array(np.array(0, dtype=np.int8), name)
    nodes = [n("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
             n("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
             n("DequantizeLinear", ["Wq", "sw", "zw"], ["Wd"]),
             n("MatMul", ["xd", "Wd"], ["m"], name="mm"),
             n("QuantizeLinear", ["m", "sy", "zy"], ["mq"]),
             n("DequantizeLinear", ["mq", "sy", "zy"], ["y"])]
    inits = [s("sx"), z("zx"), s("sw"), z("zw"), s("sy"), z("zy"), init("Wq", [32, 16], np.int8)]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 8, 32])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], inits, path, "qdq", opsets=(("", 13),))

def upsample(path):
    # A decoder's upsampling: ConvTranspose 2x2 stride 2 (8 -> 4 channels), then Resize x2.
    nodes = [n("ConvTranspose", ["x", "W"], ["u"], name="deconv", kernel_shape=[2, 2],
               strides=[2, 2]),
             n("Resize", ["u", "", "scales"], ["y"], name="resize", mode="nearest")]
    inits = [init("W", [8, 4, 2, 2]),
             nh.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales")]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 8, 4, 4])
    y = h.make_tensor_value_info("y", T.FLOAT, None)
    save(nodes, [x], [y], inits, path, "upsample", opsets=(("", 13),))

def hostile(d):
    # Models ONNX forbids or npusim cannot cost, each refused by name before anything runs.
    f = T.FLOAT
    vi = h.make_tensor_value_info
    w = init("w", [8, 8])
    # a node reading its own output (a cycle: no topological order)
    save([n("DequantizeLinear", ["q", "s"], ["q"], name="dq"), n("MatMul", ["x", "w"], ["y"])],
         [vi("x", f, [4, 8])], [vi("y", f, None)],
         [nh.from_array(np.array(0.1, dtype=np.float32), "s"), w], d + "/cycle.onnx", "cycle")
    # stride 0 (ONNX's shape inference divides by it)
    save([n("Conv", ["x", "k"], ["y"], name="cv", kernel_shape=[3, 3], strides=[0, 0])],
         [vi("x", f, [1, 8, 16, 16])], [vi("y", f, None)], [init("k", [8, 8, 3, 3])],
         d + "/stride0.onnx", "stride0")
    # a MatMul of a custom domain is not ONNX's MatMul
    save([n("MatMul", ["x", "w"], ["y"], name="mm", domain="my.custom")],
         [vi("x", f, [4, 8])], [vi("y", f, None)], [w], d + "/foreign.onnx", "foreign",
         opsets=(("", 17), ("my.custom", 1)))
    # a weight with a negative dimension
    t = T(); t.name = "w"; t.data_type = f; t.dims.extend([8, -1])
    save([n("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", f, [4, 8])], [vi("y", f, None)],
         [t], d + "/negdim.onnx", "negdim")
    # a weight with a zero-size kernel: an op no trace could hold
    save([n("Conv", ["x", "k"], ["y"], name="c")], [vi("x", f, [1, 8, 8, 8])],
         [vi("y", f, None)], [init("k", [8, 8, 0, 0])], d + "/kernel0.onnx", "kernel0")
    # string tensors
    save([n("Add", ["a", "b"], ["y"], name="ad")], [vi("a", T.STRING, [4, 8]),
         vi("b", T.STRING, [4, 8])], [vi("y", T.STRING, None)], [], d + "/strings.onnx",
         "strings")

    # an op type holding a line break (and YAML after it), costed with --unsupported vector
    evil = "Foo\n  - {name: injected, kind: gemm, m: 4096, k: 4096, n: 4096}\n#"
    save([n("MatMul", ["x", "w"], ["t"], name="mm"), n(evil, ["t"], ["y"], name="evil",
                                                         domain="my.dom")],
         [vi("x", f, [4, 8])], [vi("y", f, [4, 8])], [w], d + "/linebreak.onnx", "linebreak",
         opsets=(("", 17), ("my.dom", 1)))

def patterns(d):
    # Node patterns that look like LayerNorm or GELU but are not, and one that is.
    f = T.FLOAT
    vi = h.make_tensor_value_info
    c = lambda name, v: nh.from_array(np.array(v, dtype=np.float32), name)
    def layernorm(path, exponent, axes, shape):
        nodes = [n("ReduceMean", ["x"], ["mu"], axes=axes), n("Sub", ["x", "mu"], ["d"]),
                 n("Pow", ["d", "e"], ["d2"]), n("ReduceMean", ["d2"], ["var"], axes=axes),
                 n("Add", ["var", "eps"], ["ve"]), n("Sqrt", ["ve"], ["sd"]),
                 n("Div", ["d", "sd"], ["y"], name="ln")]
        save(nodes, [vi("x", f, shape)], [vi("y", f, None)], [c("e", exponent), c("eps", 1e-5)],
             path, "ln", opsets=(("", 13),))
    layernorm(d + "/ln_middle.onnx", 2.0, [1], [2, 64, 32])  # over a middle axis
    layernorm(d + "/ln_cube.onnx", 3.0, [-1], [2, 64, 32])   # no variance
    def gelu(path, const_first, x_twice):
        scale = (n("Mul", ["ir2", "x"], ["a"]) if const_first else n("Div", ["x", "sqrt2"], ["a"]))
        nodes = [scale, n("Erf", ["a"], ["er"]), n("Add", ["er", "one"], ["e1"]),
                 n("Mul", ["x", "e1"], ["he"]),
                 n("Mul", ["he", "x" if x_twice else "half"], ["y"], name="gelu")]
        inits = [c("ir2", 0.70710678), c("sqrt2", 1.4142135), c("one", 1.0), c("half", 0.5)]
        save(nodes, [vi("x", f, [4, 32])], [vi("y", f, None)], inits, path, "gelu",
             opsets=(("", 13),))
    gelu(d + "/gelu_const_first.onnx", True, False)
    gelu(d + "/gelu_x_twice.onnx", False, True)
    # an argmax over logits: work on the chip, not shape arithmetic
    save([n("MatMul", ["x", "w"], ["l"], name="logits"),
          n("ArgMax", ["l"], ["am"], name="argmax", axis=-1, keepdims=0)],
         [vi("x", f, [16, 8])], [vi("am", T.INT64, None)], [init("w", [8, 100])],
         d + "/argmax.onnx", "argmax")
    # a conv whose weights' channels are not the input's
    save([n("Conv", ["x", "k"], ["y"], name="c", kernel_shape=[3, 3])],
         [vi("x", f, [1, 8, 16, 16])], [vi("y", f, None)], [init("k", [8, 4, 3, 3])],
         d + "/conv_channels.onnx", "conv_channels")

d = sys.argv[1]
patterns(d)
hostile(d)
qdq(d + "/qdq.onnx")
upsample(d + "/upsample.onnx")
decomposed(d + "/decomposed.onnx")
edges(d + "/edges.onnx")
embedding(d + "/embedding.onnx")
transformer(d + "/block.onnx")
resnet(d + "/resnet.onnx")
resnet(d + "/grouped.onnx", group=4)
unsupported(d + "/unsupported.onnx")
custom(d + "/custom.onnx")
)PY";

class Onnx : public testing::TempFileTest {
 protected:
  void SetUp() override {
    TempFileTest::SetUp();
    if (run_process(kPython, {"-c", "import onnx"}).status != 0)
      GTEST_SKIP() << "python3-onnx is not installed (scripts/setup.sh installs it)";
    const auto r = run_process(kPython, {write_file("gen.py", kGenerator), dir().string()},
                               std::chrono::seconds(60));
    ASSERT_EQ(r.status, 0) << r.err;
  }
  std::string model(const std::string& name) const { return path(name + ".onnx"); }

  static std::vector<std::string> names(const std::vector<Op>& ops) {
    std::vector<std::string> v;
    for (const Op& op : ops) v.push_back(op.name + ":" + op_kind_name(op.kind));
    return v;
  }
  static uint64_t total_macs(const std::vector<Op>& ops) {
    return std::accumulate(ops.begin(), ops.end(), uint64_t{0},
                           [](uint64_t s, const Op& op) { return s + op.macs(); });
  }
  static bool has_note(const OnnxImport& m, const std::string& fragment) {
    for (const auto& n : m.notes)
      if (n.find(fragment) != std::string::npos) return true;
    return false;
  }
};

OnnxImportOptions block_shape() {
  OnnxImportOptions o;
  o.input_shapes.push_back({"x", {1, 16, 64}});
  return o;
}

TEST_F(Onnx, QdqPairsFoldIntoInt8Ops) {
  const OnnxImport m = import_onnx(model("qdq"), {});
  // Six nodes, one op: the MatMul reads x and the weights as int8 and writes int8 (its result
  // is quantized); the quantize / dequantize nodes cost nothing. Nothing is unsupported (the
  // import would refuse it).
  ASSERT_EQ(names(m.ops), (std::vector<std::string>{"mm:gemm"}));
  const Op& mm = m.ops[0];
  EXPECT_EQ(mm.m, 8u);
  EXPECT_EQ(mm.k, 32u);
  EXPECT_EQ(mm.n, 16u);
  EXPECT_EQ(mm.a_format, Format::kInt8);
  EXPECT_EQ(mm.b_format, Format::kInt8);
  EXPECT_EQ(mm.c_format, Format::kInt8);
  EXPECT_TRUE(has_note(m, "QuantizeLinear x2"));
  EXPECT_TRUE(has_note(m, "DequantizeLinear x3"));
}

TEST_F(Onnx, ConvTransposeIsAGemmAndResizeAVectorPass) {
  const OnnxImport m = import_onnx(model("upsample"), {});
  ASSERT_EQ(names(m.ops), (std::vector<std::string>{"deconv:gemm", "resize:eltwise"}));
  // 16 input pixels x 8 channels by the weights [8, 4 x 2 x 2]: 16 x 8 x 16 = 2,048 MACs, each
  // input pixel's 8 channels times 4 output channels x 4 taps (no zeros inserted).
  EXPECT_EQ(m.ops[0].m, 16u);
  EXPECT_EQ(m.ops[0].k, 8u);
  EXPECT_EQ(m.ops[0].n, 16u);
  EXPECT_EQ(m.ops[0].macs(), 2048u);
  // The resize: its output [1, 4, 16, 16] as 64 rows of 16.
  EXPECT_EQ(m.ops[1].rows, 64u);
  EXPECT_EQ(m.ops[1].cols, 16u);
  EXPECT_TRUE(has_note(m, "col2im"));
  EXPECT_TRUE(has_note(m, "Resize x1"));
}

TEST_F(Onnx, TransformerBlockImportsItsOpsWithTheirShapes) {
  const OnnxImport m = import_onnx(model("block"), block_shape());
  EXPECT_EQ(m.name, "block");
  // 26 nodes: 15 ops; 4 Reshape and 4 Transpose free; the FFN's bias Add in the gemm's output
  // stage; Sigmoid(h) * h one silu (at the Mul).
  EXPECT_EQ(names(m.ops),
            (std::vector<std::string>{
                "ln1:layernorm", "q_proj:gemm", "k_proj:gemm", "v_proj:gemm", "scores:gemm",
                "scale:mul", "softmax:softmax", "context:gemm", "o_proj:gemm", "residual1:add",
                "ln2:layernorm", "ffn_up:gemm", "silu:silu", "ffn_down:gemm", "residual2:add"}));
  const auto& o = m.ops;
  // Projections: [1,16,64] x [64,64] -> one gemm m 16, k 64, n 64 (the batch folded into m).
  EXPECT_EQ(o[1].m, 16u);
  EXPECT_EQ(o[1].k, 64u);
  EXPECT_EQ(o[1].n, 64u);
  EXPECT_EQ(o[1].batch, 1u);
  // Scores: [1,4,16,16] x [1,4,16,16] -> 4 independent 16 x 16 x 16 gemms; context likewise.
  EXPECT_EQ(o[4].batch, 4u);
  EXPECT_EQ(o[4].m, 16u);
  EXPECT_EQ(o[4].k, 16u);
  EXPECT_EQ(o[4].n, 16u);
  EXPECT_EQ(o[7].batch, 4u);
  // The scale is a broadcast scalar: B resident in SRAM. Softmax over 4 x 16 rows of 16.
  EXPECT_EQ(o[5].b_loc, Location::kSram);
  EXPECT_EQ(o[6].rows, 64u);
  EXPECT_EQ(o[6].cols, 16u);
  // LayerNorm rows 16 of 64; the residual adds 16 x 64, both inputs in DRAM; silu 16 x 256.
  EXPECT_EQ(o[0].rows, 16u);
  EXPECT_EQ(o[0].cols, 64u);
  EXPECT_EQ(o[9].b_loc, Location::kDram);
  EXPECT_EQ(o[12].rows, 16u);
  EXPECT_EQ(o[12].cols, 256u);
  EXPECT_EQ(o[11].n, 256u);
  EXPECT_EQ(o[13].k, 256u);
  // MACs: q, k, v, o 4 x 16 x 64 x 64 = 262,144; scores and context 2 x 4 x 16^3 = 32,768;
  // FFN 2 x 16 x 64 x 256 = 524,288. Total 819,200.
  EXPECT_EQ(total_macs(m.ops), 819200u);
  // fp16 everywhere, from the model's types; no fp32 note.
  for (const Op& op : m.ops) {
    EXPECT_EQ(op.a_format, Format::kFp16) << op.name;
    EXPECT_EQ(op.b_format, Format::kFp16) << op.name;
    EXPECT_EQ(op.c_format, Format::kFp16) << op.name;
  }
  // The graph, through Reshape and Transpose (ops back to each input's producer; 0 = a model
  // input or a weight): Q, K and V read ln1; scores read Q and K; context the softmax and V;
  // residual2 reads residual1 and ffn_down, in the model's input order (A, B).
  std::vector<std::pair<uint32_t, uint32_t>> from;
  for (const Op& op : o) from.push_back({op.a_from, op.b_from});
  EXPECT_EQ(from, (std::vector<std::pair<uint32_t, uint32_t>>{{0, 0},
                                                              {1, 0},
                                                              {2, 0},
                                                              {3, 0},
                                                              {3, 2},
                                                              {1, 0},
                                                              {1, 0},
                                                              {1, 4},
                                                              {1, 0},
                                                              {1, 0},
                                                              {1, 0},
                                                              {1, 0},
                                                              {1, 0},
                                                              {1, 0},
                                                              {5, 1}}));
  EXPECT_TRUE(has_note(m, "Reshape x4, Transpose x4"));
  EXPECT_TRUE(has_note(m, "output stage, no cost: Add x1"));
  EXPECT_TRUE(has_note(m, "Sigmoid, Mul (silu) x1"));
  EXPECT_FALSE(has_note(m, "float32"));
}

TEST_F(Onnx, TransformerBlockDramBytes) {
  // On a chip whose SRAM holds every op whole, each op reads its inputs and writes its output
  // once, 2 bytes an element (fp16):
  //   q_proj   A 16 x 64 = 2,048 B + W 64 x 64 = 8,192 B; writes 2,048 B
  //   scores   Q and K^T 4 x 16 x 16 = 2,048 B each; writes 2,048 B
  //   scale    A 2,048 B (the scalar in SRAM); writes 2,048 B
  //   residual1 2 x 2,048 B; writes 2,048 B
  //   ffn_up   2,048 + 64 x 256 x 2 = 32,768 B; writes 16 x 256 x 2 = 8,192 B
  //   ffn_down 8,192 + 32,768 B; writes 2,048 B
  ChipConfig chip = testing::tiny_chip(16, 16);
  chip.core.array.macs_per_pe_per_cycle[static_cast<size_t>(Format::kFp16)] = 1;
  const OnnxImport m = import_onnx(model("block"), block_shape());
  const RunResult r = simulate(chip, m.ops, {});
  ASSERT_EQ(r.ops.size(), m.ops.size());
  const std::vector<std::tuple<size_t, uint64_t, uint64_t>> expected = {
      {1, 2048 + 8192, 2048}, {4, 4096, 2048},          {5, 2048, 2048},
      {9, 4096, 2048},        {11, 2048 + 32768, 8192}, {13, 8192 + 32768, 2048}};
  for (const auto& [i, read, written] : expected) {
    EXPECT_EQ(r.ops[i].dram_read_bytes, read) << m.ops[i].name;
    EXPECT_EQ(r.ops[i].dram_write_bytes, written) << m.ops[i].name;
  }
}

TEST_F(Onnx, ResNetStageImportsConvsPoolsAndTheResidual) {
  const OnnxImport m = import_onnx(model("resnet"), {});
  // 10 nodes: 7 ops; 2 Relu fused; Flatten free; conv1's bias and the Gemm's C in the output
  // stage.
  EXPECT_EQ(names(m.ops), (std::vector<std::string>{"conv1:conv2d", "conv2:conv2d", "residual:add",
                                                    "dwconv:conv2d", "maxpool:maxpool",
                                                    "gap:avgpool", "fc:gemm"}));
  const auto& o = m.ops;
  EXPECT_EQ(o[0].conv.h, 8u);
  EXPECT_EQ(o[0].conv.c, 16u);
  EXPECT_EQ(o[0].conv.f, 16u);
  EXPECT_EQ(o[0].conv.r, 3u);
  EXPECT_EQ(o[0].conv.pad, 1u);
  EXPECT_EQ(o[3].conv.groups, 16u);  // depthwise
  EXPECT_EQ(o[4].conv.stride, 2u);
  EXPECT_EQ(o[4].conv.out_h(), 4u);
  EXPECT_EQ(o[5].conv.r, 4u);  // global: the window is the 4 x 4 input
  EXPECT_EQ(o[5].conv.out_h(), 1u);
  EXPECT_EQ(o[6].m, 1u);
  EXPECT_EQ(o[6].k, 16u);
  EXPECT_EQ(o[6].n, 10u);
  // MACs: conv1, conv2 8 x 8 x 16 x 3 x 3 x 16 = 147,456 each; depthwise 8 x 8 x 16 x 9 = 9,216;
  // fc 16 x 10 = 160. Total 304,288.
  EXPECT_EQ(o[0].macs(), 147456u);
  EXPECT_EQ(o[3].macs(), 9216u);
  EXPECT_EQ(total_macs(m.ops), 304288u);
  // float32 costed as fp16, said once.
  EXPECT_EQ(o[0].b_format, Format::kFp16);
  EXPECT_TRUE(has_note(m, "float32 (and float64) tensors costed as fp16"));
  EXPECT_TRUE(has_note(m, "Relu x2"));
  EXPECT_TRUE(has_note(m, "Flatten x1"));
  EXPECT_TRUE(has_note(m, "Conv's bias x1, Gemm's C x1"));
}

TEST_F(Onnx, ResNetStageDramBytesInInt8) {
  // --weights int8 --activations int8: one byte an element. Every op whole in SRAM:
  //   conv1, conv2  input 16 x 8 x 8 = 1,024 B + weights 3 x 3 x 16 x 16 = 2,304 B; write 1,024
  //   residual      2 x 1,024 B; writes 1,024 B
  //   dwconv        1,024 B + 3 x 3 x 16 = 144 B; writes 1,024 B
  //   maxpool       1,024 B; writes 4 x 4 x 16 = 256 B
  //   gap           256 B; writes 16 B
  //   fc            16 + 16 x 10 = 176 B; writes 10 B
  OnnxImportOptions opt;
  opt.weights = opt.activations = Format::kInt8;
  const OnnxImport m = import_onnx(model("resnet"), opt);
  EXPECT_FALSE(has_note(m, "float32"));
  const ChipConfig chip = testing::tiny_chip(16, 16);
  const RunResult r = simulate(chip, m.ops, {});
  ASSERT_EQ(r.ops.size(), 7u);
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {3328, 1024}, {3328, 1024}, {2048, 1024}, {1168, 1024}, {1024, 256}, {256, 16}, {176, 10}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.ops[i].dram_read_bytes, expected[i].first) << m.ops[i].name;
    EXPECT_EQ(r.ops[i].dram_write_bytes, expected[i].second) << m.ops[i].name;
  }
}

TEST_F(Onnx, PaddingCeilModeComputedShapesEmbeddingsAndInt8) {
  const OnnxImport e = import_onnx(model("edges"), {});
  EXPECT_EQ(names(e.ops),
            (std::vector<std::string>{"asym:conv2d", "same:conv2d", "ceil:maxpool", "sm:softmax"}));
  // asym: 17 x 17, pads [0,0,1,1], 3x3/2: out (17 + 1 - 3) / 2 + 1 = 8; modelled as pad 0 over
  // 18 x 18 (the same 8 x 8). MACs 8 x 8 x 8 x 3 x 3 x 3 = 13,824.
  EXPECT_EQ(e.ops[0].conv.h, 18u);
  EXPECT_EQ(e.ops[0].conv.pad, 0u);
  EXPECT_EQ(e.ops[0].conv.out_h(), 8u);
  EXPECT_EQ(e.ops[0].macs(), 13824u);
  // SAME_UPPER 3x3/1: pad 1 on every side, 8 x 8 kept. MACs 8 x 8 x 8 x 9 x 8 = 36,864.
  EXPECT_EQ(e.ops[1].conv.h, 8u);
  EXPECT_EQ(e.ops[1].conv.pad, 1u);
  EXPECT_EQ(e.ops[1].macs(), 36864u);
  // ceil_mode: 8 x 8, 3x3/2 -> ceil(5 / 2) + 1 = 4: the input grown to 9 x 9.
  EXPECT_EQ(e.ops[2].conv.h, 9u);
  EXPECT_EQ(e.ops[2].conv.out_h(), 4u);
  // Softmax over the 8 channels of 1 x 8 x 4 x 4: 16 rows of 8.
  EXPECT_EQ(e.ops[3].rows, 16u);
  EXPECT_EQ(e.ops[3].cols, 8u);
  EXPECT_TRUE(has_note(e, "Shape x1, Gather (on shapes) x1, Unsqueeze x1, Concat x1, Reshape x1"));
  EXPECT_TRUE(has_note(e, "asymmetric padding or ceil_mode"));

  const OnnxImport m = import_onnx(model("embedding"), {});
  EXPECT_EQ(names(m.ops),
            (std::vector<std::string>{"embed:gather", "conv1d:conv2d", "int8mm:gemm"}));
  // 2 x 10 ids picking rows of 32 from the table.
  EXPECT_EQ(m.ops[0].rows, 20u);
  EXPECT_EQ(m.ops[0].cols, 32u);
  // 1-D conv over 2 x 32 x 10, k 3, pad 1: one row, 10 + 2 columns. MACs 2 x 10 x 32 x 3 x 32.
  EXPECT_EQ(m.ops[1].batch, 2u);
  EXPECT_EQ(m.ops[1].conv.h, 1u);
  EXPECT_EQ(m.ops[1].conv.w, 12u);
  EXPECT_EQ(m.ops[1].macs(), 61440u);
  // int8 x int8 -> int32, from the types.
  EXPECT_EQ(m.ops[2].a_format, Format::kInt8);
  EXPECT_EQ(m.ops[2].b_format, Format::kInt8);
  EXPECT_EQ(m.ops[2].c_format, Format::kInt32);
  EXPECT_EQ(m.ops[2].macs(), 4u * 32 * 16);
}

TEST_F(Onnx, DecomposedLayerNormAndGeluAreOneOpEach) {
  // 17 nodes: LayerNorm's nine (ReduceMean ... Add beta) one layernorm, the bias Add in the
  // gemm's output stage, GELU's five (Div, Erf, Add, Mul, Mul) one gelu.
  const OnnxImport m = import_onnx(model("decomposed"), {});
  EXPECT_EQ(names(m.ops),
            (std::vector<std::string>{"ln:layernorm", "up:gemm", "gelu:gelu", "down:gemm"}));
  EXPECT_EQ(m.ops[0].rows, 8u);
  EXPECT_EQ(m.ops[0].cols, 32u);
  EXPECT_EQ(m.ops[2].rows, 8u);
  EXPECT_EQ(m.ops[2].cols, 128u);
  // MACs: 2 x 8 x 32 x 128 = 65,536.
  EXPECT_EQ(total_macs(m.ops), 65536u);
  EXPECT_TRUE(has_note(m, "(LayerNorm) x1"));
  EXPECT_TRUE(has_note(m, "(GELU) x1"));
}

TEST_F(Onnx, RunOnnxEqualsRunOfTheImportedTrace) {
  for (const auto& [name, extra] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"block", {"--input-shape", "x=1x16x64"}},
           {"resnet", {}},
           {"edges", {}},
           {"decomposed", {}},
           {"unsupported", {"--unsupported", "vector"}},
           {"resnet", {"--weights", "int8", "--activations", "int8"}}}) {
    const std::string tag = name + std::to_string(extra.size());  // a folder per case
    std::vector<std::string> run = {"run",   "--arch",           kChip, "--onnx", model(name),
                                    "--out", path(tag + "_onnx")};
    run.insert(run.end(), extra.begin(), extra.end());
    const auto a = npusim(run);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_NE(a.out.find("onnx: "), std::string::npos) << a.out;  // the notes
    std::vector<std::string> imp = {"trace", "import", model(name), "--out", path(tag + ".yaml")};
    imp.insert(imp.end(), extra.begin(), extra.end());
    const auto t = npusim(imp);
    ASSERT_EQ(t.status, 0) << t.err;
    const std::string trace = read_text(path(tag + ".yaml"));
    EXPECT_EQ(trace.rfind("# Imported from " + name + ".onnx", 0), 0u) << trace;
    const auto b = npusim(
        {"run", "--arch", kChip, "--trace", path(tag + ".yaml"), "--out", path(tag + "_trace")});
    ASSERT_EQ(b.status, 0) << b.err;
    const std::string csv = read_text(path(tag + "_onnx/ops.csv"));
    EXPECT_FALSE(csv.empty());
    EXPECT_EQ(csv, read_text(path(tag + "_trace/ops.csv"))) << tag;
  }
  // --weights/--activations reached both: int8 in the trace; the model's float32 as fp16 without.
  EXPECT_NE(read_text(path("resnet4.yaml")).find("format: int8"), std::string::npos);
  EXPECT_EQ(read_text(path("resnet4.yaml")).find("fp16"), std::string::npos);
  EXPECT_NE(read_text(path("resnet0.yaml")).find("format: fp16"), std::string::npos);
  // The trace is not replaced without --force.
  const auto again = npusim({"trace", "import", model("resnet"), "--out", path("resnet0.yaml")});
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(
      npusim({"trace", "import", model("resnet"), "--out", path("resnet0.yaml"), "--force"}).status,
      0);
}

TEST_F(Onnx, UnsupportedOpsAreListedByTypeAndCountThenRefusedOrCosted) {
  const auto r = npusim({"trace", "import", model("unsupported"), "--out", path("u.yaml")});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, model("unsupported") +
                       ": 3 node(s) npusim cannot model: Erf x1, Tanh x2 (give --unsupported "
                       "vector to cost each as one element-wise pass over its output on the "
                       "vector unit, or remove them from the model)\n");
  EXPECT_FALSE(fs::exists(path("u.yaml")));
  const auto run =
      npusim({"run", "--arch", kChip, "--onnx", model("unsupported"), "--out", path("u_run")});
  EXPECT_EQ(run.status, 2);
  EXPECT_FALSE(fs::exists(path("u_run")));

  // Costed: each an eltwise pass over its 8 x 32 output.
  OnnxImportOptions opt;
  opt.cost_unsupported = true;
  const OnnxImport m = import_onnx(model("unsupported"), opt);
  EXPECT_EQ(names(m.ops), (std::vector<std::string>{"proj:gemm", "erf:eltwise", "tanh0:eltwise",
                                                    "tanh1:eltwise"}));
  EXPECT_EQ(m.ops[1].rows, 8u);
  EXPECT_EQ(m.ops[1].cols, 32u);
  EXPECT_EQ(m.ops[1].op_class, "Erf");
  EXPECT_TRUE(has_note(m, "one element-wise pass over their output on the vector unit"));
  EXPECT_TRUE(has_note(m, "Erf x1, Tanh x2"));
  const auto costed = npusim({"run", "--arch", kChip, "--onnx", model("unsupported"),
                              "--unsupported", "vector", "--out", path("u_vec")});
  EXPECT_EQ(costed.status, 0) << costed.err;
}

TEST_F(Onnx, ANameWithALineBreakStaysInItsCommentLine) {
  // The import's notes name op types; one holding a line break and YAML must not add an op to
  // the trace (or make it unreadable).
  ASSERT_EQ(npusim({"trace", "import", model("linebreak"), "--unsupported", "vector", "--out",
                    path("lb.yaml"), "-q"})
                .status,
            0);
  EXPECT_EQ(read_text(path("lb.yaml")).find("\n  - {name: injected"), std::string::npos);
  EXPECT_EQ(load_trace(path("lb.yaml")).size(), 2u);  // the MatMul and the costed foreign op
}

TEST_F(Onnx, GeluWithItsScaleConstantFirstIsOneOp) {
  // x * (1 / sqrt 2) written Mul(constant, x): GELU's pattern takes a product either way round.
  const OnnxImport m = import_onnx(model("gelu_const_first"), {});
  ASSERT_EQ(m.ops.size(), 1u);
  EXPECT_EQ(m.ops[0].kind, OpKind::kGelu);
  EXPECT_EQ(m.ops[0].rows * m.ops[0].cols, 4u * 32);
  // x * (1 + erf(x / sqrt 2)) * x: the GELU (its 0.5 is a constant) takes x once; the second
  // product is an op of its own.
  EXPECT_EQ(names(import_onnx(model("gelu_x_twice"), {}).ops),
            (std::vector<std::string>{"Mul_3:gelu", "gelu:mul"}));
}

TEST(OnnxInputShape, SizesJoinedByXAndNothingElse) {
  EXPECT_EQ(parse_input_shape("x=1x16x64"),
            (std::pair<std::string, std::vector<uint64_t>>{"x", {1, 16, 64}}));
  for (const char* bad : {"x=4x8x", "x=x4", "x=4xx8", "x=0x8", "x=", "=4", "x=4x-8"})
    EXPECT_THROW(parse_input_shape(bad), std::invalid_argument) << bad;
}

TEST_F(Onnx, GroupedConvIsRefusedByName) {
  try {
    import_onnx(model("grouped"), {});
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              model("grouped") +
                  ": node 'dwconv' (Conv): a grouped conv (group = 4, 16 channels, 16 filters) is "
                  "not modelled: npusim models dense convs (group = 1) and depthwise ones (group "
                  "= channels = filters)");
  }
}

TEST_F(Onnx, BadInputIsFileColonMessageExitTwoNothingWritten) {
  struct Case {
    std::string file;
    std::vector<std::string> extra;
    std::string message;
  };
  const std::string yaml = write_file("trace.onnx", "name: x\nops: []\n");
  const std::vector<Case> cases = {
      {yaml, {}, "not an ONNX model"},
      {model("block"),
       {},
       "input 'x' has an unknown dimension (batchx16x64): give its shape with --input-shape "
       "x=1x16x64 (its sizes)"},
      {model("block"),
       {"--input-shape", "y=1x16x64"},
       "--input-shape: the model has no input 'y' (its inputs: x)"},
      {model("custom"),
       {"--unsupported", "vector"},
       "node 'mine' (MyOp): the shape of 'm' is unknown after shape inference (ONNX cannot infer "
       "the shapes of example.custom.MyOp)"},
      {model("custom"), {}, ": 1 node(s) npusim cannot model: example.custom.MyOp x1"},
      {model("cycle"),
       {},
       "node 'dq' (DequantizeLinear): reads 'q', which no node before it, graph input or "
       "initializer makes (ONNX lists nodes in topological order: a cycle has none)"},
      {model("stride0"), {}, "node 'cv' (Conv): attribute strides holds 0: must be 1 to 2^32"},
      {model("foreign"), {}, "1 node(s) npusim cannot model: my.custom.MatMul x1"},
      {model("negdim"), {}, "initializer 'w' has a negative dimension"},
      {model("kernel0"), {}, "op 'c'.r: must be at least 1, got 0 (as imported)"},
      {model("strings"), {}, "input 'a' is of STRING: npusim costs tensors of numbers"},
      {"/dev/zero", {}, "not a regular file (a character device)"},
      {model("ln_middle"),
       {},
       "node 'ln' (Div): a LayerNorm written out in nodes over axes [1] of a rank-3 input: "
       "npusim's layernorm normalises trailing axes only"},
      {model("ln_cube"), {}, "node(s) npusim cannot model: ReduceMean x2, Pow x1, Sqrt x1, Div x1"},
      {model("argmax"), {}, "node(s) npusim cannot model: ArgMax x1"},
      {model("conv_channels"),
       {},
       "node 'c' (Conv): weights 8x4x3x3 over 8 input channels in 1 group(s): their second "
       "dimension must be channels / group"},
  };
  for (const Case& c : cases) {
    for (const bool run : {false, true}) {
      std::vector<std::string> args =
          run ? std::vector<std::string>{"run",  "--arch", kChip,      "--onnx",
                                         c.file, "--out",  path("out")}
              : std::vector<std::string>{"trace", "import", c.file, "--out", path("out.yaml")};
      args.insert(args.end(), c.extra.begin(), c.extra.end());
      const auto r = npusim(args);
      EXPECT_EQ(r.status, 2) << c.message;
      EXPECT_EQ(r.err.rfind(c.file + ": ", 0), 0u) << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
      EXPECT_FALSE(fs::exists(path("out")));
      EXPECT_FALSE(fs::exists(path("out.yaml")));
    }
  }
}

}  // namespace
}  // namespace npu
