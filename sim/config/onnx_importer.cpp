#include "onnx_importer.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "error.h"

namespace npu {

namespace {

using Dims = std::vector<uint64_t>;

/// The product of d[from, to) (1 when empty); UINT64_MAX when it does not fit 64 bits (then
/// past every range an op takes, so refused as imported, never wrapped around to a small size).
uint64_t product(const Dims& d, size_t from = 0, size_t to = SIZE_MAX) {
  to = std::min(to, d.size());
  uint64_t p = 1;
  for (size_t i = from; i < to; ++i)
    if (__builtin_mul_overflow(p, d[i], &p)) return UINT64_MAX;
  return p;
}

std::string ints_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string dims_text(const Dims& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return d.empty() ? "a scalar" : s;
}

/// "Relu x2, Clip x1" in first-seen order.
class Tally {
 public:
  void add(const std::string& what, uint64_t n = 1) {
    if (!m_count.count(what)) m_order.push_back(what);
    m_count[what] += n;
  }
  bool empty() const { return m_order.empty(); }
  uint64_t total() const {
    uint64_t t = 0;
    for (const auto& [k, n] : m_count) t += n;
    return t;
  }
  std::string text() const {
    std::string s;
    for (const auto& k : m_order)
      s += (s.empty() ? "" : ", ") + k + " x" + std::to_string(m_count.at(k));
    return s;
  }

 private:
  std::vector<std::string> m_order;
  std::map<std::string, uint64_t> m_count;
};

bool is_integer_type(int t) {
  using T = onnx::TensorProto;
  return t == T::INT64 || t == T::INT32 || t == T::UINT64 || t == T::UINT32 || t == T::INT16 ||
         t == T::UINT16 || t == T::BOOL;
}

/// The op type a node of a foreign domain is dispatched as: matches no ONNX op.
const std::string kForeign = "";

/// ONNX's own ops, and Microsoft's contrib ops (Gelu, FastGelu): a node of another domain is
/// none of them, whatever its name.
bool standard_domain(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx" || n.domain() == "com.microsoft";
}

/// Whether node n is the ONNX op `type`.
bool onnx_op(const onnx::NodeProto& n, const char* type) {
  return standard_domain(n) && n.op_type() == type;
}

class Importer {
 public:
  Importer(std::string path, const OnnxImportOptions& options)
      : m_path(std::move(path)), m_opt(options) {}

  OnnxImport run() {
    read_model();
    check_graph();
    apply_input_shapes();
    infer_shapes();
    index_graph();
    find_patterns();
    const onnx::GraphProto& g = m_model.graph();
    // Refusing, every node is classified first: an error in a node after an unsupported one
    // (often caused by it: a shape ONNX could not infer) is reported only when there is none.
    std::optional<ConfigError> first_error;
    for (int i = 0; i < g.node_size(); ++i) try {
        const size_t before = m_out.ops.size();
        import_node(i, g.node(i));
        link(i, g.node(i), before);
      } catch (const ConfigError& e) {
        if (m_opt.cost_unsupported) throw;
        if (!first_error) first_error = e;
      }
    if (!m_unsupported.empty() && !m_opt.cost_unsupported)
      fail(std::to_string(m_unsupported.total()) +
           " node(s) npusim cannot model: " + m_unsupported.text() +
           " (give --unsupported vector to cost each as one element-wise pass over its output on "
           "the vector unit, or remove them from the model)");
    if (first_error) throw *first_error;
    for (const Op& op : m_out.ops) {  // an empty tensor (a zero dimension) is no work to cost
      const bool empty = is_spatial_kind(op.kind)
                             ? op.conv.h * op.conv.w * op.conv.c * op.batch == 0 ||
                                   (op.kind == OpKind::kConv2d && op.conv.f == 0)
                         : is_vector_kind(op.kind) ? op.rows * op.cols == 0
                                                   : op.m * op.k * op.n * op.batch == 0;
      if (empty)
        fail("node '" + op.name + "' (" + op.op_class +
             "): a tensor with a zero dimension (npusim costs no empty ops)");
    }
    if (m_out.ops.empty())
      fail("no node that npusim models (" + std::to_string(g.node_size()) +
           " nodes, all free: " + m_free.text() + ")");
    write_notes();
    m_out.name = !g.name().empty() ? g.name() : std::filesystem::path(m_path).stem().string();
    return std::move(m_out);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(m_path, 0, 0, "", message);
  }
  static std::string node_label(const onnx::NodeProto& n) {
    return "node '" + n.name() + "' (" + n.op_type() + ")";
  }
  [[noreturn]] void fail_at(const onnx::NodeProto& n, const std::string& message) const {
    fail(node_label(n) + ": " + message);
  }

  void read_model() {
    // A regular file (not a device, FIFO or directory; the CLI refuses those by name first) of
    // at most protobuf's 2 GiB.
    if (!std::filesystem::is_regular_file(m_path)) fail("not a regular file");
    constexpr uint64_t kMaxModelBytes = uint64_t{2} << 30;
    std::error_code ec;
    if (const auto size = std::filesystem::file_size(m_path, ec); !ec && size > kMaxModelBytes)
      fail("is " + std::to_string(size) + " bytes: over protobuf's 2 GiB limit of a model");
    std::ifstream in(m_path, std::ios::binary);
    if (!in) fail(std::string("cannot read: ") + std::strerror(errno));
    std::string bytes;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      bytes.append(buf, static_cast<size_t>(in.gcount()));
      if (bytes.size() > kMaxModelBytes) fail("grew past protobuf's 2 GiB limit while read");
    }
    if (!m_model.ParseFromString(bytes))
      fail("not an ONNX model: not a protobuf ModelProto (an .onnx file is binary protobuf)");
    if (!m_model.has_graph() || m_model.graph().node_size() == 0)
      fail("not an ONNX model: no graph, or a graph without nodes");
    for (const auto& o : m_model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") m_opset = o.version();
  }

