// load_model: a model's shape from our YAML (through the strict reader of yaml_reader.h) or from
// a Hugging Face config.json (through nlohmann::json). The two share the caps and the cross-field
// checks (complete_shape), so a model is accepted or rejected the same way from either file.
//
// JSON carries no positions after parsing, so the file is scanned once more for where each
// top-level key's value starts (top_level_positions): errors then read `file:line:col: key:
// message` as they do for YAML.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model_loader.h"
#include "yaml_reader.h"

namespace npu {

namespace {

using config::MapReader;
using config::Value;
using json = nlohmann::json;

// Caps. Far above any published model; they keep the parameter count (at most
// 2^24 x 2^20 + 2^10 x (4 x 2^20 x 2^20 + 3 x 2^20 x 2^22) < 2^56) and KV bytes inside 64 bits.
constexpr uint64_t kMaxLayers = 1024;
constexpr uint64_t kMaxDModel = uint64_t{1} << 20;
constexpr uint64_t kMaxHeads = uint64_t{1} << 16;
constexpr uint64_t kMaxHeadDim = uint64_t{1} << 16;
constexpr uint64_t kMaxQDim = uint64_t{1} << 20;  // heads x head_dim
constexpr uint64_t kMaxFfnDim = uint64_t{1} << 22;
constexpr uint64_t kMaxVocab = uint64_t{1} << 24;
constexpr uint64_t kMaxContext = uint64_t{1} << 27;
constexpr uint64_t kMaxExperts = 4096;

std::string cap_text(uint64_t cap) {
  int bits = 0;
  while ((uint64_t{1} << bits) < cap) ++bits;
  return (uint64_t{1} << bits) == cap && bits > 10 ? "2^" + std::to_string(bits)
                                                   : std::to_string(cap);
}

/// Which key to blame for each cross-field check, as the file spells it.
struct ShapeKeys {
  std::string heads, kv_heads, head_dim;
};
/// Throws a ConfigError at `key` (its value when present, else the enclosing mapping).
using FailAt = std::function<void(const std::string& key, const std::string& message)>;

/// Fills the defaults that depend on other fields (head_dim = d_model / heads, kv_heads = heads)
/// and checks what single ranges cannot: heads dividing the hidden size when head_dim is not
/// given, kv_heads dividing heads, heads x head_dim under the cap.
void complete_shape(ModelConfig& m, bool head_dim_given, bool kv_heads_given, const ShapeKeys& k,
                    const FailAt& fail) {
  if (!head_dim_given) {
    if (m.d_model % m.heads != 0) {
      fail(k.heads, k.heads + " (" + std::to_string(m.heads) + ") do not divide the hidden size (" +
                        std::to_string(m.d_model) + "); set " + k.head_dim +
                        " when heads x head_dim is not the hidden size");
      return;
    }
    m.head_dim = m.d_model / m.heads;
  } else if (m.q_dim() > kMaxQDim) {
    fail(k.head_dim, k.heads + " x " + k.head_dim + " = " + std::to_string(m.q_dim()) +
                         " exceeds the cap of " + cap_text(kMaxQDim));
    return;
  }
  if (!kv_heads_given) m.kv_heads = m.heads;
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
    fail(k.kv_heads, k.kv_heads + " (" + std::to_string(m.kv_heads) + ") do not divide " + k.heads +
                         " (" + std::to_string(m.heads) + ")");
}

// ---------------------------------------------------------------------------------------------
// YAML

const config::EnumTable<FfnKind>& ffn_kinds() {
  static const auto table = config::enum_table(kAllFfnKinds, ffn_kind_name);
  return table;
}
const config::EnumTable<NormKind>& norm_kinds() {
  static const auto table = config::enum_table(kAllNormKinds, norm_kind_name);
  return table;
}
const config::EnumTable<PosEncoding>& pos_encodings() {
  static const auto table = config::enum_table(kAllPosEncodings, pos_encoding_name);
  return table;
}

// ---------------------------------------------------------------------------------------------
// JSON

struct Where {
  int line = 0, col = 0;
};

/// Where the top-level object starts and where each of its keys' values starts (1-based line and
/// byte column). `text` is valid JSON with an object at the top. A key given twice is an error
/// (nlohmann would keep the last one silently).
struct TopLevel {
  Where object;
  std::map<std::string, Where> values;
};

TopLevel top_level_positions(const std::string& path, const std::string& text) {
  TopLevel top;
  std::map<std::string, Where> keys;
  int line = 1, col = 1, depth = 0;
  size_t i = 0;
  const size_t n = text.size();
  auto advance = [&] {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    ++i;
  };
  auto skip_space = [&] {
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      advance();
  };
  while (i < n) {
    const char c = text[i];
    if (c == '"') {
      const Where start{line, col};
      advance();
      std::string s;  // raw: escapes are kept, so an escaped key is simply not located
      while (i < n && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < n) {
          s += text[i];
          advance();
        }
        s += text[i];
        advance();
      }
      if (i < n) advance();  // closing quote
      if (depth == 1) {
        skip_space();
        if (i < n && text[i] == ':') {
          advance();
          skip_space();
          if (const auto first = keys.find(s); first != keys.end())
            throw ConfigError(path, start.line, start.col, s,
                              "duplicate key '" + s + "' (first given at line " +
                                  std::to_string(first->second.line) + ")");
          keys[s] = start;
          top.values[s] = Where{line, col};
        }
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth == 0) top.object = Where{line, col};
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
    advance();
  }
  return top;
}

/// 1-based line and column of byte `offset` of `text`.
Where position_of(const std::string& text, size_t offset) {
  Where w{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++w.line;
      w.col = 1;
    } else {
      ++w.col;
    }
  }
  return w;
}

/// Byte offset of the token a JSON syntax error is about. nlohmann reports `byte`, the 1-based
/// index of the last byte it read, i.e. the token's end; the start is more useful (the string
/// after a missing comma, not its closing quote). `reason` names the token: "unexpected string
/// literal", or "last read: '<token>'".
size_t syntax_error_offset(const std::string& text, size_t byte, const std::string& reason) {
  if (byte == 0 || text.empty()) return 0;
  const size_t end = std::min(byte, text.size()) - 1;  // the last byte read
  if (reason.find("unexpected string literal") != std::string::npos && text[end] == '"') {
    // A string holds no raw newline: its opening quote is the previous unescaped '"'.
    for (size_t i = end; i-- > 0 && text[i] != '\n';)
      if (text[i] == '"' && (i == 0 || text[i - 1] != '\\')) return i;
  }
  const std::string tag = "last read: '";
  if (const size_t at = reason.find(tag); at != std::string::npos) {
    const size_t from = at + tag.size();
    const size_t to = reason.find("'", from);
    const size_t len = to == std::string::npos ? 0 : to - from;
    if (len > 0 && len <= end + 1 && text.compare(end + 1 - len, len, reason, from, len) == 0)
      return end + 1 - len;
  }
  return end;
}

std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "the string " + config::echo_text(v.dump());
    default:
      return config::echo_text(v.dump());  // numbers, true, false
  }
}

