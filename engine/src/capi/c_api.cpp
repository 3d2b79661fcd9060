// The C API (jointreview.h) over the C++ API. Every entry point catches
// every exception: jointreview::Error keeps its code, std::bad_alloc becomes
// JR_NO_MEMORY, anything else JR_INTERNAL. JSON is written with nlohmann.
#include "jointreview/jointreview.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "jointreview/calendar.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"
#include "jointreview/simulator.h"

using nlohmann::json;

struct jr_error {
  jr_status code = JR_INTERNAL;
  std::string message;
  std::string reason;  // machine-readable (jr_error_reason); "" gives the code's name
};

struct jr_workflow {
  jointreview::LoadResult result;
  std::vector<std::string> diagnostic_text;  // Diagnostic::str(), kept for the pointers handed out
};

struct jr_engine_options {
  jointreview::EngineOptions options;
  std::optional<std::string> clock;  // fake clock start, local time
};

struct jr_start_request {
  jointreview::StartRequest request;
};

struct jr_act_request {
  jointreview::ActRequest request;
};

struct jr_engine {
  std::unique_ptr<jointreview::Engine> engine;
  std::shared_ptr<jointreview::FakeClock> fake_clock;  // null with the system clock
  int utc_offset_minutes = 480;
};

namespace {

// An argument the caller got wrong; becomes JR_INVALID_ARGUMENT.
struct BadArgument {
  std::string what;
};

// (pointer, length) -> string. JR_NTS: measure; NULL: empty.
std::string in(const char* s, std::size_t len) {
  if (s == nullptr) return {};
  if (len == JR_NTS) return std::string(s);
  return std::string(s, len);
}

std::optional<std::string> opt_in(const char* s, std::size_t len) {
  if (s == nullptr) return std::nullopt;
  return in(s, len);
}

// A required string argument.
std::string need(const char* s, std::size_t len, const char* name) {
  if (s == nullptr) throw BadArgument{std::string(name) + " is NULL"};
  return in(s, len);
}

// A copy for the caller, freed with jr_string_free (malloc'd so that any
// FFI can also free it with the C library's free()).
void out_string(const std::string& s, char** out, std::size_t* out_len) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  *out = p;
  if (out_len) *out_len = s.size();
}

const char* view(const std::string& s, std::size_t* len) {
  if (len) *len = s.size();
  return s.c_str();
}

jr_status code_of(jointreview::Error::Code c) {
  using C = jointreview::Error::Code;
  switch (c) {
    case C::invalid_argument: return JR_INVALID_ARGUMENT;
    case C::not_found: return JR_NOT_FOUND;
    case C::out_of_range: return JR_OUT_OF_RANGE;
    case C::refused: return JR_REFUSED;
    case C::forbidden: return JR_FORBIDDEN;
    case C::storage: return JR_STORAGE;
    case C::invalid_workflow: return JR_INVALID_WORKFLOW;
    case C::conflict: return JR_CONFLICT;
  }
  return JR_INTERNAL;
}

jr_status fail(jr_error** err, jr_status code, const std::string& message, const char* reason = "") {
  if (err) {
    // new(nothrow): reporting an error must not throw; without memory the
    // caller still gets the code.
    jr_error* e = new (std::nothrow) jr_error;
    if (e) {
      e->code = code;
      try {
        e->message = message;
        e->reason = reason;
      } catch (...) {
      }
    }
    *err = e;
  }
  return code;
}

// Runs `body`, mapping exceptions to codes. `body` returns nothing (JR_OK)
// or a jr_status, having filled *err itself for a failure it reports without
// an exception.
template <typename F>
jr_status guard(jr_error** err, F&& body) noexcept {
  if (err) *err = nullptr;
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      return JR_OK;
    } else {
      return body();
    }
  } catch (const BadArgument& e) {
    return fail(err, JR_INVALID_ARGUMENT, e.what);
  } catch (const jointreview::Error& e) {
    return fail(err, code_of(e.code()), e.what(), e.reason());
  } catch (const std::bad_alloc&) {
    return fail(err, JR_NO_MEMORY, "out of memory");
  } catch (const json::exception& e) {
    return fail(err, JR_INVALID_ARGUMENT, std::string("JSON: ") + e.what());
  } catch (const std::exception& e) {
    return fail(err, JR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(err, JR_INTERNAL, "internal error: unknown exception");
  }
}

template <typename T>
void need_handle(const T* h, const char* name) {
  if (h == nullptr) throw BadArgument{std::string(name) + " is NULL"};
}

void need_out(const void* p, const char* name) {
  if (p == nullptr) throw BadArgument{std::string(name) + " is NULL"};
}

// One event as a JSON object: the element of the engine's events_json.
std::string event_object(const jointreview::EventRecord& ev) {
  std::string a = jointreview::events_json({ev}, -1);  // "[{...}]"
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') return a.substr(1, a.size() - 2);
  return a;
}

