// Pooled connections as objects. Slots: a pool's connections, at most `max`
// open, the free ones kept for reuse. Lease: one connection taken from its
// pool, which holds one slot and gives the connection back when it ends, or
// forgets it (closing it and freeing the slot) when it was found broken.
// Ending a lease never throws, so an exception anywhere between taking a
// connection and using it cannot lose a slot, and a transaction's abort can
// always end.
#ifndef CALLMEM_STORE_LEASE_HPP
#define CALLMEM_STORE_LEASE_HPP

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "callmem/error.hpp"

namespace callmem {

template <typename Connection>
class Slots {
 public:
  // `busy`: the Status::busy message of a take that waited too long.
  Slots(std::size_t max, std::string busy) : max_(max), busy_(std::move(busy)) {}

  // The first connection, made by the pool as it opens.
  void add(std::unique_ptr<Connection> c) {
    free_.reserve(open_ + 1);
    free_.push_back(std::move(c));
    ++open_;
  }

  // A free connection, or null with a slot taken for a new one. While all
  // `max` are in use it waits up to `timeout`, then throws Status::busy.
  std::unique_ptr<Connection> take(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (free_.empty() && open_ >= max_ &&
        !available_.wait_for(lock, timeout, [&] { return !free_.empty() || open_ < max_; }))
      throw Error(Status::busy, busy_);
    if (free_.empty()) {
      free_.reserve(open_ + 1);  // room to give it back without allocating
      ++open_;
      return nullptr;
    }
    std::unique_ptr<Connection> c = std::move(free_.back());
    free_.pop_back();
    return c;
  }

  // Takes a connection back; null frees its slot.
  void put(std::unique_ptr<Connection> c) noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (c)
        free_.push_back(std::move(c));  // within the room reserved
      else
        --open_;
    }
    available_.notify_one();
  }

 private:
  const std::size_t max_;
  const std::string busy_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;
  std::size_t open_ = 0;  // connections pooled or leased, and slots taken for new ones
};

// Pool::give_back(std::unique_ptr<Connection>, bool broken) noexcept takes
// the connection (null: the slot was taken but no connection made).
template <typename Pool, typename Connection>
class Lease {
 public:
  Lease() = default;
  Lease(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> c) noexcept
      : pool_(std::move(pool)), c_(std::move(c)) {}
  Lease(Lease&& o) noexcept
      : pool_(std::move(o.pool_)), c_(std::move(o.c_)), broken_(std::exchange(o.broken_, false)) {}
  Lease& operator=(Lease&& o) noexcept {
    end();
    pool_ = std::move(o.pool_);
    c_ = std::move(o.c_);
    broken_ = std::exchange(o.broken_, false);
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { end(); }

  // Whether the lease holds a connection (it does until it ends).
  explicit operator bool() const noexcept { return c_ != nullptr; }
  Connection& operator*() const noexcept { return *c_; }
  Connection* operator->() const noexcept { return c_.get(); }
  // Puts a new connection in the slot.
  void reset(std::unique_ptr<Connection> c) noexcept { c_ = std::move(c); }

  // The connection cannot be trusted (any more, or yet): it is closed, not
  // given back.
  void set_broken() noexcept { broken_ = true; }
  void set_healthy() noexcept { broken_ = false; }
  bool broken() const noexcept { return broken_; }

  // Gives the connection back to its pool now, or forgets it when broken.
  void end() noexcept {
    if (pool_) std::exchange(pool_, nullptr)->give_back(std::move(c_), std::exchange(broken_, false));
  }

 private:
  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> c_;
  bool broken_ = false;
};

}  // namespace callmem

#endif