/// The top-level object of a config.json with where its keys are, read key by key.
class JsonFields {
 public:
  JsonFields(std::string path, json root, TopLevel top)
      : m_path(std::move(path)), m_root(std::move(root)), m_top(std::move(top)) {}

  const std::string& path() const { return m_path; }

  /// The value of `key`, or nullptr when it is absent or null (HF writes unset fields as null).
  const json* find(const std::string& key) const {
    const auto it = m_root.find(key);
    if (it == m_root.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }

  /// Throws at the value of `key`, or at the object when the key is absent.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    const auto it = m_top.values.find(key);
    const Where w = it != m_top.values.end() ? it->second : m_top.object;
    throw ConfigError(m_path, w.line, w.col, key, message);
  }

  /// The first of `keys` present (they are spellings of one field); nullopt when none is. When
  /// several are present their values must agree.
  std::optional<std::string> pick(const std::vector<std::string>& keys) const {
    std::optional<std::string> first;
    for (const auto& k : keys) {
      if (!has(k)) continue;
      if (!first) {
        first = k;
      } else if (*find(k) != *find(*first)) {
        fail(k, "'" + k + "' (" + find(k)->dump() + ") and '" + *first + "' (" +
                    find(*first)->dump() + ") are spellings of the same field and disagree");
      }
    }
    return first;
  }

  /// Fails at the object: none of `keys` is present.
  [[noreturn]] void missing(const std::vector<std::string>& keys) const {
    std::string message = "missing required field '" + keys[0] + "'";
    for (size_t i = 1; i < keys.size(); ++i) message += " (or '" + keys[i] + "')";
    fail(keys[0], message);
  }

