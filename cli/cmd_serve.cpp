// jreview serve: the engine behind the HTTP/JSON API (docs/serve.md), until
// SIGTERM or SIGINT. The first line on stdout says where it listens.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <mutex>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/server.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct ServeOpts {
  EngineFlags e;
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  std::size_t max_body = 1 << 20;
  double rate = 0;
  std::string tls_cert, tls_key;
  bool quiet = false;
};

int serve(const ServeOpts& o) {
  if (!o.e.server.empty())
    throw jointreview::Error(jointreview::Error::Code::invalid_argument,
                             "jreview serve opens --db itself; --server is for the client commands", "bad_value");
  // SIGTERM and SIGINT are taken by this thread alone (sigwait below): the
  // engine's and the server's threads, created after this, inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client gone mid-write is an error of that write, not a signal.
  signal(SIGPIPE, SIG_IGN);

  jointreview::EngineOptions eo;
  eo.database = o.e.db;
  eo.background_timers = true;  // a live server: deadline timers fire as they fall due
  if (!o.e.now.empty()) eo.clock = jointreview::FakeClock::at(o.e.now, eo.utc_offset_minutes);
  eo.calendar.weekend_fallback = o.e.weekend_fallback;
  eo.calendar.strict = o.e.strict_calendar;
  eo.calendar.on_warning = warn_on_stderr;
  auto engine = jointreview::Engine::open(eo);

  std::mutex log_mutex;
  jointreview::ServerOptions so;
  so.listen = o.listen;
  so.threads = o.threads;
  so.max_body = o.max_body;
  so.rate_per_token = o.rate;
  so.tls_cert = o.tls_cert;
  so.tls_key = o.tls_key;
  if (!o.quiet)
    so.log = [&log_mutex](const std::string& line) {
      std::lock_guard<std::mutex> lk(log_mutex);
      std::cerr << line << '\n';
    };
  auto server = jointreview::Server::start(*engine, so);
  std::cout << "jreview: serving " << o.e.db << " on " << server->url() << std::endl;
  bool admin = false;
  for (const auto& t : engine->tokens()) admin = admin || (t.active && t.kind == jointreview::ActorKind::admin);
  if (!admin)
    std::cerr << "jreview: note: the database has no active admin token; stop the server and create one with "
                 "jreview token add --actor admin --db "
              << o.e.db << '\n';

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "jreview: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": answering the calls in flight, then closing the database\n";
  server->stop();
  server.reset();
  engine.reset();
  std::cerr << "jreview: stopped\n";
  return 0;
}

void add_serve(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ServeOpts>();
  auto* sub = app.add_subcommand(
      "serve", "Serve the database over HTTP/JSON (docs/serve.md) until SIGTERM or SIGINT; bearer tokens: jreview token");
  sub->add_option("--listen", o->listen, "HOST:PORT to listen on (loopback unless told otherwise; port 0: any free)");
  sub->add_option("--threads", o->threads, "threads answering requests")->check(CLI::Range(1, 64));
  sub->add_option("--max-body", o->max_body, "largest request body, bytes (more: 413)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20));
  sub->add_option("--rate", o->rate, "requests per second per token (more: 429); 0: no limit")
      ->check(CLI::Range(0.0, 1e6));
  auto* cert = sub->add_option("--tls-cert", o->tls_cert, "PEM certificate chain: serve HTTPS");
  auto* key = sub->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert");
  cert->needs(key);
  key->needs(cert);
  sub->add_flag("--quiet", o->quiet, "no request log on stderr");
  add_engine_flags(sub, o->e);
  sub->callback([o, &run] {
    run = [o] {
      try {
        return serve(*o);
      } catch (const jointreview::Error& e) {
        return error_exit(e);
      }
    };
  });
}

}  // namespace

JREVIEW_COMMAND(60, add_serve);

}  // namespace jreview
