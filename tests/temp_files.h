// Helpers shared by the tests that load files: edit_once, to derive a bad document from a good
// one, and TempFileTest, a fixture that writes documents to a folder of its own and checks the
// `file:line:col: key.path: message` of the ConfigError a loader throws for them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "sim/config/error.h"

namespace npu::testing {

/// `text` with its one occurrence of `from` replaced by `to`; a test failure when `from` is not
/// in `text` or is there more than once.
inline std::string edit_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not in the base document";
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' is not unique";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

/// A fixture with a temporary folder unique to the test and process, removed with everything in
/// it after the test.
class TempFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = std::filesystem::path(::testing::TempDir()) /
            ("npusim_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(getpid()));
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  /// This test's folder.
  const std::filesystem::path& dir() const { return m_dir; }
  /// A path in this test's folder.
  std::string path(const std::string& file) const { return (m_dir / file).string(); }
  /// Writes `text` to `name` in this test's folder (its parent must exist); returns the path.
  std::string write_file(const std::string& name, const std::string& text) const {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  /// Writes `text` to a new file in this test's folder, its name ending in `ext`; returns its path.
  std::string write(const std::string& text, const std::string& ext = ".yaml") {
    const std::string p = path("t" + std::to_string(m_count++) + ext);
    std::ofstream(p) << text;
    return p;
  }

  /// Expects load(file) to throw a ConfigError for `text` written to a file ending in `ext`, its
  /// message `file:<where>: <rest>` with `rest` containing `fragment`. `where` is
  /// "line:col: key.path" (or less, as the error has). Returns the error for further checks;
  /// nothing when none was thrown.
  template <class Load>
  std::optional<ConfigError> expect_config_error(Load load, const std::string& text,
                                                 const std::string& where,
                                                 const std::string& fragment,
                                                 const std::string& ext = ".yaml") {
    const std::string file = write(text, ext);
    try {
      load(file);
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      const std::string prefix = file + ":" + where + ": ";
      EXPECT_EQ(what.rfind(prefix, 0), 0u) << "expected prefix: " << prefix << "\n got: " << what;
      EXPECT_NE(what.find(fragment), std::string::npos)
          << "expected fragment: " << fragment << "\n got: " << what;
      return e;
    }
    ADD_FAILURE() << "no error; expected " << where << ": ..." << fragment;
    return std::nullopt;
  }

 private:
  std::filesystem::path m_dir;
  int m_count = 0;
};

}  // namespace npu::testing
