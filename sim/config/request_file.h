// The request file of `npusim serve --requests FILE.csv` (a CSV input: csv_input.h): columns
// arrival_s, prompt_tokens and output_tokens, one request a record: its arrival in seconds from
// the start (0 to 1e9) and its prompt and output token counts (whole numbers, 1 to 16,777,216).
// Bad input throws ConfigError at file:line:col with the column's name as the key.
#pragma once

#include <string>
#include <vector>

#include "../../workloads/serving.h"

namespace npu {

std::vector<Request> read_requests(const std::string& path);

}  // namespace npu
