// The source-comment rule for chip presets (configs/presets/*.yaml): every line whose value is a
// number carries a `#` comment that names where the number comes from or says it is an assumption
// (configs/SCHEMA.md, "Presets: every number has a source"). load_chip checks the schema; this
// checks the provenance, which YAML parsers drop with the comments.
#pragma once

#include <string>
#include <vector>

namespace npu {

/// Words one of which a number's comment must contain (case-insensitive): "assumption",
/// "derived", "calibrated", or a source: the project's spec sheet or measurements, a paper, a
/// URL, a datasheet, vendor code or a named write-up.
const std::vector<std::string>& source_markers();

/// Whether `comment` (the text after '#') names a source or an assumption.
bool comment_names_source(const std::string& comment);

/// The numbers in the YAML text `text` that lack a sourced comment, as
/// `<file>:<line>:<col>: <key>: <message>` (the schema's error format). Empty when every number
/// is sourced. A number is a scalar value written as a plain decimal (`32`, `0.8`, `1e3`) after
/// `key:`; block scalars, quoted strings, booleans and names are not numbers.
std::vector<std::string> unsourced_numbers(const std::string& text, const std::string& file);

/// As above, reading the file (a file that cannot be read is one problem).
std::vector<std::string> unsourced_numbers_in_file(const std::string& path);

}  // namespace npu