  uint64_t as_uint(const std::string& key, uint64_t min, uint64_t max) const {
    const json& v = *find(key);
    if (v.is_number_unsigned()) {
      const auto x = v.get<uint64_t>();
      if (x < min) fail(key, "must be at least " + std::to_string(min) + ", got " + v.dump());
      if (x > max) fail(key, "must be at most " + cap_text(max) + ", got " + v.dump());
      return x;
    }
    if (v.is_number_integer())  // signed: negative
      fail(key, "must be at least " + std::to_string(min) + ", got " + v.dump());
    fail(key, "expected an integer, got " + describe(v));
  }
  std::string as_string(const std::string& key) const {
    const json& v = *find(key);
    if (!v.is_string()) fail(key, "expected a string, got " + describe(v));
    // nlohmann refuses bytes that are not UTF-8, but not an escaped NUL ("\u0000").
    if (const std::string problem = config::text_problem(v.get<std::string>()); !problem.empty())
      fail(key, problem);
    return v.get<std::string>();
  }
  bool as_bool(const std::string& key) const {
    const json& v = *find(key);
    if (!v.is_boolean()) fail(key, "expected true or false, got " + describe(v));
    return v.get<bool>();
  }
  void expect_number(const std::string& key) const {
    if (!find(key)->is_number()) fail(key, "expected a number, got " + describe(*find(key)));
  }

  /// A required size spelt by any of `keys`.
  uint64_t require_uint(const std::vector<std::string>& keys, uint64_t min, uint64_t max) const {
    const auto key = pick(keys);
    if (!key) missing(keys);
    return as_uint(*key, min, max);
  }

 private:
  std::string m_path;
  json m_root;
  TopLevel m_top;
};

/// What a Hugging Face model_type fixes about the architecture.
struct HfFamily {
  const char* model_type;
  FfnKind ffn;
  NormKind norm;              // when neither rms_norm_eps nor layer_norm_eps(ilon) is given
  PosEncoding pos;            // when rope_theta is not given
  bool tied;                  // tie_word_embeddings when absent (the config class's default)
  bool causal;                // decoder
  QkNorm qk_norm;             // RMSNorm on q and k: each head's (Qwen3), the whole (OLMo 2)
  bool moe;                   // mixture-of-experts FFNs (read_moe)
  bool post_norms = false;    // norms after attention and after the FFN too (Gemma 2, 3)
  uint32_t global_every = 0;  // sliding layers but every Nth (Gemma 2: 2; Gemma 3: 6, its default)
  bool pre_norms = true;      // norms before the attention and the FFN (OLMo 2: none)
};

constexpr QkNorm kNoQk = QkNorm::kNone, kHeadQk = QkNorm::kPerHead;

// Defaults from the transformers config classes: LlamaConfig, MistralConfig, Qwen2Config and
// Phi3Config default tie_word_embeddings to false; GPT2Config, BertConfig and DistilBertConfig
// inherit PretrainedConfig's true. Baichuan ships its config class with the model
// (trust_remote_code): BaiChuanConfig / BaichuanConfig default it to false, and its 7B modeling
// code uses rotary embeddings (the 13B models use ALiBi; see read_max_context).
// MixtralConfig, Qwen2MoeConfig, Qwen3Config, Qwen3MoeConfig, PhimoeConfig, GraniteConfig and
// GraniteMoeConfig default it to false too (Granite 3 configs write true). Qwen3 and Qwen3-MoE
// normalise each head's q and k (q_norm, k_norm in their attention).
constexpr HfFamily kHfFamilies[] = {
    {"llama", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk, false},
    {"mistral", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk,
     false},
    {"qwen2", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk, false},
    {"qwen3", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kHeadQk,
     false},
    {"phi3", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk, false},
    {"baichuan", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk,
     false},
    {"mixtral", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk, true},
    {"granite", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk,
     false},
    {"granitemoe", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk,
     true},
    {"qwen2_moe", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kNoQk,
     true},
    {"qwen3_moe", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, kHeadQk,
     true},
    {"phimoe", FfnKind::kSwiGlu, NormKind::kLayerNorm, PosEncoding::kRope, false, true, kNoQk,
     true},
    // Gemma (GemmaConfig, Gemma2Config, Gemma3TextConfig tie the embeddings): gated GELU FFNs,
    // head_dim 256; Gemma 2 and 3 norm after attention and the FFN too and alternate sliding and
    // global layers.
    {"gemma", FfnKind::kGeGlu, NormKind::kRmsNorm, PosEncoding::kRope, true, true, kNoQk, false},
    {"gemma2", FfnKind::kGeGlu, NormKind::kRmsNorm, PosEncoding::kRope, true, true, kNoQk, false,
     true, 2},
    {"gemma3_text", FfnKind::kGeGlu, NormKind::kRmsNorm, PosEncoding::kRope, true, true, kHeadQk,
     false, true, 6},
    // OLMo 2 (Olmo2Config ties nothing by default): no norms before the attention and the FFN,
    // one after each (post_attention_layernorm, post_feedforward_layernorm), and RMSNorm over the
    // whole q and k projections (q_norm of heads x head_dim, k_norm of kv_heads x head_dim).
    {"olmo2", FfnKind::kSwiGlu, NormKind::kRmsNorm, PosEncoding::kRope, false, true, QkNorm::kWhole,
     false, true, 0, false},
    {"gpt2", FfnKind::kGeluMlp, NormKind::kLayerNorm, PosEncoding::kLearned, true, true, kNoQk,
     false},
    {"bert", FfnKind::kGeluMlp, NormKind::kLayerNorm, PosEncoding::kLearned, true, false, kNoQk,
     false},
    {"distilbert", FfnKind::kGeluMlp, NormKind::kLayerNorm, PosEncoding::kLearned, true, false,
     kNoQk, false},
};

