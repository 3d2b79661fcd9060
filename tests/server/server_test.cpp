// jreview serve's API against a real server on loopback (Server::start on
// port 0), with a small blocking HTTP client: identity and authorisation,
// the routes and their errors, ETags and idempotency, the event stream, the
// OpenAPI document, and shutdown.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "jointreview/error.h"
#include "jointreview/client.h"
#include "jointreview/server.h"
#include "runtime/helpers.h"
#include "server/api.h"
#include "server/webhooks.h"

using namespace jointreview;
using namespace jr_test;
using json = nlohmann::json;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  json j() const { return json::parse(body); }
  std::string reason() const { return json::parse(body).value("reason", ""); }
};

// One request on a connection of its own.
Reply request(unsigned short port, const std::string& method, const std::string& target, const std::string& token = {},
              const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
  boost::asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty() && !headers.count("Content-Type")) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code ec;
  http::read(socket, buf, parser, ec);
  Reply r;
  if (ec) return r;
  auto& res = parser.get();
  r.status = res.result_int();
  r.body = res.body();
  for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  TempDir d;
  std::shared_ptr<FakeClock> clock = FakeClock::at("2026-03-02T09:00");
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Server> server;
  std::string admin, applicant, other, dept, staff, supervisor;
  unsigned short port = 0;
  Fixture() {
    engine = Engine::open(options(d, clock));
    admin = engine->add_token("admin", "ops", "").secret;
    applicant = engine->add_token("applicant:甲公司", "", "").secret;
    other = engine->add_token("applicant:乙公司", "", "").secret;
    dept = engine->add_token("发展改革委", "", "").secret;
    staff = engine->add_token("发展改革委/张三", "", "").secret;
    supervisor = engine->add_token("supervisor", "", "").secret;
    ServerOptions so;
    so.listen = "127.0.0.1:0";
    so.max_body = 64 << 10;
    server = Server::start(*engine, so);
    port = server->port();
  }
  Reply deploy() {
    return request(port, "POST", "/api/v1/workflows", admin,
                   read_file(std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml"),
                   {{"Content-Type", "application/yaml"}, {"X-Name", "four-certificates.yaml"}});
  }
  std::string start(const std::string& token, const std::string& project = "厂房") {
    Reply r = request(port, "POST", "/api/v1/instances", token,
                      json{{"workflow", "four-certificates"}, {"project", project}}.dump());
    REQUIRE(r.status == 201);
    return r.j()["instance"];
  }
};

}  // namespace