  /// What ONNX requires of a graph, and shape inference and the import rely on, checked before
  /// either runs: every node makes an output; no tensor is made twice, or both made and a graph
  /// input or initializer; nodes come in topological order (each input made before: no
  /// cycle); graph inputs are listed once; tensors have no negative dimension and a number (or
  /// bool) type; the attributes shape inference divides by are positive and pads not negative.
  void check_graph() const {
    const onnx::GraphProto& g = m_model.graph();
    using T = onnx::TensorProto;
    const auto number_type = [](int t) {
      return t != T::UNDEFINED && t != T::STRING && t != T::COMPLEX64 && t != T::COMPLEX128 &&
             onnx::TensorProto_DataType_IsValid(t);
    };
    const auto type_name = [](int t) {
      return onnx::TensorProto_DataType_IsValid(t) ? onnx::TensorProto_DataType_Name(t)
                                                   : "type " + std::to_string(t);
    };
    std::set<std::string> made;  // initializers, graph inputs, node outputs so far
    for (const auto& t : g.initializer()) {
      for (const int64_t d : t.dims())
        if (d < 0) fail("initializer '" + t.name() + "' has a negative dimension");
      if (!number_type(t.data_type()))
        fail("initializer '" + t.name() + "' is of " + type_name(t.data_type()) +
             ": npusim costs tensors of numbers");
      made.insert(t.name());
    }
    std::set<std::string> inputs;
    for (const auto& v : g.input()) {
      if (!inputs.insert(v.name()).second) fail("input '" + v.name() + "' is listed twice");
      made.insert(v.name());
      if (!v.type().has_tensor_type()) continue;
      const auto& tt = v.type().tensor_type();
      if (!number_type(tt.elem_type()))
        fail("input '" + v.name() + "' is of " + type_name(tt.elem_type()) +
             ": npusim costs tensors of numbers");
      for (const auto& d : tt.shape().dim())
        if (d.has_dim_value() && d.dim_value() < 0)
          fail("input '" + v.name() + "' has a negative dimension");
    }
    for (const auto& n : g.node()) {
      if (n.output_size() == 0) fail_at(n, "makes no output");
      for (const auto& in : n.input())
        if (!in.empty() && !made.count(in))
          fail_at(n, "reads '" + in +
                         "', which no node before it, graph input or initializer makes (ONNX "
                         "lists nodes in topological order: a cycle has none)");
      for (const auto& a : n.attribute()) {
        const bool positive =
            a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape";
        if (positive || a.name() == "pads")
          for (const int64_t v : a.ints())
            if (v < (positive ? 1 : 0) || v > (int64_t{1} << 32))
              fail_at(n, "attribute " + a.name() + " holds " + std::to_string(v) +
                             (positive ? ": must be 1 to 2^32" : ": must be 0 to 2^32"));
        if (a.name() == "group" && a.has_i() && a.i() < 1)
          fail_at(n, "attribute group is " + std::to_string(a.i()) + ": must be at least 1");
      }
      for (const auto& out : n.output())
        if (!out.empty() && !made.insert(out).second)
          fail_at(n, "makes '" + out +
                         "', which a node before it, a graph input or an initializer already is");
    }
  }

  /// The graph inputs that are not initializers (old exporters list weights as inputs too).
  std::vector<onnx::ValueInfoProto*> real_inputs() {
    std::set<std::string> inits;
    for (const auto& t : m_model.graph().initializer()) inits.insert(t.name());
    std::vector<onnx::ValueInfoProto*> v;
    for (auto& i : *m_model.mutable_graph()->mutable_input())
      if (!inits.count(i.name())) v.push_back(&i);
    return v;
  }

  void apply_input_shapes() {
    std::vector<onnx::ValueInfoProto*> inputs = real_inputs();
    std::string names;
    for (const auto* i : inputs) names += (names.empty() ? "" : ", ") + i->name();
    for (const auto& [name, dims] : m_opt.input_shapes) {
      auto it = std::find_if(inputs.begin(), inputs.end(),
                             [&, &name = name](const auto* i) { return i->name() == name; });
      if (it == inputs.end())
        fail("--input-shape: the model has no input '" + name + "' (its inputs: " + names + ")");
      onnx::TensorShapeProto* shape = (*it)->mutable_type()->mutable_tensor_type()->mutable_shape();
      shape->clear_dim();
      for (uint64_t d : dims) shape->add_dim()->set_dim_value(static_cast<int64_t>(d));
    }
    for (const auto* i : inputs) {
      const auto& t = i->type().tensor_type();
      std::string text, example;
      bool known = t.has_shape();
      for (int d = 0; t.has_shape() && d < t.shape().dim_size(); ++d) {
        const auto& dim = t.shape().dim(d);
        const bool ok = dim.has_dim_value() && dim.dim_value() > 0;
        known = known && ok;
        const std::string x = d ? "x" : "";
        text += x + (ok ? std::to_string(dim.dim_value())
                        : (dim.dim_param().empty() ? "?" : dim.dim_param()));
        example += x + (ok ? std::to_string(dim.dim_value()) : "1");
      }
      if (!known)
        fail("input '" + i->name() + "' has " +
             (t.has_shape() ? "an unknown dimension (" + text + ")" : "no shape") +
             ": give its shape with --input-shape " + i->name() + "=" +
             (t.has_shape() ? example : "1x3x224x224") + " (its sizes)");
    }
  }

  void infer_shapes() {
    std::unordered_map<std::string, onnx::TensorShapeProto> data;
    try {
      onnx::shape_inference::InferShapes(m_model, onnx::OpSchemaRegistry::Instance(),
                                         onnx::ShapeInferenceOptions(false, 1, true), &data);
    } catch (const std::exception& e) {
      std::string what = e.what();
      while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
      fail("ONNX shape inference failed: " + what);
    }
  }

  void index_graph() {
    const onnx::GraphProto& g = m_model.graph();
    for (const auto& t : g.initializer()) m_init[t.name()] = &t;
    auto add = [&](const onnx::ValueInfoProto& v) {
      if (v.type().has_tensor_type()) m_type[v.name()] = &v.type().tensor_type();
    };
    for (const auto& v : g.input()) add(v);
    for (const auto& v : g.value_info()) add(v);
    for (const auto& v : g.output()) add(v);
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& n = g.node(i);
      for (const auto& in : n.input())
        if (!in.empty()) ++m_consumers[in], m_consumer_nodes[in].push_back(i);
      for (const auto& out : n.output()) m_producer[out] = i;
      if (onnx_op(n, "Constant"))
        for (const auto& out : n.output()) m_const.insert(out);
      if (onnx_op(n, "DequantizeLinear") && n.input_size() >= 1 && n.output_size() >= 1)
        m_dequantized[n.output(0)] = n.input(0);
    }
  }

