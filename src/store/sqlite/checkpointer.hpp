// Checkpoints of a SQLite file's WAL, run by a thread of the store's own
// instead of by the writer whose commit filled the WAL.
#ifndef CALLMEM_STORE_SQLITE_CHECKPOINTER_HPP
#define CALLMEM_STORE_SQLITE_CHECKPOINTER_HPP

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/connection.hpp"

namespace callmem::sqlite {

// SQLite checkpoints in the writer whose commit brings the WAL past 1000
// pages: that call pays the checkpoint's writes and two fsyncs (tens of
// milliseconds on a busy disk, the slowest 1 % of calls with several worker
// processes on one file, bench/multiprocess_bench.cpp). A connection watched
// here only asks for a checkpoint; a thread, started at the first request,
// runs it (PASSIVE: it never waits for, nor blocks, a writer) on a connection
// of its own. A thread that cannot be started leaves the checkpoint to the
// writer, as SQLite does; so does a WAL past kWriterPages, which the thread
// could not keep short while writers kept adding to it (the WAL starts over
// only at a writer's transaction that begins after a checkpoint caught up
// with every page, which writers back to back never leave time for): the
// writer then waits for the thread's checkpoint, if one is running, and
// runs one itself, as SQLite's writers always do. That one is short: the
// thread syncs the database file after its checkpoints that did not catch
// up, every kSyncPages pages (SQLite syncs it only in the one that does),
// so the writer's sync has only the last pages to write.
class Checkpointer {
 public:
  Checkpointer(std::string path, int busy_timeout_ms);
  ~Checkpointer();  // stops and joins the thread; after every watched connection is closed
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Replaces db's automatic checkpoint with a request to this thread.
  void watch(sqlite3* db);

  // WAL pages at which a checkpoint is asked for (SQLite's default), and at
  // which the writer runs it (a WAL of up to 64 MiB: at 4000 pages, writers
  // back to back ran one every 500 calls, bench/README.md).
  static constexpr int kPages = 1000;
  static constexpr int kWriterPages = 16384;
  // Past kPages, the thread is asked again only once the WAL has grown by
  // kStep pages since the last ask (or has started over), and at every
  // commit within kStep of kWriterPages: a checkpoint sorts the WAL's index
  // of every frame, however few are new (about 800 000 instructions at 2 500
  // frames), and syncs the file, so one per commit cost more than the
  // commits themselves (bench/README.md).
  static constexpr int kStep = 256;
  // How soon the thread checkpoints again, unasked, after a checkpoint
  // that got further but did not catch up with the WAL.
  static constexpr std::chrono::milliseconds kAgain{10};
  // The thread syncs the database file once its checkpoints that did not
  // catch up have copied this many WAL pages since its last sync. Every 256
  // pages, hot pages (a table's last leaf, the day's usage) were written to
  // the disk again and again: 20-35 % more CPU time for writers back to
  // back; every 4096, the writer's checkpoint had more to sync (a maximum
  // of 13-20 ms against 5-8 ms at 100 000 customers, bench/README.md).
  static constexpr int kSyncPages = 1024;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run() noexcept;
  // Checkpoints db in this thread, after the thread's checkpoint running.
  void checkpoint_here(sqlite3* db, const char* schema);
  void sync_database() noexcept;

  std::string path_;
  int busy_timeout_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  int asked_at_ = 0;           // the WAL's pages at the last ask
  std::atomic<int> pages_{0};  // the WAL's pages at the last commit
  int synced_ = 0;             // the thread's: WAL pages checkpointed at its last sync
  bool stopping_ = false;
  bool running_ = false;  // a checkpoint is running (the thread's or a writer's)
  bool failed_ = false;   // no thread: writers checkpoint
  std::thread thread_;
  std::unique_ptr<Connection> own_;  // the thread's
};

}  // namespace callmem::sqlite

#endif
