// The SQLite store's connections: a pool of them (as many as threads use at
// once; one for ":memory:"), and the turns the writers of one process take.
#ifndef CALLMEM_STORE_SQLITE_POOL_HPP
#define CALLMEM_STORE_SQLITE_POOL_HPP

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "store/lease.hpp"
#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace callmem {

namespace sqlite {
using Lease = callmem::Lease<SqliteStore::Pool, Connection>;
}

// A writer's turn (Pool::writer_turn), given to the next writer when it ends.
class WriterTurn {
 public:
  WriterTurn() = default;
  explicit WriterTurn(SqliteStore::Pool* pool) : pool_(pool) {}
  WriterTurn(WriterTurn&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)) {}
  WriterTurn& operator=(WriterTurn&& o) noexcept {
    end();
    pool_ = std::exchange(o.pool_, nullptr);
    return *this;
  }
  ~WriterTurn() { end(); }
  void end() noexcept;

 private:
  SqliteStore::Pool* pool_ = nullptr;
};

class SqliteStore::Pool {
 public:
  // Opens the first connection, checks the file and migrates it. cache_mb:
  // each connection's page cache in MiB (0: SQLite's default).
  Pool(std::string path, int busy_timeout_ms, int cache_mb = 0);

  // A free connection, or a new one. The in-memory database's one connection
  // is waited for up to the busy timeout (Status::busy after it).
  static sqlite::Lease acquire(const std::shared_ptr<Pool>& pool);

  // Takes a connection back. One left inside a transaction is rolled back
  // first; one still stuck in it, or broken, is closed, never pooled (but the
  // in-memory one, which is the database, is kept).
  void give_back(std::unique_ptr<sqlite::Connection> c, bool broken) noexcept;

  // Writers of this process take turns here before BEGIN IMMEDIATE, in the
  // order they came, so that they queue instead of polling the file's lock
  // through the busy handler (the slowest 1 % of starts under 16 threads).
  // Writers of other processes still meet at the file's lock, with the busy
  // timeout (sqlite::busy_handler).
  WriterTurn writer_turn();
  // The turn goes to the writer waiting longest.
  void give_turn() noexcept;

 private:
  std::string path_;
  int busy_timeout_ms_;
  int cache_mb_;
  bool memory_;
  // A file's WAL checkpoints (null for ":memory:", and with SQLite's own
  // waiting and checkpoints, sqlite::use_sqlite_defaults); declared before
  // the connections it watches, so that it outlives them.
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  Slots<sqlite::Connection> slots_;  // one for ":memory:" (it is the database)
  struct Waiter {
    std::condition_variable wake;
    bool granted = false;
  };
  std::mutex turns_mutex_;
  bool writing_ = false;         // a writer of this process has its turn
  std::deque<Waiter*> waiting_;  // the others, first come first
};

}  // namespace callmem

#endif
