// The HTTP layer of `jreview serve`: Boost.Beast on an Asio io_context run
// by a few threads (ServerOptions::threads), one strand per connection, no
// thread per connection. A request is read with limits on its header and
// body, handed to the Api (api.cpp), and its answer written back on the
// connection's strand, whichever thread produced it (an action is answered
// from the engine's thread once its batch committed). An event stream
// (text/event-stream) is a durable feed of the engine (Engine::subscribe
// with a seq) written as Server-Sent Events in chunks.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "jointreview/error.h"
#include "server/api.h"
#include "server/webhooks.h"

namespace jointreview::server {
extern const char openapi_text[];
}

namespace jointreview {

namespace server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string utc_now() {
  const auto t = std::chrono::system_clock::now();
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// One event of the feed as a Server-Sent Event, in one HTTP chunk.
std::string sse_chunk(const EventRecord& e) {
  nlohmann::ordered_json all = nlohmann::ordered_json::parse(events_json({e}, -1));
  std::string body = "id: " + std::to_string(e.seq) + "\nevent: " + e.kind + "\ndata: " + all[0].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n";
}

std::string chunk_of(const std::string& body) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n";
}

// Between a stream's feed thread and its connection: the feed waits while
// the connection has this many events not yet written, so that a client
// catching up on a long history is paced by its own reading, not cut off.
struct FeedGate {
  static constexpr std::size_t kWindow = 512;
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t queued = 0;
  bool closed = false;
  // False once the connection is closed.
  bool enter() {
    std::unique_lock<std::mutex> lk(mutex);
    cv.wait(lk, [&] { return closed || queued < kWindow; });
    if (closed) return false;
    ++queued;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> lk(mutex);
    if (queued) --queued;
    cv.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> lk(mutex);
    closed = true;
    cv.notify_all();
  }
};

}  // namespace

class ServerImpl;

