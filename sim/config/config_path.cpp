#include "config_path.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "yaml_reader.h"

namespace npu {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

/// Fails when `p` exists but is neither a regular file nor a folder (a device, a FIFO, a socket):
/// such a file is never read (/dev/zero never ends, a FIFO blocks).
void refuse_special(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    throw ConfigError(p.string(), 0, 0, "", config::not_regular_text(st.st_mode));
}

}  // namespace

std::vector<std::string> shipped_config_names(const std::string& kind_folder,
                                              const std::string& configs_root) {
  std::vector<std::string> names;
  std::error_code ec;
  const fs::path dir = fs::path(configs_root) / kind_folder;
  if (!fs::is_directory(dir, ec)) return names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".yaml" && is_file(p)) names.push_back(p.stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_config_path(const std::string& arg, const std::string& kind_folder,
                                const std::string& configs_root) {
  std::error_code ec;
  if (is_file(arg)) return arg;
  refuse_special(arg);
  if (fs::is_directory(arg, ec)) {
    const fs::path hf = fs::path(arg) / "config.json";
    if (is_file(hf)) return hf.string();
    refuse_special(hf);
    throw ConfigError(arg, 0, 0, "", "is a folder without a config.json");
  }

  const fs::path dir = fs::path(configs_root) / kind_folder;
  if (!arg.empty() && arg.find('/') == std::string::npos) {
    const bool has_ext = ends_with(arg, ".yaml") || ends_with(arg, ".json");
    const fs::path shipped = dir / (has_ext ? arg : arg + ".yaml");
    if (is_file(shipped)) return shipped.string();
  }

  const std::vector<std::string> names = shipped_config_names(kind_folder, configs_root);
  std::string message = "no such file, nor a shipped name in " + dir.string() + "/";
  if (names.empty()) {
    message += " (none found there)";
  } else {
    message += " (shipped:";
    for (size_t i = 0; i < names.size(); ++i) message += (i == 0 ? " " : ", ") + names[i];
    message += ")";
    std::string stem = fs::path(arg).filename().string();
    if (ends_with(stem, ".yaml")) stem.resize(stem.size() - 5);
    if (const auto guess = config::nearest(stem, names))
      message += "; did you mean '" + *guess + "'?";
  }
  throw ConfigError(arg, 0, 0, "", message);
}

}  // namespace npu
