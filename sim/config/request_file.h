// The request file of `npusim serve --requests FILE.csv`: a header line naming the columns
// arrival_s, prompt_tokens and output_tokens (in any order; no other), then one request per line:
// its arrival in seconds from the start (a finite number >= 0) and its prompt and output token
// counts (whole numbers, 1 to 16,777,216). Blank lines and lines starting with '#' are skipped;
// fields may be padded with spaces. Bad input throws ConfigError at file:line:col with the
// column's name as the key.
#pragma once

#include <string>
#include <vector>

#include "../../workloads/serving.h"

namespace npu {

std::vector<Request> read_requests(const std::string& path);

}  // namespace npu
