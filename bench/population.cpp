// The benchmarks' population of customers (population.hpp).
#include "population.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "uuid.hpp"

namespace bench {

using callmem::kDay;
using callmem::kSecond;

Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string json_str(const std::string& s) { return "\"" + s + "\""; }

std::int64_t parse_count(const std::string& s) {
  std::size_t pos = 0;
  double v = std::stod(s, &pos);
  const std::string suffix = s.substr(pos);
  if (suffix == "k" || suffix == "K")
    v *= 1e3;
  else if (suffix == "m" || suffix == "M")
    v *= 1e6;
  else if (!suffix.empty())
    throw std::invalid_argument("bad count: " + s);
  if (v < 1) throw std::invalid_argument("bad count: " + s);
  return static_cast<std::int64_t>(v);
}

std::string ani_of(std::int64_t i) { return "+1" + std::to_string(2012000000LL + 7 * i); }
bool has_crm(std::int64_t i) { return splitmix(static_cast<std::uint64_t>(i)) % 100 < 40; }
std::string crm_of(std::int64_t i) { return fmt::format("CRM{:08d}", i); }

namespace {
std::uint64_t hash_of(std::int64_t i) { return splitmix(static_cast<std::uint64_t>(i) ^ 0x5eedULL); }
}  // namespace

CustomerData customer_data(std::int64_t i, std::int64_t n, const Population& pop) {
  const std::uint64_t h = hash_of(i);
  CustomerData d;
  d.call_at = pop.base + pop.span * i / n;
  d.call_end = d.call_at + 60 * kSecond + static_cast<Millis>(h % 600) * kSecond;
  if ((h >> 16) % 100 < 30) {
    d.open_intent = kIntents[(h >> 8) % kIntents.size()];
    d.open_attempts = static_cast<std::int64_t>(1 + (h >> 24) % 3);
  }
  if ((h >> 32) % 100 < 15) d.resolved_intent = kIntents[((h >> 8) + 1) % kIntents.size()];
  d.variables.emplace_back("name", json_str(fmt::format("Customer {}", i)));
  d.variables.emplace_back("order_id", json_str(fmt::format("ORD-{:07d}", h % 10000000)));
  if ((h >> 40) % 100 < 20) {
    d.variables.emplace_back("summary", json_str(fmt::format("Called about order ORD-{:07d}: the parcel was "
                                                             "late, a refund of {} USD was promised within "
                                                             "five working days; call back if not received.",
                                                             h % 10000000, 10 + h % 190)));
  }
  return d;
}

double populate(const std::string& path, std::int64_t n, const Population& pop) {
  const auto t0 = std::chrono::steady_clock::now();
  callmem::SqliteStore store(path, 5000);
  // Sorted refs, ANIs, crm ids, call ids and times: every insert appends to
  // its B-trees, so a million customers take seconds, not hours.
  std::vector<std::string> refs(static_cast<std::size_t>(n));
  for (auto& r : refs) r = callmem::uuid_v4();
  std::sort(refs.begin(), refs.end());
  constexpr std::int64_t kBatch = 50000;
  for (std::int64_t b = 0; b < n; b += kBatch) {
    auto tx = store.begin(kTenant, callmem::Access::write);
    const std::int64_t e = std::min(n, b + kBatch);
    for (std::int64_t i = b; i < e; ++i) {
      const std::uint64_t h = hash_of(i);
      const std::string& ref = refs[static_cast<std::size_t>(i)];
      const CustomerData d = customer_data(i, n, pop);
      const Millis t = d.call_at;
      const Millis end = d.call_end;
      const Millis exp = t + kTtl;
      tx->customer_insert(callmem::CustomerRow{ref, t, end, exp});
      tx->link_upsert(callmem::LinkRow{{"ani", "", ani_of(i)}, ref, "mobile", t, t, exp, "", 0, 0});
      if (has_crm(i))
        tx->link_upsert(callmem::LinkRow{{"external_id", "crm_id", crm_of(i)}, ref, "", t, t, exp, "", 0, 0});

      callmem::CallRow call;
      call.call_id = fmt::format("pop-{:08d}", i);
      call.customer_ref = ref;
      call.started_at = t;
      call.ended_at = end;
      call.channel = "voice";
      call.direction = "inbound";
      call.start_fingerprint = h | 1;
      call.start_response = fmt::format(
          R"({{"call_id":"{}","customer_ref":"{}","call_start":"{}","identity":{{"confidence":0,)"
          R"("level":"low","sources":[],"recommendation":"ignore"}},"open_intents":[],"variables":{{}}}})",
          call.call_id, ref, callmem::format_iso(t));
      call.end_fingerprint = (h >> 1) | 1;
      call.end_response = fmt::format(
          R"({{"call_id":"{}","customer_ref":"{}","call_start":"{}","call_end":"{}",)"
          R"("duration_seconds":{},"intents_updated":1,"variables_updated":2}})",
          call.call_id, ref, callmem::format_iso(t), callmem::format_iso(end), (end - t) / kSecond);
      call.created_customer = true;
      call.expires_at = exp;
      tx->call_insert(call);

      if (!d.open_intent.empty()) {
        tx->intent_put(ref, callmem::IntentRow{d.open_intent, "open", d.open_attempts, t - 3 * kDay, end,
                                               call.call_id, end + kTtl});
      }
      if (!d.resolved_intent.empty()) {
        tx->intent_put(
            ref, callmem::IntentRow{d.resolved_intent, "resolved", 1, t, end, call.call_id, end + kTtl});
      }
      for (const auto& [name, value] : d.variables)
        tx->variable_put(ref, callmem::VariableRow{name, value, call.call_id, end, 0, end + kTtl});
    }
    tx->commit();
  }
  return seconds_since(t0);
}

}  // namespace bench
