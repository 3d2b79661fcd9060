// A durable subscription (Engine::subscribe(fn, after_seq)): a thread of its
// own reads the event log from the database, in seq order, from the
// subscriber's cursor on, and calls the subscriber; the engine's thread only
// tells it how far the log has been committed. The database is the buffer:
// a slow subscriber falls behind and catches up by reading, nobody waits for
// it, and its memory is one page of rows.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "jointreview/engine.h"
#include "storage/store.h"

namespace jointreview::runtime {

class Feed {
 public:
  // Opens its own read-only connection to `database` (throws Error(storage)
  // when it cannot) and starts delivering the events after `after_seq`, up
  // to `head` and then as notify() moves the head on.
  Feed(const std::string& database, std::int64_t after_seq, std::int64_t head, Subscriber fn);
  ~Feed();
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  // The log is committed up to `seq` (called on the engine's thread).
  void notify(std::int64_t seq);
  // Asks the thread to end after the event being delivered; joins it unless
  // called from the subscriber itself (then the destructor joins).
  void stop();
  bool on_own_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  static constexpr std::size_t kPage = 512;  // rows read at a time

 private:
  void run();

  std::unique_ptr<storage::Store> store_;
  Subscriber fn_;
  std::mutex m_;
  std::condition_variable cv_;
  std::int64_t cursor_;  // the last seq delivered
  std::int64_t head_;    // the last seq committed
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace jointreview::runtime