// ----------------------------------------------------------- simulation

// `weekend_fallback` and `strict_calendar` need the workflow's calendar, so
// they are returned apart.
jointreview::SimulationOptions simulation_options(const json& o, bool& weekend_fallback, bool& strict) {
  jointreview::SimulationOptions s;
  weekend_fallback = false;
  strict = false;
  if (o.is_null()) return s;
  if (!o.is_object()) throw BadArgument{"simulation options: expected a JSON object"};
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    auto count = [&](const char* what) -> std::uint64_t {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        throw BadArgument{std::string("simulation options: ") + what + " must be a non-negative integer"};
      return v.get<std::uint64_t>();
    };
    if (k == "runs") {
      s.runs = count("runs");
    } else if (k == "seed") {
      s.seed = count("seed");
    } else if (k == "start") {
      if (!v.is_string()) throw BadArgument{"simulation options: start must be a date string YYYY-MM-DD"};
      s.start = jointreview::Date::parse(v.get<std::string>());
    } else if (k == "projects") {
      s.projects = static_cast<std::uint32_t>(count("projects"));
    } else if (k == "arrival_window") {
      if (!v.is_number()) throw BadArgument{"simulation options: arrival_window must be a number"};
      s.arrival_window = v.get<double>();
    } else if (k == "green_projects") {
      s.green_projects = static_cast<std::uint32_t>(count("green_projects"));
    } else if (k == "threads") {
      s.threads = static_cast<unsigned>(count("threads"));
    } else if (k == "histogram_bins") {
      s.histogram_bins = static_cast<std::uint32_t>(count("histogram_bins"));
    } else if (k == "trace_median") {
      if (!v.is_boolean()) throw BadArgument{"simulation options: trace_median must be true or false"};
      s.trace_median = v.get<bool>();
    } else if (k == "count_overdue") {
      if (!v.is_boolean()) throw BadArgument{"simulation options: count_overdue must be true or false"};
      s.count_overdue = v.get<bool>();
    } else if (k == "weekend_fallback") {
      if (!v.is_boolean()) throw BadArgument{"simulation options: weekend_fallback must be true or false"};
      weekend_fallback = v.get<bool>();
    } else if (k == "strict_calendar") {
      if (!v.is_boolean()) throw BadArgument{"simulation options: strict_calendar must be true or false"};
      strict = v.get<bool>();
    } else if (k == "capacity") {
      if (!v.is_object())
        throw BadArgument{"simulation options: capacity must be an object {\"department\": reviews at once}"};
      for (auto c = v.begin(); c != v.end(); ++c) {
        if (!c.value().is_number_integer() || c.value().get<std::int64_t>() < 0)
          throw BadArgument{"simulation options: capacity of " + c.key() + " must be a non-negative integer"};
        s.capacity.emplace_back(c.key(), c.value().get<std::uint32_t>());
      }
    } else {
      throw BadArgument{"simulation options: unknown key \"" + k +
                        "\" (known: runs, seed, start, projects, arrival_window, green_projects, "
                        "capacity, threads, histogram_bins, trace_median, count_overdue, weekend_fallback, "
                        "strict_calendar)"};
    }
  }
  return s;
}

const jointreview::Diagnostic* diag(const jr_workflow* wf, std::size_t i) {
  if (wf == nullptr || i >= wf->result.diagnostics.size()) return nullptr;
  return &wf->result.diagnostics[i];
}

const std::string& empty_string() {
  static const std::string e;
  return e;
}

jr_status finish_load(jointreview::LoadResult&& r, jr_workflow** out, jr_error** err) {
  auto wf = std::make_unique<jr_workflow>();
  wf->result = std::move(r);
  for (const auto& d : wf->result.diagnostics) wf->diagnostic_text.push_back(d.str());
  bool ok = wf->result.ok();
  std::string first_error;
  if (!ok) {
    std::size_t errors = 0;
    for (std::size_t i = 0; i < wf->result.diagnostics.size(); ++i)
      if (wf->result.diagnostics[i].severity == jointreview::Diagnostic::Severity::error) {
        if (errors++ == 0) first_error = wf->diagnostic_text[i];
      }
    if (errors > 1) first_error += " (and " + std::to_string(errors - 1) + " more)";
    if (errors == 0) first_error = "the workflow did not load";
  }
  *out = wf.release();
  if (!ok) return fail(err, JR_INVALID_WORKFLOW, first_error);
  return JR_OK;
}

// The loaded workflow, or an error saying why there is none.
const jointreview::Workflow& loaded(const jr_workflow* wf) {
  need_handle(wf, "workflow");
  if (!wf->result.ok())
    throw jointreview::Error(jointreview::Error::Code::invalid_workflow,
                             "the workflow did not load; see its diagnostics");
  return *wf->result.workflow;
}

