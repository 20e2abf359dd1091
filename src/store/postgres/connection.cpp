// The PostgreSQL store's connections: values as the server's text, one
// pipelined round trip, setting a connection up, and the server's failures as
// callmem::Error (store/postgres/connection.hpp).
#include "store/postgres/connection.hpp"

#include <cstring>
#include <utility>

namespace callmem::postgres {

// SQLSTATEs that mean "try again": the lock was not granted in time, a
// deadlock or serialization failure, the server going away or not there yet.
namespace {

bool transient(const std::string& state) {
  return state == "55P03" || state == "40001" || state == "40P01" || state == "57P01" || state == "57P02" ||
         state == "57P03" || state == "57014" || state.rfind("08", 0) == 0;
}

}  // namespace

[[noreturn]] void fail(const std::string& state, const std::string& message) {
  throw Error(transient(state) ? Status::busy : Status::store, "postgres: " + message);
}

std::string trimmed(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

std::string text_of(std::int64_t v) {
  char buf[24];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
std::string text_of(double v) {
  char buf[32];  // the shortest text that reads back as the same double
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// A text[] literal: {"a","b\"c"}.
std::string array_of(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// Stores the number of rows the statement changed.
std::vector<std::string> arrays_of(const std::vector<Identifier>& ids) {
  std::vector<std::string> types, keys, values;
  for (const Identifier& id : ids) {
    types.push_back(id.type);
    keys.push_back(id.key);
    values.push_back(id.value);
  }
  return {array_of(types), array_of(keys), array_of(values)};
}

Handler changed(std::int64_t& out) {
  return [&out](const PGresult* r) {
    const char* n = pq().PQcmdTuples(const_cast<PGresult*>(r));
    out = *n ? number_of<std::int64_t>(n, std::strlen(n)) : 0;
  };
}

std::string conn_error(PGconn* pg) { return trimmed(pg ? pq().PQerrorMessage(pg) : "out of memory"); }

void exec(PGconn* pg, const std::string& sql) {
  PGresult* r = pq().PQexec(pg, sql.c_str());
  const ExecStatusType st = r ? pq().PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    pq().PQclear(r);
    return;
  }
  const char* code = r ? pq().PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = code ? code : (pq().PQstatus(pg) == CONNECTION_OK ? "" : "08000");
  const std::string message = r ? trimmed(pq().PQresultErrorMessage(r)) : conn_error(pg);
  pq().PQclear(r);
  fail(state, message);
}

void run_pipeline(PGconn* pg, std::vector<Pending>& queue) {
  std::string state, message;
  std::optional<Error> refused;
  auto note = [&](const std::string& st, const std::string& m, const Pending* p = nullptr) {
    if (message.empty()) {
      state = st;
      message = m;
      if (p && p->refusal && st == "22012") refused = p->refusal;
    }
  };
  for (const Pending& p : queue) {
    std::vector<const char*> values;
    values.reserve(p.params.size());
    for (const std::string& v : p.params) values.push_back(v.c_str());
    int sent;
    if (p.sql >= 0) {
      const std::string name = "s" + std::to_string(p.sql);
      sent = pq().PQsendQueryPrepared(pg, name.c_str(), static_cast<int>(values.size()), values.data(),
                                      nullptr, nullptr, 0);
    } else {
      sent = pq().PQsendQueryParams(pg, p.text, static_cast<int>(values.size()), nullptr, values.data(),
                                    nullptr, nullptr, 0);
    }
    if (!sent) fail("08006", "lost the connection: " + conn_error(pg));
  }
  if (!pq().PQpipelineSync(pg)) fail("08006", "lost the connection: " + conn_error(pg));
  for (Pending& p : queue) {
    PGresult* r = pq().PQgetResult(pg);
    if (r == nullptr) fail("08006", "lost the connection: " + conn_error(pg));
    const ExecStatusType st = pq().PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      if (p.on_result && message.empty()) {
        try {
          p.on_result(r);
        } catch (const std::exception& e) {
          note("", e.what());
        }
      }
    } else if (st == PGRES_FATAL_ERROR) {
      const char* code = pq().PQresultErrorField(r, PG_DIAG_SQLSTATE);
      note(code ? code : "08006", trimmed(pq().PQresultErrorMessage(r)), &p);
    } else if (st != PGRES_PIPELINE_ABORTED) {
      note("", std::string("unexpected result ") + pq().PQresStatus(st));
    }
    pq().PQclear(r);
    // Each statement's results end with a null.
    while ((r = pq().PQgetResult(pg)) != nullptr) pq().PQclear(r);
  }
  PGresult* sync = pq().PQgetResult(pg);
  const bool synced = sync && pq().PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  pq().PQclear(sync);
  if (!synced && message.empty()) note("08006", "lost the connection: " + conn_error(pg));
  if (refused) throw *refused;
  if (!message.empty()) fail(state, message);
}

void set_up(PGconn* pg, const PgOptions& o) {
  char* schema = pq().PQescapeIdentifier(pg, o.schema.c_str(), o.schema.size());
  if (!schema) fail("", "cannot quote the schema name: " + conn_error(pg));
  const std::string quoted = schema;
  pq().PQfreemem(schema);
  exec(pg, "SET search_path TO " + quoted + "; SET lock_timeout = " + std::to_string(o.busy_timeout_ms) +
               "; SET application_name = 'callmem'; SET client_min_messages = warning");
  if (!pq().PQenterPipelineMode(pg)) fail("08006", "cannot enter pipeline mode: " + conn_error(pg));
  std::vector<int> prepared;  // the ids this store has a text for
  for (int id = 0; id < kUnprepared; ++id) {
    const char* text = sql_text(static_cast<Sql>(id));
    if (text == nullptr) continue;
    const std::string name = "s" + std::to_string(id);
    if (!pq().PQsendPrepare(pg, name.c_str(), text, 0, nullptr))
      fail("08006", "lost the connection: " + conn_error(pg));
    prepared.push_back(id);
  }
  if (!pq().PQpipelineSync(pg)) fail("08006", "lost the connection: " + conn_error(pg));
  std::string state, message;
  for (int id : prepared) {
    PGresult* r = pq().PQgetResult(pg);
    if (!r) fail("08006", "lost the connection: " + conn_error(pg));
    if (pq().PQresultStatus(r) == PGRES_FATAL_ERROR && message.empty()) {
      const char* code = pq().PQresultErrorField(r, PG_DIAG_SQLSTATE);
      state = code ? code : "";
      message = "prepare s" + std::to_string(id) + ": " + trimmed(pq().PQresultErrorMessage(r));
    }
    pq().PQclear(r);
    while ((r = pq().PQgetResult(pg)) != nullptr) pq().PQclear(r);
  }
  PGresult* sync = pq().PQgetResult(pg);
  pq().PQclear(sync);
  if (!message.empty()) fail(state, message);
}

void dial(Connection& c, const std::string& dsn, const char* verb) {
  const Libpq& lib = load_libpq();
  if (c.pg) lib.PQfinish(std::exchange(c.pg, nullptr));
  c.pg = lib.PQconnectdb(dsn.c_str());
  if (!c.ok()) fail("08001", std::string("cannot ") + verb + ": " + conn_error(c.pg));
}

}  // namespace callmem::postgres
