// `npusim presets`: the shipped chips with their headline figures (peak TOPS per format, SRAM,
// memory bandwidth peak and reachable, ridge point, device memory for the NPU's workload, static
// power, dispatch cost); `--check` runs the schema and the source-comment rule on every shipped
// preset (or the files given).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli.h"
#include "sim/config/config_path.h"
#include "sim/config/preset_check.h"

namespace npu::cli {
namespace {

/// Headline figures of one chip, as `npusim presets` prints them.
std::string describe(const std::string& name, const ChipConfig& c) {
  const SystolicArrayConfig& a = c.core.array;
  const MemoryConfig& m = c.memory;
  const double reach = static_cast<double>(memory_traits(m).bytes_per_s);
  const double peak_bw = static_cast<double>(m.peak_bytes_per_s);
  const double share =
      peak_bw * m.achievable_fraction - static_cast<double>(m.background_bytes_per_s);
  const double littles = m.latency_ps > 0 ? static_cast<double>(m.max_outstanding) *
                                                m.request_bytes / (m.latency_ps * 1e-12)
                                          : 0.0;
  std::string tops, ridge;
  for (Format f : kAllFormats) {
    if (!a.supports(f)) continue;
    const double ops = 2.0 * c.peak_macs_per_s(f);
    tops += fmt::format(" {} {:.2f}", format_name(f), ops * 1e-12);
    ridge += fmt::format(" {} {:.1f}", format_name(f), reach > 0 ? ops / reach : 0.0);
  }
  const uint64_t sram = c.core.sram.size_bytes;
  std::string text = fmt::format("{}  ({})\n", name, c.name);
  text += fmt::format("  compute    {} core{} x {}x{} array @ {:.0f} MHz; peak TOPS:{}\n", c.cores,
                      c.cores > 1 ? "s" : "", a.rows, a.cols, c.clock.freq_hz() * 1e-6, tops);
  text += fmt::format("  sram       {} KiB per core, {:.2f} MiB total\n", sram / 1024,
                      static_cast<double>(sram) * c.cores / (1 << 20));
  text += fmt::format(
      "  memory     peak {:.2f} GB/s, reachable {:.2f} GB/s (= min(peak x {} - background {:.2f}"
      " = {:.2f}, Little's law {:.2f}))\n",
      peak_bw * 1e-9, reach * 1e-9, m.achievable_fraction,
      static_cast<double>(m.background_bytes_per_s) * 1e-9, share * 1e-9,
      m.latency_ps > 0 ? littles * 1e-9 : 0.0);
  text += fmt::format("  ridge      ops/byte at the reachable bandwidth:{}\n", ridge);
  text += m.capacity_bytes > 0
              ? fmt::format("  capacity   {:.2f} GiB of device memory for the NPU's workload\n",
                            static_cast<double>(m.capacity_bytes) / (1 << 30))
              : std::string("  capacity   not modelled (no memory.capacity_gib)\n");
  text += fmt::format("  power      static {:.3f} W; dispatch {:.1f} us per op\n",
                      c.energy.chip_static_mw(c.cores) * 1e-3,
                      static_cast<double>(c.dispatch_overhead_ps) * 1e-6);
  return text;
}

int cmd_presets(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: npusim presets [--check [FILE...]]\n"
      "\n"
      "Lists the shipped chips (configs/presets/) with their headline figures: peak TOPS per\n"
      "number format, SRAM per core and in total, memory bandwidth (the DRAM's peak and what the\n"
      "NPU reaches), the ridge point (ops per byte at the reachable bandwidth), the device memory\n"
      "the NPU's workload may use (model runs that need more are refused), static power and the\n"
      "dispatch cost per op. Sources and derivations are in each preset's comments.\n"
      "\n"
      "--check loads every shipped preset (or each FILE) with the strict schema and checks that\n"
      "every number carries a comment naming its source or saying it is an assumption; problems\n"
      "are printed as file:line:col: key: message and the exit status is 2.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")("check", "check the presets instead of listing");
  po::options_description hidden;  // the bare arguments, not listed by --help
  hidden.add_options()("files", po::value<std::vector<std::string>>()->multitoken(),
                       "files to check");
  const po::variables_map vm = parse(args, desc, "files", -1, &hidden);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  const std::string root = configs_root();
  std::vector<std::string> files;
  if (vm.count("files")) {
    if (!vm.count("check")) throw UsageError("presets: files are only read with --check");
    files = vm["files"].as<std::vector<std::string>>();
  } else {
    for (const std::string& n : shipped_config_names("presets", root))
      files.push_back(resolve_config_path(n, "presets", root));
  }
  if (files.empty()) throw UsageError("presets: no presets in " + root + "/presets");

  if (vm.count("check")) {
    size_t bad = 0;
    for (const std::string& f : files) {
      std::vector<std::string> problems;
      try {
        load_chip(f);
      } catch (const ConfigError& e) {
        problems.push_back(e.what());
      }
      for (const std::string& p : unsourced_numbers_in_file(f))
        if (std::find(problems.begin(), problems.end(), p) == problems.end())  // unreadable: once
          problems.push_back(p);
      for (const std::string& p : problems) std::cerr << p << "\n";
      if (!problems.empty()) ++bad;
    }
    std::cout << fmt::format("{} of {} presets pass the schema and source checks\n",
                             files.size() - bad, files.size());
    return bad == 0 ? kExitOk : kExitBadInput;
  }
  std::string out;
  for (const std::string& n : shipped_config_names("presets", root))
    out += describe(n, load_chip_arg(n)) + "\n";
  std::cout << out;
  return kExitOk;
}

const bool kRegistered = register_command(
    {"presets",
     "list the shipped chips with peak TOPS, SRAM, bandwidth, ridge point, device memory,\n"
     "static power:\n"
     "  npusim presets [--check [FILE...]]",
     30, cmd_presets});

}  // namespace
}  // namespace npu::cli