// Setters: a NULL handle is the only failure; no message object is made.
template <typename F>
jr_status set_option(jr_engine_options* o, F&& f) noexcept {
  if (o == nullptr) return JR_INVALID_ARGUMENT;
  try {
    f(*o);
    return JR_OK;
  } catch (const std::bad_alloc&) {
    return JR_NO_MEMORY;
  } catch (...) {
    return JR_INTERNAL;
  }
}

jointreview::Engine& live(jr_engine* e) {
  need_handle(e, "engine");
  if (!e->engine) throw BadArgument{"engine is closed"};
  return *e->engine;
}

}  // namespace

// ================================================================ C entry

namespace {
// A setter of a request object: NULL is JR_INVALID_ARGUMENT.
template <class R, class F>
jr_status set_field(R* r, F&& f) {
  return guard(nullptr, [&] {
    if (r == nullptr) throw BadArgument{"request is NULL"};
    f(r->request);
  });
}
}  // namespace

extern "C" {

const char* jr_version(void) { return jointreview::version(); }

int jr_version_number(void) { return JR_VERSION_NUMBER_BUILT; }

const char* jr_status_name(jr_status code) {
  switch (code) {
    case JR_OK: return "ok";
    case JR_INVALID_ARGUMENT: return "invalid_argument";
    case JR_NOT_FOUND: return "not_found";
    case JR_OUT_OF_RANGE: return "out_of_range";
    case JR_REFUSED: return "refused";
    case JR_FORBIDDEN: return "forbidden";
    case JR_STORAGE: return "storage";
    case JR_INVALID_WORKFLOW: return "invalid_workflow";
    case JR_UNSUPPORTED: return "unsupported";
    case JR_NO_MEMORY: return "no_memory";
    case JR_INTERNAL: return "internal";
    case JR_CONFLICT: return "conflict";
  }
  return "unknown";
}

jr_status jr_error_code(const jr_error* err) { return err ? err->code : JR_INVALID_ARGUMENT; }

const char* jr_error_reason(const jr_error* err) {
  if (err == nullptr) return "invalid_argument";
  if (!err->reason.empty()) return err->reason.c_str();
  return jr_status_name(err->code);
}

const char* jr_error_message(const jr_error* err, size_t* len) {
  if (err == nullptr) return view(empty_string(), len);
  return view(err->message, len);
}

void jr_error_free(jr_error* err) { delete err; }

void jr_string_free(char* s) { std::free(s); }

// ---------------------------------------------------------------- workflows

jr_status jr_workflow_load_file(const char* path, size_t path_len, unsigned flags, jr_workflow** out,
                                jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    std::string p = need(path, path_len, "path");
    jointreview::LoadOptions o;
    o.warnings = (flags & JR_LOAD_NO_WARNINGS) == 0;
    return finish_load(jointreview::load_workflow_file(p, o), out, err);
  });
}

jr_status jr_workflow_load_string(const char* text, size_t text_len, const char* name, size_t name_len,
                                  unsigned flags, jr_workflow** out, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    std::string t = need(text, text_len, "text");
    std::string n = name ? in(name, name_len) : std::string("workflow.yaml");
    if (n.empty()) n = "workflow.yaml";
    jointreview::LoadOptions o;
    o.warnings = (flags & JR_LOAD_NO_WARNINGS) == 0;
    return finish_load(jointreview::load_workflow_string(t, n, o), out, err);
  });
}

void jr_workflow_free(jr_workflow* wf) { delete wf; }

int jr_workflow_ok(const jr_workflow* wf) { return wf && wf->result.ok() ? 1 : 0; }

const char* jr_workflow_id(const jr_workflow* wf, size_t* len) {
  return view(jr_workflow_ok(wf) ? wf->result.workflow->id : empty_string(), len);
}

const char* jr_workflow_title(const jr_workflow* wf, size_t* len) {
  return view(jr_workflow_ok(wf) ? wf->result.workflow->title : empty_string(), len);
}

const char* jr_workflow_file(const jr_workflow* wf, size_t* len) {
  return view(jr_workflow_ok(wf) ? wf->result.workflow->file : empty_string(), len);
}

size_t jr_workflow_step_count(const jr_workflow* wf) {
  return jr_workflow_ok(wf) ? wf->result.workflow->steps.size() : 0;
}

const char* jr_workflow_step_id(const jr_workflow* wf, size_t i, size_t* len) {
  if (i >= jr_workflow_step_count(wf)) return view(empty_string(), len);
  return view(wf->result.workflow->steps[i].id, len);
}

size_t jr_workflow_diagnostic_count(const jr_workflow* wf) { return wf ? wf->result.diagnostics.size() : 0; }

jr_severity jr_workflow_diagnostic_severity(const jr_workflow* wf, size_t i) {
  const auto* d = diag(wf, i);
  return d && d->severity == jointreview::Diagnostic::Severity::warning ? JR_SEVERITY_WARNING : JR_SEVERITY_ERROR;
}