/// The spellings of each size field. DistilBertConfig names its own (dim, n_layers, n_heads,
/// hidden_dim, activation); they are read only for model_type "distilbert", where no other
/// spelling is used, so a field of that name in another family stays unread, as before.
struct HfSpellings {
  std::vector<std::string> layers, hidden, heads, ffn, activation;
};

HfSpellings spellings_for(const HfFamily& fam) {
  HfSpellings s{{"num_hidden_layers", "n_layer"},
                {"hidden_size", "n_embd"},
                {"num_attention_heads", "n_head"},
                {"intermediate_size", "n_inner"},
                {"hidden_act", "activation_function"}};
  if (std::string(fam.model_type) == "distilbert") {
    s.layers.emplace_back("n_layers");
    s.hidden.emplace_back("dim");
    s.heads.emplace_back("n_heads");
    s.ffn.emplace_back("hidden_dim");
    s.activation.emplace_back("activation");
  }
  return s;
}

const HfFamily& read_family(const JsonFields& f) {
  if (!f.has("model_type")) f.missing({"model_type"});
  const std::string type = f.as_string("model_type");
  if (type == "gemma3")
    f.fail("model_type",
           "'gemma3' is the multimodal Gemma 3 (4B, 12B, 27B): a vision tower and the language "
           "model under text_config. npusim runs the language model: put text_config's fields "
           "in a config.json of their own with model_type 'gemma3_text' (Gemma 3 1B's type)");
  std::vector<std::string> known;
  for (const HfFamily& fam : kHfFamilies) {
    if (type == fam.model_type) return fam;
    known.emplace_back(fam.model_type);
  }
  std::string message = "unknown model_type '" + config::echo_text(type) + "'";
  if (const auto guess = config::nearest(type, known))
    message += "; did you mean '" + *guess + "'?";
  message += " (known:";
  for (size_t i = 0; i < known.size(); ++i) message += (i == 0 ? " " : ", ") + known[i];
  message +=
      "). Its FFN, norm and position encoding cannot be told from config.json; describe the "
      "model in a YAML file (configs/SCHEMA.md)";
  f.fail("model_type", message);
}

/// The activation must be the one the family's FFN kind uses (Llama-style gated SiLU, GPT-2-style
/// GELU); anything else is a different FFN this model does not describe.
void check_activation(const JsonFields& f, const HfFamily& fam,
                      const std::vector<std::string>& keys) {
  const auto key = f.pick(keys);
  if (!key) return;
  const std::string act = f.as_string(*key);
  const bool ok =
      fam.ffn == FfnKind::kSwiGlu ? (act == "silu" || act == "swish") : act.rfind("gelu", 0) == 0;
  if (!ok)
    f.fail(*key, "activation '" + act + "' is not modelled for model_type '" + fam.model_type +
                     "', whose FFN is " + std::string(ffn_kind_name(fam.ffn)) +
                     (fam.ffn == FfnKind::kSwiGlu ? " (expects silu)" : " (expects a gelu)"));
}