TEST_CASE("server: health, identity and the token's actor", "[server][threads]") {
  Fixture f;
  CHECK(f.server->url() == "http://127.0.0.1:" + std::to_string(f.port));
  Reply h = request(f.port, "GET", "/api/v1/health");
  CHECK(h.status == 200);
  CHECK(h.j()["status"] == "ok");

  Reply none = request(f.port, "GET", "/api/v1/workflows");
  CHECK(none.status == 401);
  CHECK(none.reason() == "unauthenticated");
  CHECK(none.headers["Content-Type"].rfind("application/problem+json", 0) == 0);
  CHECK(none.headers.count("WWW-Authenticate"));
  CHECK(request(f.port, "GET", "/api/v1/workflows", "jrt_" + std::string(48, '0')).status == 401);
  // A revoked token no longer opens anything.
  NewToken t = f.engine->add_token("supervisor:纪委", "", "");
  CHECK(request(f.port, "GET", "/api/v1/whoami", t.secret).j()["actor"] == "supervisor:纪委");
  f.engine->revoke_token(t.token.id);
  CHECK(request(f.port, "GET", "/api/v1/whoami", t.secret).status == 401);

  // Deploying is the admin's.
  CHECK(request(f.port, "POST", "/api/v1/workflows", f.dept, "id: x", {{"Content-Type", "application/yaml"}}).status ==
        403);
  Reply d = f.deploy();
  CHECK(d.status == 201);
  CHECK(d.j()["id"] == "four-certificates");
  CHECK(d.j()["hash"].get<std::string>().size() > 8);
  CHECK(f.deploy().status == 200);  // the same texts: nothing stored
  Reply bad = request(f.port, "POST", "/api/v1/workflows?name=bad.yaml", f.admin, "id: x\nsteps: [\n",
                      {{"Content-Type", "application/yaml"}});
  CHECK(bad.status == 422);
  CHECK(bad.reason() == "invalid_workflow");
  REQUIRE(bad.j()["errors"].is_array());
  REQUIRE_FALSE(bad.j()["errors"].empty());
  CHECK(bad.j()["errors"][0].get<std::string>().rfind("bad.yaml:", 0) == 0);
  Reply listed = request(f.port, "GET", "/api/v1/workflows", f.supervisor);
  CHECK(listed.status == 200);
  CHECK(listed.j().size() == 1);

  // Starting: the applicant's token starts for itself only; a department does not start.
  const std::string id = f.start(f.applicant);
  CHECK(f.engine->status(id).applicant == "甲公司");
  CHECK(request(f.port, "POST", "/api/v1/instances", f.applicant,
                json{{"workflow", "four-certificates"}, {"project", "x"}, {"applicant", "乙公司"}}.dump())
            .status == 403);
  CHECK(request(f.port, "POST", "/api/v1/instances", f.dept,
                json{{"workflow", "four-certificates"}, {"project", "x"}}.dump())
            .status == 403);

  // The actor of an action is the token's: the applicant submits, the department accepts.
  Reply sub = request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.applicant,
                      R"({"action":"submit"})");
  CHECK(sub.status == 200);
  CHECK(sub.j()["version"] == 2);
  CHECK(sub.headers["ETag"] == "\"2\"");
  // Another applicant, a supervisor: 403, logged as refusals in the trail.
  CHECK(request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.other,
                R"({"action":"withdraw"})")
            .status == 403);
  Reply sup = request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.supervisor,
                      R"({"action":"accept"})");
  CHECK(sup.status == 403);
  CHECK(sup.reason() == "wrong_actor");
  int refusals = 0;
  for (const auto& e : f.engine->events(id)) refusals += e.kind == "refused" && e.actor != "发展改革委";
  CHECK(refusals == 2);
  Reply acc = request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.staff,
                      R"({"action":"accept","note":"收件"})");
  CHECK(acc.status == 200);
  bool by_staff = false;
  for (const auto& e : f.engine->events(id)) by_staff = by_staff || (e.action == "accept" && e.actor == "发展改革委/张三");
  CHECK(by_staff);

  // The chart as it happened: a row per step, the states drawn.
  Reply g = request(f.port, "GET", "/api/v1/instances/" + id + "/gantt", f.applicant);
  CHECK(g.status == 200);
  CHECK(g.headers["Content-Type"].rfind("image/svg+xml", 0) == 0);
  CHECK(g.body.rfind("<svg", 0) == 0);
  CHECK(g.body.find("</svg>") != std::string::npos);
  CHECK(g.body.find("企业投资项目备案") != std::string::npos);
  CHECK(g.body.find(": accepted</title></rect>") != std::string::npos);
  CHECK(request(f.port, "GET", "/api/v1/instances/" + id + "/gantt", f.other).status == 403);

  // Reading: an applicant its own instances only.
  CHECK(request(f.port, "GET", "/api/v1/instances/" + id, f.applicant).status == 200);
  CHECK(request(f.port, "GET", "/api/v1/instances/" + id, f.other).status == 403);
  CHECK(request(f.port, "GET", "/api/v1/instances/" + id + "/events", f.other).status == 403);
  CHECK(request(f.port, "GET", "/api/v1/instances", f.other).j()["total"] == 0);
  CHECK(request(f.port, "GET", "/api/v1/instances", f.applicant).j()["total"] == 1);
  CHECK(request(f.port, "GET", "/api/v1/instances?applicant=甲公司", f.other).status == 403);
  CHECK(request(f.port, "GET", "/api/v1/events", f.applicant).status == 403);
  // A department reads its own worklist, not another's.
  CHECK(request(f.port, "GET", "/api/v1/departments/%E5%8F%91%E5%B1%95%E6%94%B9%E9%9D%A9%E5%A7%94/worklist", f.dept)
            .status == 200);
  CHECK(request(f.port, "GET", "/api/v1/departments/%E6%B0%B4%E5%88%A9%E5%B1%80/worklist", f.dept).status == 403);
  CHECK(request(f.port, "GET", "/api/v1/departments/%E6%B0%B4%E5%88%A9%E5%B1%80/worklist", f.supervisor).status ==
        200);
  // Tokens are managed by the admin.
  CHECK(request(f.port, "GET", "/api/v1/tokens", f.supervisor).status == 403);
  Reply added = request(f.port, "POST", "/api/v1/tokens", f.admin, R"({"actor":"水利局","name":"窗口"})");
  CHECK(added.status == 201);
  const std::string secret = added.j()["secret"];
  CHECK(request(f.port, "GET", "/api/v1/whoami", secret).j()["kind"] == "department");
  CHECK(request(f.port, "DELETE", "/api/v1/tokens/" + added.j()["token"]["id"].get<std::string>(), f.admin).status ==
        200);
  CHECK(request(f.port, "GET", "/api/v1/whoami", secret).status == 401);
  CHECK(request(f.port, "POST", "/api/v1/tokens", f.admin, R"({"actor":"applicant"})").reason() == "bad_actor");
}