int jr_workflow_diagnostic_line(const jr_workflow* wf, size_t i) {
  const auto* d = diag(wf, i);
  return d ? d->pos.line : 0;
}

int jr_workflow_diagnostic_column(const jr_workflow* wf, size_t i) {
  const auto* d = diag(wf, i);
  return d ? d->pos.column : 0;
}

const char* jr_workflow_diagnostic_file(const jr_workflow* wf, size_t i, size_t* len) {
  const auto* d = diag(wf, i);
  return view(d ? d->pos.file : empty_string(), len);
}

const char* jr_workflow_diagnostic_message(const jr_workflow* wf, size_t i, size_t* len) {
  const auto* d = diag(wf, i);
  return view(d ? d->message : empty_string(), len);
}

const char* jr_workflow_diagnostic_hint(const jr_workflow* wf, size_t i, size_t* len) {
  const auto* d = diag(wf, i);
  return view(d ? d->hint : empty_string(), len);
}

const char* jr_workflow_diagnostic_text(const jr_workflow* wf, size_t i, size_t* len) {
  const auto* d = diag(wf, i);
  return view(d ? wf->diagnostic_text[i] : empty_string(), len);
}

jr_status jr_workflow_plan(const jr_workflow* wf, const char* start_date, size_t start_date_len,
                           const char* format, size_t format_len, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    const jointreview::Workflow& w = loaded(wf);
    jointreview::PlanOptions o;
    if (auto d = opt_in(start_date, start_date_len); d && !d->empty()) o.start = jointreview::Date::parse(*d);
    std::string f = in(format, format_len);
    auto pf = jointreview::parse_plan_format(f.empty() ? std::string("json") : f);
    jointreview::Plan p = jointreview::plan(w, o);
    out_string(jointreview::render_plan(w, p, pf), out, out_len);
  });
}

jr_status jr_workflow_simulate(const jr_workflow* wf, const char* options_json, size_t options_len, char** out,
                               size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    const jointreview::Workflow& w = loaded(wf);
    json o;
    if (auto text = opt_in(options_json, options_len); text && !text->empty()) o = json::parse(*text);
    bool fallback = false, strict = false;
    jointreview::SimulationOptions so = simulation_options(o, fallback, strict);
    if ((fallback || strict) && so.start) {
      // The report's weekend_fallback_after and provisional_after say when
      // dates are estimates.
      jointreview::CalendarOptions co;
      co.weekend_fallback = fallback;
      co.strict = strict;
      so.calendar = jointreview::load_workflow_calendar(w, co);
    }
    jointreview::SimulationResult r = jointreview::simulate(w, so);
    out_string(jointreview::render_simulation(r, jointreview::SimulationFormat::json), out, out_len);
  });
}

// ----------------------------------------------------------- engine options

jr_engine_options* jr_engine_options_create(void) { return new (std::nothrow) jr_engine_options; }

void jr_engine_options_free(jr_engine_options* options) { delete options; }

jr_status jr_engine_options_set_database(jr_engine_options* options, const char* path, size_t len) {
  return set_option(options, [&](jr_engine_options& o) {
    o.options.database = path ? in(path, len) : jointreview::EngineOptions{}.database;
  });
}

jr_status jr_engine_options_set_clock(jr_engine_options* options, const char* local_time, size_t len) {
  return set_option(options, [&](jr_engine_options& o) { o.clock = opt_in(local_time, len); });
}

jr_status jr_engine_options_set_utc_offset(jr_engine_options* options, int minutes) {
  return set_option(options, [&](jr_engine_options& o) { o.options.utc_offset_minutes = minutes; });
}

jr_status jr_engine_options_set_background_timers(jr_engine_options* options, int enabled) {
  return set_option(options, [&](jr_engine_options& o) { o.options.background_timers = enabled != 0; });
}

jr_status jr_engine_options_set_synchronous(jr_engine_options* options, const char* mode, size_t len) {
  return set_option(options, [&](jr_engine_options& o) {
    o.options.synchronous = mode ? in(mode, len) : jointreview::EngineOptions{}.synchronous;
  });
}

jr_status jr_engine_options_add_calendar_dir(jr_engine_options* options, const char* dir, size_t len) {
  if (dir == nullptr) return JR_INVALID_ARGUMENT;
  return set_option(options, [&](jr_engine_options& o) { o.options.calendar.search_path.push_back(in(dir, len)); });
}

jr_status jr_engine_options_set_weekend_fallback(jr_engine_options* options, int enabled) {
  return set_option(options, [&](jr_engine_options& o) { o.options.calendar.weekend_fallback = enabled != 0; });
}

jr_status jr_engine_options_set_strict_calendar(jr_engine_options* options, int enabled) {
  return set_option(options, [&](jr_engine_options& o) { o.options.calendar.strict = enabled != 0; });
}

// -------------------------------------------------------------------- engine

