// Reading a transformer model's shape: our YAML (schema: configs/SCHEMA.md, "Model") or a Hugging
// Face config.json. Both are checked the same way (sizes >= 1 and under the caps, heads dividing
// the hidden size unless head_dim is given, KV heads dividing the heads) and fail with a
// ConfigError naming the file, line, column and key.
#pragma once

#include <string>

#include "../../workloads/model.h"
#include "error.h"

namespace npu {

namespace config {
class Value;
}

/// Loads a model: a file ending in `.json` is read as a Hugging Face config.json
/// (load_hf_config), anything else as our YAML (load_model_yaml).
ModelConfig load_model(const std::string& path);

/// Loads a model YAML (schema: configs/SCHEMA.md).
ModelConfig load_model_yaml(const std::string& path);
/// Loads a model YAML already read (config::load_document), e.g. one overrides edited first.
ModelConfig load_model_yaml(const config::Value& root);

/// Imports a Hugging Face config.json. The architecture (FFN kind, norm, position encoding,
/// encoder or decoder, whether embeddings are tied by default) comes from `model_type`, which
/// must be one of llama, mistral, qwen2, phi3, gpt2, bert; the sizes from the usual fields and
/// their GPT-2 spellings (num_hidden_layers / n_layer, hidden_size / n_embd, ...). Fields the
/// model does not use are ignored. The name is the folder holding the file when the file is
/// called config.json (`.../llama-3.1-8b/config.json` -> "llama-3.1-8b"), else the file's stem;
/// the family is the model_type.
ModelConfig load_hf_config(const std::string& path);

}  // namespace npu
