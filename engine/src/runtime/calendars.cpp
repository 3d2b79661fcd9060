// The calendars the database holds (docs/calendar.md#the-database-holds-its-
// calendars): the copy stored when an instance first counts with a
// calendar is the one every later command uses, wherever it runs; a newer
// file only warns until update_calendar() replaces the copy and derives
// every pending deadline again. Also the one-time conversion of a schema-2
// database's working-day times into civil dates.
#include "runtime/engine_impl.h"

#include <algorithm>

#include "calendar/kept.h"
#include "runtime/codec.h"
#include "runtime/working_time.h"

namespace jointreview::runtime {

// How held calendars are built: always with their provisional years (the
// TimeMap applies CalendarOptions::strict), so that what is stored does not
// depend on the options of the command that wrote it.
CalendarOptions EngineImpl::held_options() const {
  CalendarOptions o = opt_.calendar;
  o.strict = false;
  return o;
}

// Strict counting refuses the provisional years; with the weekend fallback
// as well, they are counted (as provisional, with the statutory holidays)
// rather than by weekends only: what a database records must be dates
// that do not depend on the options of the command that wrote them.
bool EngineImpl::strict_time() const { return opt_.calendar.strict && !opt_.calendar.weekend_fallback; }

// The database's copies, read at open.
void EngineImpl::load_held_calendars() {
  for (auto& rec : store_->calendars()) {
    HeldCalendar h;
    h.calendar = calendar_from_bundle(rec.bundle, "the copy in " + opt_.database, held_options());
    h.record = std::move(rec);
    h.stored = true;
    warn_if_newer(h, opt_.calendar.search_path.empty() ? workflow_calendar_path("") : opt_.calendar.search_path);
    calendars_.emplace(h.record.id, std::move(h));
  }
}

// A calendar file found in `dirs` with a newer data version than the held
// copy, or other data under the same version: said once (through the
// warning sink), and the copy kept.
void EngineImpl::warn_if_newer(const HeldCalendar& h, const std::vector<std::string>& dirs) {
  if (!opt_.calendar.on_warning) return;
  try {
    CalendarOptions o = held_options();
    o.search_path = dirs;
    o.on_warning = nullptr;
    const KeptCalendar k = keep_calendar(h.record.id, o);
    const int cmp = compare_calendar_versions(k.version, h.record.version);
    if (cmp < 0 || (cmp == 0 && same_calendar_data(k.bundle, h.record.bundle))) return;
    if (!warned_newer_.insert(h.record.id + "\n" + k.source + "\n" + k.version).second) return;
    if (cmp == 0) {
      opt_.calendar.on_warning("calendar '" + h.record.id + "' in " + k.source + " differs from the copy the database " +
                               opt_.database + " holds, under the same data version " + k.version +
                               "; its instances count with the database's copy. Raise `version` in the file and "
                               "update the calendar (Engine::update_calendar; jreview calendar update " + k.source + " --db " + opt_.database +
                               ") if the change is meant");
      return;
    }
    opt_.calendar.on_warning("calendar '" + h.record.id + "' in " + k.source + " has data version " + k.version +
                             ", newer than the copy the database " + opt_.database + " holds (" + h.record.version +
                             "); its instances count with the database's copy until the calendar is updated "
                             "(Engine::update_calendar; jreview calendar update " + k.source + " --db " + opt_.database + ")");
  } catch (const std::exception&) {
    // No such file here, or one that does not load: nothing to compare.
  }
}

// The calendar a workflow's instances count with: the database's copy, or,
// the first time an instance uses the id, the files' (stored with the next
// batch). `from_files`: the workflow was loaded from its files (start), so
// its folder's calendars can be compared with the copy.
std::shared_ptr<const Calendar> EngineImpl::held_calendar(const Workflow& wf, bool from_files) {
  const std::string id = wf.calendar.empty() ? "cn" : wf.calendar;
  auto it = calendars_.find(id);
  if (it != calendars_.end()) {
    if (from_files) compare_with_folder(wf);
    return it->second.calendar;
  }
  const KeptCalendar k = keep_workflow_calendar(wf, held_options());
  HeldCalendar h;
  h.calendar = k.calendar;
  h.record.id = k.id;
  h.record.version = k.version;
  h.record.source = k.source;
  h.record.bundle = k.bundle;
  pending_cal_[id] = h.record;
  calendars_.emplace(id, h);
  return k.calendar;
}

// A workflow started from its files: the calendar its folder offers is
// compared with the held copy, once per workflow file and engine (a start
// must not read calendar files every time).
void EngineImpl::compare_with_folder(const Workflow& wf) {
  if (!opt_.calendar.on_warning || !compared_files_.insert(wf.file).second) return;
  auto it = calendars_.find(wf.calendar.empty() ? "cn" : wf.calendar);
  if (it == calendars_.end()) return;
  warn_if_newer(it->second,
                opt_.calendar.search_path.empty() ? workflow_calendar_path(wf.file) : opt_.calendar.search_path);
}

std::vector<std::string> EngineImpl::held_calendar_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, h] : calendars_) ids.push_back(id);
  return ids;
}

