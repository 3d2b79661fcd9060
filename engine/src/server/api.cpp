// The routes of `jreview serve` (docs/serve.md): each request is matched to
// a route, its token authenticated and authorised for the route, its body
// checked, and the engine asked. Actions, starts and claims go through the
// engine's asynchronous calls and are answered from its thread once
// committed; reads are answered on the calling server thread.
#include "server/api.h"
#include "server/gantt.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <sstream>

#include "jointreview/error.h"
#include "jointreview/version.h"

namespace jointreview::server {

using json = nlohmann::ordered_json;

namespace {

bool valid_utf8(const std::string& s) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and beyond U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const auto at = s.find(sep, from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) return out;
    from = at + 1;
  }
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A body of JSON: an object, or a 400 saying where it is malformed.
bool parse_object(const std::string& body, json& out, std::string& err) {
  if (body.empty()) {
    err = "the body is empty: send a JSON object";
    return false;
  }
  try {
    out = json::parse(body);
  } catch (const json::parse_error& e) {
    err = std::string("the body is not JSON: ") + e.what();
    return false;
  }
  if (!out.is_object()) {
    err = "the body must be a JSON object";
    return false;
  }
  return true;
}

// A field of a JSON body: absent (false), of the type asked, or a 400.
struct Fields {
  const json& o;
  std::string err;
  std::vector<std::string> known;

  bool text(const char* name, std::string& out, bool required = false) {
    known.push_back(name);
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) {
      if (required && err.empty()) err = std::string("\"") + name + "\" is required";
      return false;
    }
    if (!it->is_string()) {
      if (err.empty()) err = std::string("\"") + name + "\" must be a string";
      return false;
    }
    out = it->get<std::string>();
    return true;
  }
  bool number(const char* name, double& out) {
    known.push_back(name);
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return false;
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      if (err.empty()) err = std::string("\"") + name + "\" must be a number";
      return false;
    }
    out = it->get<double>();
    return true;
  }
  bool boolean(const char* name, bool& out) {
    known.push_back(name);
    auto it = o.find(name);
    if (it == o.end() || it->is_null()) return false;
    if (!it->is_boolean()) {
      if (err.empty()) err = std::string("\"") + name + "\" must be true or false";
      return false;
    }
    out = it->get<bool>();
    return true;
  }
  // Unknown fields are refused: a misspelt one would be silently ignored.
  bool done() {
    if (!err.empty()) return false;
    for (auto it = o.begin(); it != o.end(); ++it)
      if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        err = "unknown field \"" + it.key() + "\"; the fields are " + list;
        return false;
      }
    return true;
  }
};

const char* title_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Error";
}

std::string etag(std::uint64_t version) { return "\"" + std::to_string(version) + "\""; }

// If-Match: "7", W/"7" or 7; a list or * is not a version.
bool parse_version_tag(std::string v, std::int64_t& out) {
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18) return false;
  for (char c : v)
    if (c < '0' || c > '9') return false;
  out = std::stoll(v);
  return true;
}

bool parse_count(const std::string& v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  for (char c : v)
    if (c < '0' || c > '9') return false;
  out = std::stoll(v);
  return out >= lo && out <= hi;
}

}  // namespace

bool url_decode(const std::string& in, std::string& out, bool query) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int h = hex_digit(in[i + 1]), l = hex_digit(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (c == '+' && query) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return valid_utf8(out);
}

