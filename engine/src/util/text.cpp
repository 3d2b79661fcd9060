#include "jointreview/text.h"


#include "util/text_util.h"

namespace jointreview {

std::size_t display_width(std::string_view s) { return text::display_width(s); }

bool read_input_file(const std::string& path, std::string& out, std::string& why) {
  return text::read_file(path, out, why);
}

std::string pad_display(std::string_view s, std::size_t width, bool right) { return text::pad(s, width, right); }

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right) {
  // The header, then every row cut or filled to its columns; a rule under the header.
  std::vector<std::vector<std::string>> all;
  all.reserve(rows.size() + 1);
  all.push_back(header);
  for (const auto& r : rows) {
    all.push_back(r);
    all.back().resize(header.size());
  }
  const std::vector<std::size_t> w = text::column_widths(all);
  std::size_t total = 0;
  for (std::size_t i = 0; i < w.size(); ++i) total += w[i] + (i + 1 < w.size() ? 2 : 0);
  std::string out = text::align(all, right);
  out.insert(out.find('\n') + 1, std::string(total, '-') + "\n");
  return out;
}

std::string align_columns(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  return text::align(rows, right);
}

}  // namespace jointreview