// What the server keeps of each connection: enough to close it.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
};

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerImpl& srv, Stream&& stream, bool overloaded);
  ~Session() override;
  void run();
  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->shut(); });
  }

 private:
  auto& socket() { return beast::get_lowest_layer(stream_).socket(); }
  void do_read();
  void on_read(beast::error_code ec);
  void write(Response&& r);
  void start_stream(const Response& r);
  void push_event(std::string chunk, bool from_feed = false);
  void write_next();
  void ping();
  void shut();

  ServerImpl& srv_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  bool overloaded_;
  bool keep_alive_ = true;
  bool closed_ = false;
  std::string method_, target_;
  std::chrono::steady_clock::time_point began_;
  std::list<std::weak_ptr<SessionBase>>::iterator registered_;
  // The event stream.
  std::shared_ptr<http::response<http::empty_body>> stream_res_;
  std::shared_ptr<http::response_serializer<http::empty_body>> stream_sr_;
  int feed_ = 0;
  std::shared_ptr<FeedGate> gate_;
  std::deque<std::pair<std::string, bool>> queue_;  // chunks; true: one of the feed's (FeedGate)
  bool writing_ = false;
  std::unique_ptr<asio::steady_timer> ping_;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(Engine& engine, const ServerOptions& o)
      : opt_(o), api_(engine, o), acceptor_(ioc_), work_(asio::make_work_guard(ioc_)) {
    if (opt_.threads < 1) opt_.threads = 1;
    if (!opt_.tls_cert.empty() || !opt_.tls_key.empty()) {
      if (opt_.tls_cert.empty() || opt_.tls_key.empty())
        throw Error(Error::Code::invalid_argument, "TLS needs both a certificate (--tls-cert) and a key (--tls-key)",
                    "bad_value");
      tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      beast::error_code ec;
      tls_->use_certificate_chain_file(opt_.tls_cert, ec);
      if (ec)
        throw Error(Error::Code::invalid_argument,
                    "cannot read the TLS certificate '" + opt_.tls_cert + "': " + ec.message(), "bad_value");
      tls_->use_private_key_file(opt_.tls_key, ssl::context::pem, ec);
      if (ec)
        throw Error(Error::Code::invalid_argument, "cannot read the TLS key '" + opt_.tls_key + "': " + ec.message(),
                    "bad_value");
    }
    bind();
    if (opt_.webhooks) {
      deliverer_ = std::make_unique<Deliverer>(engine, opt_.webhook_retry, [this](const std::string& m) { notice(m); });
      deliverer_->sync();
      api_.webhooks_changed = [this] { deliverer_->sync(); };
    }
    accept();
    for (int i = 0; i < opt_.threads; ++i)
      threads_.emplace_back([this] {
        for (;;) {
          try {
            ioc_.run();
            return;
          } catch (const std::exception& e) {
            notice(std::string("a handler failed: ") + e.what());
          } catch (...) {
            notice("a handler failed");
          }
        }
      });
  }

  ~ServerImpl() override {
    stop(std::chrono::seconds(10));
  }

  std::string url() const override {
    const auto ep = endpoint_;
    std::string host = ep.address().to_string();
    if (ep.address().is_v6()) host = "[" + host + "]";
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(ep.port());
  }
  unsigned short port() const override { return endpoint_.port(); }

  void stop(std::chrono::milliseconds grace) override {
    {
      std::lock_guard<std::mutex> lk(stop_mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    api_.stopping = true;
    asio::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    // The calls in flight are answered (they are in the engine's batch).
    const auto until = std::chrono::steady_clock::now() + grace;
    while (api_.in_flight() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Their answers written, then every connection closed.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<std::shared_ptr<SessionBase>> open;
    {
      std::lock_guard<std::mutex> lk(sessions_mutex_);
      for (auto& w : sessions_)
        if (auto s = w.lock()) open.push_back(std::move(s));
    }
    for (auto& s : open) s->close();
    open.clear();
    if (deliverer_) deliverer_->stop();
    work_.reset();
    // What is left ends by itself; a connection stuck in a write is cut.
    const auto cut = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!ioc_.stopped() && std::chrono::steady_clock::now() < cut)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  void notice(const std::string& what) {
    if (opt_.log) {
      try {
        opt_.log(nlohmann::ordered_json{{"time", utc_now()}, {"notice", what}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      } catch (...) {
      }
    }
  }

  void log_request(const std::string& method, const std::string& target, const Response& r, double ms) {
    if (r.status >= 500)
      api_.counters.errors_5xx++;
    else if (r.status >= 400)
      api_.counters.errors_4xx++;
    if (!opt_.log) return;
    try {
      nlohmann::ordered_json o = {{"time", utc_now()},
                                  {"method", method},
                                  {"path", target.substr(0, target.find('?'))},
                                  {"status", r.status},
                                  {"ms", std::round(ms * 1000) / 1000},
                                  {"actor", r.actor}};
      if (!r.reason.empty()) o["reason"] = r.reason;
      opt_.log(o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (...) {
    }
  }

  std::list<std::weak_ptr<SessionBase>>::iterator enrol(std::weak_ptr<SessionBase> s) {
    std::lock_guard<std::mutex> lk(sessions_mutex_);
    return sessions_.insert(sessions_.end(), std::move(s));
  }
  void leave(std::list<std::weak_ptr<SessionBase>>::iterator it) {
    std::lock_guard<std::mutex> lk(sessions_mutex_);
    sessions_.erase(it);
  }

  ServerOptions opt_;
  Api api_;

 private:
  void bind() {
    std::string host = opt_.listen, port = "8080";
    if (!host.empty() && host.front() == '[') {
      const auto close = host.find(']');
      if (close == std::string::npos)
        throw Error(Error::Code::invalid_argument, "listen '" + opt_.listen + "': an IPv6 address is [ADDR]:PORT",
                    "bad_value");
      port = close + 1 < host.size() && host[close + 1] == ':' ? host.substr(close + 2) : "";
      host = host.substr(1, close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty()) host = "127.0.0.1";
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) > 65535)
      throw Error(Error::Code::invalid_argument, "listen '" + opt_.listen + "': the port is a number 0 to 65535",
                  "bad_value");
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto found = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || found.empty())
      throw Error(Error::Code::invalid_argument, "listen '" + opt_.listen + "': cannot resolve '" + host + "'",
                  "bad_value");
    const tcp::endpoint ep = found.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw Error(Error::Code::storage, "cannot listen on " + opt_.listen + ": " + ec.message(), "listen");
    endpoint_ = acceptor_.local_endpoint();
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        notice("accept failed: " + ec.message());
      } else {
        const bool overloaded = api_.counters.connections.load() >= opt_.max_connections;
        if (tls_)
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              *this, beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_), overloaded)
              ->run();
        else
          std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)), overloaded)
              ->run();
      }
      if (acceptor_.is_open()) accept();
    });
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<ssl::context> tls_;
  std::unique_ptr<Deliverer> deliverer_;
  tcp::endpoint endpoint_;
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
  std::mutex sessions_mutex_;
  std::list<std::weak_ptr<SessionBase>> sessions_;
};