  /// QDQ models (QuantizeLinear / DequantizeLinear around float ops, as quantization tools
  /// export them, which NPU compilers fuse into integer ops): the tensor a value stands for,
  /// through DequantizeLinear nodes (its quantized source: an int8 initializer, a
  /// QuantizeLinear's output).
  const std::string& quantized_source(const std::string& name) const {
    const std::string* t = &name;
    for (auto it = m_dequantized.find(*t); it != m_dequantized.end(); it = m_dequantized.find(*t))
      t = &it->second;
    return *t;
  }
  /// The type a value takes on the chip: its quantized source's; a result every consumer of
  /// which quantizes it, the quantized type (the op writes integers); else its own.
  int chip_type(const std::string& name) const {
    const std::string& src = quantized_source(name);
    if (&src != &name) return elem_type(src);
    auto it = m_consumer_nodes.find(name);
    if (it != m_consumer_nodes.end() && !it->second.empty()) {
      const onnx::GraphProto& g = m_model.graph();
      bool all_q = true;
      for (int c : it->second) all_q = all_q && onnx_op(g.node(c), "QuantizeLinear");
      if (all_q && g.node(it->second.front()).output_size() > 0)
        return elem_type(g.node(it->second.front()).output(0));
    }
    return elem_type(name);
  }

  bool is_constant(const std::string& name) const {
    const std::string& t = quantized_source(name);
    return m_init.count(t) || m_const.count(t);
  }
  /// The values of an initializer of float, double, int32 or int64 (raw or typed data), or
  /// nullopt (another type, or not an initializer): what a pattern's constants must equal.
  std::optional<std::vector<double>> constant_values(const std::string& name) const {
    const auto it = m_init.find(quantized_source(name));
    if (it == m_init.end()) return std::nullopt;
    const onnx::TensorProto& t = *it->second;
    using T = onnx::TensorProto;
    // Raw little-endian values of type V, or the typed field `typed`.
    auto read = [&t](auto zero, const auto& typed) -> std::optional<std::vector<double>> {
      using V = decltype(zero);
      std::vector<double> v;
      const std::string& raw = t.raw_data();
      if (raw.empty()) {
        for (const auto x : typed) v.push_back(static_cast<double>(x));
        return v;
      }
      if (raw.size() % sizeof(V)) return std::nullopt;
      for (size_t i = 0; i < raw.size(); i += sizeof(V)) {
        V x;
        std::memcpy(&x, raw.data() + i, sizeof(V));
        v.push_back(static_cast<double>(x));
      }
      return v;
    };
    switch (t.data_type()) {
      case T::FLOAT:
        return read(float{}, t.float_data());
      case T::DOUBLE:
        return read(double{}, t.double_data());
      case T::INT64:
        return read(int64_t{}, t.int64_data());
      case T::INT32:
        return read(int32_t{}, t.int32_data());
      default:
        return std::nullopt;
    }
  }
  const onnx::NodeProto* producer(const std::string& name) const {
    auto it = m_producer.find(name);
    return it == m_producer.end() ? nullptr : &m_model.graph().node(it->second);
  }
  size_t consumers(const std::string& name) const {
    auto it = m_consumers.find(name);
    return it == m_consumers.end() ? 0 : it->second;
  }

  /// The tensor's shape, every dimension known (a failure naming the node otherwise).
  Dims dims(const std::string& name, const onnx::NodeProto& n) const {
    if (auto it = m_init.find(name); it != m_init.end()) {
      Dims d;
      for (int64_t x : it->second->dims()) d.push_back(static_cast<uint64_t>(x));
      return d;
    }
    auto it = m_type.find(name);
    if (it == m_type.end() || !it->second->has_shape()) {
      const onnx::NodeProto* p = producer(name);
      const bool onnx_op = p && (p->domain().empty() || p->domain() == "ai.onnx");
      fail_at(n, "the shape of '" + name + "' is unknown after shape inference" +
                     (p && !onnx_op ? " (ONNX cannot infer the shapes of " + p->domain() + "." +
                                          p->op_type() + ")"
                                    : " (give the inputs' shapes with --input-shape, or export "
                                      "the model with static shapes)"));
    }
    Dims d;
    for (const auto& dim : it->second->shape().dim()) {
      if (!dim.has_dim_value() || dim.dim_value() < 0)
        fail_at(n, "the shape of '" + name + "' has an unknown dimension" +
                       (dim.dim_param().empty() ? "" : " ('" + dim.dim_param() + "')") +
                       " after shape inference (give the inputs' shapes with --input-shape)");
      d.push_back(static_cast<uint64_t>(dim.dim_value()));
    }
    return d;
  }

  int elem_type(const std::string& name) const {
    if (auto it = m_init.find(name); it != m_init.end()) return it->second->data_type();
    auto it = m_type.find(name);
    return it == m_type.end() ? 0 : it->second->elem_type();
  }

  /// The npusim format of an ONNX element type: int8/uint8 -> int8, int16/uint16 -> int16,
  /// int32 (and other integers) -> int32, float16 -> fp16, bfloat16 -> bf16; float32 and double
  /// -> fp16 (NPU arrays have no fp32 MAC path; noted), anything else fp16.
  Format format_of(int t) {
    using T = onnx::TensorProto;
    switch (t) {
      case T::INT8:
      case T::UINT8:
      case T::BOOL:
        return Format::kInt8;
      case T::INT16:
      case T::UINT16:
        return Format::kInt16;
      case T::INT32:
      case T::UINT32:
      case T::INT64:
      case T::UINT64:
        return Format::kInt32;
      case T::BFLOAT16:
        return Format::kBf16;
      case T::FLOAT:
      case T::DOUBLE:
        m_fp32 = true;
        return Format::kFp16;
      default:
        return Format::kFp16;
    }
  }
  Format act_format(const std::string& name) {
    return m_opt.activations ? *m_opt.activations : format_of(chip_type(name));
  }
  Format weight_format(const std::string& name) {
    return m_opt.weights ? *m_opt.weights : format_of(chip_type(name));
  }
  /// A second operand: weights when constant, else an activation.
  Format operand_format(const std::string& name) {
    return is_constant(name) ? weight_format(name) : act_format(name);
  }