/// Reads the sliding window, and refuses, by name, the config.json fields that would change a
/// model's shapes or the work of a step in ways ModelConfig does not describe: reading on without
/// them would report another model's figures. (Fields that change no work are listed in
/// configs/SCHEMA.md: rope_scaling rescales rotary frequencies, the same ops on the same shapes;
/// norm epsilons, dropout, dtype.)
void refuse_unmodelled(const JsonFields& f, ModelConfig& m, uint32_t global_every) {
  // Sliding-window attention (Mistral v0.1, Phi-3): beyond the window a step attends to, and
  // caches, only the last W positions; every layer slides. A window at least as long as the
  // model's positions never bites (runs are capped at max_context): full attention. Qwen2 writes
  // a window with use_sliding_window (usually false) and slides only the layers from
  // max_window_layers on: refused when switched on.
  if (f.has("sliding_window")) {  // null (absent): no window
    const uint64_t window = f.as_uint("sliding_window", 1, UINT32_MAX);
    const bool enabled = !f.has("use_sliding_window") || f.as_bool("use_sliding_window");
    if (enabled && f.has("use_sliding_window"))
      f.fail("use_sliding_window",
             "a window on the layers from max_window_layers on (Qwen2) is not modelled: every "
             "layer slides or none (set use_sliding_window to false for full attention, or "
             "describe the model in a YAML file with sliding_window)");
    if (enabled && window < m.max_context) m.sliding_window = static_cast<uint32_t>(window);
  }
  if (m.sliding_window > 0 && global_every > 0) {
    // Gemma 3 writes its pattern (sliding_window_pattern), Gemma 2's is fixed.
    m.global_every = f.has("sliding_window_pattern")
                         ? static_cast<uint32_t>(f.as_uint("sliding_window_pattern", 1, kMaxLayers))
                         : global_every;
  }
  if (const json* types = f.find("layer_types"); types && types->is_array()) {
    // Layer i slides unless (i + 1) % global_every == 0 (Gemma's pattern); else all are global.
    for (size_t i = 0; i < types->size(); ++i) {
      const json& t = (*types)[i];
      const bool global = !m.slides(static_cast<uint32_t>(i));
      const std::string want = global ? "full_attention" : "sliding_attention";
      if (t.is_string() && t.get<std::string>() != want)
        f.fail("layer_types",
               "layer " + std::to_string(i) + " of type " + t.dump() + " is not modelled: " +
                   (m.sliding_window == 0
                        ? std::string("every layer attends to every position")
                        : "every " + std::to_string(m.global_every) +
                              "th layer attends to every position, the others slide") +
                   " (describe other patterns in a YAML file)");
    }
  }
  // Gemma 2's soft-capping of the attention scores and of the logits.
  m.attn_softcap = f.has("attn_logit_softcapping");
  m.logit_softcap = f.has("final_logit_softcapping");
  // Quantized checkpoints (GPTQ, AWQ, bitsandbytes): the weight format is the workload's.
  if (f.has("quantization_config"))
    f.fail("quantization_config",
           "is not read: npusim takes the weight format from the workload (--weights, "
           "workload.weights; e.g. int4 for a 4-bit GPTQ or AWQ model) and the scales from "
           "--weight-group. Set it to null (or remove it) and give the format there");
  if (m.experts == 0)
    for (const char* key : {"num_local_experts", "num_experts", "n_routed_experts"})
      if (f.has(key))
        f.fail(key,
               "mixture-of-experts layers are read for model_type mixtral, qwen2_moe, "
               "qwen3_moe, phimoe and granitemoe only; describe this model in a YAML file with "
               "experts (configs/SCHEMA.md)");
  for (const char* key : {"add_cross_attention", "is_encoder_decoder"})
    if (f.has(key) && f.as_bool(key))
      f.fail(key, "encoder-decoder attention is not modelled (a decoder or an encoder only)");
}

/// The experts of an MoE family: Mixtral, PhiMoE and Granite-MoE (num_local_experts of
/// intermediate_size, on every layer), Qwen2-MoE and Qwen3-MoE (num_experts of
/// moe_intermediate_size on the layers decoder_sparse_step picks; Qwen2-MoE's one shared expert of
/// shared_expert_intermediate_size).
void read_moe(const JsonFields& f, const HfFamily& fam, ModelConfig& m) {
  if (!fam.moe) return;
  const std::string type = fam.model_type;
  const bool qwen = type == "qwen2_moe" || type == "qwen3_moe";
  const std::string experts_key = qwen ? "num_experts" : "num_local_experts";
  m.experts = static_cast<uint32_t>(f.require_uint({experts_key}, 1, kMaxExperts));
  m.experts_per_token =
      static_cast<uint32_t>(f.require_uint({"num_experts_per_tok"}, 1, kMaxExperts));
  if (m.experts_per_token > m.experts)
    f.fail("num_experts_per_tok",
           "must be at most " + experts_key + " (" + std::to_string(m.experts) + ")");
  m.expert_ffn_dim =
      qwen ? static_cast<uint32_t>(f.require_uint({"moe_intermediate_size"}, 1, kMaxFfnDim))
           : m.ffn_dim;
  if (qwen && f.has("decoder_sparse_step"))
    m.moe_every = static_cast<uint32_t>(f.as_uint("decoder_sparse_step", 1, kMaxLayers));
  if (const json* dense = f.find("mlp_only_layers"); dense && dense->is_array() && !dense->empty())
    f.fail("mlp_only_layers",
           "dense layers at listed places are not modelled (MoE layers are every "
           "decoder_sparse_step-th); describe the model in a YAML file with moe_every");
  if (type == "qwen2_moe" && f.has("shared_expert_intermediate_size")) {
    m.shared_expert_ffn_dim =
        static_cast<uint32_t>(f.as_uint("shared_expert_intermediate_size", 0, kMaxFfnDim));
    m.shared_experts = m.shared_expert_ffn_dim > 0 ? 1 : 0;
    m.shared_expert_gate = m.shared_experts > 0;  // Qwen2MoeSparseMoeBlock.shared_expert_gate
  }
}

