// Calendars kept with the texts they were built from, so that a database
// can hold the exact data its instances count with (docs/calendar.md#the-
// database-holds-its-calendars): a calendar loaded from files together with
// a bundle of every file it read (its chain of `extends`, top file last, and
// the statutory-holiday data it names), and a calendar rebuilt from such a
// bundle without touching the file system.
#pragma once

#include <memory>
#include <string>

#include "jointreview/calendar.h"

namespace jointreview {

struct Workflow;

struct KeptCalendar {
  std::shared_ptr<const Calendar> calendar;
  std::string id;
  std::string version;
  std::string source;  // the top file's path
  std::string bundle;  // JSON: {"format": 1, "id", "version", "chain": [{"file", "text"}], "statutory": {...} | null}
};

// Calendar::load(id, options), keeping the texts.
KeptCalendar keep_calendar(const std::string& id, const CalendarOptions& options);
// The calendar a workflow names, as load_workflow_calendar() finds it.
KeptCalendar keep_workflow_calendar(const Workflow& wf, CalendarOptions options);
// The calendar in the file at `path` (its id is the one it declares); what
// it extends and the statutory data are looked up in the file's folder
// first, then in options.search_path (or the bundled calendars).
KeptCalendar keep_calendar_file(const std::string& path, const CalendarOptions& options);
// Rebuilds a kept calendar from its bundle; `where` names the copy in
// messages (for example "the database's copy"). Throws Error(storage) for a
// bundle that is not one, Error(invalid_argument) for a file in it that no
// longer parses.
std::shared_ptr<const Calendar> calendar_from_bundle(const std::string& bundle, const std::string& where,
                                                     const CalendarOptions& options);

// Whether two bundles hold the same data: the same texts, wherever the
// files were read from.
bool same_calendar_data(const std::string& bundle_a, const std::string& bundle_b);

// compare_calendar_versions(): in calendar.h.

}  // namespace jointreview
