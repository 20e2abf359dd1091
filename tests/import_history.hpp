// A generated call history for the import tests: NDJSON lines of past calls
// (overlapping, out of order in the file), the same calls as the live start
// and end requests, in the order they happened, and a database dump that
// reads the same for two databases holding the same (customer_refs, which
// are random, renamed by their first appearance; calls' answers unpacked).
#ifndef CALLMEM_TESTS_IMPORT_HISTORY_HPP
#define CALLMEM_TESTS_IMPORT_HISTORY_HPP

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "store/sqlite/answers.hpp"
#include "time.hpp"

namespace import_history {

using callmem::Millis;

struct Request {
  Millis at;
  std::size_t line;
  bool end;
  std::string json;
};

struct History {
  std::string ndjson;
  std::vector<Request> live;      // in the order they happened
  std::vector<std::string> anis;  // one per caller
  Millis last = 0;
};

inline History generate(int calls, int callers, unsigned seed, Millis t0) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  History h;
  for (int c = 0; c < callers; ++c) h.anis.push_back(fmt::format("+1415{:07d}", 5550000 + c));
  const char* intents[] = {"refund_request", "address_change", "billing_question", "cancel"};
  const char* statuses[] = {"open", "open", "resolved", "abandoned"};
  std::vector<std::string> lines;
  Millis t = t0;
  for (int i = 0; i < calls; ++i) {
    t += pick(600) * 1000;
    const int c = pick(callers);
    const std::string id = fmt::format("hist-{:06d}", i);
    std::string hints = fmt::format(R"("ani": "{}")", h.anis[c]);
    if (c % 5 < 2) hints += fmt::format(R"(, "external_ids": {{"crm_id": "CRM{:06d}"}})", c);
    const std::string start = fmt::format(
        R"({{"call_id": "{}", "identity_hints": {{{}}}, "telco": {{"line_type": "{}"}}, "at": "{}"}})", id,
        hints, c % 3 ? "mobile" : "landline", callmem::format_iso(t));
    std::string line = R"({"start": )" + start;
    h.live.push_back({t, static_cast<std::size_t>(i), false, start});
    if (pick(10)) {
      const Millis ended = t + (30 + pick(3600)) * 1000;
      std::string end =
          fmt::format(R"({{"call_id": "{}", "intent": "{}", "intent_status": "{}", )"
                      R"("variables": {{"name": "Caller {}", "last_call": "{}"}}, "at": "{}")",
                      id, intents[pick(4)], statuses[pick(4)], c, id, callmem::format_iso(ended));
      if (pick(10) == 0) end += fmt::format(R"(, "external_ids": {{"account_number": "A{}"}})", c);
      end += "}";
      line += R"(, "end": )" + end;
      h.live.push_back({ended, static_cast<std::size_t>(i), true, end});
      h.last = std::max(h.last, ended);
    }
    h.last = std::max(h.last, t);
    lines.push_back(line + "}");
  }
  // The file is not in time order: the import sorts. Line numbers follow the file.
  std::vector<std::size_t> order(lines.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::size_t> line_of(lines.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    h.ndjson += lines[order[k]] + "\n";
    line_of[order[k]] = k + 1;
  }
  for (Request& r : h.live) r.line = line_of[r.line];
  std::stable_sort(h.live.begin(), h.live.end(), [](const Request& a, const Request& b) {
    return std::tie(a.at, a.line, a.end) < std::tie(b.at, b.line, b.end);
  });
  return h;
}

// Every UUID in `text` named by its first appearance in `names`.
inline std::string rename_refs(const std::string& text, std::map<std::string, std::string>& names) {
  static const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), uuid), end; it != end; ++it) {
    out.append(last, text.cbegin() + it->position());
    auto [n, added] = names.emplace(it->str(), "");
    if (added) n->second = fmt::format("ref{}", names.size());
    out += n->second;
    last = text.cbegin() + it->position() + it->length();
  }
  out.append(last, text.cend());
  return out;
}

// Every table's rows but `skip`'s, customer_refs renamed (calls first, by
// call_id, so that the names follow the calls), each table's rows sorted.
inline std::string dump(const std::string& path, const std::vector<std::string>& skip = {}) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  auto rows = [&](const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (sqlite3_column_type(st, i) == SQLITE_BLOB) {
          const void* b = sqlite3_column_blob(st, i);
          row +=
              callmem::sqlite::unpack_answer(b, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) + "|";
          continue;
        }
        const unsigned char* v = sqlite3_column_text(st, i);
        row += (v ? reinterpret_cast<const char*>(v) : "NULL") + std::string("|");
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    return out;
  };
  std::map<std::string, std::string> names;
  std::string out;
  std::vector<std::string> tables = rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::stable_partition(tables.begin(), tables.end(), [](const std::string& t) { return t == "calls|"; });
  for (std::string t : tables) {
    t.pop_back();
    if (std::find(skip.begin(), skip.end(), t) != skip.end()) continue;
    std::vector<std::string> r = rows("SELECT * FROM " + t + (t == "calls" ? " ORDER BY call_id" : ""));
    for (std::string& row : r) row = rename_refs(row, names);
    std::sort(r.begin(), r.end());
    out += "== " + t + "\n";
    for (const std::string& row : r) out += row + "\n";
  }
  sqlite3_close(db);
  return out;
}

}  // namespace import_history

#endif
