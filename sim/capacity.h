// Device memory: does a model run fit what its chip's device leaves to the NPU? A chip's optional
// `memory.capacity_gib` (MemoryConfig::capacity_bytes) is the memory the NPU's workload may use;
// a run whose footprint (weights + KV cache at its largest + peak activations) exceeds it is
// refused before anything is simulated. Op traces carry no footprint and are not checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../arch/chip_config.h"
#include "../workloads/transformer.h"

namespace npu {

/// Why `w` does not fit `chip`'s device memory: the model, its weight format, the footprint's
/// parts and total, the chip's capacity and what to change. Empty when it fits, or when the chip
/// models no capacity (0).
std::optional<std::string> memory_shortfall(const ChipConfig& chip, const Workload& w);

/// The SRAM standard attention may keep its scores (and probabilities) in, passed to
/// build_workload(): what the input and weight tiles leave, every core's output buffer
/// (cores x core.sram.output_kib), an assumption README's "convolutional networks" states.
uint64_t onchip_score_bytes(const ChipConfig& chip);

}  // namespace npu