Response problem(int status, const std::string& reason, const std::string& detail, const std::string& actor) {
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.reason = reason;
  r.actor = actor;
  json o = {{"type", "urn:jointreview:problem:" + reason},
            {"title", title_of(status)},
            {"status", status},
            {"reason", reason},
            {"detail", detail}};
  r.body = o.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

int status_of(const Error& e) {
  const std::string reason = e.reason();
  switch (e.code()) {
    case Error::Code::invalid_argument:
      if (reason == "duplicate") return 422;
      if (reason == "read_only") return 503;
      return 400;
    case Error::Code::not_found: return 404;
    case Error::Code::out_of_range: return 422;
    case Error::Code::refused: return 422;
    case Error::Code::forbidden: return 403;
    case Error::Code::storage: return 500;
    case Error::Code::invalid_workflow: return 422;
    case Error::Code::conflict: return 409;
  }
  return 500;
}

bool RateLimiter::allow(const std::string& token_id, double& retry_after) {
  if (rate_ <= 0) return true;
  const std::int64_t t = now_us();
  std::lock_guard<std::mutex> lk(mutex_);
  // The bucket holds a second's worth, and at least one request.
  const double capacity = std::max(rate_, 1.0);
  auto [it, fresh] = buckets_.try_emplace(token_id, Bucket{capacity, t});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(capacity, b.tokens + rate_ * static_cast<double>(t - b.at_us) / 1e6);
    b.at_us = t;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after = (1 - b.tokens) / rate_;
  return false;
}

// ---- one request on its way through a route

struct Api::Ctx {
  const Request& req;
  Reply reply;
  std::string path;
  std::map<std::string, std::string> query;
  std::vector<std::string> params;
  std::optional<AccessToken> token;
  bool handed_off = false;  // an asynchronous engine call answers

  std::string actor() const { return token ? token->actor : std::string(); }
  ActorKind kind() const { return token ? token->kind : ActorKind::supervisor; }
  std::string q(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
  void send(Response&& r) {
    r.actor = actor();
    reply(std::move(r));
  }
  void ok(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    send(std::move(r));
  }
  void fail(int status, const std::string& reason, const std::string& detail) {
    send(problem(status, reason, detail));
  }
  // The token's kind is one of `kinds`; else 403.
  bool allow(std::initializer_list<ActorKind> kinds, const char* what) {
    for (ActorKind k : kinds)
      if (k == kind()) return true;
    fail(403, "not_permitted",
         std::string("a token of ") + to_string(kind()) + " '" + actor() + "' may not " + what +
             " (docs/serve.md#identity)");
    return false;
  }
};

// The engine's answer to an asynchronous call, in JSON, or its problem.
template <class Result, class Body>
static auto answer_with(Reply reply, std::string actor, Counters& counters, Body body) {
  counters.in_flight++;
  return [reply = std::move(reply), actor = std::move(actor), &counters, body](const Result& r,
                                                                              std::exception_ptr err) {
    counters.in_flight--;
    Response out;
    try {
      if (err) std::rethrow_exception(err);
      out = body(r);
    } catch (const Error& e) {
      out = problem(status_of(e), e.reason(), e.what());
    } catch (const std::exception& e) {
      out = problem(500, "internal", e.what());
    }
    out.actor = actor;
    reply(std::move(out));
  };
}

const std::vector<Api::Route>& Api::table() {
  static const std::vector<Route> t = {
      {"GET", "/api/v1/health", false, &Api::health},
      {"GET", "/openapi.json", false, &Api::openapi},
      {"GET", "/metrics", true, &Api::metrics},
      {"GET", "/api/v1/whoami", true, &Api::whoami},
      {"POST", "/api/v1/workflows", true, &Api::deploy},
      {"GET", "/api/v1/workflows", true, &Api::list_workflows},
      {"POST", "/api/v1/instances", true, &Api::start},
      {"GET", "/api/v1/instances", true, &Api::list_instances},
      {"GET", "/api/v1/instances/{id}", true, &Api::instance_status},
      {"GET", "/api/v1/instances/{id}/events", true, &Api::instance_events},
      {"GET", "/api/v1/instances/{id}/gantt", true, &Api::gantt},
      {"POST", "/api/v1/instances/{id}/steps/{step}/actions", true, &Api::act},
      {"POST", "/api/v1/instances/{id}/steps/{step}/claim", true, &Api::claim},
      {"POST", "/api/v1/instances/{id}/steps/{step}/release", true, &Api::release},
      {"GET", "/api/v1/events", true, &Api::feed},
      {"GET", "/api/v1/departments/{name}/worklist", true, &Api::worklist},
      {"GET", "/api/v1/reports/weekly", true, &Api::weekly},
      {"GET", "/api/v1/tokens", true, &Api::list_tokens},
      {"POST", "/api/v1/tokens", true, &Api::add_token},
      {"DELETE", "/api/v1/tokens/{id}", true, &Api::revoke_token},
      {"GET", "/api/v1/webhooks", true, &Api::list_webhooks},
      {"POST", "/api/v1/webhooks", true, &Api::add_webhook},
      {"DELETE", "/api/v1/webhooks/{id}", true, &Api::remove_webhook},
  };
  return t;
}

const std::vector<std::string>& Api::route_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& r : table()) v.push_back(std::string(r.method) + " " + r.pattern);
    return v;
  }();
  return names;
}