/// The name of a model read from `path`: the folder for .../name/config.json, else the stem.
std::string name_from_path(const std::string& path) {
  const std::filesystem::path p(path);
  if (p.filename() == "config.json") {
    const std::string parent = p.parent_path().filename().string();
    if (!parent.empty() && parent != "." && parent != "..") return parent;
  }
  return p.stem().string();
}

/// A model YAML's mixture-of-experts keys: experts with experts_per_token and expert_ffn_dim,
/// optionally shared_experts with shared_expert_ffn_dim and moe_every.
void read_moe_yaml(MapReader& top, ModelConfig& m) {
  const auto experts = top.get("experts");
  if (experts) m.experts = experts->as_u32(1, kMaxExperts);
  const char* keys[] = {"experts_per_token",     "expert_ffn_dim",     "shared_experts",
                        "shared_expert_ffn_dim", "shared_expert_gate", "moe_every"};
  if (!experts) {
    for (const char* key : keys)
      if (auto x = top.get(key)) x->fail("a mixture-of-experts key: it needs experts");
    return;
  }
  const Value k = top.require("experts_per_token");
  m.experts_per_token = k.as_u32(1, m.experts);
  m.expert_ffn_dim = top.require("expert_ffn_dim").as_u32(1, kMaxFfnDim);
  const auto shared = top.get("shared_experts");
  if (shared) m.shared_experts = shared->as_u32(0, kMaxExperts);
  if (auto x = top.get("shared_expert_ffn_dim")) {
    if (m.shared_experts == 0) x->fail("shared_expert_ffn_dim needs shared_experts >= 1");
    m.shared_expert_ffn_dim = x->as_u32(1, kMaxFfnDim);
  } else if (m.shared_experts > 0) {
    m.shared_expert_ffn_dim = m.expert_ffn_dim;  // as wide as a routed expert
  }
  if (auto x = top.get("shared_expert_gate")) {
    m.shared_expert_gate = x->as_bool();
    if (m.shared_expert_gate && m.shared_experts == 0)
      x->fail("shared_expert_gate scales the shared experts: it needs shared_experts >= 1");
  }
  if (auto x = top.get("moe_every")) m.moe_every = x->as_u32(1, kMaxLayers);
}

}  // namespace

ModelConfig load_model_yaml(const std::string& path) {
  return load_model_yaml(config::load_document(path));
}