jr_status jr_engine_open(const jr_engine_options* options, jr_engine** out, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jr_engine_options defaults;
    const jr_engine_options& o = options ? *options : defaults;
    if (o.options.synchronous != "full" && o.options.synchronous != "normal")
      throw BadArgument{"synchronous must be \"full\" or \"normal\", not \"" + o.options.synchronous + "\""};
    auto e = std::make_unique<jr_engine>();
    jointreview::EngineOptions eo = o.options;
    e->utc_offset_minutes = eo.utc_offset_minutes;
    if (o.clock) {
      e->fake_clock = jointreview::FakeClock::at(*o.clock, eo.utc_offset_minutes);
      eo.clock = e->fake_clock;
    }
    e->engine = jointreview::Engine::open(eo);
    *out = e.release();
  });
}

void jr_engine_close(jr_engine* engine) {
  if (engine == nullptr) return;
  try {
    engine->engine.reset();
  } catch (...) {
    // A destructor that throws has nowhere to report to; the handle goes anyway.
  }
  delete engine;
}

namespace {

jointreview::StartRequest start_request(const char* workflow_file, size_t workflow_file_len, const char* project,
                                        size_t project_len, const char* applicant, size_t applicant_len, int green) {
  jointreview::StartRequest r;
  r.workflow_file = need(workflow_file, workflow_file_len, "workflow_file");
  r.project = need(project, project_len, "project");
  if (applicant) r.applicant = in(applicant, applicant_len);
  r.green = green != 0;
  return r;
}

jointreview::ActRequest act_request(const char* instance_id, size_t instance_id_len, const char* step,
                                    size_t step_len, const char* action, size_t action_len, const char* actor,
                                    size_t actor_len, const char* note, size_t note_len, const char* material,
                                    size_t material_len, double days) {
  jointreview::ActRequest r;
  r.instance = need(instance_id, instance_id_len, "instance_id");
  r.step = need(step, step_len, "step");
  r.action = need(action, action_len, "action");
  r.actor = need(actor, actor_len, "actor");
  r.note = in(note, note_len);
  r.material = in(material, material_len);
  r.days = days < 0 ? -1 : days;
  return r;
}

// Reports the outcome of an asynchronous call through its callback: the
// error, if any, mapped to a status exactly as guard() maps a thrown one.
void report(jr_done_callback done, void* user_data, std::exception_ptr error, const std::string& text) noexcept {
  try {
    if (!error) {
      done(JR_OK, text.c_str(), text.size(), user_data);
      return;
    }
    jr_error* e = nullptr;
    const jr_status st = guard(&e, [&] { std::rethrow_exception(error); });
    const std::string message = e ? e->message : std::string();
    jr_error_free(e);
    done(st, message.c_str(), message.size(), user_data);
  } catch (...) {
  }
}

}  // namespace

jr_status jr_engine_start(jr_engine* engine, const char* workflow_file, size_t workflow_file_len,
                          const char* project, size_t project_len, const char* applicant, size_t applicant_len,
                          int green, char** instance_id, size_t* instance_id_len, jr_error** err) {
  if (instance_id) *instance_id = nullptr;
  return guard(err, [&] {
    need_out(instance_id, "instance_id");
    jointreview::Engine& e = live(engine);
    out_string(e.start(start_request(workflow_file, workflow_file_len, project, project_len, applicant,
                                     applicant_len, green)),
               instance_id, instance_id_len);
  });
}

jr_status jr_engine_act(jr_engine* engine, const char* instance_id, size_t instance_id_len, const char* step,
                        size_t step_len, const char* action, size_t action_len, const char* actor,
                        size_t actor_len, const char* note, size_t note_len, const char* material,
                        size_t material_len, double days, jr_error** err) {
  return guard(err, [&] {
    jointreview::Engine& e = live(engine);
    e.act(act_request(instance_id, instance_id_len, step, step_len, action, action_len, actor, actor_len, note,
                      note_len, material, material_len, days));
  });
}

jr_status jr_engine_exclude(jr_engine* engine, const char* instance_id, size_t instance_id_len, const char* step,
                            size_t step_len, const char* actor, size_t actor_len, double days, const char* ground,
                            size_t ground_len, const char* note, size_t note_len, jr_error** err) {
  return guard(err, [&] {
    jointreview::Engine& e = live(engine);
    jointreview::ActRequest r = act_request(instance_id, instance_id_len, step, step_len, "exclude", JR_NTS, actor,
                                            actor_len, note, note_len, nullptr, 0, days);
    r.ground = need(ground, ground_len, "ground");
    e.act(r);
  });
}

jr_status jr_engine_start_async(jr_engine* engine, const char* workflow_file, size_t workflow_file_len,
                                const char* project, size_t project_len, const char* applicant,
                                size_t applicant_len, int green, jr_done_callback done, void* user_data,
                                jr_error** err) {
  return guard(err, [&] {
    if (done == nullptr) throw BadArgument{"done is NULL"};
    jointreview::Engine& e = live(engine);
    e.start_async(
        start_request(workflow_file, workflow_file_len, project, project_len, applicant, applicant_len, green),
        [done, user_data](const std::string& id, std::exception_ptr error) { report(done, user_data, error, id); });
  });
}

