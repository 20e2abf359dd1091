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
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::watch(sqlite3* db) { sqlite3_wal_hook(db, &Checkpointer::on_commit, this); }

int Checkpointer::on_commit(void* arg, sqlite3* db, const char* schema, int pages) {
  if (pages < kPages) return SQLITE_OK;
  auto& self = *static_cast<Checkpointer*>(arg);
  bool here = pages >= kWriterPages;
  {
    std::lock_guard<std::mutex> lock(self.mutex_);
    if (!here && !self.thread_.joinable() && !self.failed_) {
      try {
        self.thread_ = std::thread([&self] { self.run(); });
      } catch (const std::system_error&) {
        self.failed_ = true;
      }
    }
    here = here || self.failed_;
    if (!here) {
      // Within kStep of kWriterPages, at every commit: what the writer
      // there checkpoints itself is then what came since the last one.
      if (pages >= self.asked_at_ && pages - self.asked_at_ < kStep && pages < kWriterPages - kStep)
        return SQLITE_OK;
      self.asked_at_ = pages;
      self.wanted_ = true;
    }
  }
  if (here)
    self.checkpoint_here(db, schema);
  else
    self.wake_.notify_all();
  return SQLITE_OK;  // the commit itself succeeded either way
}

void Checkpointer::checkpoint_here(sqlite3* db, const char* schema) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return !running_; });
    running_ = true;
  }
  sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
  }
  wake_.notify_all();
}

void Checkpointer::run() noexcept {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return (wanted_ && !running_) || stopping_; });
    if (stopping_) break;
    wanted_ = false;
    running_ = true;
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
    running_ = false;
    wake_.notify_all();  // a writer waiting to checkpoint
  }
  lock.unlock();
  own_.reset();
}

}  // namespace callmem::sqlite