Api::Api(Engine& engine, const ServerOptions& options)
    : engine_(engine), opt_(options), limiter_(options.rate_per_token) {}

void Api::record(int route, int status, double seconds) {
  std::lock_guard<std::mutex> lk(stats_mutex_);
  ++by_status_[{route, status}];
  Latency& l = latency_[route];
  std::size_t b = 0;
  while (b < kNBuckets && seconds > kBuckets[b]) ++b;
  ++l.buckets[b];
  l.sum += seconds;
  ++l.count;
}

void Api::handle(const Request& r, Reply reply) {
  counters.requests++;
  // Every answer is counted by route and status, with its latency.
  auto route_index = std::make_shared<int>(-1);
  const auto t0 = std::chrono::steady_clock::now();
  Reply counted = [this, inner = std::move(reply), route_index, t0](Response&& res) {
    record(*route_index, res.status,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    inner(std::move(res));
  };
  Ctx c{r, std::move(counted), {}, {}, {}, {}, false};
  if (stopping) return c.fail(503, "shutting_down", "the server is shutting down; retry on another node or later");

  // The target: a path, and a query of name=value pairs.
  const std::string& target = r.target;
  const auto qmark = target.find('?');
  const std::string raw_path = target.substr(0, qmark);
  if (raw_path.empty() || raw_path[0] != '/') return c.fail(400, "bad_target", "the request target must be a path");
  std::vector<std::string> segments;
  for (const auto& seg : split(raw_path.substr(1), '/')) {
    std::string d;
    if (!url_decode(seg, d, false))
      return c.fail(400, "bad_target", "a path segment is not percent-encoded UTF-8: '" + seg + "'");
    segments.push_back(std::move(d));
  }
  if (qmark != std::string::npos) {
    for (const auto& pair : split(target.substr(qmark + 1), '&')) {
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      std::string k, v;
      if (!url_decode(pair.substr(0, eq), k, true) ||
          !url_decode(eq == std::string::npos ? "" : pair.substr(eq + 1), v, true))
        return c.fail(400, "bad_query", "a query parameter is not percent-encoded UTF-8: '" + pair + "'");
      c.query[k] = v;
    }
  }

  // The route: every segment matches, {x} capturing.
  const Route* found = nullptr;
  std::string allowed;
  for (const auto& route : table()) {
    const auto pattern = split(std::string(route.pattern).substr(1), '/');
    if (pattern.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < pattern.size() && match; ++i) {
      if (pattern[i].size() > 2 && pattern[i].front() == '{')
        match = !segments[i].empty(), params.push_back(segments[i]);
      else
        match = pattern[i] == segments[i];
    }
    if (!match) continue;
    if (r.method == route.method) {
      found = &route;
      *route_index = static_cast<int>(&route - table().data());
      c.params = std::move(params);
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
  }
  if (!found) {
    if (!allowed.empty()) {
      Response p = problem(405, "method_not_allowed", r.method + " is not allowed here; allowed: " + allowed);
      p.headers.emplace_back("Allow", allowed);
      return c.send(std::move(p));
    }
    return c.fail(404, "unknown_route", "no route " + r.method + " " + raw_path + " (GET /openapi.json lists them)");
  }

  if (found->needs_token) {
    const std::string auth = r.header("authorization");
    if (auth.empty()) {
      Response p = problem(401, "unauthenticated", "send a token: Authorization: Bearer SECRET (jreview token add)");
      p.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"jreview\"");
      return c.send(std::move(p));
    }
    std::string secret;
    if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0))
      secret = auth.substr(7);
    c.token = secret.empty() ? std::nullopt : engine_.authenticate(secret);
    if (!c.token) {
      Response p = problem(401, "unauthenticated", "the token is unknown, revoked or expired");
      p.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"jreview\", error=\"invalid_token\"");
      return c.send(std::move(p));
    }
    double wait = 0;
    if (!limiter_.allow(c.token->id, wait)) {
      counters.rejected_rate++;
      Response p = problem(429, "rate_limited", "more requests than this token may make per second");
      p.headers.emplace_back("Retry-After", std::to_string(static_cast<int>(std::ceil(wait))));
      p.actor = c.actor();
      return c.reply(std::move(p));
    }
  }

  try {
    (this->*(found->handler))(c);
  } catch (const Error& e) {
    if (!c.handed_off) c.fail(status_of(e), e.reason(), e.what());
  } catch (const std::exception& e) {
    if (!c.handed_off) c.fail(500, "internal", e.what());
  }
}

