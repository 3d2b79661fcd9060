// jreview start / act / status / events: live instances in a SQLite database.
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/client.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

std::unique_ptr<jointreview::Engine> open_engine(const EngineFlags& f) {
  if (!f.server.empty()) {
    if (!f.now.empty())
      throw jointreview::Error(jointreview::Error::Code::invalid_argument,
                               "--now is the server's to set (jreview serve --now), not a client's", "bad_value");
    return jointreview::connect_engine(f.server, f.token);
  }
  jointreview::EngineOptions o;
  o.database = f.db;
  o.background_timers = false;  // one-shot command: due timers fire at open and before each action
  if (!f.now.empty()) o.clock = jointreview::FakeClock::at(f.now, o.utc_offset_minutes);
  o.calendar.weekend_fallback = f.weekend_fallback;
  o.calendar.strict = f.strict_calendar;
  o.calendar.on_warning = warn_on_stderr;
  o.read_only = f.read_only;
  auto e = jointreview::Engine::open(o);
  if (f.read_only)
    std::cerr << "jreview: read-only: the database as it stands (beside any engine running on it); no timer was "
                 "fired and nothing written\n";
  return e;
}

void add_read_only_flag(CLI::App* sub, EngineFlags& f) {
  sub->add_flag("--read-only", f.read_only,
                "read the database without writing or firing timers, also while another jreview or engine holds it");
}

int error_exit(const jointreview::Error& e) {
  using C = jointreview::Error::Code;
  std::cerr << "jreview: "
            << (e.code() == C::refused     ? "refused: "
                : e.code() == C::forbidden ? "forbidden: "
                : e.code() == C::conflict  ? "conflict: "
                                           : "error: ")
            << in_flags(e.what()) << "\n";
  if (e.code() == C::conflict) return 4;
  return e.code() == C::refused || e.code() == C::forbidden ? 3 : 2;
}

void add_engine_flags(CLI::App* sub, EngineFlags& f) {
  sub->add_option("--db", f.db, "SQLite database (default ./jreview.db; created if missing)");
  sub->add_option("--now", f.now,
                  "act as if the local time were this (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]): for replays, "
                  "tests and demos")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v.empty() ? std::string("an empty --now would mean the real clock: give a time, or leave --now out")
                             : std::string();
          },
          "TIME"));
  sub->add_flag("--weekend-fallback", f.weekend_fallback,
                "outside the calendar's years, count weekends only (with a warning) instead of failing");
  sub->add_flag("--strict-calendar", f.strict_calendar,
                "no provisional years: a time after the calendar's published years is an error");
  sub->add_option("--server", f.server,
                  "talk to a running jreview serve (http://HOST:PORT) instead of opening --db; the token's actor acts")
      ->envname("JREVIEW_SERVER");
  sub->add_option("--token", f.token, "the bearer token for --server (jreview token add)")->envname("JREVIEW_TOKEN");
}

