#include "request_file.h"

#include "csv_input.h"

namespace npu {

std::vector<Request> read_requests(const std::string& path) {
  const std::vector<std::string> columns = {"arrival_s", "prompt_tokens", "output_tokens"};
  std::vector<Request> out;
  for (const config::CsvRecord& r : config::read_csv_records(path, columns, kMaxServeRequests)) {
    Request q;
    q.line = r.line;
    q.arrival_s = config::csv_number(path, r.line, r.fields[0], columns[0], 0, 1e9,
                                     "a time in seconds from 0 to 1e9");
    q.prompt = config::csv_count(path, r.line, r.fields[1], columns[1], 1, kMaxPositions);
    q.output = config::csv_count(path, r.line, r.fields[2], columns[2], 1, kMaxPositions);
    out.push_back(q);
  }
  return out;
}

}  // namespace npu
