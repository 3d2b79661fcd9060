// Deadline timers: the heap of pending timers of every instance, firing
// those due (each job reads the clock once, here), and the wake-up armed
// for the next one when background timers are on.
#include "runtime/engine_impl.h"

#include <algorithm>
#include <cstring>

#include "runtime/codec.h"
#include "runtime/working_time.h"

namespace jointreview::runtime {

Event EngineImpl::timer_event(const Timer& t) { return Event::timer_fired(t.kind, t.step, t.slot, t.at); }

void EngineImpl::push_heap(Instance* in, const Timer& t) {
  heap_.push(HeapEntry{in->def->time->fire_second(t.at), ++heap_order_, in, t});
  // Entries of dropped timers stay in the heap until they come up; when
  // they outnumber the live ones, rebuild it from the live timers.
  if (heap_.size() > 4096 && heap_.size() > 4 * live_timers()) rebuild_heap();
}

std::size_t EngineImpl::live_timers() {
  if (++live_check_ % 1024 != 0) return heap_.size();  // counted now and then, not on every push
  std::size_t n = 0;
  for (const auto& [id, in] : instances_) n += in->timers.size();
  return n;
}

void EngineImpl::rebuild_heap() {
  std::vector<HeapEntry> live;
  for (auto& [id, in] : instances_)
    for (const auto& t : in->timers)
      live.push_back(HeapEntry{in->def->time->fire_second(t.at), ++heap_order_, in.get(), t});
  heap_ = decltype(heap_)(std::greater<>(), std::move(live));
}

// Fires every timer due by now, oldest first.
// Every job reads the clock once, here: an action at that time comes
// after every timer due by it (which is what replay relies on).
// A timer whose time lies past its calendar's data waits (its second is
// INT64_MAX) until the data is there (calendar update). A timer that fails
// to apply is undone and logged as an `error` event on its instance
// (fire_timer).
void EngineImpl::fire_due() {
  job_now_ = clock_->now();
  if (opt_.read_only) return;  // a reader fires nothing: the writer's engine does
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(job_now_.time_since_epoch()).count();
  while (!heap_.empty()) {
    const HeapEntry h = heap_.top();
    if (h.when > now) break;
    heap_.pop();
    Instance& in = *h.inst;
    auto it = std::find(in.timers.begin(), in.timers.end(), h.timer);
    if (it == in.timers.end()) continue;  // already fired or dropped
    snapshot_before(in);
    in.timers.erase(it);
    fire_timer(in, h.timer);
    // Timers armed by a timer are due at once if already past.
    for (auto& [inst, t] : new_timers_) push_heap(inst, t);
    new_timers_.clear();
  }
}

// One timer taken out of the instance's pending ones, applied and logged.
void EngineImpl::fire_timer(Instance& in, const Timer& t) {
  const Mark m = mark();
  const InstanceRuntime rt_before = in.rt;
  const std::vector<Timer> timers_before = in.timers;
  const std::string finished_before = in.finished;
  try {
    const Event e = timer_event(t);
    // A timer is logged (as an input) when it changed anything; one that
    // found nothing to do is not, and replay finds it so again.
    const bool step_timer = e.step < in.rt.steps.size();
    StepRuntime step_before{};
    if (step_timer) std::memcpy(&step_before, &in.rt.steps[e.step], sizeof(StepRuntime));
    const bool flags_before[2] = {in.rt.warned, in.rt.overdue};
    const std::string when = row_time(in, t.at);
    apply_input(in, e, when, true);
    const bool changed = !effects_.empty() || in.rt.warned != flags_before[0] || in.rt.overdue != flags_before[1] ||
                         (step_timer && std::memcmp(&step_before, &in.rt.steps[e.step], sizeof(StepRuntime)) != 0);
    if (changed) {
      mark_step(in, e.step);
      const std::size_t first = batch_.events.size();
      record_effects(in, "system", t.at);
      if (batch_.events.size() == first) {
        EventRecord row = base_event(in, "system", when);
        row.kind = "timer";
        row.step = e.step == kNoStep ? "" : in.def->compiled->step_id(e.step);
        row.detail = std::string(to_string(e.timer)) + " timer fell due";
        push_row(std::move(row));
      }
      batch_.inputs[first] = encode_input(Input{e}, *in.def->time);
      ++in.version;
      in.last_second = std::max(in.last_second, in.def->time->fire_second(t.at));
    }
  } catch (const std::exception& x) {
    // Undone as if it had not fired, but gone from the pending timers: it
    // is not retried in this run of the engine (its row says why).
    batch_.events.resize(m.events);
    batch_.inputs.resize(m.events);
    new_timers_.resize(m.timers);
    action_row_ = SIZE_MAX;
    in.rt = rt_before;
    in.timers = timers_before;
    in.finished = finished_before;
    EventRecord row = base_event(in, "system", now_text());
    row.kind = "error";
    row.step = t.step == kNoStep || t.step >= in.rt.steps.size() ? "" : in.def->compiled->step_id(t.step);
    row.detail = std::string("the ") + to_string(t.kind) + " timer could not be applied: " + x.what();
    push_row(std::move(row));
    in.last_second = std::max(in.last_second, seconds_of(job_now_));
  }
}

// Sleeps until the earliest timer, when background timers are on; at most
// a day, and a day when the timer's time cannot be placed on its calendar
// (past its data): by then the data may be there, or the day judged again.
void EngineImpl::arm_wake() {
  if (!opt_.background_timers || heap_.empty()) return;
  const HeapEntry& h = heap_.top();
  std::chrono::nanoseconds delay = std::chrono::hours(24);
  if (h.when != INT64_MAX) delay = Clock::time_point(std::chrono::seconds(h.when)) - clock_->now();
  if (delay < std::chrono::seconds(0)) delay = std::chrono::seconds(0);
  if (delay > std::chrono::hours(24)) delay = std::chrono::hours(24);  // re-check daily
  wake_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
  wake_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      fire_due();
    } catch (const std::exception&) {
      // The clock is past a calendar's data: the timers wait (arm_wake
      // looks again in a day); the calls made meanwhile say why.
    }
    flush();
  });
}

}  // namespace jointreview::runtime
