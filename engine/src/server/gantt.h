// An instance's chart as it happened, SVG (gantt.cpp).
#pragma once

#include <string>
#include <vector>

#include "jointreview/engine.h"

namespace jointreview::server {

// `events`: the instance's audit trail; `today`: YYYY-MM-DD (the engine's).
std::string instance_gantt_svg(const InstanceStatus& s, const std::vector<EventRecord>& events,
                               const std::string& today);

}  // namespace jointreview::server
