// A PostgreSQL transaction's statements on its leased connection: queued,
// and sent in pipelined batches (writes that return nothing wait for the
// next read or COMMIT), with BEGIN first and the locks before a writer's
// first statement on what they cover (locks.hpp); a failed first batch is sent
// again once on a revived connection; an abort rolls back what reached the
// server, and the connection goes back to the pool, or is forgotten when it
// cannot be trusted.
#ifndef CALLMEM_STORE_POSTGRES_BATCH_HPP
#define CALLMEM_STORE_POSTGRES_BATCH_HPP

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/pool.hpp"

namespace callmem::postgres {

// The parameters of a statement, in order, as the server's text.
template <typename... V>
std::vector<std::string> params(const V&... v) {
  Params p;
  put_all(p, v...);
  return std::move(p.values);
}

class Batch {
 public:
  Batch(std::shared_ptr<PgStore::Pool> pool, Lease conn, bool write);

  // Whether the transaction has ended (committed or aborted).
  bool ended() const { return !conn_; }
  // Runs one method's statements: refused once the transaction has ended,
  // and any failure aborts it.
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (ended()) throw Error(Status::store, "postgres: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      abort();
      throw;
    }
  }
  Connection& connection() const { return *conn_; }
  const PgOptions& options() const { return pool_->options(); }

  // Queues a statement (prepared, but for the operators' reads);
  // `on_result` reads its result; a division by zero in it is `refusal`.
  void send(Sql id, std::vector<std::string> params, Handler on_result = nullptr,
            std::optional<Error> refusal = std::nullopt);
  // Sends one read now and answers what `read` made of its rows.
  template <typename Out, typename Read>
  Out read(Sql id, std::vector<std::string> params, Read&& reader) {
    Out out{};
    send(id, std::move(params), rows([&](auto&& c) { reader(out, c); }));
    flush(true);
    return out;
  }
  // A write transaction across tenants takes the tenant's lock before its
  // first statement on it (a transaction on one tenant: locks.hpp).
  void lock(const std::string& tenant);

  // Sends what is queued and reads the results (one round trip). A batch
  // that is the transaction's first and holds no COMMIT is sent again once
  // on a revived connection when the server dropped the old one: nothing of
  // it can have taken effect.
  void flush(bool may_retry);

  // COMMIT (nothing is sent when nothing reached the server but BEGIN), and
  // the connection goes back.
  void commit();
  // Rolls back what reached the server, and ends the lease.
  void abort() noexcept;

 private:
  std::shared_ptr<PgStore::Pool> pool_;
  Lease conn_;
  bool write_;
  bool sent_ = false;
  std::vector<Pending> queue_;
  std::set<std::string> locked_;
};

}  // namespace callmem::postgres

#endif
