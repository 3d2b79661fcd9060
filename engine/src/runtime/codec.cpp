// The snapshot and input codecs (codec.h).
#include "runtime/codec.h"

#include <cstring>
#include <type_traits>

#include "jointreview/error.h"

namespace jointreview::runtime {

// ---- snapshot: the instance's state machine state and pending timers ----

static_assert(std::is_trivially_copyable_v<StepRuntime>);
static_assert(std::is_trivially_copyable_v<Timer>);
constexpr std::uint32_t kSnapshotMagic = 0x4A525331;  // "JRS1"

namespace {

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
void get(const std::string& in, std::size_t& pos, T& v) {
  if (pos + sizeof v > in.size()) throw Error(Error::Code::storage, "corrupt instance snapshot (truncated)");
  std::memcpy(&v, in.data() + pos, sizeof v);
  pos += sizeof v;
}

}  // namespace

std::string encode(const Instance& in) {
  std::string out;
  const InstanceRuntime& rt = in.rt;
  put(out, kSnapshotMagic);
  put(out, static_cast<std::uint32_t>(sizeof(StepRuntime)));
  put(out, static_cast<std::uint32_t>(rt.steps.size()));
  put(out, static_cast<std::uint8_t>(rt.state));
  std::uint8_t flags = (rt.started ? 1 : 0) | (rt.green ? 2 : 0) | (rt.warned ? 4 : 0) | (rt.overdue ? 8 : 0);
  put(out, flags);
  put(out, rt.approved);
  put(out, rt.started_at);
  put(out, rt.finished_at);
  out.append(reinterpret_cast<const char*>(rt.steps.data()), rt.steps.size() * sizeof(StepRuntime));
  put(out, static_cast<std::uint32_t>(in.timers.size()));
  out.append(reinterpret_cast<const char*>(in.timers.data()), in.timers.size() * sizeof(Timer));
  return out;
}

void decode(const std::string& s, Instance& in) {
  std::size_t pos = 0;
  std::uint32_t magic, step_size, n, nt;
  std::uint8_t state, flags;
  get(s, pos, magic);
  get(s, pos, step_size);
  if (magic != kSnapshotMagic || step_size != sizeof(StepRuntime))
    throw Error(Error::Code::storage, "instance " + in.id + " was saved by an incompatible jreview version");
  get(s, pos, n);
  get(s, pos, state);
  get(s, pos, flags);
  InstanceRuntime& rt = in.rt;
  rt.state = static_cast<InstanceState>(state);
  rt.started = flags & 1;
  rt.green = flags & 2;
  rt.warned = flags & 4;
  rt.overdue = flags & 8;
  get(s, pos, rt.approved);
  get(s, pos, rt.started_at);
  get(s, pos, rt.finished_at);
  if (n != in.def->compiled->n_steps || pos + n * sizeof(StepRuntime) > s.size())
    throw Error(Error::Code::storage, "corrupt snapshot of instance " + in.id);
  rt.steps.resize(n);
  std::memcpy(rt.steps.data(), s.data() + pos, n * sizeof(StepRuntime));
  pos += n * sizeof(StepRuntime);
  get(s, pos, nt);
  if (pos + nt * sizeof(Timer) > s.size()) throw Error(Error::Code::storage, "corrupt timers of instance " + in.id);
  in.timers.resize(nt);
  if (nt > 0) std::memcpy(in.timers.data(), s.data() + pos, nt * sizeof(Timer));  // data() may be null when empty
}

namespace {

void put_string(std::string& out, const std::string& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  out += v;
}
void get_string(const std::string& in, std::size_t& pos, std::string& v) {
  std::uint32_t n = 0;
  get(in, pos, n);
  if (pos + n > in.size()) throw Error(Error::Code::storage, "corrupt input row (truncated text)");
  v.assign(in, pos, n);
  pos += n;
}

}  // namespace

std::string encode_input(const Input& in) {
  std::string out;
  const Event& e = in.event;
  put(out, kInputVersion);
  put(out, static_cast<std::uint8_t>(e.action));
  put(out, static_cast<std::uint8_t>(e.timer));
  put(out, static_cast<std::uint8_t>(e.actor.kind));
  put(out, e.actor.dept);
  put(out, e.step);
  put(out, e.slot);
  put(out, e.at);
  put(out, e.value);
  if (e.action == Action::start) {
    put(out, static_cast<std::uint8_t>(in.green ? 1 : 0));
    put_string(out, in.workflow_hash);
    put_string(out, in.project);
    put_string(out, in.applicant);
  }
  return out;
}

Input decode_input(const std::string& s) {
  Input in;
  Event& e = in.event;
  std::size_t pos = 0;
  std::uint8_t version = 0, action = 0, timer = 0, kind = 0;
  get(s, pos, version);
  if (version != kInputVersion)
    throw Error(Error::Code::storage, "an input row was written by an incompatible jreview version");
  get(s, pos, action);
  get(s, pos, timer);
  get(s, pos, kind);
  e.action = static_cast<Action>(action);
  e.timer = static_cast<TimerKind>(timer);
  e.actor.kind = static_cast<Actor::Kind>(kind);
  get(s, pos, e.actor.dept);
  get(s, pos, e.step);
  get(s, pos, e.slot);
  get(s, pos, e.at);
  get(s, pos, e.value);
  if (e.action == Action::start) {
    std::uint8_t green = 0;
    get(s, pos, green);
    in.green = green != 0;
    get_string(s, pos, in.workflow_hash);
    get_string(s, pos, in.project);
    get_string(s, pos, in.applicant);
  }
  return in;
}

}  // namespace jointreview::runtime
