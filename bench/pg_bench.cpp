// callmem_pg_bench: call start and call end on the PostgreSQL store, beside
// its floor (the very statements the store sends, written by hand over libpq
// in the same two pipelined round trips, with no scoring, JSON or cache), and
// beside the SQLite store, at 1 and 8 client threads; the PostgreSQL sides
// with the store's fine locks (PgLock::fine) and with the tenant's lock
// (PgLock::tenant), with how many sessions wait for a lock meanwhile
// (pg_stat_activity, sampled every 2 ms). See bench/README.md.
//
//   callmem_pg_bench --dsn postgresql://... [--customers 100000] [--ops 4000]
//                    [--threads 1,8] [--processes 2,4] [--process-threads 4]
//                    [--rounds 3] [--one-tenant] [--dir DIR] [--quick]
//
// Population (the same in both stores): customer i has the mobile ANI
// "+1" + (2012000000 + 7 i), one past call, variables name and order_id, and
// an open intent for 30%. A returning start picks a random customer's ANI; an
// end ends that call with an intent and a variable. Each thread works for a
// tenant of its own ("acme-<t>", one population each would be large: the
// tenants share customer numbers but not rows), as several contact centers
// on one database do; `--one-tenant` puts every thread on one tenant (one
// large contact center). `--processes` adds rows of that many forked
// processes as nodes on the first tenant, each a store of its own with
// `--process-threads` threads (the library's sides only).
//
// Each measurement runs the sides in turn, `--rounds` times, and quotes the
// median of all per-operation latencies of each side and its throughput.
#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string ani_of(long i) { return "+1" + std::to_string(2012000000L + 7 * i); }

[[noreturn]] void die(const std::string& m) {
  fmt::print(stderr, "callmem_pg_bench: {}\n", m);
  std::exit(1);
}

void exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    die(fmt::format("{}: {}", sql.substr(0, 60), PQresultErrorMessage(r)));
  PQclear(r);
}

// ----------------------------------------------------------- population --

// Rows as the library writes them, made by the server (generate_series).
void populate_pg(const std::string& dsn, const std::string& schema, const std::string& tenant, long n,
                 long at) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
  const long exp = at + 30L * 86400000;
  exec(c, fmt::format("SET search_path TO {}", schema));
  exec(c,
       fmt::format(
           "INSERT INTO customers SELECT '{0}', 'c' || i, {1}, {1}, {2} FROM generate_series(0, {3} - 1) i",
           tenant, at - 86400000, exp, n));
  exec(
      c,
      fmt::format(
          "INSERT INTO identities SELECT '{0}', 'ani', '', '+1' || (2012000000 + 7 * i), 'c' || i, 'mobile', "
          "{1}, {1}, {2} FROM generate_series(0, {3} - 1) i",
          tenant, at - 86400000, exp, n));
  exec(c, fmt::format("INSERT INTO calls SELECT '{0}', 'old-' || i, 'c' || i, {1}, {1} + 60000, 'voice', "
                      "'inbound', '{{}}', "
                      "1, '{{}}', 1, '{{}}', true, {2}, '{{}}', 0, '', '' FROM generate_series(0, {3} - 1) i",
                      tenant, at - 86400000, exp, n));
  exec(c,
       fmt::format("INSERT INTO variables SELECT '{0}', 'c' || i, v, '\"x' || i || '\"', 'end', {1}, 0, {2} "
                   "FROM generate_series(0, {3} - 1) i, unnest(ARRAY['name', 'order_id']) v",
                   tenant, at - 86400000, exp, n));
  exec(c, fmt::format(
              "INSERT INTO intents SELECT '{0}', 'c' || i, 'billing', 'open', 1, {1}, {1}, 'old-' || i, {2} "
              "FROM generate_series(0, {3} - 1) i WHERE i % 10 < 3",
              tenant, at - 86400000, exp, n));
  exec(c, "ANALYZE");
  PQfinish(c);
}

// ----------------------------------------------------------------- floor --
//
// The statements PgStore sends for a returning start and for an end (texts
// from src/store/postgres/statements.cpp), in the same batches: BEGIN, the locks
// (the tenant's; or, fine, the tenant's shared, the call's and the number's,
// then its customers') and the prefetch's reads in one round trip; the writes
// and COMMIT in the second.

