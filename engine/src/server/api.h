// The API of `jreview serve` without the network: a request as parsed by
// the HTTP layer (server.cpp), routed, authorised and answered here
// (api.cpp). Nothing here knows Beast, so the routes can be tested and
// fuzzed without a socket.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/server.h"

namespace jointreview::server {

struct Request {
  std::string method;  // GET, POST ...
  std::string target;  // as sent: path and query
  std::string body;
  // Headers the API reads, by lower-case name.
  std::map<std::string, std::string> headers;
  std::string remote;  // the peer's address
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // For the log: who asked, and the reason of a problem.
  std::string actor, reason;
  // An event stream (text/event-stream): after the headers, the events of
  // the feed with a seq above this, until the connection closes.
  bool stream = false;
  std::int64_t stream_after = 0;
  std::string stream_instance;  // only this instance's events ("" for all)
};

// Answers a request, once, possibly later and on another thread (an
// engine call that completes on the engine's thread).
using Reply = std::function<void(Response&&)>;

// A problem document (RFC 9457, application/problem+json).
Response problem(int status, const std::string& reason, const std::string& detail, const std::string& actor = {});
// The HTTP status of an engine error, by its code and reason.
int status_of(const Error& e);

// Per-token request rate (ServerOptions::rate_per_token).
class RateLimiter {
 public:
  explicit RateLimiter(double per_second) : rate_(per_second) {}
  // True when the token may make one more request now; else the seconds to wait.
  bool allow(const std::string& token_id, double& retry_after);

 private:
  struct Bucket {
    double tokens;
    std::int64_t at_us;
  };
  double rate_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

struct Counters {
  std::atomic<std::uint64_t> requests{0}, errors_4xx{0}, errors_5xx{0}, in_flight{0}, streams{0}, connections{0};
  std::atomic<std::uint64_t> rejected_rate{0}, rejected_busy{0};
};

class Api {
 public:
  Api(Engine& engine, const ServerOptions& options);
  // Routes, authorises and answers `r`; `reply` is called exactly once.
  void handle(const Request& r, Reply reply);
  // Set once the server stops: every new request is answered 503.
  std::atomic<bool> stopping{false};
  Counters counters;
  // Called after a webhook was added or removed (the deliverer follows it).
  std::function<void()> webhooks_changed;
  Engine& engine() { return engine_; }
  std::size_t in_flight() const { return counters.in_flight.load(); }

  static const std::vector<std::string>& route_names();

 private:
  struct Ctx;
  using Handler = void (Api::*)(Ctx&);
  struct Route {
    const char* method;
    const char* pattern;
    bool needs_token;
    Handler handler;
  };
  static const std::vector<Route>& table();

  void health(Ctx& c);
  void openapi(Ctx& c);
  void metrics(Ctx& c);
  void deploy(Ctx& c);
  void list_workflows(Ctx& c);
  void start(Ctx& c);
  void list_instances(Ctx& c);
  void instance_status(Ctx& c);
  void act(Ctx& c);
  void claim(Ctx& c);
  void release(Ctx& c);
  void instance_events(Ctx& c);
  void gantt(Ctx& c);
  void feed(Ctx& c);
  void worklist(Ctx& c);
  void weekly(Ctx& c);
  void list_tokens(Ctx& c);
  void add_token(Ctx& c);
  void revoke_token(Ctx& c);
  void whoami(Ctx& c);
  void list_webhooks(Ctx& c);
  void add_webhook(Ctx& c);
  void remove_webhook(Ctx& c);

  void claim_or_release(Ctx& c, bool take);
  // An applicant's token reads only its own instances: 403 otherwise.
  bool may_read_instance(Ctx& c, const InstanceStatus& s);

  // Requests by route and status, and each route's latency (for /metrics).
  void record(int route, int status, double seconds);
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  static constexpr std::size_t kNBuckets = sizeof(kBuckets) / sizeof(kBuckets[0]);
  struct Latency {
    std::uint64_t buckets[kNBuckets + 1] = {};  // the last: above every bound
    double sum = 0;
    std::uint64_t count = 0;
  };
  std::mutex stats_mutex_;
  std::map<std::pair<int, int>, std::uint64_t> by_status_;  // (route, status); route -1: none matched
  std::map<int, Latency> latency_;

  Engine& engine_;
  ServerOptions opt_;
  RateLimiter limiter_;
};

// Percent-decoding of a path segment or query value ('+' is a space in a
// query). False for a malformed escape or bytes that are not UTF-8.
bool url_decode(const std::string& in, std::string& out, bool query);

}  // namespace jointreview::server
