// A connection of the PostgreSQL store, in libpq's pipeline mode: values to
// and from the server's text, statements waiting to be sent (Pending) and one
// round trip that sends them (run_pipeline), and how the server's failures
// become callmem::Error.
#ifndef CALLMEM_STORE_POSTGRES_CONNECTION_HPP
#define CALLMEM_STORE_POSTGRES_CONNECTION_HPP

#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "store/columns.hpp"
#include "store/postgres/libpq.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/statements.hpp"

namespace callmem::postgres {

// Status::busy for a SQLSTATE that means "try again" (a lock not granted in
// time, a deadlock or serialization failure, the server going away or not
// there yet), else Status::store.
// The SQL text of a statement (statements.cpp); nullptr for one this store
// does not use.
const char* sql_text(Sql id);

[[noreturn]] void fail(const std::string& state, const std::string& message);

// Numbers go to and from the server as text, with std::to_chars and
// std::from_chars: never through the C locale, which a host may have set to
// one that writes 0.9 as "0,9" (and reads "0.95" as 0).
std::string text_of(std::int64_t v);
std::string text_of(double v);

// The whole text as a number; a store error when it is not one.
template <typename T>
T number_of(const char* text, std::size_t size) {
  T v{};
  const auto [end, ec] = std::from_chars(text, text + size, v);
  if (ec != std::errc() || end != text + size)
    throw Error(Status::store, "postgres: not a number: \"" + std::string(text, size) + "\"");
  return v;
}

// A text[] literal: {"a","b\"c"}.
std::string array_of(const std::vector<std::string>& items);

// Identifiers as three text[] literals: their types, keys and values.
std::vector<std::string> arrays_of(const std::vector<Identifier>& ids);

// A statement's parameters, bound in order (the binders of store/columns.hpp).
struct Params {
  std::vector<std::string> values;
  Params& text(const std::string& v) {
    values.push_back(v);
    return *this;
  }
  Params& answer(const std::string& v) { return text(v); }  // kept as text
  Params& i64(std::int64_t v) {
    values.push_back(text_of(v));
    return *this;
  }
  Params& u64(std::uint64_t v) { return i64(static_cast<std::int64_t>(v)); }
  Params& real(double v) {
    values.push_back(text_of(v));
    return *this;
  }
  Params& boolean(bool v) {
    values.push_back(v ? "true" : "false");
    return *this;
  }
};

// One row of a result, read by column.
class Row {
 public:
  Row(const PGresult* r, int i) : r_(r), i_(i) {}
  std::string col_text(int c) const {
    return std::string(pq().PQgetvalue(r_, i_, c), static_cast<std::size_t>(pq().PQgetlength(r_, i_, c)));
  }
  std::string col_answer(int c) const { return col_text(c); }
  std::int64_t col_i64(int c) const { return number_of<std::int64_t>(pq().PQgetvalue(r_, i_, c), length(c)); }
  double col_real(int c) const { return number_of<double>(pq().PQgetvalue(r_, i_, c), length(c)); }
  bool col_bool(int c) const { return pq().PQgetvalue(r_, i_, c)[0] == 't'; }

 private:
  std::size_t length(int c) const { return static_cast<std::size_t>(pq().PQgetlength(r_, i_, c)); }
  const PGresult* r_;
  int i_;
};

// What reads a statement's result.
using Handler = std::function<void(const PGresult*)>;

// Calls f with a cursor on each row.
template <typename F>
Handler rows(F f) {
  return [f](const PGresult* r) {
    for (int i = 0, n = pq().PQntuples(r); i < n; ++i) {
      const Row row(r, i);
      f(Cursor<Row>(row));
    }
  };
}

// Stores the number of rows the statement changed.
Handler changed(std::int64_t& out);

// One statement waiting to be sent: a prepared one (by Sql) or a text.
struct Pending {
  int sql = -1;  // a Sql, or -1 for `text`
  const char* text = nullptr;
  std::vector<std::string> params;
  Handler on_result;  // null: nothing to read but success
  // Its division by zero (SQLSTATE 22012) is this error instead
  // (kBalanceDebit's refusal).
  std::optional<Error> refusal;
};

struct Connection {
  PGconn* pg = nullptr;
  WeightsMemo weights;  // the last tenant row's identity weights, parsed
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (pg) pq().PQfinish(pg);
  }
  bool ok() const { return pg && pq().PQstatus(pg) == CONNECTION_OK; }
};

// A message without its trailing newline.
std::string trimmed(const char* s);

// The connection's last error, trimmed.
std::string conn_error(PGconn* pg);

// Runs one plain statement outside pipeline mode (setup and migration).
void exec(PGconn* pg, const std::string& sql);

// Sends the queue and a sync, and reads every result (one round trip). The
// first error (or its statement's refusal) is thrown once all results are read, the connection left in
// pipeline mode and usable (its transaction, if any, aborted). A lost
// connection is reported with the state "08006".
void run_pipeline(PGconn* pg, std::vector<Pending>& queue);

// Connects `c` (a new connection, or one the server dropped: it is closed
// first). Throws Status::busy "cannot <verb>: <why>" when the server cannot
// be reached.
void dial(Connection& c, const std::string& dsn, const char* verb);

// The session's settings, pipeline mode, and every statement prepared (one
// round trip).
void set_up(PGconn* pg, const PgOptions& o);

}  // namespace callmem::postgres

#endif
