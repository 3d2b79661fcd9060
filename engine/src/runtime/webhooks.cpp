// Webhooks: where `jreview serve` POSTs matching events (server/webhooks.cpp
// delivers them). The engine keeps the hooks and how far each one's
// delivery got, written by the writer thread in transactions of their own,
// read from memory under tokens_mutex_.
#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "runtime/engine_impl.h"
#include "runtime/working_time.h"

namespace jointreview {

namespace {

std::vector<std::string> split_kinds(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= s.size() && !s.empty()) {
    const auto at = s.find(',', from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + 1;
  }
  return out;
}

Webhook webhook_of(const storage::WebhookRecord& r) {
  return Webhook{r.id,      r.url,           split_kinds(r.kinds), r.secret,     r.created,
                 r.removed, r.delivered_seq, r.failures,           r.last_error, r.last_attempt};
}

nlohmann::ordered_json webhook_object(const Webhook& h, bool with_secret) {
  auto or_null = [](const std::string& v) {
    return v.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v);
  };
  nlohmann::ordered_json o = {{"id", h.id},
                              {"url", h.url},
                              {"kinds", h.kinds},
                              {"created", h.created},
                              {"removed", or_null(h.removed)},
                              {"delivered_seq", h.delivered_seq},
                              {"failures", h.failures},
                              {"last_error", or_null(h.last_error)},
                              {"last_attempt", or_null(h.last_attempt)}};
  if (with_secret) o["secret"] = h.secret;
  return o;
}

// http://HOST[:PORT]/PATH, printable ASCII.
bool plain_http_url(const std::string& url) {
  if (url.rfind("http://", 0) != 0 || url.size() > 2000) return false;
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f) return false;
  const std::string rest = url.substr(7);
  const auto slash = rest.find('/');
  const std::string host = rest.substr(0, slash);
  return !host.empty() && host.front() != ':' && host.find('@') == std::string::npos;
}

}  // namespace

std::string webhook_json(const Webhook& h, bool with_secret, int indent) {
  return webhook_object(h, with_secret).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string webhooks_json(const std::vector<Webhook>& all, int indent) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& h : all) a.push_back(webhook_object(h, false));
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace runtime {

Webhook EngineImpl::add_webhook(const std::string& url, const std::vector<std::string>& kinds,
                                const std::string& secret, std::int64_t from_seq) {
  refuse_if_read_only("add_webhook");
  if (!plain_http_url(url))
    throw Error(Error::Code::invalid_argument,
                "webhook URL '" + url + "' is not http://HOST[:PORT]/PATH (for https, put a relay or proxy on the "
                                        "receiving side; docs/serve.md#webhooks)",
                "bad_value");
  std::string joined;
  for (const auto& k : kinds) {
    if (k.empty() || k.find_first_not_of("abcdefghijklmnopqrstuvwxyz-_") != std::string::npos)
      throw Error(Error::Code::invalid_argument,
                  "event kind '" + k + "' is not a kind (notice, warning, overdue, action, refused ...)", "bad_value");
    joined += (joined.empty() ? "" : ",") + k;
  }
  if (secret.size() > 200)
    throw Error(Error::Code::invalid_argument, "a webhook secret is at most 200 bytes", "bad_value");
  storage::WebhookRecord rec;
  rec.url = url;
  rec.kinds = joined;
  rec.secret = secret.empty() ? random_hex(16) : secret;
  rec.created = format_local(clock_->now(), opt_.utc_offset_minutes);
  rec.delivered_seq = from_seq >= 0 ? from_seq : call([this] { return last_seq_; });
  std::unique_lock lk(tokens_mutex_);
  do {
    rec.id = "wh_" + random_hex(6);
  } while (std::any_of(webhooks_.begin(), webhooks_.end(), [&](const auto& h) { return h.id == rec.id; }));
  on_writer([&] {
    store_->put_webhook(rec);
    return 0;
  });
  webhooks_.push_back(rec);
  return webhook_of(rec);
}

std::vector<Webhook> EngineImpl::webhooks() {
  std::shared_lock lk(tokens_mutex_);
  std::vector<Webhook> out;
  for (const auto& r : webhooks_) out.push_back(webhook_of(r));
  return out;
}

Webhook EngineImpl::remove_webhook(const std::string& id) {
  refuse_if_read_only("remove_webhook");
  std::unique_lock lk(tokens_mutex_);
  auto it = std::find_if(webhooks_.begin(), webhooks_.end(), [&](const auto& h) { return h.id == id; });
  if (it == webhooks_.end())
    throw Error(Error::Code::not_found, "no webhook '" + id + "' (jreview webhook list shows the ids)",
                "unknown_webhook");
  if (it->removed.empty()) {
    storage::WebhookRecord rec = *it;
    rec.removed = format_local(clock_->now(), opt_.utc_offset_minutes);
    on_writer([&] {
      store_->put_webhook(rec);
      return 0;
    });
    *it = rec;
  }
  return webhook_of(*it);
}

void EngineImpl::record_webhook(const std::string& id, std::int64_t delivered_seq, std::int64_t failures,
                                const std::string& last_error, const std::string& last_attempt) {
  refuse_if_read_only("record_webhook");
  std::unique_lock lk(tokens_mutex_);
  auto it = std::find_if(webhooks_.begin(), webhooks_.end(), [&](const auto& h) { return h.id == id; });
  if (it == webhooks_.end())
    throw Error(Error::Code::not_found, "no webhook '" + id + "'", "unknown_webhook");
  storage::WebhookRecord rec = *it;
  rec.delivered_seq = std::max(rec.delivered_seq, delivered_seq);
  rec.failures = failures;
  rec.last_error = last_error;
  rec.last_attempt = last_attempt;
  on_writer([&] {
    store_->put_webhook(rec);
    return 0;
  });
  *it = rec;
}

}  // namespace runtime
}  // namespace jointreview