// ---- the routes

void Api::health(Ctx& c) { c.ok(200, json{{"status", "ok"}, {"version", jointreview::version()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)); }

void Api::openapi(Ctx& c) { c.ok(200, Server::openapi()); }

void Api::whoami(Ctx& c) { c.ok(200, access_token_json(*c.token)); }

void Api::metrics(Ctx& c) {
  if (!c.allow({ActorKind::admin, ActorKind::supervisor}, "read the metrics")) return;
  const EngineStats s = engine_.stats();
  std::ostringstream m;
  auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t v) {
    m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << v << '\n';
  };
  metric("jreview_http_requests_total", "counter", "HTTP requests received", std::uint64_t(counters.requests));
  metric("jreview_http_client_errors_total", "counter", "requests answered 4xx", std::uint64_t(counters.errors_4xx));
  metric("jreview_http_server_errors_total", "counter", "requests answered 5xx", std::uint64_t(counters.errors_5xx));
  metric("jreview_http_rate_limited_total", "counter", "requests answered 429 for the token's rate",
         std::uint64_t(counters.rejected_rate));
  metric("jreview_http_busy_total", "counter", "requests answered 429 or 503 for load", std::uint64_t(counters.rejected_busy));
  metric("jreview_http_in_flight", "gauge", "engine calls in flight", std::uint64_t(counters.in_flight));
  metric("jreview_http_connections", "gauge", "open connections", std::uint64_t(counters.connections));
  metric("jreview_http_event_streams", "gauge", "open event streams", std::uint64_t(counters.streams));
  metric("jreview_engine_transactions_total", "counter", "transactions committed", std::uint64_t(s.transactions));
  metric("jreview_engine_failed_transactions_total", "counter", "transactions failed", std::uint64_t(s.failed_transactions));
  metric("jreview_engine_calls_total", "counter", "engine calls answered", std::uint64_t(s.calls));
  metric("jreview_engine_events_total", "counter", "event rows written", std::uint64_t(s.events));
  metric("jreview_engine_checkpoints_total", "counter", "checkpoints committed", std::uint64_t(s.checkpoints));
  metric("jreview_engine_instances", "gauge", "instances held in memory", std::uint64_t(s.instances));
  metric("jreview_engine_pending_checkpoint", "gauge", "instances changed since the last checkpoint",
         std::uint64_t(s.pending_checkpoint));
  metric("jreview_engine_unloaded_total", "counter", "settled instances let go from memory", std::uint64_t(s.unloaded));
  metric("jreview_engine_loaded_total", "counter", "settled instances read back", std::uint64_t(s.loaded));
  metric("jreview_engine_last_seq", "gauge", "seq of the last event committed", static_cast<std::uint64_t>(s.last_seq));
  m << "# HELP jreview_webhook_lag events committed after the last one a webhook delivered or passed over\n"
       "# TYPE jreview_webhook_lag gauge\n";
  for (const auto& h : engine_.webhooks())
    if (h.removed.empty()) m << "jreview_webhook_lag{hook=\"" << h.id << "\"} " << std::max<std::int64_t>(0, s.last_seq - h.delivered_seq) << '\n';
  m << "# HELP jreview_webhook_failures failed attempts since a webhook's last delivery\n"
       "# TYPE jreview_webhook_failures gauge\n";
  for (const auto& h : engine_.webhooks())
    if (h.removed.empty()) m << "jreview_webhook_failures{hook=\"" << h.id << "\"} " << h.failures << '\n';
  // What the meeting watches: running instances, and the red and yellow ones.
  {
    InstanceFilter f;
    f.limit = 1;
    f.state = "running";
    m << "# HELP jreview_instances_running running instances\n# TYPE jreview_instances_running gauge\n"
      << "jreview_instances_running " << engine_.query(f).total << '\n';
    m << "# HELP jreview_instances_flagged running instances with the flag\n"
         "# TYPE jreview_instances_flagged gauge\n";
    for (const char* flag : {"overdue", "warned", "statutory_overdue", "verification_overdue"}) {
      f.flag = flag;
      m << "jreview_instances_flagged{flag=\"" << flag << "\"} " << engine_.query(f).total << '\n';
    }
  }
  {
    const auto& routes = route_names();
    auto label = [&](int i) { return i < 0 ? std::string("unmatched") : routes[static_cast<std::size_t>(i)]; };
    std::lock_guard<std::mutex> lk(stats_mutex_);
    m << "# HELP jreview_http_responses_total responses by route and status\n"
         "# TYPE jreview_http_responses_total counter\n";
    for (const auto& [key, n] : by_status_)
      m << "jreview_http_responses_total{route=\"" << label(key.first) << "\",status=\"" << key.second << "\"} " << n
        << '\n';
    m << "# HELP jreview_http_request_duration_seconds time from a request read to its answer\n"
         "# TYPE jreview_http_request_duration_seconds histogram\n";
    for (const auto& [route, l] : latency_) {
      std::uint64_t cumulative = 0;
      const std::string name = "jreview_http_request_duration_seconds";
      for (std::size_t b = 0; b <= kNBuckets; ++b) {
        cumulative += l.buckets[b];
        std::ostringstream le;
        if (b < kNBuckets) le << kBuckets[b]; else le << "+Inf";
        m << name << "_bucket{route=\"" << label(route) << "\",le=\"" << le.str() << "\"} " << cumulative << '\n';
      }
      m << name << "_sum{route=\"" << label(route) << "\"} " << l.sum << '\n';
      m << name << "_count{route=\"" << label(route) << "\"} " << l.count << '\n';
    }
  }
  Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = m.str();
  c.send(std::move(r));
}

