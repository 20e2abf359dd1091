// Where callmem reads "now". Injected, so TTL and recency are tested without sleeping.
#ifndef CALLMEM_CLOCK_HPP
#define CALLMEM_CLOCK_HPP

#include <atomic>
#include <memory>

#include "callmem/types.hpp"

namespace callmem {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now() const = 0;  // milliseconds since the Unix epoch, UTC
};

// The system's wall clock.
std::shared_ptr<Clock> system_clock();

// A clock that moves only when told to; safe from many threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start) : now_(start) {}
  Millis now() const override { return now_.load(); }
  void set(Millis t) { now_.store(t); }
  void advance(Millis d) { now_.fetch_add(d); }

 private:
  std::atomic<Millis> now_;
};

}  // namespace callmem

#endif
