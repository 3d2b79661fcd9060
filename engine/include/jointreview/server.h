// The HTTP/JSON API of an engine (`jreview serve`, docs/serve.md): one
// Boost.Beast server in front of one Engine, for platforms that reach the
// engine over the network instead of linking it.
//
//   auto engine = jointreview::Engine::open(o);
//   jointreview::ServerOptions so;
//   so.listen = "127.0.0.1:8080";
//   auto server = jointreview::Server::start(*engine, so);   // listening on return
//   ... server->url() ...
//   server->stop();   // refuses new requests (503), answers those in flight, closes
//
// Every call but /api/v1/health and /openapi.json carries a bearer token
// (Engine::add_token); the token's actor is the actor of the call.
// Actions and starts go through the engine's asynchronous calls, so that
// requests in flight together share group commits; reads are answered on
// the server's threads. Errors: Error (error.h) from start(); nothing is
// thrown once the server runs (a failing request is answered with its
// problem document).
#pragma once

#include "jointreview/export.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jointreview/engine.h"

namespace jointreview {

struct ServerOptions {
  // HOST:PORT to listen on: an IPv4 or IPv6 address ("[::1]:8080"), or
  // "localhost". Port 0 picks a free port (Server::port() says which).
  std::string listen = "127.0.0.1:8080";
  int threads = 2;                         // threads answering requests (reads block one while they run)
  std::size_t max_body = 1 << 20;          // bytes; larger bodies are answered 413
  std::size_t max_header = 16 << 10;       // bytes of the request line and headers; larger: 431
  std::size_t max_connections = 1024;      // more are accepted, and their first request answered 503
  std::size_t max_in_flight = 10000;       // engine calls in flight at most; more are answered 429
  // Requests per second allowed to one token (a token bucket holding one
  // second's worth); 0: no limit. More are answered 429 with Retry-After.
  double rate_per_token = 0;
  std::chrono::seconds idle_timeout{60};   // a connection silent this long is closed
  // PEM files: when both are given the server speaks HTTPS only.
  std::string tls_cert, tls_key;
  // Deliver the database's webhooks (Engine::add_webhook) while serving;
  // a failed POST is retried after this, then twice as long ..., at most a minute.
  bool webhooks = true;
  std::chrono::milliseconds webhook_retry{1000};
  // One JSON object per request answered ({"time", "method", "path",
  // "status", "ms", "actor", "reason"}), and the server's own notices; on a
  // server thread. Null: nothing is logged.
  std::function<void(const std::string& line)> log;
};

class JR_EXPORT Server {
 public:
  // Binds and starts answering; throws Error(invalid_argument) for a bad
  // address or unreadable TLS files, Error(storage, reason "listen") when
  // the address cannot be bound. The engine must outlive the server.
  static std::unique_ptr<Server> start(Engine& engine, const ServerOptions& options);
  virtual ~Server() = default;  // stop(), then joins its threads

  virtual std::string url() const = 0;           // "http://127.0.0.1:8080" (https with TLS)
  virtual unsigned short port() const = 0;
  // Stops accepting, answers new requests on open connections with 503
  // (reason "shutting_down"), waits for the calls in flight (at most
  // `grace`), ends the event streams and closes every connection.
  virtual void stop(std::chrono::milliseconds grace = std::chrono::seconds(10)) = 0;

  // Every route, as "METHOD /path/{param}", in the order they are matched
  // (docs/openapi.json documents each one).
  static std::vector<std::string> routes();
  // The OpenAPI 3 document served at /openapi.json (docs/openapi.json).
  static const std::string& openapi();
};

}  // namespace jointreview