ModelConfig load_model_yaml(const config::Value& root) {
  MapReader top = root.as_map({"name",
                               "family",
                               "description",
                               "layers",
                               "d_model",
                               "heads",
                               "kv_heads",
                               "head_dim",
                               "ffn_dim",
                               "ffn_kind",
                               "vocab",
                               "norm",
                               "pos",
                               "tied_embeddings",
                               "max_context",
                               "causal",
                               "sliding_window",
                               "global_every",
                               "qk_norm",
                               "post_norms",
                               "pre_norms",
                               "attn_softcap",
                               "logit_softcap",
                               "experts",
                               "experts_per_token",
                               "expert_ffn_dim",
                               "shared_experts",
                               "shared_expert_ffn_dim",
                               "shared_expert_gate",
                               "moe_every"});
  ModelConfig m;
  m.name = top.require("name").as_string();
  if (auto x = top.get("family")) m.family = x->as_string();
  if (auto x = top.get("description")) m.description = x->as_string();
  m.layers = top.require("layers").as_u32(1, kMaxLayers);
  m.d_model = top.require("d_model").as_u32(1, kMaxDModel);
  m.heads = top.require("heads").as_u32(1, kMaxHeads);
  const auto kv = top.get("kv_heads");
  if (kv) m.kv_heads = kv->as_u32(1, kMaxHeads);
  const auto head_dim = top.get("head_dim");
  if (head_dim) m.head_dim = head_dim->as_u32(1, kMaxHeadDim);
  m.ffn_dim = top.require("ffn_dim").as_u32(1, kMaxFfnDim);
  m.ffn_kind = top.require("ffn_kind").as_enum(ffn_kinds());
  m.vocab = top.require("vocab").as_u32(1, kMaxVocab);
  m.norm = top.require("norm").as_enum(norm_kinds());
  m.pos = top.require("pos").as_enum(pos_encodings());
  m.tied_embeddings = top.require("tied_embeddings").as_bool();
  m.max_context = top.require("max_context").as_u32(1, kMaxContext);
  if (auto x = top.get("causal")) m.causal = x->as_bool();
  if (auto x = top.get("sliding_window")) {
    m.sliding_window = x->as_u32(1, kMaxContext);
    if (!m.causal) x->fail("a sliding window needs a causal model (a decoder)");
  }
  if (auto x = top.get("global_every")) {
    m.global_every = x->as_u32(1, kMaxLayers);
    if (m.sliding_window == 0)
      x->fail("global_every says which layers do not slide: it needs sliding_window");
  }

  if (auto x = top.get("qk_norm")) {
    // true: each head's (the common case); per_head or whole to say which.
    const std::string v = x->as_string();
    if (v == "per_head" || v == "true")
      m.qk_norm = QkNorm::kPerHead;
    else if (v == "whole")
      m.qk_norm = QkNorm::kWhole;
    else if (v != "false")
      x->fail("'" + v + "' is not true, false, per_head or whole");
  }
  if (auto x = top.get("post_norms")) m.post_norms = x->as_bool();
  if (auto x = top.get("pre_norms")) {
    m.pre_norms = x->as_bool();
    if (!m.pre_norms && !m.causal)
      x->fail("an encoder's norms follow its residual adds; pre_norms applies to a decoder");
    if (!m.pre_norms && !m.post_norms)
      x->fail("a layer without pre_norms needs post_norms (OLMo 2 norms after each block)");
  }
  if (auto x = top.get("attn_softcap")) m.attn_softcap = x->as_bool();
  if (auto x = top.get("logit_softcap")) m.logit_softcap = x->as_bool();
  read_moe_yaml(top, m);

  complete_shape(m, head_dim.has_value(), kv.has_value(), {"heads", "kv_heads", "head_dim"},
                 [&](const std::string& key, const std::string& message) {
                   if (auto v = top.get(key)) v->fail(message);
                   top.self().fail(message);
                 });
  return m;
}