// A schema-2 database: its snapshots (decoded at open as they were written)
// and every logged input count working days from its calendar's first
// year, on the calendar files found now (the ones it ran with). All of it
// is written again as civil dates, with the calendars stored, in one
// transaction; the audit trail's rows keep every column.
void EngineImpl::convert_time_base() {
  std::vector<std::pair<std::int64_t, std::string>> inputs;
  for (const auto& row : store_->inputs_after(0)) {
    Input input = decode_input(row.input);
    auto it = instances_.find(row.instance);
    if (it == instances_.end())
      throw Error(Error::Code::storage, "the log refers to instance " + row.instance + ", which it never started");
    resolve_time(input, *it->second->def->time);
    inputs.emplace_back(row.seq, encode_input(input, *it->second->def->time));
  }
  storage::Batch b;
  for (auto& [id, rec] : pending_cal_) b.calendars.push_back(rec);
  for (auto& [id, in] : instances_) {
    b.instances.push_back(record_of(*in));
    for (std::size_t k = 0; k < in->rt.steps.size(); ++k) b.steps.push_back(step_record(*in, static_cast<int>(k)));
    in->ckpt_dirty = false;
  }
  ckpt_list_.clear();
  b.checkpoint_seq = last_seq_;
  store_->convert_time_base(inputs, b);
  for (auto& [id, rec] : pending_cal_) calendars_[id].stored = true;
  pending_cal_.clear();
}

namespace {

struct Pending {
  std::string step, what, date;
  bool provisional = false;
};

std::string date_of(const TimeMap& t, double due) {
  try {
    return t.deadline_date(due);
  } catch (const Error&) {
    return "";  // past the calendar's data (strict): no date to name
  }
}

// The pending deadlines of a running instance, as dates.
std::vector<Pending> pending_deadlines(const Instance& in) {
  std::vector<Pending> out;
  const CompiledWorkflow& cw = *in.def->compiled;
  const TimeMap& t = *in.def->time;
  auto add = [&](std::string step, const char* what, double due) {
    out.push_back(Pending{std::move(step), what, date_of(t, due), t.provisional(due)});
  };
  if (in.rt.state != InstanceState::running) return out;
  if (in.def->machine->project_deadline(in.rt) >= 0) add("", "deadline", in.def->machine->project_deadline(in.rt));
  for (std::uint32_t s = 0; s < cw.n_steps; ++s) {
    const StepRuntime& r = in.rt.steps[s];
    const std::string id = cw.step_id(s);
    if (r.clock_running) add(id, "deadline", r.due);
    if (r.verification_pending) add(id, "verification due", r.verify_due);
    if (r.contact_pending && !r.contact_overdue) add(id, "contact task due", r.contact_due);
    if (r.paused) add(id, "excluded period ends", r.pause_until);
  }
  return out;
}

std::string shown(const std::string& date, bool provisional) {
  if (date.empty()) return "(no date)";
  return provisional ? date + " (provisional)" : date;
}

}  // namespace

