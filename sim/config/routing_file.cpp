#include "routing_file.h"

#include "csv_input.h"

namespace npu {

namespace {
constexpr uint64_t kMaxRoutingRows = 1'000'000;
constexpr uint64_t kMaxLayerIndex = 65535, kMaxExpertIndex = 65535;
}  // namespace

std::shared_ptr<const RoutingWeights> read_routing_file(const std::string& path) {
  const std::vector<std::string> columns = {"layer", "expert", "weight"};
  auto w = std::make_shared<RoutingWeights>();
  w->file = path;
  for (const config::CsvRecord& r : config::read_csv_records(path, columns, kMaxRoutingRows)) {
    RoutingWeights::Row row;
    row.line = r.line;
    row.expert = static_cast<uint32_t>(
        config::csv_count(path, r.line, r.fields[1], columns[1], 0, kMaxExpertIndex));
    row.weight =
        config::csv_number(path, r.line, r.fields[2], columns[2], 0, 1e18, "a weight from 0 up");
    if (r.fields[0].text == "*") {
      w->every.push_back(row);
      continue;
    }
    const auto layer = static_cast<size_t>(
        config::csv_count(path, r.line, r.fields[0], columns[0], 0, kMaxLayerIndex));
    if (layer >= w->layers.size()) w->layers.resize(layer + 1);
    w->layers[layer].push_back(row);
  }
  return w;
}

}  // namespace npu