namespace {

std::string fmt_days(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

std::string flags(const jointreview::StepStatus& s) {
  std::string out;
  auto add = [&](const std::string& f) { out += (out.empty() ? "" : " ") + f; };
  if (s.overdue) add("RED");
  else if (s.warned) add("yellow");
  if (s.statutory_overdue) add("STATUTORY-OVERDUE");
  if (s.paused) add("clock-stopped:" + (s.ground.empty() ? std::string("?") : s.ground) + "-until-" + s.paused_until);
  if (s.extended_days > 0) add("extended+" + fmt_days(s.extended_days));
  if (s.verification_pending) add((s.verification_overdue ? "VERIFY-OVERDUE:" : "verify-by:") + s.verification_due);
  if (s.rectifying) add("rectify-by:" + s.rectify_due);
  if (s.review_required) add("REVIEW-REQUIRED");
  if (s.material_overdue) add("material-OVERDUE");
  if (s.contact_pending) add(s.contact_overdue ? "contact-OVERDUE" : "contact-applicant");
  if (!s.missing_materials.empty()) {
    std::string m;
    for (const auto& x : s.missing_materials) m += (m.empty() ? "" : ",") + x;
    add("missing:" + m);
  }
  for (const auto& c : s.claims) add("claimed:" + c.staff);
  if (!s.reviews_pending.empty() && s.state == "accepted") {
    std::string m;
    for (const auto& x : s.reviews_pending) m += (m.empty() ? "" : ",") + x;
    add("reviewing:" + m);
  }
  return out;
}


void print_status(const jointreview::InstanceStatus& s) {
  std::size_t approved = 0;
  for (const auto& st : s.steps) approved += st.state == "approved";
  std::cout << s.instance << "  " << s.project << "  (" << s.workflow << (s.title.empty() ? "" : ": " + s.title)
            << ")\n";
  std::cout << "state: " << s.state << "   progress: " << approved << "/" << s.steps.size() << " approved"
            << "   started: " << s.started.substr(0, 16);
  if (!s.deadline.empty()) std::cout << "   promised by: " << dated(s.deadline, s.deadline_provisional);
  if (s.overdue) std::cout << "   PROJECT OVERDUE";
  else if (s.warned) std::cout << "   project deadline near";
  if (s.green) std::cout << "   green channel";
  std::cout << "   version " << s.version;
  if (!s.key.empty()) std::cout << "   key " << s.key;  // checked at start: no control characters
  std::cout << "\n\n";
  std::vector<std::vector<std::string>> rows;
  bool provisional = s.deadline_provisional;
  for (const auto& st : s.steps) {
    std::string depts;
    for (const auto& d : st.departments) depts += (depts.empty() ? "" : "+") + d;
    rows.push_back({st.id, st.name, depts, st.state, dated(st.deadline, st.deadline_provisional),
                    fmt_days(st.days_used) + "/" + fmt_days(st.days_limit), flags(st)});
    provisional = provisional || st.deadline_provisional;
  }
  std::cout << jointreview::render_table({"step", "name", "department", "state", "deadline", "used/limit", "flags"}, rows,
                                         {false, false, false, false, false, true, false});
  if (provisional) std::cout << kProvisionalNote;
}

struct StartOpts {
  EngineFlags e;
  std::string file, project, applicant = "applicant", key;
  bool green = false;
};

void add_start(CLI::App& app, Runner& run) {
  auto o = std::make_shared<StartOpts>();
  auto* sub = app.add_subcommand("start", "Start an approval instance of a workflow; prints its id on the last line");
  sub->add_option("file", o->file, "workflow file, or a deployed workflow: ID, ID@HASH or ID@vN")->required();
  sub->add_option("--project", o->project, "the project's name (default: the workflow's title)");
  sub->add_option("--applicant", o->applicant, "the applicant's name (for --as applicant:NAME)");
  sub->add_flag("--green", o->green, "green channel (绿色通道): first in every department's queue");
  sub->add_option("--key", o->key,
                  "a business key, unique per workflow (the platform's case number): with a key in use, nothing is "
                  "started and the existing instance's id is printed");
  add_engine_flags(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    jointreview::StartRequest r;
    // A file, or else a workflow deployed in the database (jreview deploy).
    std::error_code ec;
    if (std::filesystem::exists(o.file, ec))
      r.workflow_file = o.file;
    else
      r.workflow = o.file;
    r.project = o.project;
    r.applicant = o.applicant;
    r.green = o.green;
    r.key = o.key;
    jointreview::StartResult started;
    try {
      started = engine.start_instance(r);
    } catch (const jointreview::Error& e) {
      if (std::string(e.reason()) != "unknown_workflow") throw;
      throw jointreview::Error(e.code(), "'" + o.file + "' is neither a workflow file nor a deployed workflow: " +
                                             e.what(), e.reason());
    }
    const std::string& id = started.instance;
    if (started.existed) {
      std::cerr << "key '" << o.key << "' is in use: instance " << id << " already existed; nothing was started\n";
      std::cout << id << "\n";
      return 0;
    }
    auto s = engine.status(id);
    std::string ready;
    for (const auto& st : s.steps)
      if (st.state == "ready") ready += (ready.empty() ? "" : ", ") + st.id;
    std::cerr << "started " << s.workflow << " for '" << s.project << "'; ready to submit: " << ready << "\n";
    std::cout << id << "\n";
    return 0;
  });
}

struct ActOpts {
  EngineFlags e;
  std::string instance, step, action, actor = "applicant", note, material, ground, request_id;
  double days = -1;
  std::int64_t expect_version = -1;
};

void add_act(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ActOpts>();
  auto* sub = app.add_subcommand("act", "Act on a step: submit, accept, approve, return, resubmit, reject, commit, "
                                        "supply, withdraw, verify, verify-failed, contact, exclude, resume, extend");
  sub->add_option("instance", o->instance, "instance id")->required();
  sub->add_option("step", o->step, "step id")->required();
  sub->add_option("action", o->action, "the action")->required();
  sub->add_option("--as", o->actor, "who acts: applicant, applicant:NAME, a department, or DEPARTMENT/STAFF-ID");
  sub->add_option("--note", o->note, "a note kept in the audit trail");
  sub->add_option("--material", o->material, "supply: the deferred material handed in");
  sub->add_option("--days", o->days,
                  "exclude: the excluded period's length in working days (default: as declared); extend: the "
                  "extension's working days (at most 10, 15 for a joint review)")
      ->check(CLI::Validator(
          [](std::string& v) {
            return !v.empty() && v[0] == '-' ? std::string("--days is a number of working days above 0, not " + v)
                                             : std::string();
          },
          "DAYS"));
  sub->add_option("--ground", o->ground,
                  "exclude beyond the declared periods: the Art. 45 ground (hearing, tendering, auction, inspection, "
                  "testing, quarantine, appraisal, expert_review); needs --days and --note");
  sub->add_option("--request-id", o->request_id,
                  "idempotency: a retry with the same id gets the first outcome and writes nothing (kept 7 days)");
  sub->add_option("--expect-version", o->expect_version,
                  "act only if the instance is still at this version (status shows it); else exit 4, nothing logged")
      ->check(CLI::NonNegativeNumber);
  add_engine_flags(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    jointreview::ActRequest r;
    r.instance = o.instance;
    r.step = o.step;
    r.action = o.action;
    r.actor = o.actor;
    r.note = o.note;
    r.material = o.material;
    r.days = o.days;
    r.ground = o.ground;
    r.request_id = o.request_id;
    r.expected_version = o.expect_version;
    const jointreview::ActResult done = engine.apply(r);
    if (done.repeated)
      std::cerr << "request id '" << o.request_id << "' was answered before: this is its first outcome, nothing new "
                << "was written\n";
    auto s = engine.status(o.instance);
    for (const auto& st : s.steps)
      if (st.id == o.step)
        std::cout << o.step << ": " << st.state
                  << (st.deadline.empty() ? "" : "  deadline " + dated(st.deadline, st.deadline_provisional) +
                                                     (st.deadline_provisional ? " (provisional)" : ""))
                  << (flags(st).empty() ? "" : "  " + flags(st)) << "\n";
    if (s.state != "running") std::cout << "instance " << s.instance << ": " << s.state << "\n";
    return 0;
  });
}

