// Hostile and malformed requests through the JSON API (docs/contract.md
// sections 2-4): every one fails with the contract's status, names the
// offending field, and leaves the database exactly as it was. The database is
// compared through a separate read-only SQLite connection: every row of every
// table, before and after each request. A small seeded fuzz then checks that
// mutated start and end requests either succeed or throw callmem::Error.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine.hpp"
#include "json/codec.hpp"
#include "temp_dir.hpp"
#include "time.hpp"

namespace {

using callmem::Engine;
using callmem::Error;
using callmem::Millis;
using callmem::Status;
using Path = std::vector<std::string>;

const Millis kT0 = *callmem::parse_iso("2026-02-07T10:30:00.000Z");

// ---------------------------------------------------------------------------
// The database, read through a connection of its own: table name -> every
// row (typed values), sorted, so that row order in the file does not matter.

using Snapshot = std::map<std::string, std::string>;

std::string encode_value(sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      return "N";
    case SQLITE_INTEGER:
      return "I" + std::to_string(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "F%.17g", sqlite3_column_double(st, col));
      return buf;
    }
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
      const int n = sqlite3_column_bytes(st, col);
      return "T" + std::to_string(n) + ":" + std::string(p ? p : "", static_cast<std::size_t>(n));
    }
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
      const int n = sqlite3_column_bytes(st, col);
      return "B" + std::to_string(n) + ":" + std::string(p ? p : "", static_cast<std::size_t>(n));
    }
  }
}

std::vector<std::string> query_rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error("snapshot: cannot prepare " + sql + ": " + sqlite3_errmsg(db));
  std::vector<std::string> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) row += encode_value(st, c) + "|";
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw std::runtime_error("snapshot: cannot read " + sql);
  std::sort(rows.begin(), rows.end());
  return rows;
}

Snapshot snapshot(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("snapshot: cannot open " + path);
  }
  Snapshot out;
  try {
    std::string schema;
    for (const auto& r : query_rows(db, "SELECT type, name, sql FROM sqlite_master")) schema += r + "\n";
    out["(schema)"] = schema;
    for (const auto& r : query_rows(db, "PRAGMA user_version")) out["(user_version)"] = r;
    sqlite3_stmt* st = nullptr;
    std::vector<std::string> tables;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st, nullptr) !=
        SQLITE_OK)
      throw std::runtime_error("snapshot: cannot list tables");
    while (sqlite3_step(st) == SQLITE_ROW)
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    for (const auto& t : tables) {
      std::string quoted = "\"";
      for (char c : t) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      quoted += "\"";
      std::string body;
      for (const auto& r : query_rows(db, "SELECT * FROM " + quoted)) body += r + "\n";
      out[t] = body;
    }
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  return out;
}

// The tables whose content differs.
std::string changed_tables(const Snapshot& a, const Snapshot& b) {
  std::string out;
  for (const auto& [name, body] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second != body) out += name + " ";
  }
  for (const auto& [name, body] : b)
    if (!a.count(name)) out += name + "(new) ";
  return out;
}

std::size_t row_count(const Snapshot& s) {
  std::size_t n = 0;
  for (const auto& [name, body] : s)
    if (name[0] != '(') n += static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  return n;
}

// ---------------------------------------------------------------------------
// Printing.

std::string printable(std::string_view s, std::size_t max = 160) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string path_text(const Path& p) {
  std::string out = "[";
  for (std::size_t i = 0; i < p.size(); ++i) out += (i ? ", \"" : "\"") + printable(p[i], 40) + "\"";
  return out + "]";
}

const char* status_name(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::error:
      return "error";
    case Status::invalid:
      return "invalid";
    case Status::not_found:
      return "not_found";
    case Status::conflict:
      return "conflict";
    case Status::insufficient_credits:
      return "insufficient_credits";
    case Status::busy:
      return "busy";
    case Status::store:
      return "store";
  }
  return "?";
}

std::string issues_text(const Error& e) {
  std::string out;
  for (const auto& i : e.issues()) out += path_text(i.path) + " " + printable(i.message, 120) + "; ";
  return out.empty() ? "(no issues)" : out;
}

// ---------------------------------------------------------------------------
// Operations.

enum class Op { start, end, get, forget, export_, configure, grant, usage, purge, feedback, unmerge };

const char* op_name(Op op) {
  switch (op) {
    case Op::start:
      return "start";
    case Op::end:
      return "end";
    case Op::get:
      return "get";
    case Op::forget:
      return "forget";
    case Op::export_:
      return "export";
    case Op::configure:
      return "configure";
    case Op::grant:
      return "grant";
    case Op::usage:
      return "usage";
    case Op::purge:
      return "purge";
    case Op::feedback:
      return "feedback";
    case Op::unmerge:
      return "unmerge";
  }
  return "?";
}

std::string run(Engine& mem, Op op, const std::string& tenant, std::string_view text) {
  switch (op) {
    case Op::start:
      return mem.start_call_json(tenant, text);
    case Op::end:
      return mem.end_call_json(tenant, text);
    case Op::get:
      return mem.get_customer_json(tenant, text);
    case Op::forget:
      return mem.forget_customer_json(tenant, text);
    case Op::export_:
      return mem.export_customer_json(tenant, text);
    case Op::configure:
      return mem.configure_tenant_json(tenant, text);
    case Op::grant:
      return mem.grant_credits_json(tenant, text);
    case Op::usage:
      return mem.usage_json(tenant, text);
    case Op::purge:
      return mem.purge_expired_json(text);
    case Op::feedback:
      return mem.identity_feedback_json(tenant, text);
    case Op::unmerge:
      return mem.unmerge_json(tenant, text);
  }
  return {};
}

// ---------------------------------------------------------------------------
// The seeded memory: tenant "acme" with an ended call (seed_a: customer A,
// an open intent, two variables, a mobile ANI and a CRM id), a started call
// (seed_b: customer B), a credit grant; tenant "other" with a call of its own.

const std::string kSeedStartA =
    R"({"call_id": "seed_a", "identity_hints": {"ani": "+14155551234", "external_ids": {"crm_id": "CRM_789"}},)"
    R"( "telco": {"line_type": "mobile"}})";
const std::string kSeedEndA =
    R"({"call_id": "seed_a", "intent": "refund_request", "intent_status": "open",)"
    R"( "variables": {"name": "John Doe", "order_id": "12345"}, "variable_ttl_seconds": {"order_id": 7776000}})";
const std::string kSeedStartB =
    R"({"call_id": "seed_b", "identity_hints": {"ani": "+14155559876"}, "telco": {"line_type": "landline"}})";
const std::string kSeedGrant = R"({"amount": 100, "idempotency_key": "topup-1"})";
const std::string kSeedStartOther = R"({"call_id": "seed_o", "identity_hints": {"ani": "+14155551234"}})";

std::string ref_of(const std::string& response) {
  const std::string key = R"("customer_ref":")";
  const auto at = response.find(key);
  if (at == std::string::npos) throw std::runtime_error("no customer_ref in " + response);
  const auto begin = at + key.size();
  return response.substr(begin, response.find('"', begin) - begin);
}

struct Seeded {
  TempDir dir;
  std::string db_path = dir.file("calls.db");
  std::shared_ptr<callmem::ManualClock> clock = std::make_shared<callmem::ManualClock>(kT0);
  Engine mem{options()};
  std::string ref_a, ref_b;

  callmem::EngineOptions options() {
    callmem::EngineOptions o;
    o.path = db_path;
    o.clock = clock;
    return o;
  }

  Seeded() {
    ref_a = ref_of(mem.start_call_json("acme", kSeedStartA));
    clock->advance(15 * callmem::kSecond);
    mem.end_call_json("acme", kSeedEndA);
    clock->advance(45 * callmem::kSecond);
    ref_b = ref_of(mem.start_call_json("acme", kSeedStartB));
    mem.grant_credits_json("acme", kSeedGrant);
    mem.start_call_json("other", kSeedStartOther);
    clock->advance(callmem::kDay / 24);
  }
};

// ---------------------------------------------------------------------------
// The table.

struct Row {
  Op op;
  std::string tenant;
  std::string text;
  Status status;  // ok: a replay or a read, which must change nothing either
  Path path;      // the field an issue must name (invalid only); {} for malformed JSON
  std::string note;
};

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

// {"k0": "v0", ...} with n members; `value` overrides every value's JSON.
std::string object_of(std::size_t n, const std::string& prefix, const std::string& value = "") {
  std::string out = "{";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "\"" + prefix + std::to_string(i) +
           "\": " + (value.empty() ? "\"v" + std::to_string(i) + "\"" : value);
  }
  return out + "}";
}

std::string array_of(std::size_t n, const std::string& element) {
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", " : "") + element;
  return out + "]";
}

