// The SQLite store's WAL checkpoints, off the writers' calls
// (store/sqlite/checkpointer.hpp).
#include "store/sqlite/checkpointer.hpp"

#include <system_error>
#include <utility>

namespace callmem::sqlite {

Checkpointer::Checkpointer(std::string path, int busy_timeout_ms)
    : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::watch(sqlite3* db) { sqlite3_wal_hook(db, &Checkpointer::on_commit, this); }

int Checkpointer::on_commit(void* arg, sqlite3* db, const char* schema, int pages) {
  if (pages < kPages) return SQLITE_OK;
  auto& self = *static_cast<Checkpointer*>(arg);
  bool inline_checkpoint = false;
  {
    std::lock_guard<std::mutex> lock(self.mutex_);
    if (!self.thread_.joinable() && !self.failed_) {
      try {
        self.thread_ = std::thread([&self] { self.run(); });
      } catch (const std::system_error&) {
        self.failed_ = true;
      }
    }
    inline_checkpoint = self.failed_;
    self.wanted_ = true;
  }
  if (inline_checkpoint) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else {
    self.wake_.notify_one();
  }
  return SQLITE_OK;  // the commit itself succeeded either way
}

void Checkpointer::run() noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) break;
    wanted_ = false;
    lock.unlock();
    try {
      if (!own_) own_ = open_connection(path_, busy_timeout_ms_, false);
      // Pages a reader still needs stay for the next one; the last
      // connection's close checkpoints whatever is left.
      sqlite3_wal_checkpoint_v2(own_->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (...) {
      // Not opened (out of memory, file gone): asked again at the next commit past kPages.
    }
    lock.lock();
  }
  lock.unlock();
  own_.reset();
}

}  // namespace callmem::sqlite