  static const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  static int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t dflt) {
    const auto* a = attr(n, name);
    return a ? a->i() : dflt;
  }
  static std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name) {
    const auto* a = attr(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
  }
  static std::string attr_string(const onnx::NodeProto& n, const char* name) {
    const auto* a = attr(n, name);
    return a ? a->s() : std::string();
  }

  /// The node that is the only consumer of `tensor` and of type `type`, else -1.
  int only_consumer(const std::string& tensor, const char* type) const {
    auto it = m_consumer_nodes.find(tensor);
    if (it == m_consumer_nodes.end() || it->second.size() != 1) return -1;
    return onnx_op(m_model.graph().node(it->second[0]), type) ? it->second[0] : -1;
  }
  /// The input of a two-input node that is not `one` ("" when neither or both are).
  static std::string other_input(const onnx::NodeProto& n, const std::string& one) {
    if (n.input_size() != 2 || (n.input(0) == one) == (n.input(1) == one)) return "";
    return n.input(0) == one ? n.input(1) : n.input(0);
  }
  /// Whether `tensor` is `x` times a constant by a Mul whose only consumer is `into` (GELU's
  /// 0.5 x); its node index in `*mul`.
  bool scaled_x(const std::string& tensor, const std::string& x, int* mul) const {
    auto it = m_producer.find(tensor);
    if (it == m_producer.end()) return false;
    const onnx::NodeProto& m = m_model.graph().node(it->second);
    if (!onnx_op(m, "Mul") || consumers(tensor) != 1) return false;
    const std::string c = other_input(m, x);
    if (c.empty() || !is_constant(c)) return false;
    *mul = it->second;
    return true;
  }

  /// GELU as exporters before opset 20 write it: x * 0.5 * (1 + Erf(x / sqrt(2))), the Muls in
  /// any order. Recorded as a gelu at the last node over x, the others part of it.
  void find_erf_gelu(int e) {
    const onnx::GraphProto& g = m_model.graph();
    const onnx::NodeProto& erf = g.node(e);
    auto p = m_producer.find(erf.input(0));
    if (p == m_producer.end() || consumers(erf.input(0)) != 1) return;
    const onnx::NodeProto& scale = g.node(p->second);  // x / sqrt(2) or x * (1 / sqrt(2))
    if ((!onnx_op(scale, "Div") && !onnx_op(scale, "Mul")) || scale.input_size() != 2) return;
    // A product's operands in either order; a quotient's divisor is the constant.
    const int xi =
        !is_constant(scale.input(0)) && is_constant(scale.input(1))                            ? 0
        : onnx_op(scale, "Mul") && is_constant(scale.input(0)) && !is_constant(scale.input(1)) ? 1
                                                                                               : -1;
    if (xi < 0) return;
    const std::string x = scale.input(xi);
    std::vector<int> chain = {p->second, e};
    const int add = only_consumer(erf.output(0), "Add");
    if (add < 0 || !is_constant(other_input(g.node(add), erf.output(0)))) return;
    chain.push_back(add);
    std::string cur = g.node(add).output(0);
    bool saw_x = false;
    for (int step = 0; step < 2; ++step) {  // * x (or * 0.5x), and * 0.5
      const int mul = only_consumer(cur, "Mul");
      if (mul < 0) break;
      const std::string other = other_input(g.node(mul), cur);
      int half = -1;
      if (other == x || scaled_x(other, x, &half)) {
        if (saw_x) break;  // x once: x * (1 + erf(x / sqrt 2)) * x is no GELU
      }
      if (other == x) {
        saw_x = true;
      } else if (scaled_x(other, x, &half)) {
        saw_x = true;
        chain.push_back(half);
      } else if (other.empty() || !is_constant(other)) {
        break;
      }
      chain.push_back(mul);
      cur = g.node(mul).output(0);
    }
    if (!saw_x) return;
    for (size_t k = 0; k + 1 < chain.size(); ++k) m_part.insert(chain[k]);
    m_pattern_end[chain.back()] = {OpKind::kGelu, x, "Div, Erf, Add, Mul (GELU)", INT64_MAX, {}};
  }

  /// LayerNorm as exporters before opset 17 write it: d = x - ReduceMean(x); d / Sqrt(
  /// ReduceMean(d ^ 2) + eps), then * gamma and + beta when constant. A layernorm at the last
  /// node over x (reduced over ReduceMean's axes), the others part of it.
  void find_decomposed_layernorm(int r1) {
    const onnx::GraphProto& g = m_model.graph();
    const onnx::NodeProto& mean = g.node(r1);
    const std::string x = mean.input(0);
    const int sub = only_consumer(mean.output(0), "Sub");
    if (sub < 0 || g.node(sub).input(0) != x || g.node(sub).input(1) != mean.output(0)) return;
    const std::string d = g.node(sub).output(0);
    auto it = m_consumer_nodes.find(d);
    if (it == m_consumer_nodes.end() || it->second.size() != 2) return;
    int pow = -1, div = -1;
    for (int c : it->second) {
      const onnx::NodeProto& n = g.node(c);
      if (onnx_op(n, "Pow") && n.input(0) == d && is_constant(n.input(1))) pow = c;
      if (onnx_op(n, "Div") && n.input(0) == d) div = c;
    }
    if (pow < 0 || div < 0) return;
    const auto exponent = constant_values(g.node(pow).input(1));
    if (!exponent || exponent->size() != 1 || (*exponent)[0] != 2.0) return;  // a variance
    const int r2 = only_consumer(g.node(pow).output(0), "ReduceMean");
    const int eps = r2 < 0 ? -1 : only_consumer(g.node(r2).output(0), "Add");
    const int sqrt = eps < 0 ? -1 : only_consumer(g.node(eps).output(0), "Sqrt");
    if (sqrt < 0 || g.node(div).input(1) != g.node(sqrt).output(0)) return;
    std::vector<int> chain = {r1, sub, pow, r2, eps, sqrt, div};
    const int mul = only_consumer(g.node(div).output(0), "Mul");
    if (mul >= 0 && is_constant(other_input(g.node(mul), g.node(div).output(0)))) {
      chain.push_back(mul);
      const int add = only_consumer(g.node(mul).output(0), "Add");
      if (add >= 0 && is_constant(other_input(g.node(add), g.node(mul).output(0))))
        chain.push_back(add);
    }
    // The axes both means reduce (an attribute before opset 18, then a constant input), the
    // same for both; npusim's layernorm normalises the trailing axes from the first of them.
    const auto axes_of = [&](const onnx::NodeProto& mn) -> std::optional<std::vector<int64_t>> {
      if (mn.input_size() >= 2 && !mn.input(1).empty()) {
        const auto v = constant_values(mn.input(1));
        if (!v) return std::nullopt;
        return std::vector<int64_t>(v->begin(), v->end());
      }
      return attr_ints(mn, "axes");
    };
    const auto axes = axes_of(mean), axes2 = axes_of(g.node(r2));
    if (!axes || !axes2 || *axes != *axes2) return;
    for (size_t k = 0; k + 1 < chain.size(); ++k) m_part.insert(chain[k]);
    // No axes: ReduceMean reduces them all.
    m_pattern_end[chain.back()] = {
        OpKind::kLayerNorm, x, "ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div (LayerNorm)",
        axes->empty() ? 0 : *std::min_element(axes->begin(), axes->end()), *axes};
  }

  /// Patterns that span nodes: Sigmoid(x) * x (silu, at the Mul; the Sigmoid is free), GELU's
  /// and LayerNorm's decompositions, and the bias Add after a MatMul/Gemm/Conv whose only
  /// consumer it is (added in the output stage).
  void find_patterns() {
    const onnx::GraphProto& g = m_model.graph();
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& n = g.node(i);
      if (onnx_op(n, "Erf") && n.input_size() == 1) find_erf_gelu(i);
      if (onnx_op(n, "ReduceMean") && n.input_size() >= 1) find_decomposed_layernorm(i);
      if (onnx_op(n, "Mul") && n.input_size() == 2) {
        for (int side = 0; side < 2; ++side) {
          const onnx::NodeProto* p = producer(n.input(side));
          if (p && onnx_op(*p, "Sigmoid") && p->input_size() == 1 &&
              p->input(0) == n.input(1 - side) && consumers(n.input(side)) == 1) {
            m_silu_mul.insert(i);
            m_silu_sigmoid.insert(m_producer.at(n.input(side)));
            break;
          }
        }
      }
      if (onnx_op(n, "Add") && n.input_size() == 2) {
        for (int side = 0; side < 2; ++side) {
          const onnx::NodeProto* p = producer(n.input(1 - side));
          if (is_constant(n.input(side)) && p &&
              (onnx_op(*p, "MatMul") || onnx_op(*p, "Gemm") || onnx_op(*p, "Conv")) &&
              consumers(n.input(1 - side)) == 1) {
            m_bias_add.insert(i);
            break;
          }
        }
      }
    }
  }

  std::string unique_name(const onnx::NodeProto& n, int index) {
    std::string base = n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
    std::string name = base;
    for (int k = 2; !m_names.insert(name).second; ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  Op& emit(const onnx::NodeProto& n, int index, OpKind kind) {
    Op op;
    op.name = unique_name(n, index);
    op.kind = kind;
    op.op_class = n.op_type();
    m_out.ops.push_back(op);
    return m_out.ops.back();
  }

  /// rows x cols of a tensor: cols its last dimension (`cols_from` on: the product of the
  /// dimensions from there), rows the rest.
  static void rows_cols(const Dims& d, Op& op, size_t cols_from = SIZE_MAX) {
    if (cols_from == SIZE_MAX) cols_from = d.empty() ? 0 : d.size() - 1;
    op.cols = std::max<uint64_t>(1, product(d, cols_from));
    op.rows = std::max<uint64_t>(1, product(d, 0, cols_from));
  }

  static size_t norm_axis(int64_t axis, size_t rank) {
    if (axis < 0) axis += static_cast<int64_t>(rank);
    return static_cast<size_t>(std::clamp<int64_t>(axis, 0, rank ? rank - 1 : 0));
  }
  /// Node n's `axis` over an input of `rank` dimensions, refused out of [-rank, rank - 1] (ONNX
  /// rejects it; clamping would cost another op).
  size_t checked_axis(const onnx::NodeProto& n, int64_t axis, size_t rank) const {
    const auto r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r)
      fail_at(n, "axis " + std::to_string(axis) + " is outside an input of rank " +
                     std::to_string(rank));
    return norm_axis(axis, rank);
  }

  void import_node(int index, const onnx::NodeProto& n) {
    const std::string& t = standard_domain(n) ? n.op_type() : kForeign;
    static const std::set<std::string> kShapeOnly = {
        "Reshape",  "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat",
        "Identity", "Constant",  "Shape",   "Dropout", "Size"};
    static const std::set<std::string> kFused = {"Relu", "Clip", "LeakyRelu", "BatchNormalization"};
    if (kShapeOnly.count(t)) return m_free.add(t);
    if (t == "QuantizeLinear" || t == "DequantizeLinear") return m_qdq.add(t);
    if (kFused.count(t)) return m_fused.add(t);
    if (m_silu_sigmoid.count(index) || m_part.count(index)) return;  // costed with its pattern
    if (auto p = m_pattern_end.find(index); p != m_pattern_end.end()) {
      const Pattern& pt = p->second;
      const Dims d = dims(pt.x, n);
      if (pt.kind == OpKind::kLayerNorm && !pt.axes.empty()) {
        std::set<size_t> reduced;
        for (const int64_t a : pt.axes) reduced.insert(checked_axis(n, a, d.size()));
        if (reduced.size() != d.size() - *reduced.begin())
          fail_at(n, "a LayerNorm written out in nodes over axes " + ints_text(pt.axes) +
                         " of a rank-" + std::to_string(d.size()) +
                         " input: npusim's layernorm normalises trailing axes only");
      }
      Op& op = emit(n, index, pt.kind);
      op.op_class = std::string(op_kind_name(pt.kind)) + " pattern";
      rows_cols(d, op, pt.axis == INT64_MAX ? SIZE_MAX : checked_axis(n, pt.axis, d.size()));
      op.a_format = op.b_format = act_format(pt.x);
      op.c_format = act_format(n.output(0));
      m_pattern.add(pt.nodes);
      return;
    }
    if (m_bias_add.count(index)) return m_bias.add(t);
    // Shape arithmetic: every output an integer tensor of at most one dimension (a shape, an
    // index): computed when the graph is compiled, not on the chip.
    // Its inputs too must be such tensors or constants: an ArgMax over logits makes an index
    // vector from work on the chip.
    const auto shape_like = [&](const std::string& o) {
      auto it = m_type.find(o);
      return it != m_type.end() && is_integer_type(it->second->elem_type()) &&
             it->second->has_shape() && it->second->shape().dim_size() <= 1;
    };
    bool shape_math = standard_domain(n) && n.output_size() > 0;
    for (const auto& o : n.output()) shape_math = shape_math && shape_like(o);
    for (const auto& i : n.input())
      shape_math = shape_math && (i.empty() || is_constant(i) || shape_like(i));
    if (shape_math) return m_free.add(t + " (on shapes)");

    if (t == "MatMul" || t == "MatMulInteger") return matmul(index, n, 0, 1);
    if (t == "QLinearMatMul") return matmul(index, n, 0, 3);
    if (t == "Gemm") return gemm(index, n);
    if (t == "Conv" || t == "ConvInteger") return conv(index, n, 0, 1);
    if (t == "QLinearConv") return conv(index, n, 0, 3);
    if (t == "MaxPool" || t == "AveragePool" || t == "GlobalAveragePool" || t == "GlobalMaxPool")
      return pool(index, n);
    if (t == "ConvTranspose" && attr_int(n, "group", 1) == 1) return conv_transpose(index, n);
    if (t == "Resize" || t == "Upsample") {  // a vector pass over the output
      Op& op = emit(n, index, OpKind::kEltwise);
      rows_cols(dims(n.output(0), n), op);
      m_resized.add(t);
      return vector_formats(op, n);
    }
    if (t == "Softmax") {
      const Dims d = dims(n.input(0), n);
      Op& op = emit(n, index, OpKind::kSoftmax);
      const size_t axis = checked_axis(n, attr_int(n, "axis", m_opset < 13 ? 1 : -1), d.size());
      if (m_opset < 13 || axis + 1 == d.size()) {
        rows_cols(d, op, axis);
      } else {  // over one inner axis: the same rows x cols of work
        op.cols = d[axis];
        op.rows = product(d) / std::max<uint64_t>(1, d[axis]);
      }
      return vector_formats(op, n);
    }
    if (t == "LayerNormalization" || t == "SimplifiedLayerNormalization" ||
        t == "RMSNormalization") {
      const Dims d = dims(n.input(0), n);
      Op& op = emit(n, index, t == "LayerNormalization" ? OpKind::kLayerNorm : OpKind::kRmsNorm);
      rows_cols(d, op, checked_axis(n, attr_int(n, "axis", -1), d.size()));
      return vector_formats(op, n);
    }
    if (t == "Gelu" || t == "FastGelu") {
      Op& op = emit(n, index, OpKind::kGelu);
      rows_cols(dims(n.output(0), n), op);
      return vector_formats(op, n);
    }
    if (t == "Mul" && m_silu_mul.count(index)) {
      Op& op = emit(n, index, OpKind::kSilu);
      op.op_class = "Sigmoid*Mul";
      rows_cols(dims(n.output(0), n), op);
      m_pattern.add("Sigmoid, Mul (silu)");
      return vector_formats(op, n);
    }
    if ((t == "Add" || t == "Sub" || t == "Mul") && n.input_size() == 2)
      return eltwise2(index, n, t == "Mul" ? OpKind::kMul : OpKind::kAdd);
    if (t == "Gather" && is_constant(n.input(0)) && !is_integer_type(elem_type(n.input(0)))) {
      const Dims table = dims(n.input(0), n);
      if (table.size() == 2 && attr_int(n, "axis", 0) == 0) {  // an embedding lookup
        Op& op = emit(n, index, OpKind::kGather);
        op.rows = std::max<uint64_t>(1, product(dims(n.input(1), n)));
        op.cols = table[1];
        op.a_format = op.b_format = weight_format(n.input(0));
        op.c_format = act_format(n.output(0));
        return;
      }
    }
    const std::string type = (n.domain().empty() || n.domain() == "ai.onnx")
                                 ? n.op_type()
                                 : n.domain() + "." + n.op_type();
    m_unsupported.add(type);
    if (!m_opt.cost_unsupported) return;
    Dims d = dims(n.output(0), n);
    uint64_t elems = 0;
    for (const auto& o : n.output())
      if (!o.empty()) elems += product(dims(o, n));
    if (elems == 0) return;
    Op& op = emit(n, index, OpKind::kEltwise);
    op.cols = d.empty() || d.back() == 0 || elems % d.back() != 0 ? elems : d.back();
    op.rows = elems / op.cols;
    op.a_format = op.b_format = op.c_format = act_format(n.output(0));
    m_vector.add(type);
  }

  /// The graph: the op node `index` emitted (if any) reads A, and B where its kind takes one,
  /// from the ops that produced its first non-constant inputs (a pattern's op: its input x).
  /// A node that emits no op (shape-only, fused, a bias add, inside a pattern) passes its first
  /// input's producer on as its outputs'.
  void link(int index, const onnx::NodeProto& n, size_t before) {
    const auto producer_of = [&](const std::string& t) -> const size_t* {
      const auto it = m_op_of.find(t);
      return t.empty() || is_constant(t) || it == m_op_of.end() ? nullptr : &it->second;
    };
    if (m_out.ops.size() == before) {
      if (n.input_size() > 0)
        if (const size_t* p = producer_of(n.input(0)))
          for (const auto& out : n.output()) m_op_of[out] = *p;
      return;
    }
    const size_t me = m_out.ops.size() - 1;
    for (const auto& out : n.output()) m_op_of[out] = me;
    Op& op = m_out.ops.back();
    if (op.kind == OpKind::kGather) return;  // its A is the table
    std::vector<size_t> from;
    if (auto p = m_pattern_end.find(index); p != m_pattern_end.end()) {
      if (const size_t* q = producer_of(p->second.x)) from.push_back(*q);
    } else {
      for (const auto& in : n.input())
        if (const size_t* q = producer_of(in)) from.push_back(*q);
    }
    if (!from.empty()) op.a_from = static_cast<uint32_t>(me - from[0]);
    if (from.size() > 1 && op_kind_info(op.kind).second_input)
      op.b_from = static_cast<uint32_t>(me - from[1]);
  }

  void vector_formats(Op& op, const onnx::NodeProto& n) {
    op.a_format = op.b_format = act_format(n.input(0));
    op.c_format = act_format(n.output(0));
  }

  void eltwise2(int index, const onnx::NodeProto& n, OpKind kind) {
    const Dims out = dims(n.output(0), n);
    const uint64_t elems = product(out);
    const uint64_t e0 = product(dims(n.input(0), n)), e1 = product(dims(n.input(1), n));
    // A is a full-size input; B the other, taken as resident in SRAM when it is broadcast (a
    // bias, a scale: read once, its bytes not counted against DRAM).
    const bool swap = e0 < elems && e1 == elems;
    const std::string& a = n.input(swap ? 1 : 0);
    const std::string& b = n.input(swap ? 0 : 1);
    Op& op = emit(n, index, kind);
    rows_cols(out, op);
    op.a_format = act_format(a);
    op.b_format = operand_format(b);
    op.c_format = act_format(n.output(0));
    if (product(dims(b, n)) < elems) {
      op.b_loc = Location::kSram;
      m_broadcast.add(n.op_type());
    }
  }

  void matmul(int index, const onnx::NodeProto& n, int ia, int ib) {
    Dims a = dims(n.input(ia), n), b = dims(n.input(ib), n);
    if (a.empty() || b.empty()) fail_at(n, "a MatMul of a scalar");
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    const uint64_t a_batch = product(a, 0, a.size() - 2), b_batch = product(b, 0, b.size() - 2);
    Op& op = emit(n, index, OpKind::kGemm);
    op.k = a.back();
    op.n = b.back();
    if (b_batch == 1) {  // one B (weights) for every row of A: one GEMM over all of them
      op.m = a_batch * a[a.size() - 2];
      op.batch = 1;
    } else {  // independent GEMMs over the broadcast batch dimensions
      op.m = a[a.size() - 2];
      Dims ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
      while (ab.size() < bb.size()) ab.insert(ab.begin(), 1);
      while (bb.size() < ab.size()) bb.insert(bb.begin(), 1);
      op.batch = 1;
      for (size_t i = 0; i < ab.size(); ++i) op.batch *= std::max(ab[i], bb[i]);
    }
    op.a_format = act_format(n.input(ia));
    op.b_format = operand_format(n.input(ib));
    op.c_format = act_format(n.output(0));
  }

  /// ConvTranspose (group 1) as NPU compilers lower it: a GEMM of each input pixel's channels by
  /// the weights [C_in, C_out x kh x kw] (the true MACs: no zeros inserted), whose columns are
  /// then scattered into the output (col2im; its overlapping adds are not costed, noted).
  void conv_transpose(int index, const onnx::NodeProto& n) {
    const Dims x = dims(n.input(0), n), w = dims(n.input(1), n);
    if (x.size() < 3 || w.size() != x.size())
      fail_at(n, "ConvTranspose needs an input [N, C, spatial...] and weights of the same rank");
    Op& op = emit(n, index, OpKind::kGemm);
    op.m = x[0] * product(x, 2);
    op.k = x[1];
    op.n = product(w, 1);
    op.batch = 1;
    op.a_format = act_format(n.input(0));
    op.b_format = operand_format(n.input(1));
    op.c_format = act_format(n.output(0));
    if (n.input_size() > 2 && !n.input(2).empty()) m_bias.add("ConvTranspose's bias");
    m_col2im.add("ConvTranspose");
  }

  void gemm(int index, const onnx::NodeProto& n) {
    const Dims a = dims(n.input(0), n), b = dims(n.input(1), n);
    if (a.size() != 2 || b.size() != 2) fail_at(n, "Gemm takes 2-D A and B");
    const bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
    Op& op = emit(n, index, OpKind::kGemm);
    op.m = ta ? a[1] : a[0];
    op.k = ta ? a[0] : a[1];
    op.n = tb ? b[0] : b[1];
    op.a_format = act_format(n.input(0));
    op.b_format = operand_format(n.input(1));
    op.c_format = act_format(n.output(0));
    if (n.input_size() > 2 && !n.input(2).empty()) m_bias.add("Gemm's C");
  }

  /// The ConvShape of a conv or pool from its input (N, C, H[, W]), kernel, attributes and
  /// inferred output (N, F, OH[, OW]). One stride and one pad: asymmetric padding is modelled as
  /// the smallest pad around an input grown by the rest (exact outputs and MACs; the extra
  /// padding counted as input), and ceil_mode as the input grown until the output matches.
  void spatial(const onnx::NodeProto& n, const Dims& x, uint64_t kr, uint64_t ks, const Dims& y,
               bool global, Op& op) {
    const bool one_d = x.size() == 3;
    if (x.size() != 4 && !one_d)
      fail_at(n, "a " + std::to_string(x.size() - 2) +
                     "-D window: npusim models 1-D and 2-D convs and pools");
    for (int64_t d : attr_ints(n, "dilations"))
      if (d != 1) fail_at(n, "dilations are not modelled (npusim's convs and pools are undilated)");
    const uint64_t H = one_d ? 1 : x[2], W = one_d ? x[2] : x[3];
    const uint64_t OH = one_d ? 1 : y[2], OW = one_d ? y[2] : y[3];
    std::vector<int64_t> strides = attr_ints(n, "strides");
    if (strides.empty()) strides.assign(one_d ? 1 : 2, 1);
    const uint64_t sh = one_d ? 1 : static_cast<uint64_t>(strides[0]);
    const uint64_t sw = static_cast<uint64_t>(strides[one_d ? 0 : 1]);
    if (!one_d && sh != sw && !global)
      fail_at(n, "strides " + std::to_string(sh) + " x " + std::to_string(sw) +
                     " differ along h and w: npusim models one stride");
    // Pads: top, left, bottom, right (for 1-D: left, right).
    uint64_t pt = 0, pl = 0, pb = 0, pr = 0;
    const std::string auto_pad = attr_string(n, "auto_pad");
    if (!global) {
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const auto total = [](uint64_t out, uint64_t s, uint64_t k, uint64_t in) {
          const uint64_t need = (out - 1) * s + k;
          return need > in ? need - in : 0;
        };
        const uint64_t th = total(OH, sh, kr, H), tw = total(OW, sw, ks, W);
        const bool upper = auto_pad == "SAME_UPPER";  // the odd one at the end, else the start
        pt = upper ? th / 2 : th - th / 2;
        pb = th - pt;
        pl = upper ? tw / 2 : tw - tw / 2;
        pr = tw - pl;
        if (one_d) pt = pb = 0;
      } else if (auto_pad.empty() || auto_pad == "NOTSET") {
        const std::vector<int64_t> p = attr_ints(n, "pads");
        if (!p.empty()) {
          if (one_d) {
            pl = static_cast<uint64_t>(p[0]);
            pr = static_cast<uint64_t>(p[1]);
          } else {
            pt = static_cast<uint64_t>(p[0]);
            pl = static_cast<uint64_t>(p[1]);
            pb = static_cast<uint64_t>(p[2]);
            pr = static_cast<uint64_t>(p[3]);
          }
        }
      }
    }
    ConvShape& c = op.conv;
    c.r = kr;
    c.s = ks;
    c.stride = global ? 1 : sw;
    c.pad = one_d ? std::min(pl, pr) : std::min({pt, pl, pb, pr});
    c.h = H + pt + pb - (one_d ? 0 : 2 * c.pad);
    c.w = W + pl + pr - 2 * c.pad;
    if (one_d && c.pad > 0) {  // no pad along the single row: grow w by it instead
      c.w += 2 * c.pad;
      c.pad = 0;
    }
    for (uint64_t k = 0; k < c.stride && c.out_h() < OH; ++k) ++c.h;
    for (uint64_t k = 0; k < c.stride && c.out_w() < OW; ++k) ++c.w;
    if (c.r > c.h + 2 * c.pad || c.s > c.w + 2 * c.pad || c.out_h() != OH || c.out_w() != OW)
      fail_at(n, "cannot express its window (" + std::to_string(kr) + " x " + std::to_string(ks) +
                     ", stride " + std::to_string(c.stride) + ") over " + dims_text(x) +
                     " to the inferred output " + dims_text(y));
    if (c.h != H || c.w != W) m_grown.add(n.op_type() + (one_d ? " (1-D: its pads)" : ""));
    op.batch = x[0];
  }

  void conv(int index, const onnx::NodeProto& n, int ix, int iw) {
    const Dims x = dims(n.input(ix), n), w = dims(n.input(iw), n), y = dims(n.output(0), n);
    if (w.size() != x.size() || y.size() != x.size())
      fail_at(n, "input, weights and output of different ranks");
    const uint64_t group = static_cast<uint64_t>(attr_int(n, "group", 1));
    const uint64_t C = x[1], F = w[0];
    if (group != 1 && !(group == C && F == C))
      fail_at(n, "a grouped conv (group = " + std::to_string(group) + ", " + std::to_string(C) +
                     " channels, " + std::to_string(F) +
                     " filters) is not modelled: npusim models dense convs (group = 1) and "
                     "depthwise ones (group = channels = filters)");
    if (w.size() > 1 && w[1] * group != C)  // ONNX: W is [F, C / group, kernel...]
      fail_at(n, "weights " + dims_text(w) + " over " + std::to_string(C) + " input channels in " +
                     std::to_string(group) +
                     " group(s): their second dimension must be channels / group");
    Op& op = emit(n, index, OpKind::kConv2d);
    const bool one_d = x.size() == 3;
    spatial(n, x, one_d ? 1 : w[2], one_d ? w[2] : w[3], y, false, op);
    op.conv.c = C;
    op.conv.f = F;
    op.conv.groups = group;
    op.a_format = act_format(n.input(ix));
    op.b_format = operand_format(n.input(iw));
    op.c_format = act_format(n.output(0));
    if (n.input_size() > (iw == 1 ? 2 : 8) && !n.input(iw == 1 ? 2 : 8).empty())
      m_bias.add(n.op_type() + "'s bias");
  }

  void pool(int index, const onnx::NodeProto& n) {
    const std::string& t = n.op_type();
    const bool global = t.rfind("Global", 0) == 0;
    const Dims x = dims(n.input(0), n), y = dims(n.output(0), n);
    if (x.size() < 3) fail_at(n, "a pool over " + dims_text(x));
    const bool one_d = x.size() == 3;
    uint64_t kr = 1, ks = 1;
    if (global) {
      kr = one_d ? 1 : x[2];
      ks = one_d ? x[2] : x[3];
    } else {
      const std::vector<int64_t> k = attr_ints(n, "kernel_shape");
      if (k.size() + 2 != x.size()) fail_at(n, "kernel_shape does not match the input's rank");
      kr = one_d ? 1 : static_cast<uint64_t>(k[0]);
      ks = static_cast<uint64_t>(k[one_d ? 0 : 1]);
    }
    const bool max = t == "MaxPool" || t == "GlobalMaxPool";
    Op& op = emit(n, index, max ? OpKind::kMaxPool : OpKind::kAvgPool);
    spatial(n, x, kr, ks, y, global, op);
    op.conv.c = x[1];
    op.conv.f = 0;
    vector_formats(op, n);
  }

  void write_notes() {
    auto& notes = m_out.notes;
    if (!m_free.empty())
      notes.push_back(
          "free (shape-only: they change how a tensor is indexed, not its values; "
          "npusim's DMA reads any layout): " +
          m_free.text());
    if (!m_fused.empty())
      notes.push_back(
          "fused into the op that produces their input, no cost (activations in the output "
          "stage, batch norm folded into the conv, as npusim's CNN traces and SCALE-Sim do): " +
          m_fused.text());
    if (!m_bias.empty())
      notes.push_back("biases added in the array's output stage, no cost: " + m_bias.text());
    if (!m_pattern.empty())
      notes.push_back("node patterns imported as one op each: " + m_pattern.text());
    if (!m_col2im.empty())
      notes.push_back(
          "transposed convolutions as a GEMM of each input pixel's channels by the weights "
          "(the true MACs); the scatter of its columns into the output (col2im) and its "
          "overlapping adds are not costed: " +
          m_col2im.text());
    if (!m_resized.empty())
      notes.push_back(
          "resizes as a vector pass over their output (its reads counted at the output's size): " +
          m_resized.text());
    if (!m_qdq.empty())
      notes.push_back(
          "quantize / dequantize nodes folded into their neighbours (as NPU compilers fuse QDQ "
          "pairs): an op reads a dequantized tensor in its quantized type and writes the type "
          "its result is quantized to, no cost: " +
          m_qdq.text());
    if (!m_broadcast.empty())
      notes.push_back(
          "broadcast operands (biases, scales) taken as resident in SRAM, read once and not "
          "counted: " +
          m_broadcast.text());
    if (!m_grown.empty())
      notes.push_back(
          "asymmetric padding or ceil_mode modelled as a symmetric pad around an input grown by "
          "the rest (exact output and MACs; the extra rows and columns counted as input): " +
          m_grown.text());
    if (m_fp32 && !(m_opt.weights && m_opt.activations))
      notes.push_back(
          "float32 (and float64) tensors costed as fp16 (NPU arrays have no fp32 MAC path); give "
          "--weights and --activations to cost another format");
    if (!m_vector.empty())
      notes.push_back(
          "no npusim model, costed as one element-wise pass over their output on the vector "
          "unit (eltwise: one read, one ALU op, one write per element): " +
          m_vector.text());
  }

  std::string m_path;
  const OnnxImportOptions& m_opt;
  onnx::ModelProto m_model;
  int64_t m_opset = 17;
  std::unordered_map<std::string, const onnx::TensorProto*> m_init;
  std::unordered_map<std::string, const onnx::TypeProto_Tensor*> m_type;
  std::unordered_map<std::string, size_t> m_consumers;
  std::unordered_map<std::string, int> m_producer;
  std::set<std::string> m_const, m_names;
  struct Pattern {
    OpKind kind;
    std::string x;              ///< the input the op reads
    std::string nodes;          ///< for the notes
    int64_t axis = INT64_MAX;   ///< the first reduced axis (a norm), else none (INT64_MAX)
    std::vector<int64_t> axes;  ///< a decomposed norm's reduced axes (none: all of them)
  };
  std::unordered_map<std::string, std::vector<int>> m_consumer_nodes;
  std::map<int, Pattern> m_pattern_end;             ///< the last node of a pattern: its op
  std::set<int> m_part;                             ///< the other nodes of a pattern
  std::unordered_map<std::string, size_t> m_op_of;  ///< tensor -> the op that produced it
  std::set<int> m_silu_mul, m_silu_sigmoid, m_bias_add;
  Tally m_free, m_fused, m_bias, m_pattern, m_broadcast, m_grown, m_vector, m_unsupported, m_qdq,
      m_col2im, m_resized;
  std::map<std::string, std::string> m_dequantized;  ///< DequantizeLinear output -> its input
  bool m_fp32 = false;
  OnnxImport m_out;
};

}  // namespace

OnnxImport import_onnx(const std::string& path, const OnnxImportOptions& options) {
  return Importer(path, options).run();
}

}  // namespace npu
