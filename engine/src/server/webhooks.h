// Webhook delivery (docs/serve.md#webhooks): each active hook follows the
// engine's durable feed from its delivered_seq on, on the feed's own
// thread, and POSTs every event of its kinds, one at a time, in seq order,
// signed with HMAC-SHA256; a failed POST is retried with a doubling delay
// until it succeeds or the server stops. Progress is recorded after each
// delivery, so a restart resumes there: at least once, in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "jointreview/engine.h"

namespace jointreview::server {

// HMAC-SHA256 of `body` with `key`, hex.
std::string hmac_sha256_hex(const std::string& key, const std::string& body);

// One POST of `body` to an http:// URL; "" when answered 2xx, else what went wrong.
std::string post_json(const std::string& url, const std::string& body,
                      const std::map<std::string, std::string>& headers, std::chrono::milliseconds timeout);

class Deliverer {
 public:
  Deliverer(Engine& engine, std::chrono::milliseconds retry_base, std::function<void(const std::string&)> notice);
  ~Deliverer();
  // Follows every active hook not yet followed; lets go of removed ones.
  void sync();
  void stop();

 private:
  struct Follow;
  void deliver(Follow& f, const EventRecord& e);
  Engine& engine_;
  std::chrono::milliseconds retry_base_;
  std::function<void(const std::string&)> notice_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Follow>> follows_;  // by hook id
  bool stopped_ = false;
};

}  // namespace jointreview::server
