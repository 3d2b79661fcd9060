// Webhook delivery: see webhooks.h.
#include "server/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "jointreview/error.h"

namespace jointreview::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &n))
    throw Error(Error::Code::storage, "HMAC-SHA256 failed (OpenSSL)", "digest");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
}

std::string post_json(const std::string& url, const std::string& body,
                      const std::map<std::string, std::string>& headers, std::chrono::milliseconds timeout) {
  if (url.rfind("http://", 0) != 0) return "not an http:// URL";
  const std::string rest = url.substr(7);
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority, port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req(http::verb::post, target, 11);
  req.set(http::field::host, authority);
  req.set(http::field::user_agent, "jreview-webhook");
  req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  std::string error;
  resolver.async_resolve(host, port, [&](beast::error_code ec, tcp::resolver::results_type found) {
    if (ec) {
      error = "cannot resolve " + host + ": " + ec.message();
      return;
    }
    stream.expires_after(timeout);
    stream.async_connect(found, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) {
        error = "cannot connect to " + authority + ": " + ec2.message();
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
        if (ec3) {
          error = "cannot send: " + ec3.message();
          return;
        }
        http::async_read(stream, buf, res, [&](beast::error_code ec4, std::size_t) {
          if (ec4) error = "no answer: " + ec4.message();
        });
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (!error.empty()) return error;
  if (res.result_int() < 200 || res.result_int() > 299) return "answered HTTP " + std::to_string(res.result_int());
  return "";
}

namespace {

std::string utc_now() {
  const std::time_t s = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

}  // namespace

// One hook being followed: its feed, and the stop signal its retries wait on.
struct Deliverer::Follow {
  Webhook hook;
  int feed = 0;
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::int64_t delivered = 0;
  std::int64_t failures = 0;
  std::int64_t unrecorded = 0;  // events passed over since progress was last recorded
};

Deliverer::Deliverer(Engine& engine, std::chrono::milliseconds retry_base,
                     std::function<void(const std::string&)> notice)
    : engine_(engine), retry_base_(retry_base), notice_(std::move(notice)) {}

Deliverer::~Deliverer() { stop(); }

void Deliverer::sync() {
  std::lock_guard<std::mutex> lk(mutex_);
  if (stopped_) return;
  std::vector<Webhook> hooks = engine_.webhooks();
  for (const auto& h : hooks) {
    auto it = follows_.find(h.id);
    if (!h.removed.empty()) {
      if (it != follows_.end()) {
        {
          std::lock_guard<std::mutex> fl(it->second->mutex);
          it->second->stopping = true;
        }
        it->second->cv.notify_all();
        engine_.unsubscribe(it->second->feed);
        follows_.erase(it);
      }
      continue;
    }
    if (it != follows_.end()) continue;
    auto f = std::make_shared<Follow>();
    f->hook = h;
    f->delivered = h.delivered_seq;
    f->failures = h.failures;
    std::weak_ptr<Follow> weak = f;
    f->feed = engine_.subscribe(
        [this, weak](const EventRecord& e) {
          if (auto follow = weak.lock()) deliver(*follow, e);
        },
        h.delivered_seq);
    follows_.emplace(h.id, std::move(f));
  }
}

void Deliverer::stop() {
  std::map<std::string, std::shared_ptr<Follow>> all;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    stopped_ = true;
    all.swap(follows_);
  }
  for (auto& [id, f] : all) {
    {
      std::lock_guard<std::mutex> fl(f->mutex);
      f->stopping = true;
    }
    f->cv.notify_all();
  }
  for (auto& [id, f] : all) {
    try {
      engine_.unsubscribe(f->feed);
    } catch (...) {
    }
  }
}

// On the hook's feed thread, every event in seq order.
void Deliverer::deliver(Follow& f, const EventRecord& e) {
  if (e.seq <= f.delivered) return;
  {
    std::lock_guard<std::mutex> lk(f.mutex);
    if (f.stopping) return;
  }
  const auto& kinds = f.hook.kinds;
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) {
    // Passed over; recorded now and then so that a restart need not read it again.
    f.delivered = e.seq;
    if (++f.unrecorded >= 1000) {
      f.unrecorded = 0;
      try {
        engine_.record_webhook(f.hook.id, f.delivered, f.failures, "", "");
      } catch (...) {
      }
    }
    return;
  }
  const std::string body = nlohmann::ordered_json::parse(events_json({e}, -1))[0].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::map<std::string, std::string> headers = {
      {"X-JReview-Signature", "sha256=" + hmac_sha256_hex(f.hook.secret, body)},
      {"X-JReview-Hook", f.hook.id},
      {"X-JReview-Seq", std::to_string(e.seq)},
      {"X-JReview-Kind", e.kind}};
  for (;;) {
    const std::string error = post_json(f.hook.url, body, headers, std::chrono::seconds(10));
    const std::string at = utc_now();
    if (error.empty()) {
      f.delivered = e.seq;
      f.failures = 0;
      f.unrecorded = 0;
      try {
        engine_.record_webhook(f.hook.id, f.delivered, 0, "", at);
      } catch (...) {
      }
      return;
    }
    ++f.failures;
    try {
      engine_.record_webhook(f.hook.id, f.delivered, f.failures, error, at);
    } catch (...) {
    }
    if (notice_) notice_("webhook " + f.hook.id + " (" + f.hook.url + "): event " + std::to_string(e.seq) + ": " + error);
    // 1, 2, 4 ... times the base, at most a minute; cut short by stop().
    const auto wait = std::min<std::chrono::milliseconds>(
        retry_base_ * (1LL << std::min<std::int64_t>(f.failures - 1, 20)), std::chrono::milliseconds(60000));
    std::unique_lock<std::mutex> lk(f.mutex);
    if (f.cv.wait_for(lk, wait, [&] { return f.stopping; })) return;
  }
}

}  // namespace jointreview::server
