// A PostgreSQL transaction's batches of statements (store/postgres/batch.hpp).
#include "store/postgres/batch.hpp"

namespace callmem::postgres {

Batch::Batch(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write)
    : pool_(std::move(pool)), conn_(std::move(conn)), write_(write) {
  Pending begin;
  begin.text =
      write ? "BEGIN ISOLATION LEVEL READ COMMITTED" : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  queue_.push_back(std::move(begin));
}

void Batch::send(Sql id, std::vector<std::string> params, Handler on_result, std::optional<Error> refusal) {
  Pending p;
  if (id < kUnprepared)
    p.sql = id;
  else
    p.text = sql_text(id);
  p.params = std::move(params);
  p.on_result = std::move(on_result);
  p.refusal = std::move(refusal);
  queue_.push_back(std::move(p));
}

void Batch::lock(const std::string& tenant) {
  if (!write_ || locked_.count(tenant)) return;
  locked_.insert(tenant);
  send(kLock, {pool_->options().schema + ":" + tenant});
}

void Batch::flush(bool may_retry) {
  if (queue_.empty()) return;
  std::vector<Pending> batch = std::move(queue_);
  queue_.clear();
  const bool first = !sent_;
  sent_ = true;
  pool_->count_round_trip();
  try {
    run_pipeline(conn_->pg, batch);
  } catch (const Error& e) {
    if (!(first && may_retry && !conn_->ok())) throw;
    pool_->revive(conn_);
    pool_->count_round_trip();
    run_pipeline(conn_->pg, batch);
  }
}

void Batch::commit() {
  if (sent_ || queue_.size() > 1) {
    Pending c;
    c.text = "COMMIT";
    queue_.push_back(std::move(c));
    flush(false);
  }
  queue_.clear();
  conn_.end();
}

void Batch::abort() noexcept {
  queue_.clear();
  // A broken connection is closed: the server rolls its transaction back.
  if (sent_ && !conn_.broken()) {
    bool rolled_back = false;
    if (conn_->ok()) {
      try {
        std::vector<Pending> rollback(1);
        rollback[0].text = "ROLLBACK";
        pool_->count_round_trip();
        run_pipeline(conn_->pg, rollback);
        rolled_back = true;
      } catch (...) {
      }
    }
    if (!rolled_back) conn_.set_broken();  // its state on the server is unknown
  }
  conn_.end();
}

}  // namespace callmem::postgres
