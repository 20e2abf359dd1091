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
  auto& self = *static_cast<Checkpointer*>(arg);
  self.pages_.store(pages, std::memory_order_relaxed);
  if (pages < kPages) return SQLITE_OK;
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
  bool behind = false;  // the last checkpoint got further, and left pages of the WAL
  int last = 0;         // WAL pages checkpointed after the last one
  for (;;) {
    const auto asked = [this] { return (wanted_ && !running_) || stopping_; };
    // Behind, again after kAgain without being asked: the WAL starts over
    // only after a checkpoint has caught up with all of it, which a pause
    // of the writers allows.
    if (!(behind ? wake_.wait_for(lock, kAgain, asked) : (wake_.wait(lock, asked), true)) && running_)
      continue;
    if (stopping_) break;
    wanted_ = false;
    running_ = true;
    lock.unlock();
    int log = 0, done = 0;
    try {
      if (!own_) own_ = open_connection(path_, busy_timeout_ms_, false);
      // Pages a reader still needs stay for a later one; the last
      // connection's close checkpoints whatever is left.
      if (sqlite3_wal_checkpoint_v2(own_->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK)
        done = 0;
    } catch (...) {
      // Not opened (out of memory, file gone): asked again at the next commit past kPages.
    }
    lock.lock();
    running_ = false;
    wake_.notify_all();  // a writer waiting to checkpoint
    // Not again unasked when it got no further: a reader holds the rest,
    // or another process's writers took the WAL (pages_ counts this
    // process's commits only).
    behind = done > 0 && done != last && done < pages_.load(std::memory_order_relaxed);
    last = done;
    if (!behind || done < synced_) {
      synced_ = 0;  // caught up (SQLite synced), or the WAL started over
    } else if (done - synced_ >= kSyncPages) {
      synced_ = done;
      lock.unlock();
      sync_database();
      lock.lock();
    }
  }
  lock.unlock();
  own_.reset();
}

// SQLite syncs the database file only in a checkpoint that catches up with
// the whole WAL; that sync then writes every page the ones before it
// copied (tens of milliseconds, in a writer's call when the writer runs it,
// past kWriterPages). Synced here once kSyncPages more were checkpointed,
// outside the checkpoint (a writer's own need not wait for it), the last
// one has only the last pages to write.
void Checkpointer::sync_database() noexcept {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(own_->db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
      file != nullptr && file->pMethods != nullptr)
    file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);  // a failure is for the next checkpoint to report
}

}  // namespace callmem::sqlite