CalendarUpdate EngineImpl::update_calendar_job(const std::string& file) {
  const KeptCalendar k = keep_calendar_file(file, held_options());
  auto held = calendars_.find(k.id);
  if (held == calendars_.end()) {
    const auto ids = held_calendar_ids();
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "'" : ", '") + id + "'";
    throw Error(Error::Code::refused,
                "the database " + opt_.database + " holds no calendar '" + k.id + "' (" + file + " declares that id); " +
                    (ids.empty() ? std::string("it holds none yet: a calendar is stored when an instance first counts with it")
                                 : "it holds " + list + "; update one of those with a newer version of its file"));
  }
  HeldCalendar& h = held->second;
  CalendarUpdate u;
  u.id = k.id;
  u.old_version = h.record.version;
  u.new_version = k.version;
  const int cmp = compare_calendar_versions(k.version, h.record.version);
  if (cmp < 0)
    throw Error(Error::Code::refused, file + " holds version " + k.version + " of calendar '" + k.id +
                                          "', older than the database's " + h.record.version +
                                          "; a calendar is only replaced by a newer version");
  if (cmp == 0) {
    if (same_calendar_data(k.bundle, h.record.bundle)) return u;  // already this data: nothing to do
    throw Error(Error::Code::refused, file + " holds version " + k.version + " of calendar '" + k.id +
                                          "', the version the database holds, with different data; raise `version` "
                                          "in the file when its data changes");
  }
  u.changed = true;

  // Everything that can fail first, on copies; then the swap, which cannot.
  struct Carried {
    Instance* in;
    InstanceRuntime rt;
    std::vector<Timer> timers;
    std::vector<Pending> before;
  };
  std::vector<Carried> carried;
  std::map<Definition*, std::unique_ptr<TimeMap>> new_times;
  for (auto& [hash, d] : defs_)
    if (d->calendar == h.calendar) new_times.emplace(d.get(), std::make_unique<TimeMap>(k.calendar, opt_.utc_offset_minutes, strict_time()));
  const Clock::time_point now_wall = clock_->now();
  for (auto& [id, inp] : instances_) {
    Instance& in = *inp;
    auto nt = new_times.find(in.def);
    if (nt == new_times.end()) continue;
    const TimeMap& from = *in.def->time;
    const TimeMap& to = *nt->second;
    auto f = [&](double wt) { return to.from_civil(from.to_civil(wt)); };
    Carried c{&in, in.rt, {}, pending_deadlines(in)};
    in.def->machine->carry(c.rt, f);
    const double now = to.to_wt_lenient(now_wall);
    for (const Timer& t : in.timers) {
      Timer x = t;
      x.at = in.def->machine->carry_timer(c.rt, t.kind, t.step, t.slot, t.at, f, now);
      c.timers.push_back(x);
    }
    carried.push_back(std::move(c));
  }

  // The swap (nothing below throws but allocation).
  for (Carried& c : carried) snapshot_before(*c.in);
  std::vector<std::pair<Definition*, std::unique_ptr<TimeMap>>> old_times;
  const std::shared_ptr<const Calendar> old_calendar = h.calendar;
  for (auto& [d, t] : new_times) {
    old_times.emplace_back(d, std::move(d->time));
    d->time = std::move(t);
    d->calendar = k.calendar;
  }
  const HeldCalendar old_held = h;
  h.calendar = k.calendar;
  h.record = storage::CalendarRecord{k.id, k.version, k.source, k.bundle, ""};
  h.stored = false;
  pending_cal_[k.id] = h.record;
  // Undone if the batch does not commit: the instances go back by their
  // saved state, the definitions and the held copy here.
  auto shared_old = std::make_shared<decltype(old_times)>(std::move(old_times));
  undo_hooks_.push_back([this, shared_old, old_held, old_calendar, id = k.id] {
    for (auto& [d, t] : *shared_old) {
      d->time = std::move(t);
      d->calendar = old_calendar;
    }
    calendars_[id] = old_held;
    pending_cal_.erase(id);
  });

  for (Carried& c : carried) {
    Instance& in = *c.in;
    const bool running = in.rt.state == InstanceState::running;
    in.rt = std::move(c.rt);
    in.timers = std::move(c.timers);
    mark_all_steps(in);
    if (!running) continue;
    ++u.instances;
    std::string detail = "calendar '" + k.id + "': data version " + u.old_version + " -> " + u.new_version;
    bool any = false;
    for (const Pending& after : pending_deadlines(in)) {
      auto b = std::find_if(c.before.begin(), c.before.end(),
                            [&](const Pending& p) { return p.step == after.step && p.what == after.what; });
      if (b == c.before.end() || (b->date == after.date && b->provisional == after.provisional)) continue;
      DeadlineChange ch{in.id, after.step, after.what, b->date, after.date, b->provisional, after.provisional};
      detail += std::string("; ") + (after.step.empty() ? "project " + after.what : after.what + " of '" + after.step + "'") +
                " " + shown(b->date, b->provisional) + " -> " + shown(after.date, after.provisional);
      u.changes.push_back(std::move(ch));
      any = true;
    }
    if (!any) detail += "; no pending deadline moved";
    EventRecord row = base_event(in, "system", now_text());
    row.kind = "calendar-changed";
    row.from = u.old_version;
    row.to = u.new_version;
    row.detail = std::move(detail);
    push_row(std::move(row));
    in.last_second = std::max(in.last_second, seconds_of(now_wall));
  }
  // Written with a checkpoint of every instance in the same transaction:
  // the re-derived deadlines are state, not a replayable input.
  force_ckpt_ = true;
  rebuild_heap();
  return u;
}

CalendarUpdate EngineImpl::update_calendar(const std::string& file) {
  refuse_if_read_only("calendar update");
  return call([&] {
    fire_due();
    return update_calendar_job(file);
  });
}

std::vector<StoredCalendar> EngineImpl::calendars() {
  return call([&] {
    std::vector<storage::CalendarRecord> all = on_writer([&] { return store_->calendars(true); });
    const std::map<std::string, std::int64_t> settled = reader().settled_by_workflow();  // not held
    std::vector<StoredCalendar> out;
    for (const auto& [id, h] : calendars_) {
      StoredCalendar c;
      c.id = id;
      c.version = h.record.version;
      c.name = h.calendar->name();
      c.source = h.record.source;
      c.first_year = h.calendar->first_year();
      c.last_year = h.calendar->last_year();
      c.provisional_until = h.calendar->last_counted_year();
      for (const auto& r : all)
        if (r.id == id) {
          c.versions.push_back(r.version);
          if (r.version == h.record.version) c.stored = r.stored;
        }
      if (!h.stored && std::find(c.versions.begin(), c.versions.end(), c.version) == c.versions.end())
        c.versions.push_back(c.version);  // being written with the current batch
      for (const auto& [iid, in] : instances_)
        if (in->def->calendar == h.calendar) {
          ++c.instances;
          if (in->rt.state == InstanceState::running) ++c.running;
        }
      for (const auto& [hash, n] : settled)
        if (definition(hash).calendar == h.calendar) c.instances += static_cast<std::size_t>(n);
      out.push_back(std::move(c));
    }
    return out;
  });
}

}  // namespace jointreview::runtime
