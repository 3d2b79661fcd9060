// Text helpers for output that mixes Chinese and Latin text in columns.
#pragma once

#include "jointreview/export.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jointreview {

// Terminal columns taken by UTF-8 text: CJK and full-width characters count two.
JR_EXPORT std::size_t display_width(std::string_view s);

// `s` padded with spaces to `width` display columns (right-aligned if `right`).
JR_EXPORT std::string pad_display(std::string_view s, std::size_t width, bool right = false);

// Renders rows as an aligned table with a header row and a rule under it.
// `right[i]` right-aligns column i (numbers).
JR_EXPORT std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right = {});

// Rows aligned in columns (no header rule), two spaces apart, no trailing spaces.
JR_EXPORT std::string align_columns(const std::vector<std::vector<std::string>>& rows,
                                    const std::vector<bool>& right = {});

// Reads a whole input file (a workflow, a calendar file, a holiday notice)
// the way the library does: a regular file of at most 16 MiB, never a FIFO
// or a device. False, with the reason in `why` ("is a directory", "is a
// device, not a regular file", the size against the limit, the system's
// reason), when it cannot.
JR_EXPORT bool read_input_file(const std::string& path, std::string& out, std::string& why);

}  // namespace jointreview
