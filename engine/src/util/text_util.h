// Small text helpers shared by the loader and the output writers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jointreview::text {

// The largest input file read (a workflow, an included item, a calendar
// file, a holiday notice): 16 MiB. docs/workflow-language.md, "Limits".
inline constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

// Reads a whole regular file as bytes, at most `max_bytes` of them; on
// failure says why and returns false: the system's reason, "is a
// directory", "is a FIFO (named pipe), not a regular file", "is a device,
// not a regular file" (such files are never opened for reading, so that a
// FIFO cannot block and /dev/zero cannot fill the memory), or the size
// against the limit.
bool read_file(const std::string& path, std::string& out, std::string& why,
               std::size_t max_bytes = kMaxFileBytes);

// Offset of the first byte that is not valid UTF-8, or npos.
std::size_t find_invalid_utf8(std::string_view s);

// Why `s` cannot be taken as a name, an actor or a note ("" when it can):
// invalid UTF-8, or a control character (newlines and tabs allowed only with
// `multiline`). Names the byte where it is.
std::string input_text_problem(std::string_view s, bool multiline = false);
// `s` with every control character and invalid byte written visibly
// (\n, \t, \xNN): what a table cell may show without the terminal acting on it.
std::string visible(std::string_view s);

// Number of code points in s (s must be valid UTF-8).
std::size_t code_points(std::string_view s);

// Terminal columns taken by s: CJK and full-width characters count two.
std::size_t display_width(std::string_view s);

// s padded with spaces to `width` display columns (left-aligned), or
// right-aligned when `right` is set.
std::string pad(std::string_view s, std::size_t width, bool right = false);

// The display width of each column of `rows` (ragged rows allowed).
std::vector<std::size_t> column_widths(const std::vector<std::vector<std::string>>& rows);

// Rows of cells aligned in columns by display width, two spaces apart;
// right[i] right-aligns column i. Lines end without trailing spaces. The
// one table aligner: render_table (text.h) and every table writer use it.
std::string align(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right = {});

// Edit distance between two strings (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// "a, b and c" style list, each item quoted with ''.
std::string quoted_list(const std::vector<std::string>& items, std::size_t max_items = 12);

}  // namespace jointreview::text