void Api::deploy(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "deploy workflows")) return;
  const std::string type = c.req.header("content-type");
  std::map<std::string, std::string> files;
  std::string main;
  if (type.rfind("application/json", 0) == 0) {
    json o;
    std::string err;
    if (!parse_object(c.req.body, o, err)) return c.fail(400, "malformed", err);
    auto f = o.find("files");
    auto m = o.find("main");
    if (f == o.end() || !f->is_object() || f->empty())
      return c.fail(400, "malformed", "\"files\" must be an object of file names to texts");
    for (auto it = f->begin(); it != f->end(); ++it) {
      if (!it->is_string()) return c.fail(400, "malformed", "the text of \"" + it.key() + "\" must be a string");
      files[it.key()] = it->get<std::string>();
    }
    if (m != o.end() && !m->is_string()) return c.fail(400, "malformed", "\"main\" must be a file name");
    main = m != o.end() ? m->get<std::string>() : (files.size() == 1 ? files.begin()->first : "");
    if (!files.count(main))
      return c.fail(400, "malformed", "\"main\" must name one of \"files\" (required with more than one file)");
    for (auto it = o.begin(); it != o.end(); ++it)
      if (it.key() != "files" && it.key() != "main")
        return c.fail(400, "malformed", "unknown field \"" + it.key() + "\"; the fields are files, main");
  } else {
    if (c.req.body.empty()) return c.fail(400, "malformed", "the body is empty: send the workflow's YAML text");
    main = c.q("name").empty() ? "workflow.yaml" : c.q("name");
    files[main] = c.req.body;
  }
  for (const auto& [name, text] : files)
    if (!valid_utf8(text)) return c.fail(400, "malformed", "the text of \"" + name + "\" is not UTF-8");
  try {
    const DeployedWorkflow d = engine_.deploy_texts(files, main);
    json o = json::parse(deployed_json(d));
    c.ok(d.existed ? 200 : 201, o.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const Error& e) {
    if (e.code() != Error::Code::invalid_workflow) throw;
    // Every FILE:LINE:COLUMN message of the loader, one per entry.
    Response p = problem(422, "invalid_workflow", "the workflow does not load");
    json o = json::parse(p.body);
    json list = json::array();
    auto lines = split(e.what(), '\n');
    for (std::size_t i = 1; i < lines.size(); ++i)
      if (!lines[i].empty()) list.push_back(lines[i]);
    o["errors"] = list;
    p.body = o.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    c.send(std::move(p));
  }
}