struct StatusOpts {
  EngineFlags e;
  std::string instance;
  std::string format = "table";
};

void add_status(CLI::App& app, Runner& run) {
  auto o = std::make_shared<StatusOpts>();
  auto* sub = app.add_subcommand("status", "Show one instance, or list all instances");
  sub->add_option("instance", o->instance, "instance id (omit to list all)");
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    if (!o.instance.empty()) {
      auto s = engine.status(o.instance);
      if (o.format == "json")
        std::cout << jointreview::status_json(s) << "\n";
      else
        print_status(s);
      return 0;
    }
    auto all = engine.instances();
    if (o.format == "json") {
      std::cout << jointreview::statuses_json(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    bool provisional = false;
    for (const auto& s : all) {
      provisional = provisional || s.deadline_provisional;
      std::size_t approved = 0, red = 0, yellow = 0;
      for (const auto& st : s.steps) {
        approved += st.state == "approved";
        red += st.overdue;
        yellow += st.warned && !st.overdue;
      }
      rows.push_back({s.instance, s.project, s.workflow, s.state,
                      std::to_string(approved) + "/" + std::to_string(s.steps.size()), std::to_string(red),
                      std::to_string(yellow), dated(s.deadline, s.deadline_provisional)});
    }
    std::cout << jointreview::render_table({"instance", "project", "workflow", "state", "approved", "red", "yellow",
                                            "promised by"},
                                           rows, {false, false, false, false, true, true, true, false});
    if (provisional) std::cout << kProvisionalNote;
    return 0;
  });
}

struct EventsOpts : StatusOpts {
  std::int64_t after = -1;
  std::size_t limit = 1000;
};