// A valid start of a new call, but for the part given.
std::string start_extra(const std::string& extra) {
  return R"({"call_id": "h1", "identity_hints": {"ani": "+14155550100"}, )" + extra + "}";
}
std::string start_hints(const std::string& hints) {
  return R"({"call_id": "h1", "identity_hints": )" + hints + "}";
}
std::string start_call_id(const std::string& call_id_json) {
  return R"({"call_id": )" + call_id_json + R"(, "identity_hints": {"ani": "+14155550100"}})";
}
// A valid end of the started call seed_b, but for the part given.
std::string end_extra(const std::string& extra) { return R"({"call_id": "seed_b", )" + extra + "}"; }

const std::string kGoodStart = R"({"call_id": "h1", "identity_hints": {"ani": "+14155550100"}})";
const std::string kUnknownRef = "00000000-0000-4000-8000-000000000000";

std::vector<Row> hostile_rows(const Seeded& s) {
  std::vector<Row> rows;
  const auto add = [&](Op op, const std::string& tenant, std::string text, Status st, Path path,
                       std::string note) {
    rows.push_back(Row{op, tenant, std::move(text), st, std::move(path), std::move(note)});
  };
  const auto bad = [&](Op op, std::string text, Path path, std::string note) {
    add(op, "acme", std::move(text), Status::invalid, std::move(path), std::move(note));
  };
  const auto status = [&](Op op, std::string text, Status st, std::string note) {
    add(op, "acme", std::move(text), st, {}, std::move(note));
  };
  const Path none;  // malformed JSON: the issue names no field
  const std::string big = repeat('x', callmem::json::kMaxRequestBytes);

  // --- Not a JSON object at all -------------------------------------------
  bad(Op::start, "not json", none, "not JSON");
  bad(Op::start, "", none, "empty text");
  bad(Op::start, "   \n\t ", none, "only whitespace");
  bad(Op::start, "[]", none, "an array");
  bad(Op::start, R"(["call_id", "h1"])", none, "an array of strings");
  bad(Op::start, R"("call_id")", none, "a string");
  bad(Op::start, "42", none, "a number");
  bad(Op::start, "null", none, "null");
  bad(Op::start, "true", none, "a boolean");
  bad(Op::start, R"({"call_id": "h1", "identity_hints": {"ani": "+1415555)", none,
      "truncated inside a string");
  bad(Op::start, R"({"call_id": "h1", "identity_hints": {"ani": "+14155550100"})", none,
      "truncated: one } short");
  bad(Op::start, R"({"call_id": "h1", )", none, "truncated after a comma");
  bad(Op::start, kGoodStart + " x", none, "trailing garbage");
  bad(Op::start, kGoodStart + kGoodStart, none, "two objects");
  bad(Op::start, start_extra(R"("channel": "voice",)"), none, "trailing comma");
  bad(Op::start, R"({'call_id': 'h1', 'identity_hints': {'ani': '+14155550100'}})", none, "single quotes");
  bad(Op::start, "// comment\n" + kGoodStart, none, "a comment");
  bad(Op::start, start_extra(R"("at": NaN)"), none, "NaN literal");
  bad(Op::start, start_extra(R"("pad": 1e999999)"), none, "a number out of range");
  bad(Op::start, start_call_id(std::string("\"h") + "\xff" + "1\""), none, "invalid UTF-8 byte in a value");
  bad(Op::start, start_call_id(std::string("\"h") + "\xc0\xaf" + "1\""), none, "overlong UTF-8 in a value");
  bad(Op::start,
      std::string("{\"call_id\": \"h1\", \"identity_hints\": {\"ani\": \"+14155550100\"}, \"p") + "\xfe" +
          "\": 1}",
      none, "invalid UTF-8 in a key");
  bad(Op::start,
      std::string("{\"call_id\": \"h1") + '\0' + "\", \"identity_hints\": {\"ani\": \"+14155550100\"}}", none,
      "a raw NUL byte");
  bad(Op::start, start_call_id(R"("h\ud800")"), none, "a lone high surrogate escape (malformed escape pair)");
  bad(Op::start, repeat('[', 100000), none, "100000 nested [ (unterminated)");
  bad(Op::start, repeat('[', 100000) + repeat(']', 100000), none, "100000 nested arrays (not an object)");
  bad(Op::start, start_extra(R"("pad": ")" + big + "\""), none, "over 1 MiB");
  bad(Op::start, kGoodStart + repeat(' ', callmem::json::kMaxRequestBytes), none,
      "over 1 MiB of trailing spaces");
  bad(Op::start, R"({"call_id": "h1", "identity_hints": {"ani": "+14155550100"}, "channel": "voice\q"})",
      none, "bad escape");
  bad(Op::start, start_extra(R"("pad": 1e-400)"), none, "a number too small for a double (not read as 0)");
  bad(Op::start, start_extra(R"("pad": -2.4e-324)"), none, "a negative number too small for a double");

  // --- Numbers Debian's RapidJSON 1.1.0 read as garbage: zeros with exponents --------
  bad(Op::start, start_extra(R"("at": 0e206)"), {"at"}, "at 0e206");
  bad(Op::configure, R"({"levels": {"very_high": 0e206}})", {"levels"}, "very_high 0e206 is 0, below high");
  bad(Op::configure, R"({"recommendations": {"reuse": 0E+50}})", {"recommendations"},
      "reuse 0E+50 is 0, below confirm");
  bad(Op::configure, R"({"identity": {"weights": {"open_intent": -0.0e100}}})",
      {"identity", "weights", "open_intent"}, "open_intent -0.0e100 is 0, out of range");
  bad(Op::configure, R"({"ttl_days": 0e206})", {"ttl_days"}, "ttl_days 0e206 (not an integer)");
  bad(Op::end, end_extra(R"("variables": {"zero": 0e206, "big": 0E+50, "negative": -0.0e100}, "intent": "")"),
      {"intent"}, "end: zeros with exponents in variables beside an empty intent");

  // --- A key given twice, at any level --------------------------------------------------
  bad(Op::start, R"({"call_id": 5, "call_id": "dup", "identity_hints": {"ani": "+14155550100"}})",
      {"call_id"}, "call_id twice, the last one valid");
  bad(Op::start, R"({"call_id": "h1", "call_id": "h1", "identity_hints": {"ani": "+14155550100"}})",
      {"call_id"}, "call_id twice with the same value");
  bad(Op::start, start_hints(R"({"ani": "+14155550100", "ani": "+14155550101"})"), {"identity_hints", "ani"},
      "ani twice");
  bad(Op::start, start_hints(R"({"ani": "+14155550100", "external_ids": {"crm_id": "1", "crm_id": "2"}})"),
      {"identity_hints", "external_ids", "crm_id"}, "an external id twice");
  bad(Op::start, start_extra(R"("telco": {"line_type": "mobile"}, "telco": {"line_type": "landline"})"),
      {"telco"}, "telco twice");
  bad(Op::start,
      R"({"call_id": "seed_a", "call_id": "seed_a", "identity_hints": {"ani": "+14155551234",)"
      R"( "external_ids": {"crm_id": "CRM_789"}}, "telco": {"line_type": "mobile"}})",
      {"call_id"}, "seed_a's start with call_id twice (not a replay)");
  bad(Op::start, start_extra(R"("pad": [{"x": 1, "y": {"z": 1, "z": 2}}])"), {"pad", "0", "y", "z"},
      "a key twice deep in an unknown member");

  // --- call_id ---------------------------------------------------------------
  bad(Op::start, R"({"identity_hints": {"ani": "+14155550100"}})", {"call_id"}, "call_id missing");
  bad(Op::start, start_call_id(R"("")"), {"call_id"}, "call_id empty");
  bad(Op::start, start_call_id("\"" + repeat('c', 129) + "\""), {"call_id"}, "call_id 129 chars");
  bad(Op::start, start_call_id("42"), {"call_id"}, "call_id a number");
  bad(Op::start, start_call_id("null"), {"call_id"}, "call_id null");
  bad(Op::start, start_call_id(R"({"id": "h1"})"), {"call_id"}, "call_id an object");
  bad(Op::start, start_call_id(R"(["h1"])"), {"call_id"}, "call_id an array");
  bad(Op::start, start_call_id("true"), {"call_id"}, "call_id a boolean");
  bad(Op::start, start_call_id(R"("h\u0000x")"), {"call_id"}, "call_id with an escaped NUL");
  bad(Op::start, start_call_id(R"("h\udc00")"), {"call_id"}, "call_id with a lone low surrogate escape");

  // --- identity_hints ----------------------------------------------------------
  bad(Op::start, R"({"call_id": "h1"})", {"identity_hints"}, "identity_hints missing");
  bad(Op::start, start_hints("{}"), {"identity_hints"}, "identity_hints empty");
  bad(Op::start, start_hints(R"("+14155550100")"), {"identity_hints"}, "identity_hints a string");
  bad(Op::start, start_hints(R"(["+14155550100"])"), {"identity_hints"}, "identity_hints an array");
  bad(Op::start, start_hints(R"({"dnis": "+18005550100"})"), {"identity_hints"}, "identity_hints only dnis");
  bad(Op::start, start_hints(R"({"external_ids": {}})"), {"identity_hints"},
      "identity_hints empty external_ids");
  bad(Op::start, start_hints(R"({"ani": null})"), {"identity_hints"}, "identity_hints ani null");
  bad(Op::start, start_hints(R"({"ani": 14155550100})"), {"identity_hints", "ani"}, "ani a number");
  bad(Op::start, start_hints(R"({"ani": ["+14155550100"]})"), {"identity_hints", "ani"}, "ani an array");
  bad(Op::start, start_hints("{\"ani\": \"+" + repeat('1', 256) + "\"}"), {"identity_hints", "ani"},
      "ani 257 chars");
  bad(Op::start, start_hints(R"({"ani": "", "dnis": 5})"), {"identity_hints", "dnis"},
      "an empty (withheld) ani is a hint given, with a bad dnis");
  bad(Op::start, start_hints(R"({"ani": "+1415\u0000"})"), {"identity_hints", "ani"},
      "ani with an escaped NUL");
  bad(Op::start, start_hints(R"({"ani": "+14155550100", "dnis": 18005550100})"), {"identity_hints", "dnis"},
      "dnis a number");
  bad(Op::start, start_hints(R"({"external_ids": "CRM_789"})"), {"identity_hints", "external_ids"},
      "external_ids a string");
  bad(Op::start, start_hints(R"({"external_ids": ["CRM_789"]})"), {"identity_hints", "external_ids"},
      "external_ids an array");
  bad(Op::start, start_hints(R"({"external_ids": {"crm_id": 789}})"),
      {"identity_hints", "external_ids", "crm_id"}, "external id value a number");
  bad(Op::start, start_hints(R"({"external_ids": {"crm_id": null}})"),
      {"identity_hints", "external_ids", "crm_id"}, "external id value null");
  bad(Op::start, start_hints(R"({"external_ids": {"crm_id": {"v": 1}}})"),
      {"identity_hints", "external_ids", "crm_id"}, "external id value an object");
  bad(Op::start, start_hints(R"({"external_ids": {"crm_id": ""}})"),
      {"identity_hints", "external_ids", "crm_id"}, "external id value empty");
  bad(Op::start, start_hints("{\"external_ids\": {\"" + repeat('k', 65) + "\": \"x\"}}"),
      {"identity_hints", "external_ids", repeat('k', 65)}, "external id key 65 chars");
  bad(Op::start, start_hints("{\"external_ids\": {\"crm_id\": \"" + repeat('v', 257) + "\"}}"),
      {"identity_hints", "external_ids", "crm_id"}, "external id value 257 chars");
  bad(Op::start, start_hints("{\"external_ids\": " + object_of(33, "k") + "}"),
      {"identity_hints", "external_ids"}, "33 external ids");
  bad(Op::start, start_hints(R"({"external_ids": {"": "x"}})"), {"identity_hints", "external_ids", ""},
      "external id key empty");
  bad(Op::start, start_hints(R"({"external_ids": {"\udc00": "x"}})"),
      {"identity_hints", "external_ids", "<invalid UTF-8>"}, "external id key a lone surrogate");
  bad(Op::start, start_hints("{\"customer_ref\": \"" + repeat('r', 65) + "\"}"),
      {"identity_hints", "customer_ref"}, "customer_ref hint 65 chars");
  bad(Op::start, start_hints(R"({"customer_ref": 12345})"), {"identity_hints", "customer_ref"},
      "customer_ref hint a number");
  bad(Op::start, start_hints(R"({"customer_ref": ""})"), {"identity_hints", "customer_ref"},
      "customer_ref hint empty");
  // The legacy shape: ani and external_ids at the top level.
  bad(Op::start, R"({"call_id": "h1", "ani": 14155550100})", {"ani"}, "legacy ani a number");
  bad(Op::start, R"({"call_id": "h1", "external_ids": {"crm_id": 7}})", {"external_ids", "crm_id"},
      "legacy external id a number");
  bad(Op::start, R"({"call_id": "h1", "dnis": "+18005550100"})", {"identity_hints"}, "legacy dnis only");
  bad(Op::start,
      R"({"call_id": "h1", "identity_hints": {"external_ids": )" + object_of(20, "a") +
          R"(}, "external_ids": )" + object_of(13, "b") + "}",
      {"identity_hints", "external_ids"}, "legacy and current external ids: 33 together");

  // --- telco, channel, direction, at ----------------------------------------------
  bad(Op::start, start_extra(R"("telco": "mobile")"), {"telco"}, "telco a string");
  bad(Op::start, start_extra(R"("telco": ["mobile"])"), {"telco"}, "telco an array");
  bad(Op::start, start_extra(R"("telco": {"line_type": "cell"})"), {"telco", "line_type"}, "line_type cell");
  bad(Op::start, start_extra(R"("telco": {"line_type": "Mobile"})"), {"telco", "line_type"},
      "line_type Mobile");
  bad(Op::start, start_extra(R"("telco": {"line_type": 1})"), {"telco", "line_type"}, "line_type a number");
  bad(Op::start, start_extra(R"("telco": {"attestation": "D"})"), {"telco", "attestation"}, "attestation D");
  bad(Op::start, start_extra(R"("telco": {"attestation": "a"})"), {"telco", "attestation"}, "attestation a");
  bad(Op::start, start_extra(R"("telco": {"verstat": "passed"})"), {"telco", "verstat"}, "verstat passed");
  bad(Op::start, start_extra(R"("telco": {"verstat": true})"), {"telco", "verstat"}, "verstat a boolean");
  bad(Op::start, start_extra(R"("channel": "fax")"), {"channel"}, "channel fax");
  bad(Op::start, start_extra(R"("channel": "")"), {"channel"}, "channel empty");
  bad(Op::start, start_extra(R"("channel": 1)"), {"channel"}, "channel a number");
  bad(Op::start, start_extra(R"("direction": "sideways")"), {"direction"}, "direction sideways");
  bad(Op::start, start_extra(R"("direction": true)"), {"direction"}, "direction a boolean");
  bad(Op::start, start_extra(R"("at": "yesterday")"), {"at"}, "at malformed");
  bad(Op::start, start_extra(R"("at": 1770460200000)"), {"at"}, "at a number");
  bad(Op::start, start_extra(R"("at": {"iso": "2026-02-07T10:30:00.000Z"})"), {"at"}, "at an object");
  bad(Op::start, start_extra(R"("at": "2026-02-30T10:30:00.000Z")"), {"at"}, "at Feb 30");
  bad(Op::start, start_extra(R"("at": "2025-02-29T10:30:00.000Z")"), {"at"}, "at Feb 29 of a common year");
  bad(Op::start, start_extra(R"("at": "1969-12-31T23:59:59.999Z")"), {"at"}, "at before 1970");
  bad(Op::start, start_extra(R"("at": "1970-01-01T00:30:00.000+01:00")"), {"at"},
      "at before 1970 by its offset");
  bad(Op::start, start_extra(R"("at": "2026-02-07T24:00:00.000Z")"), {"at"}, "at hour 24");
  bad(Op::start, start_extra(R"("at": "2026-02-07")"), {"at"}, "at a date only");
  bad(Op::start, start_extra(R"("at": "2026-02-07T10:30:00.000")"), {"at"}, "at without a zone");
  bad(Op::start, start_extra(R"("at": "2026-02-07T10:30:00.000Z ")"), {"at"}, "at with a trailing space");
  bad(Op::start, start_extra("\"at\": \"2026-02-07T10:30:00." + repeat('0', 60) + "Z\""), {"at"},
      "at with a 60-digit fraction");

  // --- Idempotency conflicts of start -----------------------------------------
  status(Op::start, R"({"call_id": "seed_a", "identity_hints": {"ani": "+14155550100"}})", Status::conflict,
         "start reusing seed_a with another ani");
  status(Op::start, kSeedStartA.substr(0, kSeedStartA.size() - 1) + R"(, "at": "2026-02-07T10:30:00.000Z"})",
         Status::conflict, "start reusing seed_a with an at added");
  status(Op::start, kSeedStartB.substr(0, kSeedStartB.size() - 1) + R"(, "channel": "chat"})",
         Status::conflict, "start reusing seed_b with another channel");
  // Replays answer and change nothing (and are never billed).
  status(Op::start, kSeedStartA, Status::ok, "replay of seed_a's start");
  status(Op::start,
         R"({"telco": {"line_type": "mobile"}, "identity_hints": {"external_ids": {"crm_id": "CRM_789"},)"
         R"( "ani": "+14155551234"}, "call_id": "seed_a"})",
         Status::ok, "replay of seed_a's start, keys reordered");

  // --- Tenant ids --------------------------------------------------------------
  const auto bad_tenant = [&](Op op, const std::string& tenant, const std::string& text,
                              const std::string& note) {
    add(op, tenant, text, Status::invalid, {"tenant"}, note);
  };
  bad_tenant(Op::start, "", kGoodStart, "tenant empty");
  bad_tenant(Op::start, repeat('t', 65), kGoodStart, "tenant 65 chars");
  bad_tenant(Op::start, "acme corp", kGoodStart, "tenant with a space");
  bad_tenant(Op::start, "acme/eu", kGoodStart, "tenant with a slash");
  bad_tenant(Op::start, "../acme", kGoodStart, "tenant a path");
  bad_tenant(Op::start, "acm\xc3\xa9", kGoodStart, "tenant with unicode");
  bad_tenant(Op::start, "acme\n", kGoodStart, "tenant with a newline");
  bad_tenant(Op::start, std::string("ac\0me", 5), kGoodStart, "tenant with an embedded NUL");
  bad_tenant(Op::start, "acme';DROP TABLE calls;--", kGoodStart, "tenant with SQL");
  bad_tenant(Op::end, "acme eu", R"({"call_id": "seed_b"})", "end: tenant with a space");
  bad_tenant(Op::get, "", "{\"customer_ref\": \"" + s.ref_a + "\"}", "get: tenant empty");
  bad_tenant(Op::forget, "acme*", "{\"customer_ref\": \"" + s.ref_a + "\"}", "forget: tenant with *");
  bad_tenant(Op::export_, "acme%", "{\"customer_ref\": \"" + s.ref_a + "\"}", "export: tenant with %");
  bad_tenant(Op::configure, repeat('t', 65), R"({"ttl_days": 10})", "configure: tenant 65 chars");
  bad_tenant(Op::grant, "acme:1", R"({"amount": 5, "idempotency_key": "k-tenant"})", "grant: tenant with :");
  bad_tenant(Op::usage, "acme,other", "{}", "usage: tenant with a comma");

  // --- end ---------------------------------------------------------------------
  bad(Op::end, "not json", none, "end: not JSON");
  bad(Op::end, "", none, "end: empty text");
  bad(Op::end, "[]", none, "end: an array");
  bad(Op::end, R"({"call_id": "seed_b", "intent": "refund)", none, "end: truncated");
  bad(Op::end, repeat('[', 100000), none, "end: deep nesting");
  bad(Op::end, end_extra(R"("pad": ")" + big + "\""), none, "end: over 1 MiB");
  bad(Op::end, R"({"intent": "billing"})", {"call_id"}, "end: call_id missing");
  bad(Op::end, "{\"call_id\": \"" + repeat('c', 129) + "\"}", {"call_id"}, "end: call_id 129 chars");
  bad(Op::end, R"({"call_id": 7})", {"call_id"}, "end: call_id a number");
  bad(Op::end, end_extra(R"("intent": "billing", "intent_status": "closed")"), {"intent_status"},
      "bad intent_status");
  bad(Op::end, end_extra(R"("intent": "billing", "intent_status": 1)"), {"intent_status"},
      "intent_status a number");
  bad(Op::end, end_extra(R"("intent": "billing", "intent_is_open": "yes")"), {"intent_is_open"},
      "intent_is_open a string");
  bad(Op::end, end_extra(R"("intent": "billing", "intent_is_open": 1)"), {"intent_is_open"},
      "intent_is_open a number");
  bad(Op::end, end_extra(R"("intent": "billing", "intent_status": "open", "intent_is_open": false)"),
      {"intent_is_open"}, "intent_is_open disagrees with intent_status");
  bad(Op::end, end_extra(R"("intent_status": "open")"), {"intent"}, "intent_status without intent");
  bad(Op::end, end_extra(R"("intent_is_open": true)"), {"intent"}, "intent_is_open without intent");
  bad(Op::end, end_extra("\"intent\": \"" + repeat('i', 129) + "\""), {"intent"}, "intent 129 chars");
  bad(Op::end, end_extra(R"("intent": "")"), {"intent"}, "intent empty");
  bad(Op::end, end_extra(R"("intent": 5)"), {"intent"}, "intent a number");
  bad(Op::end, end_extra(R"("intents": {"intent": "billing"})"), {"intents"}, "intents an object");
  bad(Op::end, end_extra(R"("intents": "billing")"), {"intents"}, "intents a string");
  bad(Op::end, end_extra(R"("intents": ["billing"])"), {"intents", "0"}, "intents element a string");
  bad(Op::end, end_extra(R"("intents": [{"intent": "billing", "status": "done"}])"),
      {"intents", "0", "status"}, "intents element bad status");
  bad(Op::end, end_extra(R"("intents": [{"status": "open"}])"), {"intents", "0", "intent"},
      "intents element without intent");
  bad(Op::end, end_extra(R"("intents": [{"intent": "billing"}, {"intent": ""}])"), {"intents", "1", "intent"},
      "second intents element with an empty intent");
  bad(Op::end, end_extra("\"intents\": " + array_of(33, R"({"intent": "billing"})")), {"intents"},
      "33 intents");
  bad(Op::end, end_extra("\"intent\": \"x\", \"intents\": " + array_of(32, R"({"intent": "billing"})")),
      {"intents"}, "intent plus 32 intents");
  bad(Op::end, end_extra(R"("variables": ["name", "Ann"])"), {"variables"}, "variables an array");
  bad(Op::end, end_extra(R"("variables": "name=Ann")"), {"variables"}, "variables a string");
  bad(Op::end, end_extra("\"variables\": {\"" + repeat('n', 65) + "\": 1}"), {"variables", repeat('n', 65)},
      "variable name 65 chars");
  bad(Op::end, end_extra(R"("variables": {"": 1})"), {"variables", ""}, "variable name empty");
  bad(Op::end, end_extra(R"("variables": {"a\u0000b": 1})"), {"variables", std::string("a\0b", 3)},
      "variable name with an escaped NUL");
  bad(Op::end, end_extra("\"variables\": {\"notes\": \"" + repeat('n', 16 * 1024) + "\"}"),
      {"variables", "notes"}, "variable value over 16 KiB");
  bad(Op::end, end_extra("\"variables\": {\"deep\": " + repeat('[', 100000) + repeat(']', 100000) + "}"),
      {"variables", "deep"}, "variable value 100000 nested arrays");
  bad(Op::end, end_extra(R"("variables": {"x": "\udc00"})"), {"variables", "x"},
      "variable value a lone surrogate");
  bad(Op::end, end_extra("\"variables\": " + object_of(257, "v", "0")), {"variables"}, "257 variables");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": [60])"),
      {"variable_ttl_seconds"}, "variable_ttl_seconds an array");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": 60)"),
      {"variable_ttl_seconds"}, "variable_ttl_seconds a number");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"order_id": 0})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl zero");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"order_id": -60})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl negative");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"order_id": 1.5})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl fractional");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"order_id": 31536001})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl over 365 days");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"order_id": "3600"})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl a string");
  bad(Op::end, end_extra(R"("variables": {"order_id": "1"}, "variable_ttl_seconds": {"other": 3600})"),
      {"variable_ttl_seconds", "other"}, "variable ttl naming no variable of the request");
  bad(Op::end, end_extra(R"("variable_ttl_seconds": {"name": 3600})"), {"variable_ttl_seconds", "name"},
      "variable ttl naming a stored variable the request does not set");
  bad(Op::end, end_extra(R"("variables": {"order_id": null}, "variable_ttl_seconds": {"order_id": 3600})"),
      {"variable_ttl_seconds", "order_id"}, "variable ttl naming a variable the request deletes");
  bad(Op::end, end_extra(R"("external_ids": "99812")"), {"external_ids"}, "end: external_ids a string");
  bad(Op::end, end_extra("\"external_ids\": " + object_of(33, "k")), {"external_ids"},
      "end: 33 external ids");
  bad(Op::end, end_extra(R"("external_ids": {"account_number": 99812})"), {"external_ids", "account_number"},
      "end: external id a number");
  bad(Op::end, end_extra("\"customer_ref\": \"" + repeat('r', 65) + "\""), {"customer_ref"},
      "end: customer_ref 65 chars");
  bad(Op::end, end_extra(R"("customer_ref": ["x"])"), {"customer_ref"}, "end: customer_ref an array");
  bad(Op::end, end_extra(R"("telco": {"line_type": "satellite"})"), {"telco", "line_type"},
      "end: bad line_type");
  bad(Op::end, end_extra(R"("at": "2026-02-07 10:31:00")"), {"at"}, "end: at malformed");
  bad(Op::end, end_extra(R"("at": "2026-02-07T10:30:00.000Z")"), {"at"}, "end: before its call's start");
  bad(Op::end, R"({"call_id": "h_end", "identity_hints": {}})", {"identity_hints"},
      "standalone end: hints empty");
  bad(Op::end, R"({"call_id": "h_end", "identity_hints": {"dnis": "+18005550100"}})", {"identity_hints"},
      "standalone end: hints with only dnis");
  bad(Op::end, R"({"call_id": "h_end", "identity_hints": {"ani": 1}})", {"identity_hints", "ani"},
      "standalone end: ani a number");
  bad(Op::end, R"({"call_id": "h_end", "identity_hints": "+14155550100"})", {"identity_hints"},
      "standalone end: hints a string");
  // 2 stored variables + 255 new = 257: fails after the intent was written, so
  // the transaction must roll the intent back too.
  bad(Op::end,
      R"({"call_id": "h_merge", "customer_ref": ")" + s.ref_a +
          R"(", "intent": "merge_probe", "variables": )" + object_of(255, "m", "1") + "}",
      {"variables"}, "end: 257 variables after the merge");
  status(Op::end, R"({"call_id": "ghost", "intent": "billing"})", Status::not_found,
         "end of an unknown call with nothing identifying");
  status(Op::end, R"({"call_id": "ghost", "customer_ref": ")" + kUnknownRef + "\"}", Status::not_found,
         "end of an unknown call naming an unknown customer_ref");
  status(Op::end, end_extra(R"("customer_ref": ")" + s.ref_a + "\""), Status::conflict,
         "end of seed_b naming customer A");
  status(Op::end, R"({"call_id": "seed_a", "intent": "another_intent"})", Status::conflict,
         "another end of the ended seed_a");
  add(Op::end, "other", R"({"call_id": "seed_b", "customer_ref": ")" + s.ref_b + "\"}", Status::not_found, {},
      "end in another tenant naming a call and customer of acme");
  status(Op::end, kSeedEndA, Status::ok, "replay of seed_a's end");
  bad(Op::end, end_extra(R"("intent": "billing", "intent": "refund")"), {"intent"}, "end: intent twice");
  bad(Op::end, end_extra(R"("variables": {"cart": {"sku": 1, "sku": 2}})"), {"variables", "cart", "sku"},
      "end: a key twice inside a variable's value");
  bad(Op::end, end_extra(R"("variables": {"name": "Ann", "name": "Bo"})"), {"variables", "name"},
      "end: a variable twice");
  bad(Op::end, R"({"call_id": "h_end", "identity_hints": {"ani": "+14155550100", "ani": "+14155550101"}})",
      {"identity_hints", "ani"}, "standalone end: ani twice");

  // --- get ---------------------------------------------------------------------
  const std::string ref_a = "\"customer_ref\": \"" + s.ref_a + "\"";
  bad(Op::get, "", none, "get: empty text");
  bad(Op::get, "[]", none, "get: an array");
  bad(Op::get, "{}", {"customer_ref"}, "get: neither ref nor hints");
  bad(Op::get, R"({"history_limit": 5})", {"customer_ref"}, "get: only a history_limit");
  bad(Op::get, "{" + ref_a + ", \"history_limit\": 0}", {"history_limit"}, "get: history_limit 0");
  bad(Op::get, "{" + ref_a + ", \"history_limit\": 101}", {"history_limit"}, "get: history_limit 101");
  bad(Op::get, "{" + ref_a + ", \"history_limit\": -1}", {"history_limit"}, "get: history_limit -1");
  bad(Op::get, "{" + ref_a + ", \"history_limit\": \"20\"}", {"history_limit"},
      "get: history_limit a string");
  bad(Op::get, "{" + ref_a + ", \"history_limit\": 2.5}", {"history_limit"}, "get: history_limit 2.5");
  bad(Op::get, "{" + ref_a + ", \"cursor\": \"bogus\"}", {"cursor"}, "get: cursor bogus");
  bad(Op::get, "{" + ref_a + ", \"cursor\": 5}", {"cursor"}, "get: cursor a number");
  bad(Op::get, "{" + ref_a + ", \"cursor\": \"c1:abc:seed_a\"}", {"cursor"}, "get: cursor with a bad time");
  bad(Op::get, "{" + ref_a + ", \"cursor\": \"c1::seed_a\"}", {"cursor"}, "get: cursor without a time");
  bad(Op::get, "{" + ref_a + ", \"cursor\": \"c1:" + repeat('9', 19) + ":x\"}", {"cursor"},
      "get: cursor with a 19-digit time");
  bad(Op::get, "{" + ref_a + ", \"cursor\": \"" + repeat('c', 257) + "\"}", {"cursor"},
      "get: cursor 257 chars");
  bad(Op::get, "{\"customer_ref\": \"" + repeat('r', 65) + "\"}", {"customer_ref"},
      "get: customer_ref 65 chars");
  bad(Op::get, R"({"customer_ref": 42})", {"customer_ref"}, "get: customer_ref a number");
  bad(Op::get, R"({"identity_hints": {}})", {"identity_hints"}, "get: hints empty");
  bad(Op::get, R"({"identity_hints": {"ani": 5}})", {"identity_hints", "ani"}, "get: ani a number");
  status(Op::get, "{\"customer_ref\": \"" + kUnknownRef + "\"}", Status::not_found,
         "get: unknown customer_ref");
  status(Op::get, R"({"identity_hints": {"ani": "+19995550000"}})", Status::not_found,
         "get: hints matching nobody");
  add(Op::get, "other", "{" + ref_a + "}", Status::not_found, {},
      "get: acme's customer asked in tenant other");
  status(Op::get, "{" + ref_a + "}", Status::ok, "get: a read changes nothing");
  bad(Op::get, "{" + ref_a + ", " + ref_a + "}", {"customer_ref"}, "get: customer_ref twice");
  status(Op::get, R"({"identity_hints": {"ani": ""}})", Status::not_found,
         "get: an empty (withheld) ani selects no one");
  status(Op::get, R"({"ani": ""})", Status::not_found, "get: an empty legacy ani selects no one");

  // --- forget and export ---------------------------------------------------------
  bad(Op::forget, "", none, "forget: empty text");
  bad(Op::forget, "[]", none, "forget: an array");
  bad(Op::forget, "{}", {"customer_ref"}, "forget: neither ref nor hints");
  bad(Op::forget, R"({"customer_ref": ""})", {"customer_ref"}, "forget: customer_ref empty");
  bad(Op::forget, R"({"identity_hints": {"ani": ["+14155551234"]}})", {"identity_hints", "ani"},
      "forget: ani an array");
  bad(Op::forget, "{" + ref_a + R"(, "identity_hints": 5})", {"identity_hints"},
      "forget: a ref with malformed hints");
  status(Op::forget, "{\"customer_ref\": \"" + kUnknownRef + "\"}", Status::not_found,
         "forget: unknown customer_ref");
  status(Op::forget, R"({"identity_hints": {"external_ids": {"crm_id": "NOBODY"}}})", Status::not_found,
         "forget: hints matching nobody");
  add(Op::forget, "other", "{" + ref_a + "}", Status::not_found, {},
      "forget: acme's customer in tenant other");
  status(Op::forget, R"({"identity_hints": {"ani": ""}})", Status::not_found,
         "forget: an empty (withheld) ani selects no one");
  bad(Op::forget, R"({"identity_hints": {"ani": "+14155551234"}, "identity_hints": {"ani": "+14155559876"}})",
      {"identity_hints"}, "forget: identity_hints twice");
  bad(Op::export_, "nope", none, "export: not JSON");
  bad(Op::export_, "{}", {"customer_ref"}, "export: neither ref nor hints");
  bad(Op::export_, R"({"customer_ref": {"ref": 1}})", {"customer_ref"}, "export: customer_ref an object");
  status(Op::export_, "{\"customer_ref\": \"" + kUnknownRef + "\"}", Status::not_found,
         "export: unknown customer_ref");
  add(Op::export_, "other", "{" + ref_a + "}", Status::not_found, {},
      "export: acme's customer in tenant other");
  status(Op::export_, "{" + ref_a + "}", Status::ok, "export: a read changes nothing");
  status(Op::export_, R"({"identity_hints": {"ani": ""}})", Status::not_found,
         "export: an empty (withheld) ani selects no one");
  bad(Op::export_, "{" + ref_a + ", \"customer_ref\": \"" + kUnknownRef + "\"}", {"customer_ref"},
      "export: customer_ref twice");

  // --- Tenant settings -------------------------------------------------------------
  bad(Op::configure, "", none, "settings: empty text");
  bad(Op::configure, "[30]", none, "settings: an array");
  bad(Op::configure, R"({"ttl_days": 0})", {"ttl_days"}, "ttl_days 0");
  bad(Op::configure, R"({"ttl_days": 366})", {"ttl_days"}, "ttl_days 366");
  bad(Op::configure, R"({"ttl_days": -30})", {"ttl_days"}, "ttl_days negative");
  bad(Op::configure, R"({"ttl_days": 1.5})", {"ttl_days"}, "ttl_days 1.5");
  bad(Op::configure, R"({"ttl_days": "30"})", {"ttl_days"}, "ttl_days a string");
  bad(Op::configure, R"({"ttl_days": 1e400})", none, "ttl_days overflowing a double");
  bad(Op::configure, R"({"default_region": "usa"})", {"default_region"}, "default_region usa");
  bad(Op::configure, R"({"default_region": "us"})", {"default_region"}, "default_region us");
  bad(Op::configure, R"({"default_region": "U1"})", {"default_region"}, "default_region U1");
  bad(Op::configure, R"({"default_region": ""})", {"default_region"}, "default_region empty");
  bad(Op::configure, R"({"default_region": 1})", {"default_region"}, "default_region a number");
  bad(Op::configure, R"({"levels": "high"})", {"levels"}, "levels a string");
  bad(Op::configure, R"({"levels": {"very_high": 1.5}})", {"levels", "very_high"}, "level above 1");
  bad(Op::configure, R"({"levels": {"medium": -0.1}})", {"levels", "medium"}, "level below 0");
  bad(Op::configure, R"({"levels": {"high": "0.7"}})", {"levels", "high"}, "level a string");
  bad(Op::configure, R"({"levels": {"very_high": 0.6, "high": 0.7, "medium": 0.5}})", {"levels"},
      "levels out of order: very_high < high");
  bad(Op::configure, R"({"levels": {"high": 0.95}})", {"levels"},
      "levels out of order against the stored very_high");
  bad(Op::configure, R"({"recommendations": {"reuse": 0.2, "confirm": 0.4}})", {"recommendations"},
      "recommendations confirm > reuse");
  bad(Op::configure, R"({"recommendations": {"confirm": 0.6}})", {"recommendations"},
      "recommendations confirm above the stored reuse");
  bad(Op::configure, R"({"recommendations": {"reuse": 2}})", {"recommendations", "reuse"}, "reuse above 1");
  bad(Op::configure, R"({"recommendations": [0.5, 0.3]})", {"recommendations"}, "recommendations an array");
  bad(Op::configure, R"({"billing": {"enabled": "yes"}})", {"billing", "enabled"},
      "billing.enabled a string");
  bad(Op::configure, R"({"billing": {"enabled": 1}})", {"billing", "enabled"}, "billing.enabled a number");
  bad(Op::configure, R"({"billing": true})", {"billing"}, "billing a boolean");
  bad(Op::configure, R"({"billing": {"prices": {"start_new": -1}}})", {"billing", "prices", "start_new"},
      "negative price");
  bad(Op::configure, R"({"billing": {"prices": {"end": 0.5}}})", {"billing", "prices", "end"},
      "fractional price");
  bad(Op::configure, R"({"billing": {"prices": {"start_returning": 1000001}}})",
      {"billing", "prices", "start_returning"}, "price too large");
  bad(Op::configure, R"({"billing": {"prices": [1, 0, 0]}})", {"billing", "prices"}, "prices an array");
  // A valid part and an invalid part: nothing of either is written.
  bad(Op::configure, R"({"ttl_days": 10, "levels": {"very_high": 7}})", {"levels", "very_high"},
      "valid ttl_days with an invalid level");
  bad(Op::configure, R"({"ttl_days": 10, "billing": {"enabled": true}, "levels": {"medium": 0.95}})",
      {"levels"}, "valid ttl_days and billing with levels out of order");
  // Identity weights (docs/identity.md): probabilities in (0, 1), m above u
  // where the direction needs it, likelihood ratios in range, no unknown key.
  bad(Op::configure, R"({"identity": {"weights": [0.85]}})", {"identity", "weights"}, "weights an array");
  bad(Op::configure, R"({"identity": {"weights": {"ani": {"m": 1}}}})", {"identity", "weights", "ani", "m"},
      "ani.m 1");
  bad(Op::configure, R"({"identity": {"weights": {"ani": {"u": {"landline": 0}}}}})",
      {"identity", "weights", "ani", "u", "landline"}, "ani.u.landline 0");
  bad(Op::configure, R"({"identity": {"weights": {"ani": {"u": {"mobile": "0.1"}}}}})",
      {"identity", "weights", "ani", "u", "mobile"}, "ani.u.mobile a string");
  bad(Op::configure, R"({"identity": {"weights": {"ani": {"u": {"mobile": 0.9}}}}})",
      {"identity", "weights", "ani", "u", "mobile"}, "ani.u.mobile above ani.m");
  bad(Op::configure, R"({"identity": {"weights": {"ani": {"u": {"cellular": 0.1}}}}})",
      {"identity", "weights", "ani", "u", "cellular"}, "an unknown line type");
  bad(Op::configure, R"({"identity": {"weights": {"external_id": {"m": 0.0004}}}})",
      {"identity", "weights", "external_id", "u"}, "external_id.m below the stored u");
  bad(Op::configure, R"({"identity": {"weights": {"recency": {"within_day": 1000}}}})",
      {"identity", "weights", "recency", "within_day"}, "recency ratio too large");
  bad(Op::configure, R"({"identity": {"weights": {"open_intent": -1}}})",
      {"identity", "weights", "open_intent"}, "open_intent negative");
  bad(Op::configure, R"({"identity": {"weights": {"language": 0.5}}})", {"identity", "weights", "language"},
      "an unknown weight");
  bad(Op::configure, R"({"identity": {"profile": "hosted", "weight": {}}})", {"identity", "weight"},
      "an unknown identity setting");
  bad(Op::configure, R"({"identity": {"merge_duplicates": "no"}})", {"identity", "merge_duplicates"},
      "merge_duplicates a string");
  bad(Op::configure, R"({"identity": {"merge_duplicates": 0}})", {"identity", "merge_duplicates"},
      "merge_duplicates a number");
  bad(Op::configure, R"({"ttl_days": 10, "identity": {"profile": "hosted", "weights": {"ani": {"m": 0.9,
      "u": {"voip": 1.5}}}}})",
      {"identity", "weights", "ani", "u", "voip"}, "valid ttl_days, profile and ani.m with an invalid u");
  // A typo is refused, never taken for the default.
  bad(Op::configure, R"({"ttl_dayz": 10})", {"ttl_dayz"}, "settings: ttl_dayz");
  bad(Op::configure, R"({"ttl_days": 10, "billing": {"enabeld": true}})", {"billing", "enabeld"},
      "settings: billing.enabeld beside a valid ttl_days");
  bad(Op::configure, R"({"billing": {"prices": {"start_new": 2, "strat_returning": 0}}})",
      {"billing", "prices", "strat_returning"}, "settings: a misspelt price");
  bad(Op::configure, R"({"levels": {"hgh": 0.8}})", {"levels", "hgh"}, "settings: a misspelt level");
  bad(Op::configure, R"({"recommendations": {"reuse": 0.6, "confirn": 0.4}})", {"recommendations", "confirn"},
      "settings: a misspelt recommendation");
  bad(Op::configure, R"({"default_region": "XX"})", {"default_region"}, "settings: default_region XX");
  bad(Op::configure, R"({"ttl_days": 10, "default_region": "ZZ"})", {"default_region"},
      "settings: default_region ZZ beside a valid ttl_days");
  bad(Op::configure, R"({"ttl_days": 10, "ttl_days": 20})", {"ttl_days"}, "settings: ttl_days twice");
  bad(Op::configure, R"({"billing": {"enabled": true, "enabled": false}})", {"billing", "enabled"},
      "settings: billing.enabled twice");

  // --- Credits -------------------------------------------------------------------------
  bad(Op::grant, "", none, "grant: empty text");
  bad(Op::grant, "100", none, "grant: a number");
  bad(Op::grant, R"({"amount": 0, "idempotency_key": "k1"})", {"amount"}, "grant: amount 0");
  bad(Op::grant, R"({"amount": -5, "idempotency_key": "k1"})", {"amount"}, "grant: amount negative");
  bad(Op::grant, R"({"idempotency_key": "k1"})", {"amount"}, "grant: amount missing");
  bad(Op::grant, R"({"amount": null, "idempotency_key": "k1"})", {"amount"}, "grant: amount null");
  bad(Op::grant, R"({"amount": "100", "idempotency_key": "k1"})", {"amount"}, "grant: amount a string");
  bad(Op::grant, R"({"amount": 1.5, "idempotency_key": "k1"})", {"amount"}, "grant: amount 1.5");
  bad(Op::grant, R"({"amount": 10000000000000, "idempotency_key": "k1"})", {"amount"},
      "grant: amount over 1e12");
  bad(Op::grant, R"({"amount": 18446744073709551615, "idempotency_key": "k1"})", {"amount"},
      "grant: amount 2^64-1");
  bad(Op::grant, R"({"amount": 100})", {"idempotency_key"}, "grant: idempotency_key missing");
  bad(Op::grant, R"({"amount": 100, "idempotency_key": ""})", {"idempotency_key"},
      "grant: idempotency_key empty");
  bad(Op::grant, "{\"amount\": 100, \"idempotency_key\": \"" + repeat('k', 129) + "\"}", {"idempotency_key"},
      "grant: idempotency_key 129 chars");
  bad(Op::grant, R"({"amount": 100, "idempotency_key": 7})", {"idempotency_key"},
      "grant: idempotency_key a number");
  status(Op::grant, R"({"amount": 50, "idempotency_key": "topup-1"})", Status::conflict,
         "grant: a used key with another amount");
  status(Op::grant, kSeedGrant, Status::ok, "grant: a replay changes nothing");
  bad(Op::grant, R"({"amount": 5, "idempotency_key": "k1", "idempotency_key": "k2"})", {"idempotency_key"},
      "grant: idempotency_key twice");
  bad(Op::grant, R"({"amount": 0E+50, "idempotency_key": "k1"})", {"amount"}, "grant: amount 0E+50");

  // --- Usage -------------------------------------------------------------------------------
  bad(Op::usage, "[]", none, "usage: an array");
  bad(Op::usage, "nope", none, "usage: not JSON");
  bad(Op::usage, R"({"from": "yesterday"})", {"from"}, "usage: from malformed");
  bad(Op::usage, R"({"from": 5})", {"from"}, "usage: from a number");
  bad(Op::usage, R"({"to": "2026-13-01T00:00:00.000Z"})", {"to"}, "usage: to month 13");
  bad(Op::usage, R"({"from": "2026-02-07T00:00:00.000Z", "to": "2026-02-06T00:00:00.000Z"})", {"to"},
      "usage: to before from");
  status(Op::usage, "{}", Status::ok, "usage: a read changes nothing");
  bad(Op::usage, R"({"from": "2026-02-07T00:00:00.000Z", "from": "2026-02-06T00:00:00.000Z"})", {"from"},
      "usage: from twice");

  // --- Purge ---------------------------------------------------------------------------
  bad(Op::purge, "[", none, "purge: truncated");
  bad(Op::purge, "null", none, "purge: null");
  bad(Op::purge, R"({"limit": 0})", {"limit"}, "purge: limit 0");
  bad(Op::purge, R"({"limit": -1})", {"limit"}, "purge: limit negative");
  bad(Op::purge, R"({"limit": "10"})", {"limit"}, "purge: limit a string");
  bad(Op::purge, R"({"limit": 1.5})", {"limit"}, "purge: limit fractional");
  bad(Op::purge, R"({"limit": 1000001})", {"limit"}, "purge: limit too big");
  bad(Op::purge, R"({"now": "soon"})", {"now"}, "purge: now malformed");
  bad(Op::purge, R"({"now": 0})", {"now"}, "purge: now a number");
  bad(Op::purge, R"({"now": "2099-01-01T00:00:00.000Z", "limit": 0})", {"limit"},
      "purge: a far future now with limit 0 (would delete everything)");
  bad(Op::purge, R"({"limit": 10, "limit": 20})", {"limit"}, "purge: limit twice");
  bad(Op::purge, R"({"limit": -0.0e100})", {"limit"}, "purge: limit -0.0e100");

  // --- Identity feedback and unmerge -----------------------------------------------------
  const std::string ref_b = "\"customer_ref\": \"" + s.ref_b + "\"";
  bad(Op::feedback, "", none, "feedback: empty text");
  bad(Op::feedback, "[]", none, "feedback: an array");
  bad(Op::feedback, R"({"outcome": "confirmed"})", {"call_id"}, "feedback: call_id missing");
  bad(Op::feedback, R"({"call_id": "seed_a"})", {"outcome"}, "feedback: outcome missing");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "yes"})", {"outcome"},
      "feedback: outcome not an outcome");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": true})", {"outcome"}, "feedback: outcome a boolean");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "corrected"})", {"customer_ref"},
      "feedback: corrected without customer_ref");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "confirmed", )" + ref_b + "}", {"customer_ref"},
      "feedback: customer_ref with confirmed");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "rejected", )" + ref_b + "}", {"customer_ref"},
      "feedback: customer_ref with rejected");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "corrected", "customer_ref": 5})", {"customer_ref"},
      "feedback: customer_ref a number");
  bad(Op::feedback,
      "{\"call_id\": \"seed_a\", \"outcome\": \"corrected\", \"customer_ref\": \"" + repeat('r', 65) + "\"}",
      {"customer_ref"}, "feedback: customer_ref 65 chars");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "confirmed", "at": "later"})", {"at"},
      "feedback: at malformed");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "confirmed", "at": "2020-01-01T00:00:00.000Z"})",
      {"at"}, "feedback: at before the call started");
  bad(Op::feedback,
      start_call_id("\"" + repeat('c', 129) + "\"").replace(0, 1, "{\"outcome\": \"confirmed\", "),
      {"call_id"}, "feedback: call_id 129 chars");
  status(Op::feedback, R"({"call_id": "nope", "outcome": "confirmed"})", Status::not_found,
         "feedback: unknown call");
  status(Op::feedback,
         "{\"call_id\": \"seed_b\", \"outcome\": \"corrected\", \"customer_ref\": \"" + kUnknownRef + "\"}",
         Status::not_found, "feedback: corrected to an unknown customer");
  status(Op::feedback, R"({"call_id": "seed_a", "outcome": "rejected"})", Status::conflict,
         "feedback: rejected on a call that created its customer");
  add(Op::feedback, "other", R"({"call_id": "seed_a", "outcome": "confirmed"})", Status::not_found, {},
      "feedback: acme's call in tenant other");
  add(Op::feedback, "acme/", R"({"call_id": "seed_a", "outcome": "confirmed"})", Status::invalid, {"tenant"},
      "feedback: bad tenant");
  bad(Op::unmerge, "", none, "unmerge: empty text");
  bad(Op::unmerge, "{}", {"merge_id"}, "unmerge: merge_id missing");
  bad(Op::unmerge, R"({"merge_id": ""})", {"merge_id"}, "unmerge: merge_id empty");
  bad(Op::unmerge, R"({"merge_id": 12})", {"merge_id"}, "unmerge: merge_id a number");
  bad(Op::unmerge, "{\"merge_id\": \"" + repeat('m', 65) + "\"}", {"merge_id"}, "unmerge: merge_id 65 chars");
  status(Op::unmerge, "{\"merge_id\": \"" + kUnknownRef + "\"}", Status::not_found,
         "unmerge: unknown merge_id");
  bad(Op::unmerge, R"({"merge_id": "a", "merge_id": "b"})", {"merge_id"}, "unmerge: merge_id twice");
  bad(Op::feedback, R"({"call_id": "seed_a", "outcome": "confirmed", "outcome": "rejected"})", {"outcome"},
      "feedback: outcome twice");
  return rows;
}