ModelConfig load_hf_config(const std::string& path) {
  const std::string text = config::read_input(path, "JSON");
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // what(): "[json.exception.parse_error.101] parse error at line L, column C: <reason>"; the
    // position is ours (the start of the offending token), the reason is nlohmann's.
    std::string reason = e.what();
    if (const size_t at = reason.find(": "); at != std::string::npos) reason.erase(0, at + 2);
    const Where w = position_of(text, syntax_error_offset(text, e.byte, reason));
    throw ConfigError(path, w.line, w.col, "", "JSON syntax error: " + reason);
  } catch (const json::out_of_range& e) {
    // A number beyond a double's range (out_of_range.406, found by fuzzing): "number overflow
    // parsing '1e400'", without a position; the number's first occurrence is where it is.
    std::string reason = e.what();
    if (const size_t at = reason.find("] "); at != std::string::npos) reason.erase(0, at + 2);
    const size_t q = reason.find('\'');
    const size_t q2 = q == std::string::npos ? q : reason.find('\'', q + 1);
    const size_t at =
        q2 == std::string::npos ? std::string::npos : text.find(reason.substr(q + 1, q2 - q - 1));
    const Where w = at == std::string::npos ? Where{} : position_of(text, at);
    throw ConfigError(path, w.line, w.col, "", "JSON number error: " + reason);
  }
  if (!root.is_object())
    throw ConfigError(path, 1, 1, "",
                      "the top level must be a JSON object of fields, got " + describe(root));
  const JsonFields f(path, std::move(root), top_level_positions(path, text));

  const HfFamily& fam = read_family(f);
  const HfSpellings spell = spellings_for(fam);
  ModelConfig m;
  m.name = name_from_path(path);
  if (const std::string problem = config::text_problem(m.name); !problem.empty())
    throw ConfigError(config::shown_text(path), 0, 0, "",
                      "the model's name, taken from its folder or file name, is " + problem);
  m.family = fam.model_type;
  m.layers = static_cast<uint32_t>(f.require_uint(spell.layers, 1, kMaxLayers));
  const auto d_key = f.pick(spell.hidden);
  if (!d_key) f.missing(spell.hidden);
  m.d_model = static_cast<uint32_t>(f.as_uint(*d_key, 1, kMaxDModel));
  const auto heads_key = f.pick(spell.heads);
  if (!heads_key) f.missing(spell.heads);
  m.heads = static_cast<uint32_t>(f.as_uint(*heads_key, 1, kMaxHeads));
  const bool kv_given = f.has("num_key_value_heads");
  if (kv_given) m.kv_heads = static_cast<uint32_t>(f.as_uint("num_key_value_heads", 1, kMaxHeads));
  const bool head_dim_given = f.has("head_dim");
  if (head_dim_given) m.head_dim = static_cast<uint32_t>(f.as_uint("head_dim", 1, kMaxHeadDim));

  if (const auto key = f.pick(spell.ffn)) {
    m.ffn_dim = static_cast<uint32_t>(f.as_uint(*key, 1, kMaxFfnDim));
  } else if (std::string(fam.model_type) == "gpt2") {
    // GPT2Config: n_inner None means 4 x n_embd.
    if (4 * uint64_t{m.d_model} > kMaxFfnDim)
      f.fail(*d_key, "4 x " + *d_key +
                         " (the FFN size when n_inner is not given) exceeds the cap "
                         "of " +
                         cap_text(kMaxFfnDim));
    m.ffn_dim = 4 * m.d_model;
  } else {
    f.missing(spell.ffn);
  }
  m.ffn_kind = fam.ffn;
  check_activation(f, fam, spell.activation);
  // Gemma writes hidden_activation beside hidden_act (tanh-approximate or exact GELU: one cost).
  check_activation(f, fam, {"hidden_activation"});
  m.vocab = static_cast<uint32_t>(f.require_uint({"vocab_size"}, 1, kMaxVocab));

  if (std::string(fam.model_type) == "phimoe") {
    // PhiMoE writes rms_norm_eps but its decoder layers use nn.LayerNorm with that epsilon.
    m.norm = NormKind::kLayerNorm;
  } else if (f.has("rms_norm_eps")) {
    f.expect_number("rms_norm_eps");
    m.norm = NormKind::kRmsNorm;
  } else if (const auto key = f.pick({"layer_norm_eps", "layer_norm_epsilon"})) {
    f.expect_number(*key);
    m.norm = NormKind::kLayerNorm;
  } else {
    m.norm = fam.norm;
  }

  if (f.has("rope_theta")) {
    f.expect_number("rope_theta");
    m.pos = PosEncoding::kRope;
  } else {
    m.pos = fam.pos;
  }
  if (f.has("position_embedding_type")) {  // BERT: absolute (learned) or relative variants
    const std::string type = f.as_string("position_embedding_type");
    if (type != "absolute")
      f.fail("position_embedding_type",
             "'" + type + "' is not modelled (only 'absolute': a learned position table)");
  }

  if (f.has("sinusoidal_pos_embds") && f.as_bool("sinusoidal_pos_embds"))  // DistilBERT
    f.fail("sinusoidal_pos_embds",
           "fixed sinusoidal positions are not modelled (only a learned position table: "
           "sinusoidal_pos_embds false)");

  m.tied_embeddings = f.has("tie_word_embeddings") ? f.as_bool("tie_word_embeddings") : fam.tied;
  if (std::string(fam.model_type) == "baichuan" && !f.has("max_position_embeddings") &&
      f.has("model_max_length"))
    // Baichuan-13B and Baichuan2-13B share model_type "baichuan" with the 7B models but use ALiBi
    // (no position parameters, no rotation) and write only model_max_length.
    f.fail("model_max_length",
           "a Baichuan config without max_position_embeddings is a 13B model, which uses ALiBi "
           "rather than rotary positions; describe it in a YAML file with pos: none "
           "(configs/SCHEMA.md)");
  m.max_context = static_cast<uint32_t>(
      f.require_uint({"max_position_embeddings", "n_positions"}, 1, kMaxContext));
  m.causal = fam.causal;
  m.qk_norm = fam.qk_norm;
  m.post_norms = fam.post_norms;
  m.pre_norms = fam.pre_norms;
  read_moe(f, fam, m);

  complete_shape(m, head_dim_given, kv_given, {*heads_key, "num_key_value_heads", "head_dim"},
                 [&](const std::string& key, const std::string& message) { f.fail(key, message); });
  refuse_unmodelled(f, m, fam.global_every);
  return m;
}

ModelConfig load_model(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".json") return load_hf_config(path);
  return load_model_yaml(path);
}

}  // namespace npu