const char* const kRefs =
    "(SELECT customer_ref FROM identities WHERE tenant = $1 AND (type, key, value) IN "
    "   (SELECT * FROM unnest($2::text[], $3::text[], $4::text[])) "
    " UNION SELECT customer_ref FROM calls WHERE tenant = $1 AND call_id = $5 "
    " UNION SELECT unnest($6::text[]) "
    " UNION SELECT target_ref FROM aliases WHERE tenant = $1 AND alias_ref = ANY($6::text[]))";

struct Floor {
  PGconn* c = nullptr;
  std::vector<std::string> texts;

  bool fine;

  Floor(const std::string& dsn, const std::string& schema, bool fine_locks) : fine(fine_locks) {
    c = PQconnectdb(dsn.c_str());
    if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
    exec(c, fmt::format("SET search_path TO {}", schema));
    const std::string refs = kRefs;
    texts = {
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        "SELECT call_id, customer_ref, started_at, ended_at, channel, direction, call_data, "
        "start_fingerprint, "
        "start_response, end_fingerprint, end_response, created_customer, expires_at, identifiers, "
        "feedback_fingerprint, feedback_outcome, feedback_response FROM calls WHERE tenant = $1 AND call_id "
        "= $2",
        "SELECT ttl_days, default_region, level_very_high, level_high, level_medium, reuse, confirm, "
        "billing_enabled, "
        "price_start_new, price_start_returning, price_end, balance, identity_profile, identity_weights, "
        "identity_merge_duplicates FROM tenants WHERE tenant = $1",
        "SELECT type, key, value, customer_ref, line_type, first_seen, last_seen, expires_at FROM identities "
        "WHERE tenant = $1 AND (type, key, value) IN (SELECT * FROM unnest($2::text[], $3::text[], "
        "$4::text[]))",
        "SELECT alias_ref, target_ref, expires_at FROM aliases WHERE tenant = $1 AND alias_ref = "
        "ANY($2::text[])",
        "SELECT customer_ref, created_at, last_seen, expires_at FROM customers WHERE tenant = $1 AND "
        "customer_ref IN " +
            refs,
        "SELECT customer_ref, type, key, value, line_type, first_seen, last_seen, expires_at FROM identities "
        "WHERE tenant = $1 AND customer_ref IN " +
            refs,
        "SELECT customer_ref, intent, status, attempt_count, first_seen, last_seen, last_call_id, expires_at "
        "FROM intents WHERE tenant = $1 AND customer_ref IN " +
            refs,
        "SELECT customer_ref, name, value, source, updated_at, own_ttl_seconds, expires_at FROM variables "
        "WHERE tenant = $1 AND customer_ref IN " +
            refs,
        // 9: link upsert
        "INSERT INTO identities AS i(tenant, type, key, value, customer_ref, line_type, first_seen, "
        "last_seen, expires_at) "
        "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT(tenant, type, key, value, customer_ref) DO "
        "UPDATE SET "
        "first_seen = CASE WHEN i.expires_at <= excluded.last_seen THEN excluded.first_seen ELSE "
        "i.first_seen END, "
        "line_type = CASE WHEN excluded.line_type <> '' OR i.expires_at <= excluded.last_seen "
        "  THEN excluded.line_type ELSE i.line_type END, "
        "last_seen = GREATEST(i.last_seen, excluded.last_seen), expires_at = GREATEST(i.expires_at, "
        "excluded.expires_at)",
        // 10: customer touch
        "UPDATE customers SET last_seen = GREATEST(last_seen, $3), expires_at = GREATEST(expires_at, $4) "
        "WHERE tenant = $1 AND customer_ref = $2",
        // 11: usage
        "INSERT INTO usage AS u(tenant, day, operation, count, credits) VALUES($1, $2, $3, 1, $4) "
        "ON CONFLICT(tenant, day, operation) DO UPDATE SET count = u.count + 1, credits = u.credits + "
        "excluded.credits",
        // 12: call insert
        "INSERT INTO calls(tenant, call_id, customer_ref, started_at, ended_at, channel, direction, "
        "call_data, "
        "start_fingerprint, start_response, end_fingerprint, end_response, created_customer, expires_at, "
        "identifiers, "
        "feedback_fingerprint, feedback_outcome, feedback_response) "
        "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        // 13: intent put
        "INSERT INTO intents(tenant, customer_ref, intent, status, attempt_count, first_seen, last_seen, "
        "last_call_id, "
        "expires_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT(tenant, customer_ref, intent) DO "
        "UPDATE SET "
        "status = excluded.status, attempt_count = excluded.attempt_count, first_seen = excluded.first_seen, "
        "last_seen = excluded.last_seen, last_call_id = excluded.last_call_id, expires_at = "
        "excluded.expires_at",
        // 14: variable put
        "INSERT INTO variables(tenant, customer_ref, name, value, source, updated_at, own_ttl_seconds, "
        "expires_at) "
        "VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(tenant, customer_ref, name) DO UPDATE SET "
        "value = excluded.value, source = excluded.source, updated_at = excluded.updated_at, "
        "own_ttl_seconds = excluded.own_ttl_seconds, expires_at = excluded.expires_at",
        // 15: call end
        "UPDATE calls SET ended_at = $3, end_fingerprint = $4, end_response = $5, call_data = $6, "
        "identifiers = $7 "
        "WHERE tenant = $1 AND call_id = $2",
        // 16-18: the fine locks: the tenant's shared, keys, the customers.
        "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))",
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k",
        "SELECT customer_ref, pg_advisory_xact_lock(hashtextextended($7 || customer_ref, 0)) "
        "FROM (SELECT customer_ref FROM " +
            refs + " AS r ORDER BY customer_ref COLLATE \"C\") AS s",
    };
    for (std::size_t i = 0; i < texts.size(); ++i) {
      PGresult* r = PQprepare(c, fmt::format("f{}", i).c_str(), texts[i].c_str(), 0, nullptr);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) die(PQresultErrorMessage(r));
      PQclear(r);
    }
    if (!PQenterPipelineMode(c)) die("pipeline mode");
  }
  ~Floor() { PQfinish(c); }

  void send(int id, const std::vector<std::string>& params) {
    std::vector<const char*> v;
    for (const auto& p : params) v.push_back(p.c_str());
    if (!PQsendQueryPrepared(c, fmt::format("f{}", id).c_str(), static_cast<int>(v.size()), v.data(), nullptr,
                             nullptr, 0))
      die(PQerrorMessage(c));
  }
  void text(const char* sql) {
    if (!PQsendQueryParams(c, sql, 0, nullptr, nullptr, nullptr, nullptr, 0)) die(PQerrorMessage(c));
  }
  // One round trip: sync and read every result (copying the rows, as a store must).
  std::vector<std::string> sync(int statements) {
    std::vector<std::string> cells;
    PQpipelineSync(c);
    for (int i = 0; i < statements; ++i) {
      PGresult* r = PQgetResult(c);
      const auto st = PQresultStatus(r);
      if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) die(PQresultErrorMessage(r));
      for (int row = 0; row < PQntuples(r); ++row)
        for (int col = 0; col < PQnfields(r); ++col)
          cells.emplace_back(PQgetvalue(r, row, col), PQgetlength(r, row, col));
      PQclear(r);
      while ((r = PQgetResult(c)) != nullptr) PQclear(r);
    }
    PQclear(PQgetResult(c));  // the sync
    return cells;
  }

  void prefetch(const std::string& schema, const std::string& tenant, const std::string& call_id,
                const std::string& ani) {
    const std::string types = ani.empty() ? "{}" : "{\"ani\"}", keys = ani.empty() ? "{}" : "{\"\"}",
                      values = ani.empty() ? "{}" : "{\"" + ani + "\"}";
    text("BEGIN ISOLATION LEVEL READ COMMITTED");
    const std::string key = schema + ":" + tenant, sep = "\x1f";
    int statements = 10;
    if (fine) {
      // The keys sorted: the number's ("i...") before the call's ("k...").
      const std::string call_key = "\"" + key + sep + "k" + call_id + "\"";
      send(16, {key});
      send(17, {ani.empty() ? "{" + call_key + "}"
                            : "{\"" + key + sep + "iani" + sep + sep + ani + "\"," + call_key + "}"});
      send(18, {tenant, types, keys, values, call_id, "{}", key + sep + "c"});
      statements += 2;
    } else {
      send(0, {key});
    }
    send(1, {tenant, call_id});
    send(2, {tenant});
    send(3, {tenant, types, keys, values});
    send(4, {tenant, "{}"});
    for (int q = 5; q <= 8; ++q) send(q, {tenant, types, keys, values, call_id, "{}"});
    sync(statements);
  }

  void start(const std::string& schema, const std::string& tenant, const std::string& call_id, long customer,
             long at, const std::string& response) {
    const std::string ani = ani_of(customer), ref = "c" + std::to_string(customer);
    prefetch(schema, tenant, call_id, ani);
    const std::string t = std::to_string(at), exp = std::to_string(at + 30L * 86400000);
    send(9, {tenant, "ani", "", ani, ref, "mobile", t, t, exp});
    send(10, {tenant, ref, t, exp});
    send(11, {tenant, "2026-11-24", "start_returning", "0"});
    send(12, {tenant, call_id, ref, t, "0", "voice", "inbound", "{}", "12345", response, "0", "", "false",
              exp, "{\"ids\":[\"ani::" + ani + "\"],\"line_type\":\"mobile\"}", "0", "", ""});
    text("COMMIT");
    sync(5);
  }

  void end(const std::string& schema, const std::string& tenant, const std::string& call_id, long customer,
           long at, const std::string& response) {
    const std::string ref = "c" + std::to_string(customer);
    prefetch(schema, tenant, call_id, "");
    const std::string t = std::to_string(at), exp = std::to_string(at + 30L * 86400000);
    send(13, {tenant, ref, "refund", "open", "1", t, t, call_id, exp});
    send(14, {tenant, ref, "last_topic", "\"refund\"", "end", t, "0", exp});
    send(10, {tenant, ref, t, exp});
    send(15, {tenant, call_id, t, "23456", response, "{}", "{\"ids\":[\"ani::" + ani_of(customer) + "\"]}"});
    send(11, {tenant, "2026-11-24", "end", "0"});
    text("COMMIT");
    sync(6);
  }
};