jr_status jr_engine_act_async(jr_engine* engine, const char* instance_id, size_t instance_id_len, const char* step,
                              size_t step_len, const char* action, size_t action_len, const char* actor,
                              size_t actor_len, const char* note, size_t note_len, const char* material,
                              size_t material_len, double days, jr_done_callback done, void* user_data,
                              jr_error** err) {
  return guard(err, [&] {
    if (done == nullptr) throw BadArgument{"done is NULL"};
    jointreview::Engine& e = live(engine);
    e.act_async(act_request(instance_id, instance_id_len, step, step_len, action, action_len, actor, actor_len,
                            note, note_len, material, material_len, days),
                [done, user_data](std::exception_ptr error) { report(done, user_data, error, std::string()); });
  });
}

jr_status jr_engine_status(jr_engine* engine, const char* instance_id, size_t instance_id_len, char** out,
                           size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    out_string(jointreview::status_json(e.status(need(instance_id, instance_id_len, "instance_id")), -1), out, out_len);
  });
}

jr_status jr_engine_instances(jr_engine* engine, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    out_string(jointreview::statuses_json(e.instances(), -1), out, out_len);
  });
}

jr_status jr_engine_events(jr_engine* engine, const char* instance_id, size_t instance_id_len, char** out,
                           size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    out_string(jointreview::events_json(e.events(need(instance_id, instance_id_len, "instance_id")), -1), out,
               out_len);
  });
}

jr_status jr_engine_worklist(jr_engine* engine, const char* department, size_t department_len, char** out,
                             size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    out_string(jointreview::worklist_json(e.worklist(need(department, department_len, "department")), -1), out,
               out_len);
  });
}

jr_status jr_engine_weekly_report(jr_engine* engine, const char* week, size_t week_len, char** out, size_t* out_len,
                                  jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    const std::string w = week ? std::string(week, week_len == JR_NTS ? std::strlen(week) : week_len) : "";
    out_string(jointreview::weekly_report_json(e.weekly_report(w), -1), out, out_len);
  });
}

jr_status jr_engine_calendars(jr_engine* engine, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    out_string(jointreview::stored_calendars_json(live(engine).calendars(), -1), out, out_len);
  });
}

jr_status jr_audit_verify(const char* database, size_t database_len, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    out_string(jointreview::audit_check_json(jointreview::verify_audit_trail(need(database, database_len, "database")), -1),
               out, out_len);
  });
}

jr_status jr_engine_update_calendar(jr_engine* engine, const char* file, size_t file_len, char** out,
                                    size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::Engine& e = live(engine);
    out_string(jointreview::calendar_update_json(e.update_calendar(need(file, file_len, "file")), -1), out, out_len);
  });
}

jr_status jr_engine_subscribe(jr_engine* engine, jr_event_callback callback, void* user_data, int* token,
                              jr_error** err) {
  return guard(err, [&] {
    need_out(token, "token");
    if (callback == nullptr) throw BadArgument{"callback is NULL"};
    jointreview::Engine& e = live(engine);
    *token = e.subscribe([callback, user_data](const jointreview::EventRecord& ev) {
      // Runs on the engine's thread; nothing may escape into the engine.
      try {
        std::string text = event_object(ev);
        callback(text.c_str(), text.size(), user_data);
      } catch (...) {
      }
    });
  });
}

jr_status jr_engine_subscribe_from(jr_engine* engine, int64_t after_seq, jr_event_callback callback, void* user_data,
                                   int* token, jr_error** err) {
  return guard(err, [&] {
    need_out(token, "token");
    if (callback == nullptr) throw BadArgument{"callback is NULL"};
    if (after_seq < 0) throw BadArgument{"after_seq is a seq, 0 or more"};
    jointreview::Engine& e = live(engine);
    *token = e.subscribe(
        [callback, user_data](const jointreview::EventRecord& ev) {
          try {
            std::string text = event_object(ev);
            callback(text.c_str(), text.size(), user_data);
          } catch (...) {
          }
        },
        after_seq);
  });
}

jr_status jr_engine_events_since(jr_engine* engine, int64_t after_seq, size_t limit, char** out, size_t* out_len,
                                 jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    if (after_seq < 0) throw BadArgument{"after_seq is a seq, 0 or more"};
    if (limit > 10000) throw BadArgument{"limit is at most 10000"};
    out_string(jointreview::events_json(live(engine).events_since(after_seq, limit == 0 ? 1000 : limit), -1), out,
               out_len);
  });
}

jr_status jr_start_request_create(jr_start_request** out, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    *out = new jr_start_request;
  });
}
void jr_start_request_free(jr_start_request* request) { delete request; }

