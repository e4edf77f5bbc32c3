#include "workload_settings.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <stdexcept>

namespace npu::config {

namespace {

template <class Range, class NameFn>
std::vector<std::string> names_of(const Range& values, NameFn name) {
  std::vector<std::string> out;
  for (const auto& v : values) out.emplace_back(name(v));
  return out;
}

std::string format_text(Format f) {
  return std::string(format_name(f));
}

// "weights" (the LM head as the other weights), then the weight formats.
std::vector<std::string> lm_head_choices() {
  std::vector<std::string> out = names_of(kWeightFormats, format_name);
  out.insert(out.begin(), "weights");
  return out;
}

const Phase kPhases[] = {Phase::kPrefill, Phase::kDecode, Phase::kBoth};
const AttentionImpl kAttention[] = {AttentionImpl::kFlash, AttentionImpl::kStandard};
const Routing kRoutings[] = {Routing::kUniform, Routing::kZipf};

std::vector<WorkloadSetting> make_table() {
  using K = SettingKind;
  using R = RunField;
  const auto formats = [](const auto& list) { return names_of(list, format_name); };
  std::vector<WorkloadSetting> t = {
      {R::kModel,
       "model",
       "model",
       "model",
       "a model: a shipped name (configs/models/NAME.yaml, e.g. llama-3.1-8b), a model YAML, or "
       "a Hugging Face config.json",
       K::kName,
       0,
       0,
       {},
       nullptr,
       nullptr},
      {R::kPhase, "phase", "phase", "phase", "prefill, decode or both", K::kChoice, 0, 0,
       names_of(kPhases, phase_name),
       [](const RunSpec& s) { return std::string(phase_name(s.phase)); },
       [](RunSpec& s, uint64_t i) { s.phase = kPhases[i]; }},
      {R::kPrompt,
       "prompt",
       "prompt",
       "prompt",
       "P: prompt tokens (prefill)",
       K::kCount,
       1,
       kMaxPositions,
       {},
       [](const RunSpec& s) { return std::to_string(s.prompt); },
       [](RunSpec& s, uint64_t v) { s.prompt = v; }},
      {R::kTokens,
       "tokens",
       "tokens",
       "tokens",
       "T: tokens to generate (decode steps)",
       K::kCount,
       1,
       kMaxPositions,
       {},
       [](const RunSpec& s) { return std::to_string(s.tokens); },
       [](RunSpec& s, uint64_t v) { s.tokens = v; }},
      {R::kContext,
       "context",
       "context",
       "context",
       "C: KV length cached when decode starts (0 = the prompt P)",
       K::kCount,
       0,
       kMaxPositions,
       {},
       [](const RunSpec& s) { return std::to_string(s.context); },
       [](RunSpec& s, uint64_t v) { s.context = v; }},
      {R::kChunk,
       "chunk",
       "chunk",
       "chunk",
       "chunked prefill: at most C prompt tokens per pass, each attending to the cache so far "
       "(0 = the whole prompt in one pass)",
       K::kCount,
       0,
       kMaxPositions,
       {},
       [](const RunSpec& s) { return std::to_string(s.chunk); },
       [](RunSpec& s, uint64_t v) { s.chunk = v; }},
      {R::kKvBlock,
       "kv_block",
       "kv-block",
       "kv block",
       "paged KV cache: pages of B positions, read page by page by flash attention (0 = one "
       "contiguous cache)",
       K::kCount,
       0,
       kMaxPositions,
       {},
       [](const RunSpec& s) { return std::to_string(s.kv_block); },
       [](RunSpec& s, uint64_t v) { s.kv_block = v; }},
      {R::kBatch,
       "batch",
       "batch",
       "batch",
       "B: sequences",
       K::kCount,
       1,
       kMaxBatch,
       {},
       [](const RunSpec& s) { return std::to_string(s.batch); },
       [](RunSpec& s, uint64_t v) { s.batch = v; }},
      {R::kWeights, "weights", "weights", "weights",
       "weight format: int4, int8, int16, fp8, fp16, bf16", K::kChoice, 0, 0,
       formats(kWeightFormats), [](const RunSpec& s) { return format_text(s.weights); },
       [](RunSpec& s, uint64_t i) { s.weights = kWeightFormats[i]; }},
      {R::kActivations, "activations", "activations", "activations",
       "activation format: int8, int16 (a16), fp8, fp16, bf16", K::kChoice, 0, 0,
       formats(kActivationFormats), [](const RunSpec& s) { return format_text(s.activations); },
       [](RunSpec& s, uint64_t i) { s.activations = kActivationFormats[i]; }},
      {R::kKv, "kv", "kv", "kv", "KV-cache format: int8, int16, fp8, fp16, bf16", K::kChoice, 0, 0,
       formats(kActivationFormats), [](const RunSpec& s) { return format_text(s.kv); },
       [](RunSpec& s, uint64_t i) { s.kv = kActivationFormats[i]; }},
      {R::kAttention, "attention", "attention", "attention", "flash or standard", K::kChoice, 0, 0,
       names_of(kAttention, attention_impl_name),
       [](const RunSpec& s) { return std::string(attention_impl_name(s.attention)); },
       [](RunSpec& s, uint64_t i) { s.attention = kAttention[i]; }},
      {R::kWeightGroup,
       "weight_group",
       "weight-group",
       "weight group",
       "elements per fp16 scale of int4/int8 weights (0 = no scales)",
       K::kCount,
       0,
       kMaxWeightGroup,
       {},
       [](const RunSpec& s) { return std::to_string(s.weight_group); },
       [](RunSpec& s, uint64_t v) { s.weight_group = static_cast<uint32_t>(v); }},
      {R::kLmHeadWeights, "lm_head_weights", "lm-head-weights", "lm_head_weights",
       "the LM head's weight format: weights (as --weights), int4, int8, int16, fp8, fp16, bf16",
       K::kChoice, 0, 0, lm_head_choices(),
       [](const RunSpec& s) {
         return s.lm_head_weights ? format_text(*s.lm_head_weights) : std::string("weights");
       },
       [](RunSpec& s, uint64_t i) {
         s.lm_head_weights =
             i == 0 ? std::nullopt : std::optional<Format>(kWeightFormats.at(i - 1));
       }},
      {R::kLmHeadAll,
       "lm_head_all",
       "lm-head-all",
       "lm_head_all",
       "prefill: LM head for every position, not only the last (an encoder: its masked-LM "
       "head)",
       K::kSwitch,
       0,
       1,
       {},
       [](const RunSpec& s) { return std::string(s.lm_head_all_positions ? "true" : "false"); },
       [](RunSpec& s, uint64_t v) { s.lm_head_all_positions = v != 0; }},
      {R::kDraft,
       "draft",
       "draft",
       "draft",
       "speculative decoding: the draft model (as --model), run on the same chip",
       K::kName,
       0,
       0,
       {},
       nullptr,
       nullptr},
      {R::kDraftTokens,
       "draft_tokens",
       "draft-tokens",
       "draft tokens",
       "speculative decoding: K tokens the draft decodes before each verification",
       K::kCount,
       1,
       kMaxDraftTokens,
       {},
       [](const RunSpec& s) { return std::to_string(s.draft_tokens); },
       [](RunSpec& s, uint64_t v) { s.draft_tokens = static_cast<uint32_t>(v); }},
      {R::kAcceptance,
       "acceptance",
       "acceptance",
       "acceptance",
       "speculative decoding: the probability A that the target accepts a drafted token, 0 to 1",
       K::kReal,
       0,
       1,
       {},
       [](const RunSpec& s) { return number_text(s.acceptance); },
       nullptr,
       [](RunSpec& s, double v) { s.acceptance = v; }},
      {R::kRouting, "routing", "routing", "routing",
       "mixture-of-experts models: how the router spreads tokens over experts: uniform or zipf",
       K::kChoice, 0, 0, names_of(kRoutings, routing_name),
       [](const RunSpec& s) { return std::string(routing_name(s.routing)); },
       [](RunSpec& s, uint64_t i) { s.routing = kRoutings[i]; }},
      {R::kRoutingSkew,
       "routing_skew",
       "routing-skew",
       "routing skew",
       "--routing zipf: the exponent s (expert of rank r gets a share ~ r^-s), 0 to 8",
       K::kReal,
       0,
       8,
       {},
       [](const RunSpec& s) { return number_text(s.routing_skew); },
       nullptr,
       [](RunSpec& s, double v) { s.routing_skew = v; }},
  };
  return t;
}

/// "a, b or c"
std::string or_list(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

/// A decimal integer, possibly signed; nullopt when the text is not one. Values beyond 64 bits
/// (or negative) come back as the maximum, which no range accepts.
std::optional<uint64_t> integer_of(const std::string& text) {
  const bool negative = !text.empty() && text[0] == '-';
  const size_t start = negative || (!text.empty() && text[0] == '+') ? 1 : 0;
  if (start == text.size()) return std::nullopt;
  uint64_t v = 0;
  bool over = false;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const auto d = static_cast<uint64_t>(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) over = true;
    if (!over) v = v * 10 + d;
  }
  if (over || (negative && v != 0)) return std::numeric_limits<uint64_t>::max();
  return v;
}

}  // namespace

const std::vector<WorkloadSetting>& workload_settings() {
  static const std::vector<WorkloadSetting> table = make_table();
  return table;
}

const WorkloadSetting& workload_setting(RunField f) {
  for (const auto& w : workload_settings())
    if (w.field == f) return w;
  throw std::logic_error("no workload setting for " + std::string(run_field_name(f)));
}

std::string default_text(const WorkloadSetting& w) {
  return w.text ? w.text(RunSpec{}) : "";
}

void set_from_text(RunSpec& s, const WorkloadSetting& w, const std::string& text) {
  if (w.kind == SettingKind::kReal) {
    char* end = nullptr;
    const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
      throw WorkloadError(w.field, "expected a number, got '" + text + "'");
    if (v < static_cast<double>(w.min) || v > static_cast<double>(w.max))
      throw WorkloadError(w.field, std::string(w.noun) + " must be " + std::to_string(w.min) +
                                       " to " + std::to_string(w.max) + ", got " + text);
    w.store_real(s, v);
    return;
  }
  if (w.kind == SettingKind::kChoice) {
    const auto it = std::find(w.choices.begin(), w.choices.end(), text);
    if (it == w.choices.end())
      throw WorkloadError(w.field, "'" + text + "' is not " + or_list(w.choices));
    w.store(s, static_cast<uint64_t>(it - w.choices.begin()));
    return;
  }
  const auto v = integer_of(text);
  if (!v) throw WorkloadError(w.field, "expected an integer, got '" + text + "'");
  if (*v < w.min || *v > w.max)
    throw WorkloadError(w.field, std::string(w.noun) + " must be " + std::to_string(w.min) +
                                     " to " + std::to_string(w.max) + ", got " + text);
  w.store(s, *v);
}

RunSpec read_run_spec(const MapReader& workload) {
  RunSpec s;
  for (const auto& w : workload_settings()) {
    if (w.kind == SettingKind::kName) continue;
    const auto x = workload.get(w.key);
    if (!x) continue;
    switch (w.kind) {
      case SettingKind::kCount:
        w.store(s, x->as_uint(w.min, w.max));
        break;
      case SettingKind::kChoice: {
        EnumTable<uint64_t> table;
        for (size_t i = 0; i < w.choices.size(); ++i) table.emplace_back(w.choices[i], i);
        w.store(s, x->as_enum(table));
        break;
      }
      case SettingKind::kSwitch:
        w.store(s, x->as_bool() ? 1 : 0);
        break;
      case SettingKind::kReal:
        w.store_real(s,
                     x->as_number(static_cast<double>(w.min), false, static_cast<double>(w.max)));
        break;
      case SettingKind::kName:
        break;
    }
  }
  return s;
}

std::vector<std::string> workload_keys() {
  std::vector<std::string> keys;
  for (const auto& w : workload_settings()) keys.emplace_back(w.key);
  return keys;
}

void fail_at_setting(const Value& workload, const WorkloadError& e) {
  const std::string key = workload_setting(e.setting()).key;
  MapReader m = workload.as_map();
  if (auto x = m.get(key)) x->fail(e.message());
  throw ConfigError(workload.file(), workload.line(), workload.col(), workload.path() + "." + key,
                    e.message());
}

}  // namespace npu::config