TEST_CASE("server: versions, idempotency, claims and errors", "[server][threads]") {
  Fixture f;
  REQUIRE(f.deploy().status == 201);
  const std::string id = f.start(f.applicant);
  const std::string act = "/api/v1/instances/" + id + "/steps/filing/actions";

  // ETag and If-None-Match; If-Match with a stale version: 409, nothing logged.
  Reply st = request(f.port, "GET", "/api/v1/instances/" + id, f.supervisor);
  REQUIRE(st.status == 200);
  CHECK(st.headers["ETag"] == "\"1\"");
  CHECK(st.j()["instance"] == id);
  CHECK(request(f.port, "GET", "/api/v1/instances/" + id, f.supervisor, "", {{"If-None-Match", "\"1\""}}).status ==
        304);
  CHECK(request(f.port, "POST", act, f.applicant, R"({"action":"submit"})", {{"If-Match", "\"7\""}}).reason() ==
        "conflict");
  CHECK(f.engine->status(id).version == 1);
  CHECK(request(f.port, "POST", act, f.applicant, R"({"action":"submit"})", {{"If-Match", "seven"}}).status == 400);

  // Idempotency-Key: the retry is answered with the first outcome.
  Reply a = request(f.port, "POST", act, f.applicant, R"({"action":"submit"})", {{"Idempotency-Key", "k-1"}});
  Reply b = request(f.port, "POST", act, f.applicant, R"({"action":"submit"})", {{"Idempotency-Key", "k-1"}});
  CHECK(a.status == 200);
  CHECK(b.status == 200);
  CHECK(a.j()["repeated"] == false);
  CHECK(b.j()["repeated"] == true);
  CHECK(b.j()["version"] == a.j()["version"]);
  CHECK(request(f.port, "POST", act, f.applicant, R"({"action":"withdraw"})", {{"Idempotency-Key", "k-1"}}).status ==
        422);

  // Claims: the staff member who claimed; another gets 409 claimed.
  const std::string claim = "/api/v1/instances/" + id + "/steps/filing/claim";
  NewToken li = f.engine->add_token("发展改革委/李四", "", "");
  CHECK(request(f.port, "POST", claim, f.staff).status == 200);
  Reply taken = request(f.port, "POST", act, li.secret, R"({"action":"accept"})");
  CHECK(taken.status == 409);
  CHECK(taken.reason() == "claimed");
  CHECK(request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/release", f.staff).status == 200);
  CHECK(request(f.port, "POST", act, li.secret, R"({"action":"accept"})").status == 200);

  // Refused by the rules: 422 with the engine's reason.
  Reply wrong = request(f.port, "POST", "/api/v1/instances/" + id + "/steps/construction_permit/actions", f.applicant,
                        R"({"action":"submit"})");
  CHECK(wrong.status == 422);
  CHECK_FALSE(wrong.reason().empty());

  // Malformed requests.
  CHECK(request(f.port, "POST", act, f.applicant, "{not json").reason() == "malformed");
  CHECK(request(f.port, "POST", act, f.applicant, R"({"action":"submit","actor":"发展改革委"})").status == 400);
  CHECK(request(f.port, "POST", act, f.applicant, R"({"action":7})").status == 400);
  CHECK(request(f.port, "POST", act, f.applicant, R"([1])").status == 400);
  CHECK(request(f.port, "GET", "/api/v1/instances/20990101-000001", f.supervisor).status == 404);
  CHECK(request(f.port, "GET", "/api/v1/nothing", f.supervisor).reason() == "unknown_route");
  Reply m = request(f.port, "PUT", "/api/v1/instances", f.supervisor, "{}");
  CHECK(m.status == 405);
  CHECK(m.headers["Allow"] == "POST, GET");
  CHECK(request(f.port, "GET", "/api/v1/instances?limit=0", f.supervisor).status == 400);
  CHECK(request(f.port, "GET", "/api/v1/instances?colour=red", f.supervisor).status == 400);
  CHECK(request(f.port, "GET", "/api/v1/instances/%ZZ", f.supervisor).status == 400);
  CHECK(request(f.port, "GET", "/api/v1/instances/%FF", f.supervisor).status == 400);
  CHECK(request(f.port, "GET", "/api/v1/reports/weekly?week=2026-W99", f.supervisor).status == 400);
  Reply big = request(f.port, "POST", act, f.applicant, std::string(100 << 10, ' '));
  CHECK(big.status == 413);
  CHECK(big.reason() == "too_large");

  // The list, the report, the feed.
  Reply list = request(f.port, "GET", "/api/v1/instances?state=running&limit=5", f.supervisor);
  CHECK(list.j()["instances"][0]["instance"] == id);
  Reply week = request(f.port, "GET", "/api/v1/reports/weekly?week=2026-W10", f.supervisor);
  CHECK(week.status == 200);
  CHECK(week.j()["week"] == "2026-W10");
  Reply feed = request(f.port, "GET", "/api/v1/events?after=0&limit=3", f.supervisor);
  CHECK(feed.j()["events"].size() == 3);
  CHECK(feed.j()["last_seq"] == feed.j()["events"][2]["seq"]);
  Reply metrics = request(f.port, "GET", "/metrics", f.supervisor);
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("jreview_engine_transactions_total ") != std::string::npos);
  CHECK(metrics.body.find("jreview_http_responses_total{route=\"POST /api/v1/instances/{id}/steps/{step}/actions\",status=\"409\"} 2") !=
        std::string::npos);
  CHECK(metrics.body.find("jreview_http_request_duration_seconds_bucket{route=\"GET /api/v1/instances/{id}\",le=\"+Inf\"}") !=
        std::string::npos);
  CHECK(metrics.body.find("jreview_instances_running 1") != std::string::npos);
  CHECK(request(f.port, "GET", "/metrics", f.applicant).status == 403);
}