jr_status jr_start_request_set_workflow_file(jr_start_request* r, const char* path, size_t len) {
  return set_field(r, [&](auto& q) { q.workflow_file = in(path, len); });
}
jr_status jr_start_request_set_project(jr_start_request* r, const char* project, size_t len) {
  return set_field(r, [&](auto& q) { q.project = in(project, len); });
}
jr_status jr_start_request_set_applicant(jr_start_request* r, const char* applicant, size_t len) {
  return set_field(r, [&](auto& q) { q.applicant = applicant ? in(applicant, len) : std::string("applicant"); });
}
jr_status jr_start_request_set_green(jr_start_request* r, int green) {
  return set_field(r, [&](auto& q) { q.green = green != 0; });
}
jr_status jr_start_request_set_key(jr_start_request* r, const char* key, size_t len) {
  return set_field(r, [&](auto& q) { q.key = in(key, len); });
}

jr_status jr_start_request_set_workflow(jr_start_request* r, const char* ref, size_t len) {
  return set_field(r, [&](auto& q) { q.workflow = in(ref, len); });
}

jr_status jr_engine_deploy(jr_engine* engine, const char* workflow_file, size_t workflow_file_len, char** out,
                           size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    out_string(jointreview::deployed_json(live(engine).deploy(need(workflow_file, workflow_file_len, "workflow_file")),
                                          -1),
               out, out_len);
  });
}

jr_status jr_engine_deploy_texts(jr_engine* engine, const char* texts_json, size_t texts_json_len, char** out,
                                 size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    const json j = json::parse(need(texts_json, texts_json_len, "texts_json"));
    if (!j.is_object() || !j.contains("files") || !j["files"].is_object() || !j.contains("main") ||
        !j["main"].is_string())
      throw BadArgument{"texts_json is {\"files\": {\"NAME\": \"TEXT\", ...}, \"main\": \"NAME\"}"};
    std::map<std::string, std::string> files;
    for (auto it = j["files"].begin(); it != j["files"].end(); ++it) {
      if (!it.value().is_string()) throw BadArgument{"texts_json: the text of '" + it.key() + "' is not a string"};
      files[it.key()] = it.value().get<std::string>();
    }
    out_string(jointreview::deployed_json(live(engine).deploy_texts(files, j["main"].get<std::string>()), -1), out,
               out_len);
  });
}

jr_status jr_engine_query(jr_engine* engine, const char* filter_json, size_t filter_json_len, char** out,
                          size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    jointreview::InstanceFilter f;
    if (filter_json != nullptr) {
      const json j = json::parse(in(filter_json, filter_json_len));
      if (!j.is_object()) throw BadArgument{"filter_json is a JSON object"};
      for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        const json& v = it.value();
        auto text = [&](std::string& field) {
          if (!v.is_string()) throw BadArgument{"filter_json: \"" + k + "\" is a string"};
          field = v.get<std::string>();
        };
        if (k == "state") text(f.state);
        else if (k == "workflow") text(f.workflow);
        else if (k == "project") text(f.project);
        else if (k == "applicant") text(f.applicant);
        else if (k == "department") text(f.department);
        else if (k == "flag") text(f.flag);
        else if (k == "started_from") text(f.started_from);
        else if (k == "started_to") text(f.started_to);
        else if (k == "finished_from") text(f.finished_from);
        else if (k == "finished_to") text(f.finished_to);
        else if (k == "order") text(f.order);
        else if (k == "after") text(f.after);
        else if (k == "green") {
          if (!v.is_boolean()) throw BadArgument{"filter_json: \"green\" is true or false"};
          f.green = v.get<bool>() ? 1 : 0;
        } else if (k == "limit") {
          if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 1000)
            throw BadArgument{"filter_json: \"limit\" is a whole number from 1 to 1000"};
          f.limit = v.get<std::size_t>();
        } else {
          throw BadArgument{"filter_json: unknown key \"" + k + "\""};
        }
      }
    }
    out_string(jointreview::instance_page_json(live(engine).query(f), -1), out, out_len);
  });
}

jr_status jr_engine_workflows(jr_engine* engine, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    out_string(jointreview::deployed_list_json(live(engine).workflows(), -1), out, out_len);
  });
}

jr_status jr_engine_start_request(jr_engine* engine, const jr_start_request* request, char** instance_id,
                                  size_t* instance_id_len, uint64_t* version, int* existed, jr_error** err) {
  if (instance_id) *instance_id = nullptr;
  return guard(err, [&] {
    if (request == nullptr) throw BadArgument{"request is NULL"};
    if (request->request.workflow_file.empty() && request->request.workflow.empty())
      throw BadArgument{"the request names no workflow file and no deployed workflow"};
    const jointreview::StartResult r = live(engine).start_instance(request->request);
    if (version) *version = r.version;
    if (existed) *existed = r.existed ? 1 : 0;
    if (instance_id) out_string(r.instance, instance_id, instance_id_len);
  });
}

