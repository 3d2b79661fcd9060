#include "util/text_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jointreview::text {

namespace {

// What a file that is not a regular one is, as "cannot read ...: " goes on.
std::string not_regular(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

std::string too_large(std::uintmax_t size, std::size_t max_bytes) {
  const std::string limit = max_bytes % (std::size_t{1} << 20) == 0
                                ? std::to_string(max_bytes >> 20) + " MiB (" + std::to_string(max_bytes) + " bytes)"
                                : std::to_string(max_bytes) + " bytes";
  return "is " + std::to_string(size) + " bytes, more than the " + limit + " an input file may have";
}

}  // namespace

bool read_file(const std::string& path, std::string& out, std::string& why, std::size_t max_bytes) {
  // The type is checked before the file is opened (opening a FIFO waits for
  // a writer, and a device may act on being opened), then again on what was
  // opened, in case the name was swapped in between.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = not_regular(st.st_mode);
    return false;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = not_regular(st.st_mode);
    return false;
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    why = too_large(static_cast<std::uintmax_t>(st.st_size), max_bytes);
    return false;
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) {  // it grew while being read
      why = too_large(text.size(), max_bytes);
      return false;
    }
  }
  out = std::move(text);
  return true;
}

std::string input_text_problem(std::string_view s, bool multiline) {
  if (const std::size_t bad = find_invalid_utf8(s); bad != std::string_view::npos)
    return "is not valid UTF-8 (byte " + std::to_string(bad + 1) + ")";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 || c == 0x7F) && !(multiline && (c == '\n' || c == '\t'))) {
      static const char* const hex = "0123456789ABCDEF";
      return std::string("holds the control character U+00") + hex[c >> 4] + hex[c & 15] + " (byte " +
             std::to_string(i + 1) + "); write printable text";
    }
  }
  return "";
}

std::string visible(std::string_view s) {
  const bool clean = find_invalid_utf8(s) == std::string_view::npos &&
                     std::none_of(s.begin(), s.end(), [](char ch) {
                       const auto c = static_cast<unsigned char>(ch);
                       return c < 0x20 || c == 0x7F;
                     });
  if (clean) return std::string(s);
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // A whole character when its bytes form one, else this byte written out.
      const std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
      if (len > 1 && i + len <= s.size() && find_invalid_utf8(s.substr(i, len)) == std::string_view::npos) {
        out.append(s.substr(i, len));
        i += len;
      } else {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
        ++i;
      }
    } else if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out;
}

std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

namespace {
bool wide(std::uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
         (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x20000 && cp <= 0x3FFFD);
}
}  // namespace

std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = p[i];
    std::uint32_t cp;
    std::size_t len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else { cp = c & 0x07; len = 4; }
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (p[i + k] & 0x3F);
    i += len;
    if (cp == 0x200B || (cp >= 0x300 && cp <= 0x36F)) continue;  // zero width, combining
    w += wide(cp) ? 2 : 1;
  }
  return w;
}

std::string pad(std::string_view s, std::size_t width, bool right) {
  std::size_t w = display_width(s);
  std::string fill(w < width ? width - w : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

std::vector<std::size_t> column_widths(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (r.size() > width.size()) width.resize(r.size(), 0);
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], display_width(visible(r[c])));
  }
  return width;
}

std::string align(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  const std::vector<std::size_t> width = column_widths(rows);
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (c > 0) line += "  ";
      line += pad(visible(r[c]), width[c], c < right.size() && right[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) { best_d = d; best = c; }
  }
  // A typo: at most a third of the longer word changed (and at least one edit allowed).
  std::size_t longer = std::max(word.size(), best.size());
  // Never a word that shares no letter with it ('c' is no typo of 'a').
  if (best.empty() || best_d == 0 || best_d >= longer || best_d > std::max<std::size_t>(1, longer / 3)) return {};
  return best;
}

std::string quoted_list(const std::vector<std::string>& items, std::size_t max_items) {
  std::string out;
  std::size_t shown = std::min(items.size(), max_items);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) out += (i + 1 == shown && shown == items.size()) ? " and " : ", ";
    out += "'" + items[i] + "'";
  }
  if (shown < items.size()) out += ", ...";
  return out;
}

}  // namespace jointreview::text