// ----------------------------------------------------------- measurement --

struct Result {
  std::vector<double> us;  // per operation
  double seconds = 0;
  long ops = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Runs `threads` threads, each doing `per_thread` start+end pairs with op(t, i).
Result run(int threads, long per_thread, const std::function<void(int, long, std::vector<double>&)>& op) {
  Result res;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> th;
  for (int t = 0; t < threads; ++t)
    th.emplace_back([&, t] {
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      for (long i = 0; i < per_thread; ++i) op(t, i, lat[static_cast<std::size_t>(t)]);
    });
  for (auto& x : th) x.join();
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& l : lat) res.us.insert(res.us.end(), l.begin(), l.end());
  res.ops = static_cast<long>(res.us.size());
  return res;
}

// How many sessions wait for a lock (pg_locks not granted), sampled every
// 2 ms on a connection of its own while it lives: their mean, for advisory
// locks and for rows (a row another transaction is writing: the day's usage
// counters, which every start and end adds to).
class LockWaits {
 public:
  explicit LockWaits(const std::string& dsn) : c_(PQconnectdb(dsn.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) die(PQerrorMessage(c_));
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        PGresult* r =
            PQexec(c_,
                   "SELECT count(*) FILTER (WHERE locktype = 'advisory'), "
                   "count(*) FILTER (WHERE locktype <> 'advisory') FROM pg_locks WHERE NOT granted");
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
          advisory_ += std::atol(PQgetvalue(r, 0, 0));
          rows_ += std::atol(PQgetvalue(r, 0, 1));
          ++samples_;
        }
        PQclear(r);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  LockWaits(const LockWaits&) = delete;
  LockWaits& operator=(const LockWaits&) = delete;
  ~LockWaits() {
    stop_ = true;
    thread_.join();
    PQfinish(c_);
  }
  std::pair<double, double> mean() const {
    const double n = samples_ ? static_cast<double>(samples_) : 1;
    return {static_cast<double>(advisory_) / n, static_cast<double>(rows_) / n};
  }