void add_events(CLI::App& app, Runner& run) {
  auto o = std::make_shared<EventsOpts>();
  auto* sub = app.add_subcommand("events",
                                 "The audit trail of an instance (every action, refusal and state change), or with "
                                 "--after the feed of every instance's events in seq order");
  sub->add_option("instance", o->instance, "instance id (with --after: only its events)");
  sub->add_option("--after", o->after, "the events after this seq, of every instance (0: from the first)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--limit", o->limit, "with --after: at most this many (default 1000, at most 10000)")
      ->check(CLI::Range(1, 10000));
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    if (o.after < 0 && o.instance.empty())
      throw jointreview::Error(jointreview::Error::Code::invalid_argument,
                               "name an instance, or give --after SEQ for the feed of every instance");
    std::vector<jointreview::EventRecord> ev;
    if (o.after >= 0) {
      // The feed, filtered to one instance when one is named: pages of
      // --limit rows of that instance.
      std::int64_t from = o.after;
      for (;;) {
        auto page = engine.events_since(from, o.limit);
        for (auto& e : page)
          if (o.instance.empty() || e.instance == o.instance) ev.push_back(std::move(e));
        if (page.size() < o.limit || ev.size() >= o.limit || o.instance.empty()) break;
        from = page.back().seq;
      }
      if (ev.size() > o.limit) ev.resize(o.limit);
    } else {
      ev = engine.events(o.instance);
    }
    if (o.format == "json") {
      std::cout << jointreview::events_json(ev) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    const bool feed = o.after >= 0 && o.instance.empty();
    for (const auto& e : ev) {
      std::string what = e.kind == "action" || e.kind == "refused" ? e.action : e.kind;
      std::string change = e.from.empty() ? "" : e.from + " -> " + e.to;
      std::string text = e.detail;
      if (!e.material.empty()) text += (text.empty() ? "" : "; ") + std::string("material: ") + e.material;
      if (!e.note.empty()) text += (text.empty() ? "" : "; ") + std::string("note: ") + e.note;
      std::vector<std::string> row{std::to_string(e.seq), e.time.substr(0, 16), e.actor,
                                   e.kind == "refused" ? "REFUSED " + what : what, e.step, change, text};
      if (feed) row.insert(row.begin() + 1, e.instance);
      rows.push_back(std::move(row));
    }
    if (feed)
      std::cout << jointreview::render_table({"#", "instance", "time", "actor", "what", "step", "change", "detail"},
                                             rows, {true, false, false, false, false, false, false, false});
    else
      std::cout << jointreview::render_table({"#", "time", "actor", "what", "step", "change", "detail"}, rows,
                                             {true, false, false, false, false, false, false});
    return 0;
  });
}

struct ClaimOpts {
  EngineFlags e;
  std::string instance, step, actor;
};

void add_claim_command(CLI::App& app, Runner& run, bool take) {
  auto o = std::make_shared<ClaimOpts>();
  auto* sub = app.add_subcommand(take ? "claim" : "release",
                                 take ? "Take a step for yourself: only you act on it for your department until you "
                                        "release it or it is decided"
                                      : "Give back a step you claimed");
  sub->add_option("instance", o->instance, "instance id")->required();
  sub->add_option("step", o->step, "step id")->required();
  sub->add_option("--as", o->actor, "DEPARTMENT/STAFF-ID: the staff member")->required();
  add_engine_flags(sub, o->e);
  with_engine(sub, run, o, [take](jointreview::Engine& engine, const auto& o) {
    const jointreview::ActResult r =
        take ? engine.claim(o.instance, o.step, o.actor) : engine.release(o.instance, o.step, o.actor);
    std::cout << o.step << ": " << (take ? "claimed by " : "released by ") << o.actor
              << (r.repeated ? " (already)" : "") << "  version " << r.version << "\n";
    return 0;
  });
}

void add_claim(CLI::App& app, Runner& run) { add_claim_command(app, run, true); }
void add_release(CLI::App& app, Runner& run) { add_claim_command(app, run, false); }

}  // namespace

JREVIEW_COMMAND(50, add_start);
JREVIEW_COMMAND(51, add_act);
JREVIEW_COMMAND(52, add_status);
JREVIEW_COMMAND(53, add_events);
JREVIEW_COMMAND(56, add_claim);
JREVIEW_COMMAND(57, add_release);

}  // namespace jreview