bool has_path(const Error& e, const Path& path) {
  for (const auto& i : e.issues())
    if (i.path == path) return true;
  return false;
}

}  // namespace

TEST_SUITE("malformed") {
  TEST_CASE("hostile requests fail with the contract's status, name the field, and write nothing") {
    Seeded s;
    const std::vector<Row> rows = hostile_rows(s);
    REQUIRE(rows.size() >= 120);
    const Snapshot seeded = snapshot(s.db_path);
    REQUIRE(row_count(seeded) > 0);
    MESSAGE(rows.size(), " hostile rows over a database of ", row_count(seeded), " rows");

    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& row = rows[i];
      const std::string where = "row " + std::to_string(i) + " (" + op_name(row.op) + ": " + row.note +
                                ") tenant '" + printable(row.tenant) + "' request " + printable(row.text);
      INFO(where);
      const Snapshot before = snapshot(s.db_path);
      Status got = Status::ok;
      try {
        const std::string response = run(s.mem, row.op, row.tenant, row.text);
        if (row.status != Status::ok)
          FAIL_CHECK("expected ", std::string(status_name(row.status)),
                     " but it succeeded: ", printable(response, 300));
      } catch (const Error& e) {
        got = e.status();
        CHECK_MESSAGE(std::string(status_name(got)) == status_name(row.status), "got ",
                      std::string(status_name(got)), ": ", printable(e.what()), " ", issues_text(e));
        CHECK(std::string(e.what()).size() > 0);
        if (row.status == Status::invalid && got == Status::invalid) {
          CHECK_MESSAGE(!e.issues().empty(), "an invalid request must name its issues");
          CHECK_MESSAGE(has_path(e, row.path), "expected an issue at ", path_text(row.path), "; got ",
                        issues_text(e));
          if (!e.issues().empty())
            CHECK_MESSAGE(e.issues().front().path == row.path, "first issue: ", issues_text(e));
          for (const auto& issue : e.issues()) CHECK(!issue.message.empty());
        }
      } catch (const std::exception& e) {
        FAIL_CHECK("threw a non-callmem exception: ", e.what());
      }
      const Snapshot after = snapshot(s.db_path);
      CHECK_MESSAGE(before == after, "the database changed: ", changed_tables(before, after));
    }
    // And in total: the seeded database is exactly what it was.
    CHECK(snapshot(s.db_path) == seeded);
  }

  TEST_CASE("hostile fuzz: mutated start and end requests succeed or throw callmem::Error") {
    Seeded s;
    std::map<std::string, int> outcomes;
    std::size_t calls = 0;
    const auto attempt = [&](bool start, const std::string& text) {
      ++calls;
      try {
        if (start)
          s.mem.start_call_json("acme", text);
        else
          s.mem.end_call_json("acme", text);
        ++outcomes["ok"];
      } catch (const Error& e) {
        ++outcomes[status_name(e.status())];
        // A request, however broken, is the host's mistake: never a library
        // error, a store error or busy.
        const bool expected = e.status() == Status::invalid || e.status() == Status::not_found ||
                              e.status() == Status::conflict;
        if (!expected)
          FAIL_CHECK(std::string(start ? "start" : "end"), " gave ", std::string(status_name(e.status())),
                     " (", printable(e.what()), ") for ", printable(text, 400));
        if (e.status() == Status::invalid && e.issues().empty())
          FAIL_CHECK("invalid without issues for ", printable(text, 400));
      } catch (const std::exception& e) {
        FAIL_CHECK("non-callmem exception ", e.what(), " for ", printable(text, 400));
      } catch (...) {
        FAIL_CHECK("unknown exception for ", printable(text, 400));
      }
    };

    // Every row's text, whatever operation it was meant for, as a start and an end.
    for (const Row& row : hostile_rows(s)) {
      attempt(true, row.text);
      attempt(false, row.text);
    }

    const std::string start_base =
        R"({"call_id": "fz_1", "identity_hints": {"ani": "+14155551234", "dnis": "+18005550100",)"
        R"( "external_ids": {"crm_id": "CRM_789", "email": "Ann@Example.com"}, "customer_ref": ")" +
        s.ref_a +
        R"("}, "telco": {"line_type": "mobile", "attestation": "A", "verstat": "TN-Validation-Passed"},)"
        R"( "channel": "voice", "direction": "inbound", "at": "2026-02-07T11:30:00.000Z"})";
    const std::string end_base =
        R"({"call_id": "fz_2", "identity_hints": {"ani": "+14155551234"}, "intent": "refund_request",)"
        R"( "intent_status": "open", "intent_is_open": true, "intents": [{"intent": "address_change",)"
        R"( "status": "resolved"}], "variables": {"name": "John Doe", "order_id": "12345", "cart":)"
        R"( {"items": [1, 2.5, true, null]}, "old_key": null}, "variable_ttl_seconds": {"order_id": 7776000},)"
        R"( "external_ids": {"account_number": "99812"}, "at": "2026-02-07T11:31:00.000Z"})";
    // Both bases are valid requests.
    CHECK_NOTHROW(s.mem.start_call_json("acme", start_base));
    CHECK_NOTHROW(s.mem.end_call_json("acme", end_base));

    std::mt19937 rng(20260207u);
    const auto below = [&](std::size_t n) {
      return n == 0 ? std::size_t{0} : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const char kSpecials[] = "{}[]\":,\\0123456789-.eEtfnul \x00\x7f\x80\xbf\xc0\xed\xf4\xff";
    const std::string specials(kSpecials, sizeof kSpecials - 1);
    const auto mutate = [&](std::string t) {
      const std::size_t n = 1 + below(3);
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t pos = below(t.size() + 1);
        switch (below(7)) {
          case 0:  // flip a bit
            if (pos < t.size()) t[pos] = static_cast<char>(t[pos] ^ (1 << below(8)));
            break;
          case 1:  // a random byte
            if (pos < t.size()) t[pos] = static_cast<char>(below(256));
            break;
          case 2:  // a JSON-significant or UTF-8-hostile byte
            if (pos < t.size()) t[pos] = specials[below(specials.size())];
            break;
          case 3:  // truncate
            t.resize(pos);
            break;
          case 4:  // delete a span
            t.erase(pos, below(16));
            break;
          case 5:  // insert a byte
            t.insert(pos, 1, static_cast<char>(below(256)));
            break;
          default:  // duplicate a span
            if (pos < t.size()) t.insert(pos, t.substr(pos, below(32)));
            break;
        }
      }
      return t;
    };
    for (int i = 0; i < 2000; ++i) {
      attempt(true, mutate(start_base));
      attempt(false, mutate(end_base));
    }

    std::string summary;
    for (const auto& [k, v] : outcomes) summary += k + "=" + std::to_string(v) + " ";
    MESSAGE(calls, " fuzzed calls: ", summary);
    CHECK(outcomes["ok"] > 0);
    CHECK(outcomes["invalid"] > 0);
    // The memory still answers after all that.
    CHECK_NOTHROW(s.mem.get_customer_json("acme", "{\"customer_ref\": \"" + s.ref_a + "\"}"));
  }

  TEST_CASE("hostile but valid: nesting and sizes at the limits are stored and read back") {
    Seeded s;
    // A variable value of exactly 16 KiB of JSON, nested 8192 deep.
    const std::string deep = repeat('[', 8192) + repeat(']', 8192);
    REQUIRE(deep.size() == callmem::json::kMaxVariableValueBytes);
    const std::string start = R"({"call_id": "deep_1", "identity_hints": {"ani": "+14155550177"},)"
                              R"( "telco": {"line_type": "mobile"}})";
    CHECK_NOTHROW(s.mem.start_call_json("acme", start));
    std::string ended;
    CHECK_NOTHROW(
        ended = s.mem.end_call_json("acme", R"({"call_id": "deep_1", "variables": {"deep": )" + deep + "}}"));
    CHECK(ended.find("\"variables_updated\":1") != std::string::npos);
    std::string view;
    CHECK_NOTHROW(view = s.mem.get_customer_json("acme", "{\"customer_ref\": \"" + ref_of(ended) + "\"}"));
    CHECK(view.find(deep) != std::string::npos);
    // The returning caller gets it back in the start response.
    s.clock->advance(callmem::kDay);
    std::string again;
    CHECK_NOTHROW(again = s.mem.start_call_json(
                      "acme", R"({"call_id": "deep_2", "identity_hints": {"ani": "+14155550177"},)"
                              R"( "telco": {"line_type": "mobile"}})"));
    CHECK(again.find(deep) != std::string::npos);
    // An unknown member nested 100000 deep: accepted (ignored) or refused, never a crash.
    try {
      s.mem.start_call_json("acme",
                            R"({"call_id": "deep_3", "identity_hints": {"ani": "+14155550177"}, "x": )" +
                                repeat('[', 100000) + repeat(']', 100000) + "}");
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid);
    }
  }

  // Inside the library a time of 0 means "not given"; the epoch itself must
  // therefore never be read as "now": either it is refused with an issue at
  // the field (what the codec does), or honoured as a time.
  TEST_CASE("hostile: the epoch itself is not taken for an omitted time") {
    Seeded s;
    const std::string epoch = "1970-01-01T00:00:00.000Z";
    // Invalid naming `path`, or else `accepted` holds for the response.
    const auto invalid_or = [](const std::function<std::string()>& f, const Path& path,
                               const std::function<bool(const std::string&)>& accepted) {
      try {
        const std::string response = f();
        CHECK_MESSAGE(accepted(response), "the epoch was taken for 'not given': ", printable(response, 400));
        return true;
      } catch (const Error& e) {
        CHECK(e.status() == Status::invalid);
        CHECK_MESSAGE(has_path(e, path), issues_text(e));
        return false;
      }
    };
    const std::string start =
        R"({"call_id": "epoch_1", "identity_hints": {"ani": "+14155550188"}, "at": ")" + epoch + "\"}";
    const bool started = invalid_or([&] { return s.mem.start_call_json("acme", start); }, {"at"},
                                    [&](const std::string& r) {
                                      return r.find("\"call_start\":\"" + epoch + "\"") != std::string::npos;
                                    });
    if (started) {
      // An omitted "at" is part of the request as omitted: another request.
      try {
        s.mem.start_call_json("acme", R"({"call_id": "epoch_1", "identity_hints": {"ani": "+14155550188"}})");
        FAIL_CHECK("a start without \"at\" replayed the start at the epoch instead of a conflict");
      } catch (const Error& e) {
        CHECK(e.status() == Status::conflict);
      }
    }
    // An end at the epoch is before seed_b's start either way.
    try {
      const std::string r = s.mem.end_call_json("acme", R"({"call_id": "seed_b", "at": ")" + epoch + "\"}");
      FAIL_CHECK("an end at the epoch, before its call's start, succeeded: ", r);
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid);
      CHECK_MESSAGE(has_path(e, {"at"}), issues_text(e));
    }
    invalid_or(
        [&] { return s.mem.usage_json("acme", R"({"from": ")" + epoch + R"(", "to": ")" + epoch + "\"}"); },
        {"to"}, [](const std::string& r) { return r.find("2026-") == std::string::npos; });
    // Everything of the seed expires by the clock's now + 100 days, nothing by the epoch.
    s.clock->advance(100 * callmem::kDay);
    const Snapshot before = snapshot(s.db_path);
    invalid_or([&] { return s.mem.purge_expired_json(R"({"now": ")" + epoch + "\"}"); }, {"now"},
               [&](const std::string&) { return snapshot(s.db_path) == before; });
  }
}
