// The snapshot and input codecs (codec.h).
#include "runtime/codec.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <type_traits>

#include "jointreview/error.h"

namespace jointreview::runtime {

namespace {

constexpr std::uint32_t kSnapshotMagic1 = 0x4A525331;  // "JRS1": schema 2, working-day time
constexpr std::uint32_t kSnapshotMagic3 = 0x4A525333;  // "JRS3": civil instants
constexpr std::uint32_t kSnapshotMagic4 = 0x4A525334;  // "JRS4": JRS3 + 告知承诺 and 容缺 flags, rectify_due

template <class T>
void put(std::string& out, const T& v) {
  static_assert(std::is_arithmetic_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Reads with bounds checked; every failure names the instance.
struct Reader {
  const std::string& s;
  const std::string& who;  // "instance ID" or "an input row"
  std::size_t pos = 0;
  template <class T>
  T get() {
    T v;
    if (pos + sizeof v > s.size()) fail("truncated");
    std::memcpy(&v, s.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(Error::Code::storage, "the stored state of " + who + " is corrupt (" + why + ")");
  }
  std::string string() {
    const auto n = get<std::uint32_t>();
    if (pos + n > s.size()) fail("truncated text");
    std::string v(s, pos, n);
    pos += n;
    return v;
  }
};

void put_instant(std::string& out, const TimeMap& time, double wt) {
  const CivilInstant c = time.to_civil(wt);
  put(out, c.tag);
  put(out, c.day);
  put(out, c.frac);
}

double get_instant(Reader& r, const TimeMap& time) {
  CivilInstant c;
  c.tag = r.get<std::uint8_t>();
  c.day = r.get<std::int32_t>();
  c.frac = r.get<double>();
  if (c.tag > CivilInstant::beyond) r.fail("an unknown kind of time");
  return time.from_civil(c);
}

void put_string(std::string& out, const std::string& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  out += v;
}

// The instance's flags byte, as both formats write it.
void set_instance_flags(InstanceRuntime& rt, std::uint8_t flags) {
  rt.started = flags & 1;
  rt.green = flags & 2;
  rt.warned = flags & 4;
  rt.overdue = flags & 8;
}

// ---- format 1: the StepRuntime and Timer bytes of schema 2 ----

struct LegacyStep {  // StepRuntime as schema 2 wrote it
  StepState state;
  bool accepted_once, warned, overdue, contact_pending, contact_overdue, ever_returned, paused,
      verification_pending, on_commitment, clock_running;
  std::uint8_t rounds;
  std::uint32_t waiting, review_pending, review_returned, approved_by, deferred_outstanding, deferred_supplied,
      exclusions_used;
  double clock_used, clock_since, due, entered, pause_until, contact_due, verify_due;
};
static_assert(sizeof(LegacyStep) == 96);
static_assert(std::is_trivially_copyable_v<Timer> && sizeof(Timer) == 24);

void decode_legacy(Reader& r, Instance& in) {
  const auto step_size = r.get<std::uint32_t>();
  if (step_size != sizeof(LegacyStep)) r.fail("a step record of " + std::to_string(step_size) + " bytes");
  const auto n = r.get<std::uint32_t>();
  InstanceRuntime& rt = in.rt;
  rt.state = static_cast<InstanceState>(r.get<std::uint8_t>());
  set_instance_flags(rt, r.get<std::uint8_t>());
  rt.approved = r.get<std::uint32_t>();
  rt.started_at = r.get<double>();
  rt.finished_at = r.get<double>();
  if (n != in.def->compiled->n_steps || r.pos + std::size_t{n} * sizeof(LegacyStep) > r.s.size())
    r.fail("its steps do not fit its workflow");
  rt.steps.assign(n, StepRuntime{});
  for (std::uint32_t k = 0; k < n; ++k) {
    LegacyStep o;
    std::memcpy(&o, r.s.data() + r.pos, sizeof o);
    r.pos += sizeof o;
    StepRuntime& x = rt.steps[k];
    x.state = o.state;
    x.accepted_once = o.accepted_once;
    x.warned = o.warned;
    x.overdue = o.overdue;
    x.contact_pending = o.contact_pending;
    x.contact_overdue = o.contact_overdue;
    x.ever_returned = o.ever_returned;
    x.paused = o.paused;
    x.verification_pending = o.verification_pending;
    x.on_commitment = o.on_commitment;
    x.clock_running = o.clock_running;
    x.rounds = o.rounds;
    x.waiting = o.waiting;
    x.review_pending = o.review_pending;
    x.review_returned = o.review_returned;
    x.approved_by = o.approved_by;
    x.deferred_outstanding = o.deferred_outstanding;
    x.deferred_supplied = o.deferred_supplied;
    x.exclusions_used = o.exclusions_used;
    x.clock_used = o.clock_used;
    x.clock_since = o.clock_since;
    x.due = o.due;
    x.entered = o.entered;
    x.pause_until = o.pause_until;
    x.pause_days = -1;  // not recorded then: a calendar update keeps the period's end date
    x.contact_due = o.contact_due;
    x.verify_due = o.verify_due;
  }
  // The project clock was not kept then: it is taken as running from the
  // start while a step's clock runs, which is how that version counted the
  // project's limit, so that its deadline stays where it was.
  rt.clocks_running = 0;
  for (const StepRuntime& x : rt.steps) rt.clocks_running += x.clock_running ? 1 : 0;
  rt.clock_started = rt.started ? rt.started_at : -1;
  rt.project_since = rt.started_at;
  rt.project_used = 0;
  // Not recorded then: the latest change of state stands for the latest event.
  double last = rt.started_at;
  for (const StepRuntime& x : rt.steps) last = std::max(last, x.entered);
  in.last_second = in.def->time->fire_second(last);
  if (in.last_second == INT64_MAX) in.last_second = 0;
  const auto nt = r.get<std::uint32_t>();
  if (r.pos + std::size_t{nt} * sizeof(Timer) > r.s.size()) r.fail("truncated timers");
  in.timers.resize(nt);
  if (nt > 0) std::memcpy(in.timers.data(), r.s.data() + r.pos, nt * sizeof(Timer));  // data() may be null when empty
}

}  // namespace

// ---- snapshot ----

std::string encode(const Instance& in) {
  const TimeMap& time = *in.def->time;
  const InstanceRuntime& rt = in.rt;
  std::string out;
  out.reserve(32 + rt.steps.size() * 160 + in.timers.size() * 24);
  put(out, kSnapshotMagic4);
  put(out, static_cast<std::uint32_t>(rt.steps.size()));
  put(out, static_cast<std::uint8_t>(rt.state));
  put(out, static_cast<std::uint8_t>((rt.started ? 1 : 0) | (rt.green ? 2 : 0) | (rt.warned ? 4 : 0) |
                                     (rt.overdue ? 8 : 0)));
  put(out, rt.approved);
  put_instant(out, time, rt.started_at);
  put_instant(out, time, rt.finished_at);
  put(out, in.last_second);
  put(out, rt.clocks_running);
  put_instant(out, time, rt.clock_started);
  put_instant(out, time, rt.project_since);
  put(out, rt.project_used);
  put(out, static_cast<std::uint32_t>(in.round_notes.size()));
  for (const auto& [key, note] : in.round_notes) {
    put(out, key);
    put_string(out, note);
  }
  for (const StepRuntime& x : rt.steps) {
    put(out, static_cast<std::uint8_t>(x.state));
    const std::uint16_t flags = (x.accepted_once ? 1 : 0) | (x.warned ? 2 : 0) | (x.overdue ? 4 : 0) |
                                (x.contact_pending ? 8 : 0) | (x.contact_overdue ? 16 : 0) |
                                (x.ever_returned ? 32 : 0) | (x.paused ? 64 : 0) | (x.verification_pending ? 128 : 0) |
                                (x.on_commitment ? 256 : 0) | (x.clock_running ? 512 : 0) |
                                (x.extended ? 1024 : 0) | (x.statutory_overdue ? 2048 : 0) |
                                (x.verification_overdue ? 4096 : 0) | (x.rectifying ? 8192 : 0) |
                                (x.review_required ? 16384 : 0) | (x.material_overdue ? 32768 : 0);
    put(out, flags);
    put(out, x.ground);
    put(out, x.rounds);
    put(out, x.waiting);
    put(out, x.review_pending);
    put(out, x.review_returned);
    put(out, x.approved_by);
    put(out, x.deferred_outstanding);
    put(out, x.deferred_supplied);
    put(out, x.exclusions_used);
    put(out, x.clock_used);  // a length in working days, not an instant
    put(out, x.pause_days);  // likewise
    put(out, x.extended_days);
    put_instant(out, time, x.clock_since);
    put_instant(out, time, x.due);
    put_instant(out, time, x.entered);
    put_instant(out, time, x.pause_until);
    put_instant(out, time, x.contact_due);
    put_instant(out, time, x.verify_due);
    put_instant(out, time, x.rectify_due);
  }
  put(out, static_cast<std::uint32_t>(in.timers.size()));
  for (const Timer& t : in.timers) {
    put(out, static_cast<std::uint8_t>(t.kind));
    put(out, t.step);
    put(out, t.slot);
    put_instant(out, time, t.at);
  }
  return out;
}

void decode(const std::string& s, Instance& in) {
  const std::string who = "instance " + in.id;
  Reader r{s, who};
  const auto magic = r.get<std::uint32_t>();
  if (magic == kSnapshotMagic1) return decode_legacy(r, in);
  if (magic != kSnapshotMagic3 && magic != kSnapshotMagic4)
    throw Error(Error::Code::storage, "instance " + in.id + " was saved by an incompatible jreview version");
  const TimeMap& time = *in.def->time;
  const std::uint32_t n_steps = in.def->compiled->n_steps;
  const auto n = r.get<std::uint32_t>();
  if (n != n_steps) r.fail("its steps do not fit its workflow");
  InstanceRuntime& rt = in.rt;
  const auto state = r.get<std::uint8_t>();
  if (state > static_cast<std::uint8_t>(InstanceState::revoked)) r.fail("an unknown instance state");
  rt.state = static_cast<InstanceState>(state);
  set_instance_flags(rt, r.get<std::uint8_t>());
  rt.approved = r.get<std::uint32_t>();
  rt.started_at = get_instant(r, time);
  rt.finished_at = get_instant(r, time);
  in.last_second = r.get<std::int64_t>();
  rt.clocks_running = r.get<std::uint32_t>();
  rt.clock_started = get_instant(r, time);
  rt.project_since = get_instant(r, time);
  rt.project_used = r.get<double>();
  in.round_notes.clear();
  for (auto k = r.get<std::uint32_t>(); k > 0; --k) {
    const auto key = r.get<std::uint64_t>();
    if ((key >> 32) >= n_steps) r.fail("a note of a step the workflow does not have");
    in.round_notes[key] = r.string();
  }
  rt.steps.assign(n, StepRuntime{});
  for (StepRuntime& x : rt.steps) {
    const auto st = r.get<std::uint8_t>();
    if (st > static_cast<std::uint8_t>(StepState::stopped)) r.fail("an unknown step state");
    x.state = static_cast<StepState>(st);
    const auto f = r.get<std::uint16_t>();
    x.accepted_once = f & 1;
    x.warned = f & 2;
    x.overdue = f & 4;
    x.contact_pending = f & 8;
    x.contact_overdue = f & 16;
    x.ever_returned = f & 32;
    x.paused = f & 64;
    x.verification_pending = f & 128;
    x.on_commitment = f & 256;
    x.clock_running = f & 512;
    x.extended = f & 1024;
    x.statutory_overdue = f & 2048;
    x.verification_overdue = f & 4096;
    x.rectifying = f & 8192;
    x.review_required = f & 16384;
    x.material_overdue = f & 32768;
    x.ground = r.get<std::uint8_t>();
    if (x.ground > static_cast<std::uint8_t>(ExclusionGround::declared)) r.fail("an unknown ground");
    x.rounds = r.get<std::uint8_t>();
    x.waiting = r.get<std::uint32_t>();
    x.review_pending = r.get<std::uint32_t>();
    x.review_returned = r.get<std::uint32_t>();
    x.approved_by = r.get<std::uint32_t>();
    x.deferred_outstanding = r.get<std::uint32_t>();
    x.deferred_supplied = r.get<std::uint32_t>();
    x.exclusions_used = r.get<std::uint32_t>();
    x.clock_used = r.get<double>();
    x.pause_days = r.get<double>();
    x.extended_days = r.get<double>();
    x.clock_since = get_instant(r, time);
    x.due = get_instant(r, time);
    x.entered = get_instant(r, time);
    x.pause_until = get_instant(r, time);
    x.contact_due = get_instant(r, time);
    x.verify_due = get_instant(r, time);
    if (magic == kSnapshotMagic4) x.rectify_due = get_instant(r, time);
  }
  const auto nt = r.get<std::uint32_t>();
  constexpr std::size_t kTimerBytes = 1 + 4 + 4 + 1 + 4 + 8;  // kind, step, slot, instant
  if (std::size_t{nt} * kTimerBytes != s.size() - r.pos) r.fail("its timers do not fill it");
  in.timers.clear();
  in.timers.reserve(nt);
  for (std::uint32_t k = 0; k < nt; ++k) {
    Timer t{};
    const auto kind = r.get<std::uint8_t>();
    if (kind == 0 || kind > static_cast<std::uint8_t>(TimerKind::rectify_due)) r.fail("an unknown timer");
    t.kind = static_cast<TimerKind>(kind);
    t.step = r.get<std::uint32_t>();
    if (t.step >= n_steps && t.step != kNoStep) r.fail("a timer of a step the workflow does not have");
    t.slot = r.get<std::int32_t>();
    t.at = get_instant(r, time);
    in.timers.push_back(t);
  }
}

// ---- inputs ----

std::string encode_input(const Input& in, const TimeMap& time) {
  std::string out;
  const Event& e = in.event;
  if (in.record != Input::Record::input) {
    put(out, kInputVersion3);
    put(out, static_cast<std::uint8_t>(in.record));
    put(out, e.step);
    put(out, e.actor.dept);
    put_instant(out, time, e.at);
    put_string(out, in.staff);
    return out;
  }
  const bool v3 = e.action == Action::start && !in.key.empty();
  if (v3) {
    put(out, kInputVersion3);
    put(out, static_cast<std::uint8_t>(Input::Record::input));
  } else {
    put(out, kInputVersion);
  }
  put(out, static_cast<std::uint8_t>(e.action));
  put(out, static_cast<std::uint8_t>(e.timer));
  put(out, static_cast<std::uint8_t>(e.actor.kind));
  put(out, e.actor.dept);
  put(out, e.step);
  put(out, e.slot);
  put_instant(out, time, e.at);
  put(out, e.value);
  if (e.action == Action::return_) put_string(out, in.note);
  if (e.action == Action::start) {
    put(out, static_cast<std::uint8_t>(in.green ? 1 : 0));
    put_string(out, in.workflow_hash);
    put_string(out, in.project);
    put_string(out, in.applicant);
    if (v3) put_string(out, in.key);
  }
  return out;
}

Input decode_input(const std::string& s) {
  static const std::string who = "an input row";
  Reader r{s, who};
  Input in;
  Event& e = in.event;
  const auto version = r.get<std::uint8_t>();
  if (version != 1 && version != kInputVersion && version != kInputVersion3)
    throw Error(Error::Code::storage, "an input row was written by an incompatible jreview version");
  in.legacy = version == 1;
  if (version == kInputVersion3) {
    const auto record = r.get<std::uint8_t>();
    if (record > static_cast<std::uint8_t>(Input::Record::release)) r.fail("an unknown kind of record");
    in.record = static_cast<Input::Record>(record);
    if (in.record != Input::Record::input) {
      e.action = Action::timer;  // not a state machine input
      e.step = r.get<std::uint32_t>();
      e.actor.kind = Actor::Kind::department;
      e.actor.dept = r.get<std::uint32_t>();
      in.when.tag = r.get<std::uint8_t>();
      in.when.day = r.get<std::int32_t>();
      in.when.frac = r.get<double>();
      if (in.when.tag > CivilInstant::beyond) r.fail("an unknown kind of time");
      in.staff = r.string();
      if (r.pos != s.size()) r.fail("trailing bytes");
      return in;
    }
  }
  const auto action = r.get<std::uint8_t>();
  const auto timer = r.get<std::uint8_t>();
  const auto kind = r.get<std::uint8_t>();
  if (action > static_cast<std::uint8_t>(Action::confirm) || timer > static_cast<std::uint8_t>(TimerKind::rectify_due) ||
      kind > static_cast<std::uint8_t>(Actor::Kind::department))
    r.fail("an unknown action, timer or actor");
  e.action = static_cast<Action>(action);
  e.timer = static_cast<TimerKind>(timer);
  e.actor.kind = static_cast<Actor::Kind>(kind);
  e.actor.dept = r.get<std::uint32_t>();
  e.step = r.get<std::uint32_t>();
  e.slot = r.get<std::int32_t>();
  if (in.legacy) {
    in.when.frac = r.get<double>();
  } else {
    in.when.tag = r.get<std::uint8_t>();
    in.when.day = r.get<std::int32_t>();
    in.when.frac = r.get<double>();
    if (in.when.tag > CivilInstant::beyond) r.fail("an unknown kind of time");
  }
  e.value = r.get<double>();
  if (e.action == Action::return_ && !in.legacy) in.note = r.string();
  if (e.action == Action::start) {
    in.green = r.get<std::uint8_t>() != 0;
    in.workflow_hash = r.string();
    in.project = r.string();
    in.applicant = r.string();
    if (version == kInputVersion3) in.key = r.string();
  }
  return in;
}

void resolve_time(Input& input, const TimeMap& time) {
  input.event.at = input.legacy ? input.when.frac : time.from_civil(input.when);
}

}  // namespace jointreview::runtime
