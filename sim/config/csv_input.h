// Small CSV input files (a serve run's requests, an MoE routing file): a header line naming the
// columns (in any order, each once, no other), then one record a line. Blank lines and lines
// starting with '#' are skipped; fields are trimmed of spaces; no quoting. The file is read as
// every input is (config::read_input: a regular file within the size cap) and must be UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npu::config {

struct CsvField {
  std::string text;
  int col;  ///< 1-based
};

struct CsvRecord {
  int line;                      ///< 1-based
  std::vector<CsvField> fields;  ///< in the order of the columns asked for
};

/// The records of `path`, each with a field for each of `columns`. At most `max_records`.
/// Throws ConfigError at file:line:col for a header that is missing, names an unknown or
/// repeated column or lacks one, a record with another number of fields, and a file without
/// records.
std::vector<CsvRecord> read_csv_records(const std::string& path,
                                        const std::vector<std::string>& columns,
                                        uint64_t max_records);

/// A field as a whole number in [lo, hi], else a ConfigError at it (key: `column`).
uint64_t csv_count(const std::string& path, int line, const CsvField& f, const std::string& column,
                   uint64_t lo, uint64_t hi);
/// A field as a finite decimal number in [lo, hi], else a ConfigError at it (`what` says which
/// numbers are accepted).
double csv_number(const std::string& path, int line, const CsvField& f, const std::string& column,
                  double lo, double hi, const std::string& what);

}  // namespace npu::config