void Api::list_workflows(Ctx& c) { c.ok(200, deployed_list_json(engine_.workflows())); }

void Api::start(Ctx& c) {
  if (!c.allow({ActorKind::applicant, ActorKind::steward, ActorKind::admin}, "start instances")) return;
  json o;
  std::string err;
  if (!parse_object(c.req.body, o, err)) return c.fail(400, "malformed", err);
  Fields f{o, {}, {}};
  StartRequest req;
  f.text("workflow", req.workflow, true);
  f.text("project", req.project, true);
  std::string applicant;
  const bool named = f.text("applicant", applicant);
  f.text("key", req.key);
  f.boolean("green", req.green);
  if (!f.done()) return c.fail(400, "malformed", f.err);
  if (req.workflow.empty()) return c.fail(400, "malformed", "\"workflow\" names a deployed workflow: ID, ID@HASH or ID@vN");
  if (c.kind() == ActorKind::applicant) {
    const std::string own = c.actor().substr(10);
    if (named && applicant != own)
      return c.fail(403, "not_permitted", "an applicant's token starts instances for itself ('" + own + "') only");
    applicant = own;
  }
  if (!applicant.empty()) req.applicant = applicant;
  if (in_flight() >= opt_.max_in_flight) {
    counters.rejected_busy++;
    return c.fail(429, "busy", "too many calls in flight; retry shortly");
  }
  c.handed_off = true;
  const std::string own = c.kind() == ActorKind::applicant ? req.applicant : std::string();
  Engine& engine = engine_;
  engine_.start_instance_async(req, answer_with<StartResult>(c.reply, c.actor(), counters, [own, &engine](
                                                                                               const StartResult& r) {
    // A key in use by another applicant's instance does not name it to this one.
    if (r.existed && !own.empty() && engine.status(r.instance).applicant != own)
      return problem(409, "key_in_use", "the key is in use by an instance that is not this applicant's");
    Response out;
    out.status = r.existed ? 200 : 201;
    out.body = json{{"instance", r.instance}, {"version", r.version}, {"existed", r.existed}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    out.headers.emplace_back("Location", "/api/v1/instances/" + r.instance);
    out.headers.emplace_back("ETag", etag(r.version));
    return out;
  }));
}

void Api::list_instances(Ctx& c) {
  InstanceFilter f;
  static const char* known[] = {"state", "workflow", "project", "applicant", "department", "flag", "started_from",
                                "started_to", "finished_from", "finished_to", "green", "order", "limit", "after"};
  for (const auto& kv : c.query)
    if (const std::string& k = kv.first;
        std::find_if(std::begin(known), std::end(known), [&k](const char* n) { return k == n; }) == std::end(known))
      return c.fail(400, "bad_query", "unknown query parameter '" + k + "'");
  f.state = c.q("state");
  f.workflow = c.q("workflow");
  f.project = c.q("project");
  f.applicant = c.q("applicant");
  f.department = c.q("department");
  f.flag = c.q("flag");
  f.started_from = c.q("started_from");
  f.started_to = c.q("started_to");
  f.finished_from = c.q("finished_from");
  f.finished_to = c.q("finished_to");
  if (const std::string g = c.q("green"); !g.empty()) {
    if (g == "true" || g == "1") f.green = 1;
    else if (g == "false" || g == "0") f.green = 0;
    else return c.fail(400, "bad_query", "green is true or false");
  }
  if (const std::string order = c.q("order"); !order.empty()) f.order = order;
  if (const std::string l = c.q("limit"); !l.empty()) {
    std::int64_t n = 0;
    if (!parse_count(l, 1, 1000, n)) return c.fail(400, "bad_query", "limit is a number from 1 to 1000");
    f.limit = static_cast<std::size_t>(n);
  }
  f.after = c.q("after");
  if (c.kind() == ActorKind::applicant) {
    const std::string own = c.actor().substr(10);
    if (!f.applicant.empty() && f.applicant != own)
      return c.fail(403, "not_permitted", "an applicant's token lists its own instances only");
    f.applicant = own;
  }
  c.ok(200, instance_page_json(engine_.query(f)));
}

bool Api::may_read_instance(Ctx& c, const InstanceStatus& s) {
  if (c.kind() != ActorKind::applicant) return true;
  if (s.applicant == c.actor().substr(10)) return true;
  c.fail(403, "not_permitted", "instance " + s.instance + " is not this applicant's");
  return false;
}

void Api::instance_status(Ctx& c) {
  const InstanceStatus s = engine_.status(c.params[0]);
  if (!may_read_instance(c, s)) return;
  const std::string tag = etag(s.version);
  std::int64_t seen = -1;
  if (parse_version_tag(c.req.header("if-none-match"), seen) && seen == static_cast<std::int64_t>(s.version)) {
    Response r;
    r.status = 304;
    r.content_type.clear();
    r.headers.emplace_back("ETag", tag);
    return c.send(std::move(r));
  }
  c.ok(200, status_json(s), {{"ETag", tag}});
}

void Api::instance_events(Ctx& c) {
  if (c.kind() == ActorKind::applicant && !may_read_instance(c, engine_.status(c.params[0]))) return;
  c.ok(200, events_json(engine_.events(c.params[0])));
}

void Api::gantt(Ctx& c) {
  const InstanceStatus s = engine_.status(c.params[0]);
  if (!may_read_instance(c, s)) return;
  Response r;
  r.content_type = "image/svg+xml";
  r.body = instance_gantt_svg(s, engine_.events(s.instance), engine_.today());
  c.send(std::move(r));
}

void Api::act(Ctx& c) {
  json o;
  std::string err;
  if (!parse_object(c.req.body, o, err)) return c.fail(400, "malformed", err);
  Fields f{o, {}, {}};
  ActRequest req;
  req.instance = c.params[0];
  req.step = c.params[1];
  f.text("action", req.action, true);
  f.text("note", req.note);
  f.text("material", req.material);
  f.number("days", req.days);
  f.text("ground", req.ground);
  if (!f.done()) return c.fail(400, "malformed", f.err);
  // The actor is the token's, never the request's.
  req.actor = c.actor();
  req.request_id = c.req.header("idempotency-key");
  if (req.request_id.size() > 200) return c.fail(400, "malformed", "Idempotency-Key is at most 200 bytes");
  if (const std::string m = c.req.header("if-match"); !m.empty() && !parse_version_tag(m, req.expected_version))
    return c.fail(400, "malformed", "If-Match is the instance's version as its ETag gives it: \"7\"");
  if (in_flight() >= opt_.max_in_flight) {
    counters.rejected_busy++;
    return c.fail(429, "busy", "too many calls in flight; retry shortly");
  }
  c.handed_off = true;
  engine_.apply_async(req, answer_with<ActResult>(c.reply, c.actor(), counters, [](const ActResult& r) {
    Response out;
    out.body = json{{"version", r.version}, {"repeated", r.repeated}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    out.headers.emplace_back("ETag", etag(r.version));
    return out;
  }));
}

void Api::claim_or_release(Ctx& c, bool take) {
  if (!c.req.body.empty()) {
    json o;
    std::string err;
    if (!parse_object(c.req.body, o, err) || !o.empty())
      return c.fail(400, "malformed", "a claim or release takes no body (or {})");
  }
  if (in_flight() >= opt_.max_in_flight) {
    counters.rejected_busy++;
    return c.fail(429, "busy", "too many calls in flight; retry shortly");
  }
  c.handed_off = true;
  engine_.claim_async(c.params[0], c.params[1], c.actor(), take,
                      answer_with<ActResult>(c.reply, c.actor(), counters, [](const ActResult& r) {
                        Response out;
                        out.body = json{{"version", r.version}, {"repeated", r.repeated}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
                        out.headers.emplace_back("ETag", etag(r.version));
                        return out;
                      }));
}

void Api::claim(Ctx& c) { claim_or_release(c, true); }
void Api::release(Ctx& c) { claim_or_release(c, false); }

void Api::feed(Ctx& c) {
  if (c.kind() == ActorKind::applicant)
    return c.fail(403, "not_permitted", "the feed holds every instance's events; an applicant reads its own instances");
  std::int64_t after = 0, limit = 1000;
  if (const std::string a = c.q("after"); !a.empty() && !parse_count(a, 0, INT64_MAX / 2, after))
    return c.fail(400, "bad_query", "after is a seq, 0 or more");
  if (const std::string l = c.q("limit"); !l.empty() && !parse_count(l, 1, 10000, limit))
    return c.fail(400, "bad_query", "limit is a number from 1 to 10000");
  if (c.req.header("accept").find("text/event-stream") != std::string::npos) {
    // Resumes after the last event the client saw.
    if (const std::string last = c.req.header("last-event-id"); !last.empty() && !parse_count(last, 0, INT64_MAX / 2, after))
      return c.fail(400, "malformed", "Last-Event-ID is the seq of an event");
    Response r;
    r.stream = true;
    r.stream_after = after;
    r.content_type = "text/event-stream";
    return c.send(std::move(r));
  }
  const auto events = engine_.events_since(after, static_cast<std::size_t>(limit));
  const std::int64_t last = events.empty() ? after : events.back().seq;
  json o = {{"events", json::parse(events_json(events))}, {"last_seq", last}};
  c.ok(200, o.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Api::worklist(Ctx& c) {
  const std::string& dept = c.params[0];
  if (c.kind() == ActorKind::applicant)
    return c.fail(403, "not_permitted", "an applicant's token reads no department's worklist");
  if (c.kind() == ActorKind::department || c.kind() == ActorKind::staff) {
    const std::string own = c.actor().substr(0, c.actor().find('/'));
    if (own != dept) return c.fail(403, "not_permitted", "a token of " + own + " reads its own worklist only");
  }
  c.ok(200, worklist_json(engine_.worklist(dept)));
}

void Api::weekly(Ctx& c) {
  if (c.kind() == ActorKind::applicant)
    return c.fail(403, "not_permitted", "an applicant's token reads no dispatch report");
  c.ok(200, weekly_report_json(engine_.weekly_report(c.q("week"))));
}

void Api::list_tokens(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage tokens")) return;
  c.ok(200, access_tokens_json(engine_.tokens()));
}

void Api::add_token(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage tokens")) return;
  json o;
  std::string err;
  if (!parse_object(c.req.body, o, err)) return c.fail(400, "malformed", err);
  Fields f{o, {}, {}};
  std::string actor, name, expires;
  f.text("actor", actor, true);
  f.text("name", name);
  f.text("expires", expires);
  if (!f.done()) return c.fail(400, "malformed", f.err);
  const NewToken t = engine_.add_token(actor, name, expires);
  json out = {{"secret", t.secret}, {"token", json::parse(access_token_json(t.token))}};
  c.ok(201, out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Api::revoke_token(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage tokens")) return;
  c.ok(200, access_token_json(engine_.revoke_token(c.params[0])));
}

void Api::list_webhooks(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage webhooks")) return;
  c.ok(200, webhooks_json(engine_.webhooks()));
}

void Api::add_webhook(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage webhooks")) return;
  json o;
  std::string err;
  if (!parse_object(c.req.body, o, err)) return c.fail(400, "malformed", err);
  std::vector<std::string> kinds;
  if (auto k = o.find("kinds"); k != o.end() && !k->is_null()) {
    if (!k->is_array()) return c.fail(400, "malformed", "\"kinds\" is a list of event kinds");
    for (const auto& v : *k) {
      if (!v.is_string()) return c.fail(400, "malformed", "\"kinds\" is a list of event kinds");
      kinds.push_back(v.get<std::string>());
    }
  }
  Fields f{o, {}, {"kinds"}};
  std::string url, secret;
  double from = -1;
  f.text("url", url, true);
  f.text("secret", secret);
  f.number("from_seq", from);
  if (!f.done()) return c.fail(400, "malformed", f.err);
  const Webhook h = engine_.add_webhook(url, kinds, secret, static_cast<std::int64_t>(from));
  if (webhooks_changed) webhooks_changed();
  c.ok(201, webhook_json(h, true));
}

void Api::remove_webhook(Ctx& c) {
  if (!c.allow({ActorKind::admin}, "manage webhooks")) return;
  const Webhook h = engine_.remove_webhook(c.params[0]);
  if (webhooks_changed) webhooks_changed();
  c.ok(200, webhook_json(h));
}

}  // namespace jointreview::server