TEST_CASE("server: the event stream resumes after Last-Event-ID and follows new events", "[server][threads]") {
  Fixture f;
  REQUIRE(f.deploy().status == 201);
  const std::string id = f.start(f.applicant);
  const auto before = f.engine->events_since(0, 100);
  REQUIRE(before.size() >= 2);

  boost::asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), f.port));
  const std::string req = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.supervisor +
                          "\r\nAccept: text/event-stream\r\nLast-Event-ID: " + std::to_string(before[0].seq) +
                          "\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(req));
  // A new event after the stream opened.
  REQUIRE(request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.applicant,
                  R"({"action":"submit"})")
              .status == 200);
  const std::int64_t last = f.engine->events_since(0, 100).back().seq;
  std::string got;
  std::set<std::int64_t> ids;
  char buf[4096];
  socket.non_blocking(false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ids.count(last) && std::chrono::steady_clock::now() < deadline) {
    beast::error_code ec;
    const std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
    ids.clear();
    for (std::size_t at = got.find("\nid: "); at != std::string::npos; at = got.find("\nid: ", at + 1))
      ids.insert(std::stoll(got.substr(at + 5)));
  }
  CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(got.find("text/event-stream") != std::string::npos);
  CHECK_FALSE(ids.count(before[0].seq));  // resumed after it
  CHECK(ids.count(before[1].seq));
  CHECK(ids.count(last));
  CHECK(got.find("event: action") != std::string::npos);
  socket.close();
}

