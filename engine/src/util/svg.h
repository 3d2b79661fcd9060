// The helpers every SVG picture shares (the plan's Gantt chart, the
// simulation report's histogram, Gantt and bars): one estimate of text
// width and one ladder of axis steps, so that the pictures agree.
#pragma once

#include <string_view>

#include "util/text_util.h"

namespace jointreview::svg {

// Width in px of text at `size` px. A display column (text::display_width:
// CJK characters take two) is taken as 0.55em: a CJK character about 1.1em
// (a little more than it needs), Latin letters and digits about 0.55em (the
// average of a sans-serif face); an estimate on the wide side, so that
// labels are not clipped.
inline double text_px(std::string_view s, double size) {
  return static_cast<double>(text::display_width(s)) * size * 0.55;
}

// The smallest "nice" step (0.5, 1, 2, 5, 10, 20, 25, 50 ... 10000 units)
// whose ticks stand at least min_px apart at px_per_unit.
inline double tick_step(double px_per_unit, double min_px) {
  static const double steps[] = {0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000};
  for (double s : steps)
    if (s * px_per_unit >= min_px) return s;
  return 20000;
}

}  // namespace jointreview::svg
