// connect_engine (jointreview/client.h): the Engine interface over the HTTP
// API of jreview serve, one keep-alive connection, blocking calls. The JSON
// forms of engine.h are read back into its structs, so that a program (the
// CLI's --server) prints the same as it would from the database.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <nlohmann/json.hpp>

#include "jointreview/client.h"
#include "jointreview/error.h"

namespace jointreview {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

[[noreturn]] void not_remote(const char* what) {
  throw Error(Error::Code::invalid_argument,
              std::string(what) + " is not available over HTTP (jreview serve); run it where the database is",
              "not_remote");
}

std::string text(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || !it->is_string() ? std::string() : it->get<std::string>();
}
double number(const json& o, const char* key, double dflt = 0) {
  auto it = o.find(key);
  return it == o.end() || !it->is_number() ? dflt : it->get<double>();
}
bool flag(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}
std::vector<std::string> texts(const json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it != o.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

StepStatus step_of(const json& j) {
  StepStatus s;
  s.id = text(j, "id");
  s.name = text(j, "name");
  s.state = text(j, "state");
  s.since = text(j, "since");
  s.departments = texts(j, "departments");
  s.deadline = text(j, "deadline");
  s.deadline_provisional = flag(j, "deadline_provisional");
  s.days_used = number(j, "days_used");
  s.days_limit = number(j, "days_limit");
  s.warned = flag(j, "warned");
  s.overdue = flag(j, "overdue");
  s.paused = flag(j, "paused");
  s.paused_until = text(j, "paused_until");
  s.paused_until_provisional = flag(j, "paused_until_provisional");
  s.ground = text(j, "ground");
  s.exclusion_reason = text(j, "exclusion_reason");
  s.extended_days = number(j, "extended_days");
  s.statutory_overdue = flag(j, "statutory_overdue");
  s.statutory_days = number(j, "statutory_days", -1);
  s.on_commitment = flag(j, "on_commitment");
  s.verification_pending = flag(j, "verification_pending");
  s.verification_due = text(j, "verification_due");
  s.verification_due_provisional = flag(j, "verification_due_provisional");
  s.verification_overdue = flag(j, "verification_overdue");
  s.rectifying = flag(j, "rectifying");
  s.rectify_due = text(j, "rectify_due");
  s.review_required = flag(j, "review_required");
  s.material_overdue = flag(j, "material_overdue");
  s.contact_pending = flag(j, "contact_pending");
  s.contact_overdue = flag(j, "contact_overdue");
  s.rounds = static_cast<int>(number(j, "rounds"));
  s.notices = static_cast<int>(number(j, "notices"));
  s.repeat_notice = flag(j, "repeat_notice");
  s.missing_materials = texts(j, "missing_materials");
  s.reviews_pending = texts(j, "reviews_pending");
  if (auto c = j.find("claims"); c != j.end() && c->is_array())
    for (const auto& x : *c) s.claims.push_back({text(x, "department"), text(x, "staff"), text(x, "since")});
  s.step_state = parse_step_state(s.state).value_or(StepState::blocked);
  return s;
}

InstanceStatus status_of(const json& j) {
  InstanceStatus s;
  s.instance = text(j, "instance");
  s.workflow = text(j, "workflow");
  s.workflow_hash = text(j, "workflow_hash");
  s.title = text(j, "title");
  s.project = text(j, "project");
  s.applicant = text(j, "applicant");
  s.state = text(j, "state");
  s.green = flag(j, "green");
  s.started = text(j, "started");
  s.finished = text(j, "finished");
  s.deadline = text(j, "deadline");
  s.clock_started = text(j, "clock_started");
  s.counted_days = number(j, "counted_days");
  s.elapsed_days = number(j, "elapsed_days");
  s.version = static_cast<std::uint64_t>(number(j, "version"));
  s.key = text(j, "key");
  s.deadline_provisional = flag(j, "deadline_provisional");
  s.warned = flag(j, "warned");
  s.overdue = flag(j, "overdue");
  if (auto st = j.find("steps"); st != j.end() && st->is_array())
    for (const auto& x : *st) s.steps.push_back(step_of(x));
  s.instance_state = parse_instance_state(s.state).value_or(InstanceState::running);
  return s;
}

std::vector<EventRecord> events_of(const json& a) {
  std::vector<EventRecord> out;
  if (!a.is_array()) return out;
  for (const auto& e : a)
    out.push_back(EventRecord{static_cast<std::int64_t>(number(e, "seq")), text(e, "instance"), text(e, "time"),
                              text(e, "actor"), text(e, "kind"), text(e, "action"), text(e, "step"),
                              text(e, "from"), text(e, "to"), text(e, "note"), text(e, "material"),
                              text(e, "detail")});
  return out;
}

Error problem_error(int status, const std::string& body) {
  json p = json::parse(body, nullptr, false);
  const std::string reason = p.is_object() ? text(p, "reason") : std::string();
  std::string detail = p.is_object() ? text(p, "detail") : body.substr(0, 200);
  if (p.is_object())
    if (auto e = p.find("errors"); e != p.end() && e->is_array())
      for (const auto& line : *e)
        if (line.is_string()) detail += "\n" + line.get<std::string>();
  Error::Code code = Error::Code::storage;
  switch (status) {
    case 400: code = Error::Code::invalid_argument; break;
    case 401:
    case 403: code = Error::Code::forbidden; break;
    case 404: code = Error::Code::not_found; break;
    case 409: code = Error::Code::conflict; break;
    case 422: code = reason == "invalid_workflow" ? Error::Code::invalid_workflow
                     : reason == "calendar_range" ? Error::Code::out_of_range
                     : reason == "duplicate"      ? Error::Code::invalid_argument
                                                  : Error::Code::refused;
      break;
    default: break;
  }
  return Error(code, detail.empty() ? "HTTP " + std::to_string(status) : detail, reason);
}

class RemoteEngine final : public Engine {
 public:
  RemoteEngine(const std::string& url, const std::string& token) : token_(token) {
    if (url.rfind("http://", 0) != 0)
      throw Error(Error::Code::invalid_argument, "server URL '" + url + "' is not http://HOST:PORT", "bad_value");
    std::string authority = url.substr(7);
    while (!authority.empty() && authority.back() == '/') authority.pop_back();
    if (authority.find('/') != std::string::npos)
      throw Error(Error::Code::invalid_argument, "server URL '" + url + "' has a path; give http://HOST:PORT",
                  "bad_value");
    host_ = authority;
    port_ = "80";
    if (const auto colon = authority.rfind(':'); colon != std::string::npos && authority.back() != ']') {
      host_ = authority.substr(0, colon);
      port_ = authority.substr(colon + 1);
    }
    if (!host_.empty() && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    authority_ = authority;
    whoami_ = json::parse(get("/api/v1/whoami"));
  }

  // ---- the calls the API offers
  StartResult start_instance(const StartRequest& r) override {
    if (!r.workflow_file.empty())
      throw Error(Error::Code::invalid_argument,
                  "over --server a workflow is started by its deployed id (ID, ID@HASH, ID@vN), not a file: "
                  "deploy it first (POST /api/v1/workflows)",
                  "unknown_workflow");
    json body = {{"workflow", r.workflow}, {"project", r.project}, {"green", r.green}};
    if (!r.applicant.empty() && r.applicant != "applicant") body["applicant"] = r.applicant;
    if (!r.key.empty()) body["key"] = r.key;
    json a = json::parse(send("POST", "/api/v1/instances", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return StartResult{text(a, "instance"), static_cast<std::uint64_t>(number(a, "version")), flag(a, "existed")};
  }
  std::string start(const StartRequest& r) override { return start_instance(r).instance; }
  ActResult apply(const ActRequest& r) override {
    json body = {{"action", r.action.empty() && r.verb != Action::start ? to_string(r.verb) : r.action}};
    if (!r.note.empty()) body["note"] = r.note;
    if (!r.material.empty()) body["material"] = r.material;
    if (r.days >= 0) body["days"] = r.days;
    if (!r.ground.empty()) body["ground"] = r.ground;
    std::vector<std::pair<std::string, std::string>> headers;
    if (!r.request_id.empty()) headers.emplace_back("Idempotency-Key", r.request_id);
    if (r.expected_version >= 0) headers.emplace_back("If-Match", "\"" + std::to_string(r.expected_version) + "\"");
    json a = json::parse(send("POST", path(r.instance) + "/steps/" + escape(r.step) + "/actions", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), headers));
    return ActResult{static_cast<std::uint64_t>(number(a, "version")), flag(a, "repeated")};
  }
  void act(const ActRequest& r) override { apply(r); }
  ActResult claim(const std::string& i, const std::string& s, const std::string&) override {
    json a = json::parse(send("POST", path(i) + "/steps/" + escape(s) + "/claim", ""));
    return ActResult{static_cast<std::uint64_t>(number(a, "version")), flag(a, "repeated")};
  }
  ActResult release(const std::string& i, const std::string& s, const std::string&) override {
    json a = json::parse(send("POST", path(i) + "/steps/" + escape(s) + "/release", ""));
    return ActResult{static_cast<std::uint64_t>(number(a, "version")), flag(a, "repeated")};
  }
  InstanceStatus status(const std::string& id) override { return status_of(json::parse(get(path(id)))); }
  std::vector<InstanceStatus> instances() override {
    std::vector<InstanceStatus> out;
    InstanceFilter f;
    f.limit = 1000;
    for (;;) {
      InstancePage p = query(f);
      for (const auto& s : p.instances) out.push_back(status(s.instance));
      if (p.next.empty()) return out;
      f.after = p.next;
    }
  }
  std::vector<EventRecord> events(const std::string& id) override {
    return events_of(json::parse(get(path(id) + "/events")));
  }
  std::vector<EventRecord> events_since(std::int64_t after, std::size_t limit) override {
    json a = json::parse(get("/api/v1/events?after=" + std::to_string(after) +
                             "&limit=" + std::to_string(std::min<std::size_t>(std::max<std::size_t>(limit, 1), 10000))));
    return events_of(a["events"]);
  }
  InstancePage query(const InstanceFilter& f) override {
    std::string q = "?limit=" + std::to_string(f.limit);
    auto add = [&](const char* k, const std::string& v) {
      if (!v.empty()) q += std::string("&") + k + "=" + escape(v);
    };
    add("state", f.state);
    add("workflow", f.workflow);
    add("project", f.project);
    add("applicant", f.applicant);
    add("department", f.department);
    add("flag", f.flag);
    add("started_from", f.started_from);
    add("started_to", f.started_to);
    add("finished_from", f.finished_from);
    add("finished_to", f.finished_to);
    if (f.green >= 0) add("green", f.green ? "true" : "false");
    if (f.order != "started") add("order", f.order);
    add("after", f.after);
    json j = json::parse(get("/api/v1/instances" + q));
    InstancePage p;
    for (const auto& s : j["instances"]) {
      InstanceSummary x;
      x.instance = text(s, "instance");
      x.project = text(s, "project");
      x.workflow = text(s, "workflow");
      x.applicant = text(s, "applicant");
      x.state = text(s, "state");
      x.started = text(s, "started");
      x.finished = text(s, "finished");
      x.deadline = text(s, "deadline");
      x.key = text(s, "key");
      x.green = flag(s, "green");
      x.version = static_cast<std::uint64_t>(number(s, "version"));
      if (auto pr = s.find("progress"); pr != s.end() && pr->is_object()) {
        x.approved = static_cast<int>(number(*pr, "approved"));
        x.total = static_cast<int>(number(*pr, "total"));
      }
      x.flags = texts(s, "flags");
      x.instance_state = parse_instance_state(x.state).value_or(InstanceState::running);
      p.instances.push_back(std::move(x));
    }
    p.next = text(j, "next");
    p.total = static_cast<std::int64_t>(number(j, "total"));
    return p;
  }
  Worklist worklist(const std::string& department) override {
    json a = json::parse(get("/api/v1/departments/" + escape(department) + "/worklist"));
    Worklist w;
    w.department = department;
    for (const auto& i : a) {
      WorkItem x;
      x.instance = text(i, "instance");
      x.project = text(i, "project");
      x.step = text(i, "step");
      x.name = text(i, "name");
      const std::string task = text(i, "task");
      for (WorkTask t : {WorkTask::accept, WorkTask::review, WorkTask::review_suspended, WorkTask::contact,
                         WorkTask::verify, WorkTask::rectification, WorkTask::review_approval,
                         WorkTask::collect_material})
        if (task == describe(t) || task == to_string(t)) x.task = t;
      x.state = parse_step_state(text(i, "state")).value_or(StepState::blocked);
      x.deadline = text(i, "deadline");
      x.deadline_provisional = flag(i, "deadline_provisional");
      x.since = text(i, "since");
      x.green = flag(i, "green");
      x.overdue = flag(i, "overdue");
      x.warned = flag(i, "warned");
      x.statutory_overdue = flag(i, "statutory_overdue");
      x.claimed_by = text(i, "claimed_by");
      x.version = static_cast<std::uint64_t>(number(i, "version"));
      w.items.push_back(std::move(x));
    }
    w.known = !w.items.empty();
    return w;
  }
  std::vector<DeployedWorkflow> workflows() override {
    std::vector<DeployedWorkflow> out;
    for (const auto& w : json::parse(get("/api/v1/workflows")))
      out.push_back(DeployedWorkflow{text(w, "id"), static_cast<int>(number(w, "version")), text(w, "hash"),
                                     text(w, "title"), text(w, "deployed"),
                                     static_cast<std::size_t>(number(w, "running")), flag(w, "latest"),
                                     flag(w, "existed")});
    return out;
  }
  DeployedWorkflow deploy_texts(const std::map<std::string, std::string>& files, const std::string& main) override {
    json w = json::parse(send("POST", "/api/v1/workflows", json{{"files", files}, {"main", main}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return DeployedWorkflow{text(w, "id"), static_cast<int>(number(w, "version")), text(w, "hash"),
                            text(w, "title"), text(w, "deployed"), static_cast<std::size_t>(number(w, "running")),
                            flag(w, "latest"), flag(w, "existed")};
  }
  std::string today() override {
    // China's local date (UTC+8), as the server's offices keep it.
    const auto now = std::chrono::system_clock::now() + std::chrono::minutes(480);
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[16];
    std::snprintf(b, sizeof b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return b;
  }
  EngineStats stats() override {
    // What the API says of the engine is in /metrics (admin, supervisor);
    // a client without it counts nothing.
    return EngineStats{};
  }
  std::vector<AccessToken> tokens() override {
    std::vector<AccessToken> out;
    for (const auto& t : json::parse(get("/api/v1/tokens"))) out.push_back(token_of(t));
    return out;
  }
  NewToken add_token(const std::string& actor, const std::string& name, const std::string& expires) override {
    json body = {{"actor", actor}, {"name", name}};
    if (!expires.empty()) body["expires"] = expires;
    json a = json::parse(send("POST", "/api/v1/tokens", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return NewToken{token_of(a["token"]), text(a, "secret")};
  }
  AccessToken revoke_token(const std::string& id) override {
    return token_of(json::parse(send("DELETE", "/api/v1/tokens/" + escape(id), "")));
  }

  // ---- what the API does not offer
  DeployedWorkflow deploy(const std::string&) override { not_remote("deploy of a file"); }
  void start_async(const StartRequest&, StartDone) override { not_remote("start_async"); }
  void act_async(const ActRequest&, ActDone) override { not_remote("act_async"); }
  void start_instance_async(const StartRequest&, StartResultDone) override { not_remote("start_instance_async"); }
  void apply_async(const ActRequest&, ActResultDone) override { not_remote("apply_async"); }
  void claim_async(const std::string&, const std::string&, const std::string&, bool, ActResultDone) override {
    not_remote("claim_async");
  }
  int subscribe(Subscriber) override { not_remote("subscribe (use GET /api/v1/events as an event stream)"); }
  int subscribe(Subscriber, std::int64_t) override { not_remote("subscribe (use GET /api/v1/events as an event stream)"); }
  void unsubscribe(int) override { not_remote("unsubscribe"); }
  void fire_due_timers() override {}  // the server fires its own timers
  WeeklyReport weekly_report(const std::string& week) override {
    json j = json::parse(get("/api/v1/reports/weekly" + (week.empty() ? std::string() : "?week=" + escape(week))));
    WeeklyReport r;
    r.week = text(j, "week");
    r.from = text(j, "from");
    r.to = text(j, "to");
    r.friday = text(j, "friday");
    for (const auto& p : j["projects"]) {
      ReportProject x;
      x.instance = text(p, "instance");
      x.project = text(p, "project");
      x.workflow = text(p, "workflow");
      x.state = parse_instance_state(text(p, "state")).value_or(InstanceState::running);
      x.green = flag(p, "green");
      x.approved = static_cast<int>(number(p, "approved"));
      x.total = static_cast<int>(number(p, "total"));
      x.approved_this_week = static_cast<int>(number(p, "approved_this_week"));
      x.promised_by = text(p, "promised_by");
      x.promised_by_provisional = flag(p, "promised_by_provisional");
      x.project_overdue = flag(p, "project_overdue");
      x.project_warned = flag(p, "project_warned");
      for (const auto& st : p["in_progress"])
        x.in_progress.push_back(ReportStep{text(st, "step"), text(st, "name"),
                                           parse_step_state(text(st, "state")).value_or(StepState::blocked),
                                           text(st, "deadline"), flag(st, "deadline_provisional")});
      r.projects.push_back(std::move(x));
    }
    auto items = [](const json& a, ReportItem::Kind kind) {
      std::vector<ReportItem> out;
      if (!a.is_array()) return out;
      for (const auto& i : a) {
        ReportItem x;
        const std::string state = text(i, "state");
        x.kind = kind == ReportItem::Kind::overdue && !parse_step_state(state) ? ReportItem::Kind::contact_overdue
                                                                               : kind;
        x.instance = text(i, "instance");
        x.project = text(i, "project");
        x.step = text(i, "step");
        x.name = text(i, "name");
        x.department = text(i, "department");
        x.state = parse_step_state(state).value_or(StepState::accepted);
        x.deadline = text(i, "deadline");
        x.deadline_provisional = flag(i, "deadline_provisional");
        x.days_used = number(i, "days_used");
        x.days_limit = number(i, "days_limit");
        x.statutory_overdue = flag(i, "statutory_overdue");
        x.ground = text(i, "ground");
        x.exclusion_reason = text(i, "exclusion_reason");
        x.paused_until = text(i, "paused_until");
        x.paused_until_provisional = flag(i, "paused_until_provisional");
        out.push_back(std::move(x));
      }
      return out;
    };
    r.overdue = items(j["overdue"], ReportItem::Kind::overdue);
    r.warned = items(j["warned"], ReportItem::Kind::warned);
    r.stopped = items(j["stopped"], ReportItem::Kind::stopped);
    for (const auto& d : j["departments"])
      r.departments.push_back(DepartmentLoad{text(d, "department"), static_cast<int>(number(d, "open")),
                                             static_cast<int>(number(d, "overdue")),
                                             static_cast<int>(number(d, "approved_this_week")),
                                             static_cast<int>(number(d, "returned_this_week")),
                                             static_cast<int>(number(d, "repeat_notices_this_week"))});
    return r;
  }
  std::vector<StoredCalendar> calendars() override { not_remote("calendars"); }
  CalendarUpdate update_calendar(const std::string&) override { not_remote("update_calendar"); }
  std::optional<AccessToken> authenticate(const std::string&) override { not_remote("authenticate"); }
  Webhook add_webhook(const std::string&, const std::vector<std::string>&, const std::string&, std::int64_t) override {
    not_remote("add_webhook (use POST /api/v1/webhooks)");
  }
  std::vector<Webhook> webhooks() override { not_remote("webhooks (use GET /api/v1/webhooks)"); }
  Webhook remove_webhook(const std::string&) override { not_remote("remove_webhook (use DELETE /api/v1/webhooks/ID)"); }
  void record_webhook(const std::string&, std::int64_t, std::int64_t, const std::string&, const std::string&) override {
    not_remote("record_webhook");
  }

 private:
  static AccessToken token_of(const json& t) {
    AccessToken a;
    a.id = text(t, "id");
    a.actor = text(t, "actor");
    a.name = text(t, "name");
    a.created = text(t, "created");
    a.expires = text(t, "expires");
    a.revoked = text(t, "revoked");
    try {
      a.kind = actor_kind(a.actor);
    } catch (const Error&) {
      a.kind = ActorKind::supervisor;
    }
    a.active = flag(t, "active");
    return a;
  }
  std::string path(const std::string& instance) const { return "/api/v1/instances/" + escape(instance); }
  std::string get(const std::string& target) { return send("GET", target, ""); }

  std::string send(const std::string& method, const std::string& target, const std::string& body,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    std::lock_guard<std::mutex> lk(mutex_);
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, authority_);
    req.set(http::field::authorization, "Bearer " + token_);
    req.set(http::field::user_agent, "jreview-cli");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::response<http::string_body> res;
    // Once more on a fresh connection when a kept-alive one was closed.
    for (int attempt = 0;; ++attempt) {
      beast::error_code ec;
      if (!socket_.is_open()) {
        tcp::resolver resolver(ioc_);
        auto found = resolver.resolve(host_, port_, ec);
        if (!ec) asio::connect(socket_, found, ec);
        if (ec) {
          socket_.close(ec);
          throw Error(Error::Code::storage, "cannot reach the server at http://" + authority_ + ": " + ec.message(),
                      "unreachable");
        }
      }
      http::write(socket_, req, ec);
      beast::flat_buffer buf;
      if (!ec) http::read(socket_, buf, res, ec);
      if (!ec) break;
      beast::error_code ignored;
      socket_.close(ignored);
      if (attempt > 0 || method != "GET")
        throw Error(Error::Code::storage, "the server at http://" + authority_ + " did not answer: " + ec.message(),
                    "unreachable");
    }
    if (!res.keep_alive()) {
      beast::error_code ignored;
      socket_.close(ignored);
    }
    const int status = res.result_int();
    if (status >= 400) throw problem_error(status, res.body());
    return res.body();
  }

  std::string token_, host_, port_, authority_;
  json whoami_;
  std::mutex mutex_;
  asio::io_context ioc_;
  tcp::socket socket_{ioc_};
};

}  // namespace

std::unique_ptr<Engine> connect_engine(const std::string& url, const std::string& token) {
  if (token.empty())
    throw Error(Error::Code::forbidden, "no token: give --token or JREVIEW_TOKEN (jreview token add)",
                "unauthenticated");
  return std::make_unique<RemoteEngine>(url, token);
}

}  // namespace jointreview