TEST_CASE("server: /openapi.json is docs/openapi.json and documents every route", "[server][threads]") {
  const std::string file = read_file(std::string(JR_SOURCE_DIR) + "/docs/openapi.json");
  CHECK(Server::openapi() == file);
  json doc = json::parse(file);
  CHECK(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  std::set<std::string> documented, routed;
  for (auto& [path, ops] : doc["paths"].items())
    for (auto& [method, op] : ops.items()) {
      if (method == "parameters") continue;
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(m + " " + path);
      CHECK(op.contains("responses"));
    }
  for (const auto& r : Server::routes()) routed.insert(r);
  CHECK(documented == routed);

  Fixture f;
  Reply served = request(f.port, "GET", "/openapi.json");
  CHECK(served.status == 200);
  CHECK(served.body == file);
}

TEST_CASE("server: a stopping server answers 503 and the calls in flight", "[server][threads]") {
  Fixture f;
  REQUIRE(f.deploy().status == 201);
  // Many actions in flight on kept-alive connections, then stop: every one
  // acknowledged is in the database.
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(f.start(f.applicant, "项目" + std::to_string(i)));
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (const auto& id : ids)
    clients.emplace_back([&, id] {
      Reply r = request(f.port, "POST", "/api/v1/instances/" + id + "/steps/filing/actions", f.applicant,
                        R"({"action":"submit"})");
      if (r.status == 200) acknowledged++;
    });
  for (auto& t : clients) t.join();
  f.server->stop();
  int submitted = 0;
  for (const auto& id : ids) submitted += f.engine->status(id).steps[0].state != "ready";
  CHECK(submitted == acknowledged.load());
  CHECK(acknowledged == 8);

  // The Api alone: once stopping, 503 shutting_down.
  server::Api api(*f.engine, ServerOptions{});
  api.stopping = true;
  server::Request r;
  r.method = "GET";
  r.target = "/api/v1/health";
  server::Response out;
  api.handle(r, [&](server::Response&& res) { out = std::move(res); });
  CHECK(out.status == 503);
  CHECK(out.reason == "shutting_down");
}

TEST_CASE("server: bad listen addresses and TLS files are refused with a reason", "[server][threads]") {
  TempDir d;
  auto engine = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  for (const char* listen : {"127.0.0.1:99999", "127.0.0.1:http", "[::1", "no-such-host.invalid:80"}) {
    INFO(listen);
    ServerOptions so;
    so.listen = listen;
    CHECK_THROWS_AS(Server::start(*engine, so), Error);
  }
  ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.tls_cert = d.file("cert.pem", "not a certificate");
  so.tls_key = d.file("key.pem", "not a key");
  CHECK_THROWS_AS(Server::start(*engine, so), Error);
  // Two servers on one port: the second cannot listen.
  so.tls_cert.clear();
  so.tls_key.clear();
  auto first = Server::start(*engine, so);
  so.listen = "127.0.0.1:" + std::to_string(first->port());
  try {
    Server::start(*engine, so);
    FAIL("listened twice");
  } catch (const Error& e) {
    CHECK(std::string(e.reason()) == "listen");
  }
}

namespace {

// A webhook receiver on loopback: answers 500 to its first `fail` POSTs,
// then 200, and keeps what it was sent.
struct Receiver {
  boost::asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread;
  std::mutex mutex;
  std::vector<std::pair<std::map<std::string, std::string>, std::string>> got;  // accepted posts
  int attempts = 0;
  int fail;
  std::atomic<bool> done{false};
  explicit Receiver(int fail_first) : fail(fail_first) {
    thread = std::thread([this] {
      while (!done) {
        beast::error_code ec;
        tcp::socket s(ioc);
        acceptor.accept(s, ec);
        if (ec || done) break;
        beast::flat_buffer buf;
        http::request<http::string_body> req;
        http::read(s, buf, req, ec);
        if (ec) continue;
        bool ok;
        {
          std::lock_guard<std::mutex> lk(mutex);
          ok = ++attempts > fail;
          if (ok) {
            std::map<std::string, std::string> h;
            for (const auto& f : req) h[std::string(f.name_string())] = std::string(f.value());
            got.emplace_back(std::move(h), req.body());
          }
        }
        http::response<http::string_body> res(ok ? http::status::ok : http::status::internal_server_error, 11);
        res.body() = "";
        res.prepare_payload();
        http::write(s, res, ec);
      }
    });
  }
  ~Receiver() {
    done = true;
    beast::error_code ec;
    // Wakes the accept.
    tcp::socket poke(ioc);
    poke.connect(acceptor.local_endpoint(), ec);
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/hook"; }
  std::size_t count() {
    std::lock_guard<std::mutex> lk(mutex);
    return got.size();
  }
};

}  // namespace

TEST_CASE("server: a webhook that fails twice then receives every event once, in order, signed",
          "[server][threads]") {
  TempDir d;
  auto clock = FakeClock::at("2026-03-02T09:00");
  Receiver rx(2);
  std::string hook_id;
  std::string id;
  std::vector<std::int64_t> expected;
  {
    auto engine = Engine::open(options(d, clock));
    const Webhook h = engine->add_webhook(rx.url(), {"action", "refused"}, "s3cret");
    hook_id = h.id;
    CHECK(h.delivered_seq == 0);
    CHECK_THROWS_AS(engine->add_webhook("https://x/y", {}, ""), Error);
    CHECK_THROWS_AS(engine->add_webhook("http://x/y", {"No Kind"}, ""), Error);
    ServerOptions so;
    so.listen = "127.0.0.1:0";
    so.webhook_retry = std::chrono::milliseconds(20);
    auto server = Server::start(*engine, so);
    StartRequest s;
    s.workflow_file = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml";
    s.project = "厂房";
    id = engine->start(s);
    engine->act({id, "filing", "submit", "applicant"});
    CHECK_THROWS_AS(engine->act({id, "filing", "approve", "水利局"}), Error);  // refused, logged
    engine->act({id, "filing", "accept", "发展改革委"});
    for (const auto& e : engine->events_since(0, 1000))
      if (e.kind == "action" || e.kind == "refused") expected.push_back(e.seq);
    REQUIRE(expected.size() >= 3);  // submit, the refusal, accept (and the start)
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rx.count() < expected.size() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server->stop();
    const Webhook after = engine->webhooks()[0];
    CHECK(after.delivered_seq == expected.back());
    CHECK(after.failures == 0);
  }
  {
    std::lock_guard<std::mutex> lk(rx.mutex);
    CHECK(rx.attempts == static_cast<int>(expected.size()) + 2);
    REQUIRE(rx.got.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      auto& [headers, body] = rx.got[i];
      CHECK(json::parse(body)["seq"] == expected[i]);
      CHECK(headers["X-JReview-Seq"] == std::to_string(expected[i]));
      CHECK(headers["X-JReview-Hook"] == hook_id);
      CHECK(headers["X-JReview-Signature"] == "sha256=" + server::hmac_sha256_hex("s3cret", body));
    }
  }
  // Events while no server runs are delivered after the next start; none again.
  {
    auto engine = Engine::open(options(d, clock));
    engine->act({id, "filing", "approve", "发展改革委"});
    ServerOptions so;
    so.listen = "127.0.0.1:0";
    auto server = Server::start(*engine, so);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rx.count() < expected.size() + 1 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server->stop();
    REQUIRE(rx.count() == expected.size() + 1);
    std::lock_guard<std::mutex> lk(rx.mutex);
    CHECK(json::parse(rx.got.back().second)["action"] == "approve");
  }
}

TEST_CASE("server: a request that does not finish in time, and connections over the limit", "[server][threads]") {
  TempDir d;
  auto engine = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.idle_timeout = std::chrono::seconds(1);
  so.max_connections = 2;
  auto server = Server::start(*engine, so);
  boost::asio::io_context ioc;
  // Headers sent a byte at a time, never finished (slowloris): closed.
  tcp::socket slow(ioc);
  slow.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  boost::asio::write(slow, boost::asio::buffer(std::string("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")));
  const auto t0 = std::chrono::steady_clock::now();
  beast::error_code ec;
  for (int i = 0; i < 40 && !ec; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    boost::asio::write(slow, boost::asio::buffer(std::string("X")), ec);
  }
  char c;
  if (!ec) slow.read_some(boost::asio::buffer(&c, 1), ec);
  CHECK(ec);  // the server closed it
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));

  // Two connections held open; a third is answered 503 busy.
  tcp::socket a(ioc), b(ioc);
  a.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  b.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Reply third = request(server->port(), "GET", "/api/v1/health");
  CHECK(third.status == 503);
  CHECK(third.reason() == "busy");
  a.close();
  b.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(request(server->port(), "GET", "/api/v1/health").status == 200);
}