// ---- a connection

template <class Stream>
Session<Stream>::Session(ServerImpl& srv, Stream&& stream, bool overloaded)
    : srv_(srv), stream_(std::move(stream)), overloaded_(overloaded) {
  srv_.api_.counters.connections++;
}

template <class Stream>
Session<Stream>::~Session() {
  srv_.api_.counters.connections--;
  if (gate_) gate_->close();
  if (feed_) {
    srv_.api_.counters.streams--;
    try {
      srv_.api_.engine().unsubscribe(feed_);
    } catch (...) {
    }
  }
  srv_.leave(registered_);
}

template <class Stream>
void Session<Stream>::run() {
  registered_ = srv_.enrol(this->weak_from_this());
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      self->do_read();
    } else {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(15));
      self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->shut();
        self->do_read();
      });
    }
  });
}

template <class Stream>
void Session<Stream>::do_read() {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(srv_.opt_.max_body);
  parser_->header_limit(static_cast<std::uint32_t>(srv_.opt_.max_header));
  beast::get_lowest_layer(stream_).expires_after(srv_.opt_.idle_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

template <class Stream>
void Session<Stream>::on_read(beast::error_code ec) {
  began_ = std::chrono::steady_clock::now();
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof || closed_)
    return shut();
  if (ec) {
    keep_alive_ = false;
    method_ = "?";
    target_ = "?";
    if (ec == http::error::body_limit)
      return write(problem(413, "too_large",
                           "the body is larger than " + std::to_string(srv_.opt_.max_body) + " bytes"));
    if (ec == http::error::header_limit)
      return write(problem(431, "headers_too_large", "the request line and headers are too large"));
    if (ec == asio::ssl::error::stream_truncated) return shut();
    return write(problem(400, "bad_request", "the request is not HTTP/1.1: " + ec.message()));
  }
  auto& req = parser_->get();
  keep_alive_ = req.keep_alive();
  Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  method_ = r.method;
  target_ = r.target;
  r.body = std::move(req.body());
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers[name] = std::string(f.value());
  }
  beast::error_code ignored;
  r.remote = socket().remote_endpoint(ignored).address().to_string(ignored);
  if (overloaded_) {
    srv_.api_.counters.rejected_busy++;
    keep_alive_ = false;
    return write(problem(503, "busy", "too many connections; retry shortly"));
  }
  beast::get_lowest_layer(stream_).expires_never();
  // The answer holds the connection until it is written (an engine call
  // answers later, from the engine's thread).
  auto self = this->shared_from_this();
  srv_.api_.handle(r, [self](Response&& out) {
    auto executor = self->stream_.get_executor();
    asio::post(executor, [self, out = std::move(out)]() mutable { self->write(std::move(out)); });
  });
}

