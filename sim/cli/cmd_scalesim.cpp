// `npusim scalesim`: SCALE-Sim v2's command line, files and reports (sim/scalesim.h).
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <system_error>

#include "cli.h"
#include "sim/config/scalesim_files.h"
#include "sim/scalesim.h"

namespace npu::cli {
namespace {

int cmd_scalesim(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv [-i gemm|conv] -p OUTDIR [--force]\n"
      "\n"
      "Takes SCALE-Sim v2's files unchanged (its .cfg and a conv or gemm topology CSV) and writes\n"
      "OUTDIR/<run_name>/COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv\n"
      "with SCALE-Sim's names, columns and number formats. In InterfaceBandwidth: CALC mode the\n"
      "cycles, stalls, utilisations and SRAM counts are SCALE-Sim v2.0.2's exactly; DRAM columns\n"
      "are exact while an operand fits in half its SRAM (README, \"SCALE-Sim front-end\").\n"
      "USER mode is computed as CALC (SCALE-Sim's stalls under a user bandwidth are not\n"
      "modelled) and says so on stderr.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")("config,c", po::value<std::string>(),
                                                 "SCALE-Sim .cfg file")(
      "topology,t", po::value<std::string>(), "topology CSV")(
      "input-type,i", po::value<std::string>()->default_value("conv"),
      "topology format: conv or gemm (Layer, M, N, K)")(
      "path,p", po::value<std::string>(), "output folder (the reports go to PATH/<run_name>/)")(
      "force", "replace reports already in PATH/<run_name>/");
  const po::variables_map vm = parse(args, desc, nullptr, 0);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  for (const char* o : {"config", "topology", "path"})
    if (!vm.count(o)) throw UsageError(std::string("scalesim: --") + o + " is required");
  const std::string type = vm["input-type"].as<std::string>();
  if (type != "conv" && type != "gemm") throw UsageError("-i: '" + type + "' is not gemm or conv");
  const ScaleSimConfig cfg = read_scalesim_config(vm["config"].as<std::string>());
  const std::vector<ScaleSimLayer> layers =
      read_scalesim_topology(vm["topology"].as<std::string>(), type == "gemm");
  // The work each layer's closed form does grows with its folds: a layer of more than 2^24
  // folds (or 2^62 MACs) is refused at its line before anything is computed.
  for (const ScaleSimLayer& l : layers) {
    const ScaleSimLayerSize size = scalesim_layer_size(cfg, l);
    std::ostringstream count;
    count << std::fixed << std::setprecision(0) << size.folds;
    if (size.folds > 0x1p24L || size.macs > 0x1p62L)
      throw ConfigError(vm["topology"].as<std::string>(), l.line, 0, "",
                        "layer '" + l.name + "' takes " + count.str() + " folds of the " +
                            std::to_string(cfg.array_rows) + " x " +
                            std::to_string(cfg.array_cols) +
                            " array (npusim computes up to 2^24 a layer, and 2^62 MACs)");
  }
  // The report folder's parent must be a directory (or not exist yet).
  {
    std::error_code ec;
    const std::string p = vm["path"].as<std::string>();
    if (std::filesystem::exists(p, ec) && !std::filesystem::is_directory(p, ec))
      throw UsageError("-p: '" + p + "' exists and is not a directory");
  }
  if (cfg.user_bandwidth)
    std::cerr << "npusim scalesim: InterfaceBandwidth: USER is computed as CALC (no stalls "
                 "from the user bandwidth)\n";
  std::vector<ScaleSimLayerReport> reports;
  reports.reserve(layers.size());
  bool dram_exact = true;
  for (const ScaleSimLayer& l : layers) {
    reports.push_back(scalesim_layer(cfg, l));
    const ScaleSimLayerReport& r = reports.back();
    dram_exact = dram_exact && r.ifmap_dram_exact && r.filter_dram_exact && r.ofmap_dram_exact;
  }
  const std::string dir = write_scalesim_reports(vm["path"].as<std::string>(), cfg.run_name,
                                                 reports, vm.count("force") > 0);
  std::cout << "npusim scalesim: " << layers.size() << " layers -> " << dir << "/\n";
  if (!dram_exact)
    std::cout << "  note: some layers' DRAM columns are npusim's estimate (an operand larger than "
                 "half its SRAM)\n";
  return kExitOk;
}

const bool kRegistered =
    register_command({"scalesim",
                      "SCALE-Sim v2's reports from its .cfg and topology CSV:\n"
                      "  npusim scalesim -c CONFIG.cfg -t TOPOLOGY.csv [-i gemm|conv] -p OUTDIR",
                      27, cmd_scalesim});

}  // namespace
}  // namespace npu::cli