jr_status jr_act_request_create(jr_act_request** out, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    *out = new jr_act_request;
  });
}
void jr_act_request_free(jr_act_request* request) { delete request; }

jr_status jr_act_request_set_instance(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.instance = in(v, len); });
}
jr_status jr_act_request_set_step(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.step = in(v, len); });
}
jr_status jr_act_request_set_action(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.action = in(v, len); });
}
jr_status jr_act_request_set_actor(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.actor = in(v, len); });
}
jr_status jr_act_request_set_note(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.note = in(v, len); });
}
jr_status jr_act_request_set_material(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.material = in(v, len); });
}
jr_status jr_act_request_set_days(jr_act_request* r, double days) {
  return set_field(r, [&](auto& q) { q.days = days; });
}
jr_status jr_act_request_set_ground(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.ground = in(v, len); });
}
jr_status jr_act_request_set_request_id(jr_act_request* r, const char* v, size_t len) {
  return set_field(r, [&](auto& q) { q.request_id = in(v, len); });
}
jr_status jr_act_request_set_expected_version(jr_act_request* r, int64_t version) {
  return set_field(r, [&](auto& q) { q.expected_version = version < 0 ? -1 : version; });
}

jr_status jr_engine_apply(jr_engine* engine, const jr_act_request* request, uint64_t* version, int* repeated,
                          jr_error** err) {
  return guard(err, [&] {
    if (request == nullptr) throw BadArgument{"request is NULL"};
    const jointreview::ActResult r = live(engine).apply(request->request);
    if (version) *version = r.version;
    if (repeated) *repeated = r.repeated ? 1 : 0;
  });
}

jr_status jr_engine_claim(jr_engine* engine, const char* instance_id, size_t instance_id_len, const char* step,
                          size_t step_len, const char* actor, size_t actor_len, uint64_t* version, jr_error** err) {
  return guard(err, [&] {
    const jointreview::ActResult r =
        live(engine).claim(need(instance_id, instance_id_len, "instance_id"), need(step, step_len, "step"),
                           need(actor, actor_len, "actor"));
    if (version) *version = r.version;
  });
}

jr_status jr_engine_release(jr_engine* engine, const char* instance_id, size_t instance_id_len, const char* step,
                            size_t step_len, const char* actor, size_t actor_len, uint64_t* version, jr_error** err) {
  return guard(err, [&] {
    const jointreview::ActResult r =
        live(engine).release(need(instance_id, instance_id_len, "instance_id"), need(step, step_len, "step"),
                             need(actor, actor_len, "actor"));
    if (version) *version = r.version;
  });
}

jr_status jr_engine_unsubscribe(jr_engine* engine, int token, jr_error** err) {
  return guard(err, [&] { live(engine).unsubscribe(token); });
}

jr_status jr_engine_stats(jr_engine* engine, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    const jointreview::EngineStats st = live(engine).stats();
    json j = {{"transactions", st.transactions},
              {"calls", st.calls},
              {"events", st.events},
              {"checkpoints", st.checkpoints},
              {"failed_transactions", st.failed_transactions},
              {"replayed_inputs", st.replayed_inputs},
              {"rebuilt_instances", st.rebuilt_instances},
              {"instances", st.instances},
              {"pending_checkpoint", st.pending_checkpoint},
              {"unloaded", st.unloaded},
              {"loaded", st.loaded}};
    out_string(j.dump(), out, out_len);
  });
}

jr_status jr_engine_fire_due_timers(jr_engine* engine, jr_error** err) {
  return guard(err, [&] { live(engine).fire_due_timers(); });
}

jr_status jr_engine_today(jr_engine* engine, char** out, size_t* out_len, jr_error** err) {
  if (out) *out = nullptr;
  return guard(err, [&] {
    need_out(out, "out");
    out_string(live(engine).today(), out, out_len);
  });
}

jr_status jr_engine_set_clock(jr_engine* engine, const char* local_time, size_t len, jr_error** err) {
  return guard(err, [&]() -> jr_status {
    live(engine);
    if (!engine->fake_clock)
      return fail(err, JR_UNSUPPORTED, "the engine runs on the system clock; open it with jr_engine_options_set_clock");
    std::string t = need(local_time, len, "local_time");
    engine->fake_clock->set(jointreview::FakeClock::at(t, engine->utc_offset_minutes)->now());
    return JR_OK;
  });
}

jr_status jr_engine_advance_clock(jr_engine* engine, int64_t seconds, jr_error** err) {
  return guard(err, [&]() -> jr_status {
    live(engine);
    if (!engine->fake_clock)
      return fail(err, JR_UNSUPPORTED, "the engine runs on the system clock; open it with jr_engine_options_set_clock");
    engine->fake_clock->advance(std::chrono::seconds(seconds));
    return JR_OK;
  });
}

}  // extern "C"
