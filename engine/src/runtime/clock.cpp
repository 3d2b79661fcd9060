// The clocks the engine reads: the system clock and FakeClock (engine.h).
#include <mutex>

#include "jointreview/engine.h"
#include "runtime/working_time.h"

namespace jointreview {

namespace {
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};
}  // namespace

std::shared_ptr<Clock> system_clock() {
  static auto c = std::make_shared<SystemClock>();
  return c;
}

struct FakeClock::Impl {
  mutable std::mutex m;
  time_point t;
};

FakeClock::FakeClock(time_point start) : impl_(std::make_shared<Impl>()) { impl_->t = start; }

std::shared_ptr<FakeClock> FakeClock::at(const std::string& local_time, int utc_offset_minutes) {
  return std::make_shared<FakeClock>(parse_local_time(local_time, utc_offset_minutes));
}

Clock::time_point FakeClock::now() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->t;
}

void FakeClock::set(time_point t) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->t = t;
}

void FakeClock::advance(std::chrono::seconds d) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->t += d;
}

}  // namespace jointreview