 private:
  PGconn* c_;
  std::atomic<bool> stop_{false};
  long advisory_ = 0, rows_ = 0, samples_ = 0;
  std::thread thread_;
};

template <typename F>
double timed(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dsn, dir = "/tmp/callmem-pg-bench";
  long customers = 100000, ops = 4000;
  int rounds = 3;
  bool one_tenant = false;
  std::vector<int> thread_counts{1, 8}, process_counts;
  int process_threads = 4;
  auto counts = [](const std::string& s) {
    std::vector<int> out;
    for (std::size_t p = 0; p <= s.size();) {
      const std::size_t q = std::min(s.find(',', p), s.size());
      out.push_back(std::stoi(s.substr(p, q - p)));
      p = q + 1;
    }
    return out;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) die(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--dsn")
      dsn = next();
    else if (a == "--customers")
      customers = std::stol(next());
    else if (a == "--ops")
      ops = std::stol(next());
    else if (a == "--rounds")
      rounds = std::stoi(next());
    else if (a == "--dir")
      dir = next();
    else if (a == "--one-tenant")
      one_tenant = true;
    else if (a == "--threads")
      thread_counts = counts(next());
    else if (a == "--processes")
      process_counts = counts(next());
    else if (a == "--process-threads")
      process_threads = std::stoi(next());
    else if (a == "--quick") {
      customers = 2000;
      ops = 200;
      rounds = 1;
      thread_counts = {1, 4};
      process_counts = {2};
      process_threads = 2;
    } else
      die("unknown option " + a);
  }
  if (dsn.empty()) {
    if (const char* e = std::getenv("CALLMEM_TEST_PG_DSN"))
      dsn = e;
    else
      die("--dsn is required (or CALLMEM_TEST_PG_DSN)");
  }
  const int max_threads = *std::max_element(thread_counts.begin(), thread_counts.end());
  const int tenants = one_tenant ? 1 : max_threads;
  const long at0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string schema = fmt::format("bench_{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string sqlite_path = fmt::format("{}/bench-{}.db", dir, getpid());

  callmem::EngineOptions pg_opt;
  pg_opt.store = "postgres";
  pg_opt.dsn = dsn;
  pg_opt.schema = schema;
  pg_opt.pool_size = std::max(max_threads, process_threads) + 2;
  pg_opt.busy_timeout_ms = 60000;
  callmem::EngineOptions sq_opt;
  sq_opt.path = sqlite_path;
  sq_opt.busy_timeout_ms = 60000;

  fmt::print("populating {} customers x {} tenant(s) in PostgreSQL (schema {}) and SQLite ({})\n", customers,
             tenants, schema, sqlite_path);
  {
    callmem::Engine create(pg_opt);
    for (int t = 0; t < tenants; ++t) populate_pg(dsn, schema, fmt::format("acme-{}", t), customers, at0);
  }
  {
    // SQLite: the same rows, through the library's own store, in one transaction per tenant.
    callmem::SqliteStore store(sqlite_path, 60000);
    const long day = 86400000L, exp = at0 + 30 * day;
    for (int t = 0; t < tenants; ++t) {
      auto tx = store.begin(fmt::format("acme-{}", t), callmem::Access::write);
      for (long i = 0; i < customers; ++i) {
        const std::string ref = "c" + std::to_string(i);
        tx->customer_insert(callmem::CustomerRow{ref, at0 - day, at0 - day, exp});
        callmem::LinkRow l;
        l.id = callmem::Identifier{"ani", "", ani_of(i)};
        l.customer_ref = ref;
        l.line_type = "mobile";
        l.first_seen = l.last_seen = at0 - day;
        l.expires_at = exp;
        tx->link_upsert(l);
        callmem::CallRow call;
        call.call_id = "old-" + std::to_string(i);
        call.customer_ref = ref;
        call.started_at = at0 - day;
        call.ended_at = at0 - day + 60000;
        call.channel = "voice";
        call.direction = "inbound";
        call.start_fingerprint = call.end_fingerprint = 1;
        call.start_response = call.end_response = "{}";
        call.created_customer = true;
        call.expires_at = exp;
        tx->call_insert(call);
        for (const char* name : {"name", "order_id"})
          tx->variable_put(
              ref, callmem::VariableRow{name, "\"x" + std::to_string(i) + "\"", "end", at0 - day, 0, exp});
        if (i % 10 < 3)
          tx->intent_put(ref,
                         callmem::IntentRow{"billing", "open", 1, at0 - day, at0 - day, call.call_id, exp});
      }
      tx->commit();
    }
  }

  // The library with each lock (docs/storage.md): PgStore directly, for its PgLock.
  auto engine_with = [&](callmem::PgLock lock) {
    callmem::PgOptions o;
    o.dsn = dsn;
    o.schema = schema;
    o.pool_size = pg_opt.pool_size;
    o.busy_timeout_ms = pg_opt.busy_timeout_ms;
    o.lock = lock;
    return std::make_unique<callmem::Engine>(std::make_unique<callmem::PgStore>(o), callmem::EngineOptions{});
  };
  std::unique_ptr<callmem::Engine> pg_fine = engine_with(callmem::PgLock::fine);
  std::unique_ptr<callmem::Engine> pg_tenant = engine_with(callmem::PgLock::tenant);
  callmem::Engine sq(sq_opt);
  std::atomic<long> seq{0};
  const std::string response(700, 'x');  // about a start response's size

  // One start and its end of a random customer of tenant t (acme-0 for one tenant).
  auto pair_on = [&](const char* which, int t, long i, std::vector<double>& lat, callmem::Engine* lib,
                     Floor* floor) {
    thread_local std::mt19937_64 rng(static_cast<unsigned long>(t) * 7919 + static_cast<unsigned long>(i) +
                                     static_cast<unsigned long>(getpid()));
    const long c = static_cast<long>(rng() % static_cast<unsigned long>(customers));
    const std::string tenant = fmt::format("acme-{}", one_tenant ? 0 : t);
    const std::string call_id = fmt::format("b-{}-{}-{}", which, getpid(), seq.fetch_add(1));
    const long at = at0 + i;
    if (floor) {
      lat.push_back(timed([&] { floor->start(schema, tenant, call_id, c, at, response); }));
      lat.push_back(timed([&] { floor->end(schema, tenant, call_id, c, at, response); }));
      return;
    }
    const std::string start = fmt::format(
        R"({{"call_id": "{}", "identity_hints": {{"ani": "{}"}}, "telco": {{"line_type": "mobile"}}}})",
        call_id, ani_of(c));
    const std::string end = fmt::format(
        R"({{"call_id": "{}", "intent": "refund", "variables": {{"last_topic": "refund"}}}})", call_id);
    lat.push_back(timed([&] { lib->start_call_json(tenant, start); }));
    lat.push_back(timed([&] { lib->end_call_json(tenant, end); }));
  };

  struct Side {
    std::string name;
    Result all;
    std::pair<double, double> waits;  // mean sessions waiting: advisory locks, rows
  };
  // Latencies alternate: a start, then its end.
  auto med = [](const Result& r, int parity) {
    std::vector<double> v;
    for (std::size_t k = static_cast<std::size_t>(parity); k < r.us.size(); k += 2) v.push_back(r.us[k]);
    return median(v);
  };
  auto print = [&](const std::string& row, const std::vector<Side>& sides) {
    for (const Side& side : sides) {
      // Each library side beside its floor (the side that follows it), when measured.
      const Side* floor = nullptr;
      for (const Side& f : sides)
        if (f.name == "floor, " + side.name.substr(side.name.find(", ") + 2) &&
            side.name.rfind("callmem, PostgreSQL", 0) == 0)
          floor = &f;
      if (side.name.rfind("floor", 0) == 0) floor = &side;
      const Result& r = side.all;
      fmt::print("| {} | {} | {:.0f} | {:.0f} | {:.0f} | {} | {} | {} |\n", row, side.name, med(r, 0),
                 med(r, 1), static_cast<double>(r.ops) / 2.0 / r.seconds,
                 floor ? fmt::format("{:.2f}", med(r, 0) / med(floor->all, 0)) : std::string("-"),
                 floor ? fmt::format("{:.2f}", med(r, 1) / med(floor->all, 1)) : std::string("-"),
                 side.name.find("SQLite") == std::string::npos
                     ? fmt::format("{:.2f} / {:.2f}", side.waits.first, side.waits.second)
                     : "-");
    }
  };
  auto add = [&](Side& side, const Result& r, std::pair<double, double> waits) {
    side.all.us.insert(side.all.us.end(), r.us.begin(), r.us.end());
    side.all.seconds += r.seconds;
    side.all.ops += r.ops;
    side.waits.first += waits.first / rounds;
    side.waits.second += waits.second / rounds;
  };

  fmt::print(
      "\n| threads | side | start median (µs) | end median (µs) | start+end pairs/s | start / floor | end / "
      "floor | waiting: advisory / rows |\n"
      "|---:|---|---:|---:|---:|---:|---:|---:|\n");
  for (int threads : thread_counts) {
    const long per_thread = std::max(1L, ops / threads / rounds);
    std::vector<std::unique_ptr<Floor>> floors_fine, floors_tenant;
    for (int t = 0; t < threads; ++t) {
      floors_fine.push_back(std::make_unique<Floor>(dsn, schema, true));
      floors_tenant.push_back(std::make_unique<Floor>(dsn, schema, false));
    }
    std::vector<Side> sides{{"callmem, PostgreSQL, fine locks", {}, {}},
                            {"floor, PostgreSQL, fine locks", {}, {}},
                            {"callmem, PostgreSQL, tenant's lock", {}, {}},
                            {"floor, PostgreSQL, tenant's lock", {}, {}},
                            {"callmem, SQLite", {}, {}}};
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t k = 0; k < sides.size(); ++k) {
        LockWaits waits(dsn);
        const Result r = run(threads, per_thread, [&](int t, long i, std::vector<double>& lat) {
          const auto u = static_cast<std::size_t>(t);
          switch (k) {
            case 0:
              return pair_on("lf", t, i, lat, pg_fine.get(), nullptr);
            case 1:
              return pair_on("ff", t, i, lat, nullptr, floors_fine[u].get());
            case 2:
              return pair_on("lt", t, i, lat, pg_tenant.get(), nullptr);
            case 3:
              return pair_on("ft", t, i, lat, nullptr, floors_tenant[u].get());
            default:
              return pair_on("sq", t, i, lat, &sq, nullptr);
          }
        });
        add(sides[k], r, waits.mean());
      }
    }
    print(std::to_string(threads), sides);
  }

  // Processes as nodes: each forks, opens a store of its own (after the
  // fork), and from one instant makes its pairs; it writes its latencies to a
  // pipe, and its end time.
  for (int procs : process_counts) {
    const long per_thread = std::max(1L, ops / (procs * process_threads) / rounds);
    std::vector<Side> sides{{"callmem, PostgreSQL, fine locks", {}, {}},
                            {"callmem, PostgreSQL, tenant's lock", {}, {}}};
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t k = 0; k < sides.size(); ++k) {
        LockWaits waits(dsn);
        const auto go = Clock::now() + std::chrono::milliseconds(300 + 50 * procs);
        std::vector<std::pair<pid_t, int>> children;
        for (int p = 0; p < procs; ++p) {
          int fds[2];
          if (pipe(fds) != 0) die("pipe");
          const pid_t pid = fork();
          if (pid < 0) die("fork");
          if (pid == 0) {
            close(fds[0]);
            std::unique_ptr<callmem::Engine> node =
                engine_with(k == 0 ? callmem::PgLock::fine : callmem::PgLock::tenant);
            std::this_thread::sleep_until(go);
            const Result r = run(process_threads, per_thread, [&](int t, long i, std::vector<double>& lat) {
              pair_on(k == 0 ? "pf" : "pt", p * process_threads + t, i, lat, node.get(), nullptr);
            });
            const double ended = std::chrono::duration<double>(Clock::now() - go).count();
            const auto n = static_cast<long>(r.us.size());
            bool ok = write(fds[1], &ended, sizeof ended) == sizeof ended &&
                      write(fds[1], &n, sizeof n) == sizeof n;
            ok = ok && write(fds[1], r.us.data(), r.us.size() * sizeof(double)) ==
                           static_cast<ssize_t>(r.us.size() * sizeof(double));
            _exit(ok ? 0 : 1);
          }
          close(fds[1]);
          children.emplace_back(pid, fds[0]);
        }
        Result r;
        for (auto [pid, fd] : children) {
          double ended = 0;
          long n = 0;
          auto read_all = [fd = fd](void* to, std::size_t size) {
            for (std::size_t got = 0; got < size;) {
              const ssize_t m = read(fd, static_cast<char*>(to) + got, size - got);
              if (m <= 0) die("a node failed");
              got += static_cast<std::size_t>(m);
            }
          };
          read_all(&ended, sizeof ended);
          read_all(&n, sizeof n);
          std::vector<double> us(static_cast<std::size_t>(n));
          read_all(us.data(), us.size() * sizeof(double));
          close(fd);
          int status = 0;
          waitpid(pid, &status, 0);
          if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("a node failed");
          r.seconds = std::max(r.seconds, ended);
          r.us.insert(r.us.end(), us.begin(), us.end());
        }
        r.ops = static_cast<long>(r.us.size());
        add(sides[k], r, waits.mean());
      }
    }
    print(fmt::format("{} processes x {}", procs, process_threads), sides);
  }
  std::filesystem::remove(sqlite_path);
  std::filesystem::remove(sqlite_path + "-wal");
  std::filesystem::remove(sqlite_path + "-shm");
  {
    PGconn* c = PQconnectdb(dsn.c_str());
    exec(c, fmt::format("DROP SCHEMA {} CASCADE", schema));
    PQfinish(c);
  }
  return 0;
}
