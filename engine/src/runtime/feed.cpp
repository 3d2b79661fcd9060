// Durable subscriptions (feed.h).
#include "runtime/feed.h"

#include <chrono>
#include <vector>

namespace jointreview::runtime {

Feed::Feed(const std::string& database, std::int64_t after_seq, std::int64_t head, Subscriber fn)
    : store_(storage::open_sqlite_store(database, "full", true)),
      fn_(std::move(fn)),
      cursor_(after_seq),
      head_(head) {
  thread_ = std::thread([this] { run(); });
}

Feed::~Feed() {
  stop();
  if (thread_.joinable()) {
    if (std::this_thread::get_id() == thread_.get_id())
      thread_.detach();  // the last owner let go inside the subscriber: the thread ends on its own
    else
      thread_.join();
  }
}

void Feed::notify(std::int64_t seq) {
  {
    std::lock_guard<std::mutex> lk(m_);
    if (seq <= head_) return;
    head_ = seq;
  }
  cv_.notify_one();
}

void Feed::stop() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Feed::run() {
  std::vector<EventRecord> page;
  for (;;) {
    std::int64_t from;
    {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return stop_ || head_ > cursor_; });
      if (stop_) return;
      from = cursor_;
    }
    try {
      page = store_->events_after(from, kPage);
    } catch (const std::exception&) {
      page.clear();  // the database is busy or failing: tried again shortly
    }
    if (page.empty()) {
      // Committed but not visible yet, or a read that failed: look again
      // soon rather than spin.
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait_for(lk, std::chrono::milliseconds(20), [&] { return stop_; });
      if (stop_) return;
      continue;
    }
    for (const EventRecord& e : page) {
      {
        std::lock_guard<std::mutex> lk(m_);
        if (stop_) return;
      }
      try {
        fn_(e);
      } catch (...) {
        // A subscriber's failure never affects the feed or the engine.
      }
      std::lock_guard<std::mutex> lk(m_);
      cursor_ = e.seq;
      if (head_ < cursor_) head_ = cursor_;  // rows committed before the engine told us
    }
  }
}

}  // namespace jointreview::runtime
