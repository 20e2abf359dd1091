// The SQLite store's pool of connections and its writers' turns
// (store/sqlite/pool.hpp).
#include "store/sqlite/pool.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "callmem/error.hpp"
#include "store/sqlite/schema.hpp"

namespace callmem {

void WriterTurn::end() noexcept {
  if (pool_) std::exchange(pool_, nullptr)->give_turn();
}

namespace {

// A page cache of cache_mb MiB for this connection (a negative cache_size is
// in KiB); 0 keeps SQLite's default.
std::unique_ptr<sqlite::Connection> with_cache(std::unique_ptr<sqlite::Connection> c, int cache_mb) {
  if (cache_mb > 0)
    sqlite::exec(c->db, ("PRAGMA cache_size = -" + std::to_string(std::int64_t{cache_mb} * 1024)).c_str(),
                 "set cache_size");
  return c;
}

}  // namespace

SqliteStore::Pool::Pool(std::string path, int busy_timeout_ms, int cache_mb)
    : path_(std::move(path)),
      busy_timeout_ms_(busy_timeout_ms),
      cache_mb_(cache_mb),
      memory_(path_ == ":memory:"),
      checkpointer_(memory_ || sqlite::sqlite_defaults()
                        ? nullptr
                        : std::make_unique<sqlite::Checkpointer>(path_, busy_timeout_ms)),
      slots_(memory_ ? 1 : std::numeric_limits<std::size_t>::max(),
             "sqlite: the in-memory database is busy") {
  auto first = sqlite::open_connection(path_, busy_timeout_ms_, memory_, false);
  sqlite::open_schema(*first, path_, busy_timeout_ms_, memory_);
  first = with_cache(std::move(first), cache_mb_);
  if (checkpointer_) checkpointer_->watch(first->db);
  slots_.add(std::move(first));
}

sqlite::Lease SqliteStore::Pool::acquire(const std::shared_ptr<Pool>& pool) {
  Pool& p = *pool;
  // A file's connections are never all in use (a new one opens); the
  // in-memory database's one is waited for as SQLite waits for a lock.
  sqlite::Lease c(pool, p.slots_.take(std::chrono::milliseconds(p.busy_timeout_ms_)));
  if (!c) {
    c.reset(with_cache(sqlite::open_connection(p.path_, p.busy_timeout_ms_, p.memory_), p.cache_mb_));
    if (p.checkpointer_) p.checkpointer_->watch(c->db);
  }
  return c;
}

void SqliteStore::Pool::give_back(std::unique_ptr<sqlite::Connection> c, bool broken) noexcept {
  if (c && sqlite3_get_autocommit(c->db) == 0) {
    sqlite3_stmt*& rollback = c->stmts[kRollback];
    if (rollback == nullptr)
      sqlite3_prepare_v3(c->db, sqlite::sql_text(kRollback), -1, SQLITE_PREPARE_PERSISTENT, &rollback,
                         nullptr);
    if (rollback != nullptr) {
      sqlite3_step(rollback);
      sqlite3_reset(rollback);
    }
    broken = broken || sqlite3_get_autocommit(c->db) == 0;
  }
  if (c && broken && !memory_) c.reset();  // closed outside the lock
  slots_.put(std::move(c));
}

WriterTurn SqliteStore::Pool::writer_turn() {
  std::unique_lock<std::mutex> lock(turns_mutex_);
  if (!writing_ && waiting_.empty()) {
    writing_ = true;
    return WriterTurn(this);
  }
  Waiter me;  // woken alone when its turn comes
  waiting_.push_back(&me);
  if (!me.wake.wait_for(lock, std::chrono::milliseconds(busy_timeout_ms_), [&] { return me.granted; })) {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &me));
    throw Error(Status::busy, "sqlite: the database is busy: this process's other writers held it too long");
  }
  return WriterTurn(this);
}

void SqliteStore::Pool::give_turn() noexcept {
  const std::lock_guard<std::mutex> lock(turns_mutex_);
  if (waiting_.empty()) {
    writing_ = false;
    return;
  }
  Waiter* next = waiting_.front();
  waiting_.pop_front();
  next->granted = true;
  next->wake.notify_one();  // under the lock: `next` lives until it has it again
}

}  // namespace callmem