template <class Stream>
void Session<Stream>::write(Response&& r) {
  if (closed_) return;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began_).count();
  srv_.log_request(method_, target_, r, ms);
  if (r.stream) return start_stream(r);
  res_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
  res_->set(http::field::server, "jreview");
  if (!r.content_type.empty()) res_->set(http::field::content_type, r.content_type + "; charset=utf-8");
  res_->set(http::field::cache_control, "no-store");
  res_->set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : r.headers) res_->set(k, v);
  if (srv_.api_.stopping) keep_alive_ = false;
  res_->keep_alive(keep_alive_);
  res_->body() = std::move(r.body);
  res_->prepare_payload();
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
  http::async_write(stream_, *res_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->res_.reset();
    if (ec || !self->keep_alive_) return self->shut();
    self->do_read();
  });
}

template <class Stream>
void Session<Stream>::start_stream(const Response& r) {
  stream_res_ = std::make_shared<http::response<http::empty_body>>(http::status::ok, 11);
  stream_res_->set(http::field::server, "jreview");
  stream_res_->set(http::field::content_type, "text/event-stream; charset=utf-8");
  stream_res_->set(http::field::cache_control, "no-store");
  stream_res_->set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  stream_res_->chunked(true);
  stream_sr_ = std::make_shared<http::response_serializer<http::empty_body>>(*stream_res_);
  writing_ = true;
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
  const std::int64_t after = r.stream_after;
  http::async_write_header(stream_, *stream_sr_, [self = this->shared_from_this(), after](beast::error_code ec,
                                                                                           std::size_t) {
    self->writing_ = false;
    if (ec) return self->shut();
    // The feed: every event after `after`, then each new one, from a
    // thread of the engine's; each is handed to this strand.
    std::weak_ptr<Session> weak = self;
    auto executor = self->stream_.get_executor();
    self->gate_ = std::make_shared<FeedGate>();
    try {
      self->feed_ = self->srv_.api_.engine().subscribe(
          [weak, executor, gate = self->gate_](const EventRecord& e) {
            if (!gate->enter()) return;
            std::string chunk = sse_chunk(e);
            asio::post(executor, [weak, gate, chunk = std::move(chunk)]() mutable {
              if (auto s = weak.lock())
                s->push_event(std::move(chunk), true);
              else
                gate->leave();
            });
          },
          after);
      self->srv_.api_.counters.streams++;
    } catch (...) {
      return self->shut();
    }
    // A comment line first (the stream is open), then every 15 s: proxies
    // keep the connection, and a client gone is noticed.
    self->push_event(chunk_of(": jreview event stream\n\n"));
    self->ping_ = std::make_unique<asio::steady_timer>(self->stream_.get_executor());
    self->ping();
  });
}

template <class Stream>
void Session<Stream>::ping() {
  ping_->expires_after(std::chrono::seconds(15));
  ping_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return;
    self->push_event(chunk_of(": ping\n\n"));
    self->ping();
  });
}

template <class Stream>
void Session<Stream>::push_event(std::string chunk, bool from_feed) {
  if (closed_) {
    if (from_feed) gate_->leave();
    return;
  }
  queue_.emplace_back(std::move(chunk), from_feed);
  if (!writing_) write_next();
}

template <class Stream>
void Session<Stream>::write_next() {
  if (queue_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
  asio::async_write(stream_, asio::buffer(queue_.front().first),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->shut();
                      if (self->queue_.front().second) self->gate_->leave();
                      self->queue_.pop_front();
                      self->write_next();
                    });
}

template <class Stream>
void Session<Stream>::shut() {
  if (closed_) return;
  closed_ = true;
  if (gate_) gate_->close();
  if (ping_) ping_->cancel();
  beast::error_code ec;
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

}  // namespace server

std::unique_ptr<Server> Server::start(Engine& engine, const ServerOptions& options) {
  return std::make_unique<server::ServerImpl>(engine, options);
}

std::vector<std::string> Server::routes() { return server::Api::route_names(); }

const std::string& Server::openapi() {
  static const std::string doc = server::openapi_text;
  return doc;
}

}  // namespace jointreview
