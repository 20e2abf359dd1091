// What both kinds of SQLite transaction are made of (transaction.cpp, on one
// tenant; across.cpp, across tenants): one connection leased from the pool,
// inside BEGIN (a reader) or BEGIN IMMEDIATE (a writer, in its turn), and the
// helpers that run one prepared statement each. Any failure rolls the whole
// transaction back at once and gives the connection back; further calls are
// refused with Status::store.
#ifndef CALLMEM_STORE_SQLITE_WORK_HPP
#define CALLMEM_STORE_SQLITE_WORK_HPP

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "callmem/error.hpp"
#include "store/sqlite/pool.hpp"

namespace callmem::sqlite {

class Work {
 public:
  Work(Lease conn, WriterTurn turn) : turn_(std::move(turn)), conn_(std::move(conn)) {}

  void commit() {
    guarded([&] { Stmt(*conn_, kCommit).run(); });
    conn_.end();
    turn_.end();  // the next writer goes while this one writes its answer
  }

 protected:
  // Runs one method's statements. Any failure rolls the whole transaction
  // back and gives the connection back, so nothing partial can be committed.
  template <typename F>
  auto guarded(F&& body) -> decltype(body()) {
    if (!conn_) throw Error(Status::store, "sqlite: the transaction has already ended");
    try {
      return body();
    } catch (...) {
      conn_.end();  // the pool rolls it back
      throw;
    }
  }

  // Runs a statement that returns no rows, its parameters bound by `bind`;
  // the number of rows it changed.
  template <typename Bind>
  std::int64_t exec(Sql id, Bind&& bind) {
    return guarded([&] {
      Stmt s(*conn_, id);
      bind(s);
      return s.run();
    });
  }

  // The same with `params` bound in order.
  template <typename... P>
  std::int64_t run(Sql id, const P&... params) {
    return exec(id, [&](Stmt& s) { put_all(s, params...); });
  }

  // Every row of a statement, as `read` reads it from its cursor.
  template <typename Out, typename Read, typename... P>
  std::vector<Out> all(Sql id, Read&& read, const P&... params) {
    return guarded([&] {
      std::vector<Out> out;
      Stmt s(*conn_, id);
      put_all(s, params...);
      while (s.step()) out.push_back(read(s.row()));
      return out;
    });
  }

  // The first row of a statement, if any.
  template <typename Out, typename Read, typename... P>
  std::optional<Out> first(Sql id, Read&& read, const P&... params) {
    return guarded([&]() -> std::optional<Out> {
      Stmt s(*conn_, id);
      put_all(s, params...);
      if (!s.step()) return std::nullopt;
      return read(s.row());
    });
  }

  Connection& connection() { return *conn_; }

 private:
  WriterTurn turn_;  // a writer's turn in this process; none for a reader
  Lease conn_;       // ends (rolled back, given back) before the turn does
};

}  // namespace callmem::sqlite

#endif