TEST_CASE("server: connect_engine answers as the engine itself does", "[server][threads]") {
  Fixture f;
  REQUIRE(f.deploy().status == 201);
  const std::string url = f.server->url();
  auto applicant = connect_engine(url, f.applicant);
  auto staff = connect_engine(url, f.staff);
  StartRequest s;
  s.workflow = "four-certificates";
  s.project = "厂房";
  const StartResult started = applicant->start_instance(s);
  CHECK(started.version == 1);
  ActRequest a;
  a.instance = started.instance;
  a.step = "filing";
  a.action = "submit";
  a.actor = "ignored: the token's actor acts";
  CHECK(applicant->apply(a).version == 2);
  a.action = "accept";
  a.expected_version = 2;
  CHECK(staff->apply(a).version == 3);
  try {
    staff->apply(a);  // version 2 is gone
    FAIL("no conflict");
  } catch (const Error& e) {
    CHECK(e.code() == Error::Code::conflict);
  }
  CHECK(staff->claim(started.instance, "filing", "").version == 4);
  // The same structs as the engine's own, JSON for JSON.
  CHECK(status_json(staff->status(started.instance)) == status_json(f.engine->status(started.instance)));
  CHECK(events_json(applicant->events(started.instance)) == events_json(f.engine->events(started.instance)));
  CHECK(events_json(staff->events_since(0, 3)) == events_json(f.engine->events_since(0, 3)));
  InstanceFilter q;
  q.state = "running";
  CHECK(instance_page_json(staff->query(q)) == instance_page_json(f.engine->query(q)));
  CHECK(worklist_json(staff->worklist("发展改革委")) == worklist_json(f.engine->worklist("发展改革委")));
  CHECK(weekly_report_json(staff->weekly_report("2026-W10")) == weekly_report_json(f.engine->weekly_report("2026-W10")));
  CHECK(statuses_json(staff->instances()) == statuses_json(f.engine->instances()));
  // Refusals carry the server's reason.
  try {
    applicant->status("20990101-000001");
    FAIL("found");
  } catch (const Error& e) {
    CHECK(e.code() == Error::Code::not_found);
    CHECK(std::string(e.reason()) == "unknown_instance");
  }
  CHECK_THROWS_AS(connect_engine(url, "jrt_" + std::string(48, '1')), Error);
  CHECK_THROWS_AS(applicant->subscribe([](const EventRecord&) {}), Error);
  const unsigned short port = f.port;
  f.server->stop();
  try {
    connect_engine("http://127.0.0.1:" + std::to_string(port), f.admin);
    FAIL("reached a stopped server");
  } catch (const Error& e) {
    CHECK(std::string(e.reason()) == "unreachable");
  }
}

TEST_CASE("server: HTTPS with a certificate and key", "[server][threads]") {
  TempDir d;
  const std::string cert = (d.path / "cert.pem").string(), key = (d.path / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key + "' -out '" + cert +
                          "' -days 2 -subj /CN=localhost >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    WARN("no openssl command: the HTTPS test is skipped");
    return;
  }
  auto engine = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.tls_cert = cert;
  so.tls_key = key;
  auto server = Server::start(*engine, so);
  CHECK(server->url().rfind("https://127.0.0.1:", 0) == 0);

  boost::asio::io_context ioc;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  ctx.set_verify_mode(boost::asio::ssl::verify_none);  // self-signed: the channel is what is tested
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  beast::get_lowest_layer(stream).connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
  stream.handshake(boost::asio::ssl::stream_base::client);
  http::request<http::string_body> req(http::verb::get, "/api/v1/health", 11);
  req.set(http::field::host, "localhost");
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  CHECK(res.result_int() == 200);
  CHECK(json::parse(res.body())["status"] == "ok");
  // Plain HTTP to the HTTPS port is not answered as HTTP.
  CHECK(request(server->port(), "GET", "/api/v1/health").status == 0);
}
