// The store suite: what every Store implementation must do, written against
// Store& only, so that each store runs it unchanged.
//
// Use, in one test file per store:
//
//   #include "store_suite.hpp"
//   std::unique_ptr<callmem::Store> make_my_store();   // a fresh, empty store
//   CALLMEM_STORE_SUITE("sqlite file", make_my_store)
//
// which defines one doctest test case per area, named "<label>: <area>"
// (CALLMEM_STORE_SUITE_IN runs them inside a scope object, e.g. a locale). The
// factory is called once per test case and must give an empty store whose
// writers wait (busy timeout) at least a second for each other.
#ifndef CALLMEM_TESTS_STORE_SUITE_HPP
#define CALLMEM_TESTS_STORE_SUITE_HPP

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "callmem/error.hpp"
#include "callmem/types.hpp"
#include "store/store.hpp"

namespace callmem::store_suite {

// ---------------------------------------------------------------- helpers --

inline constexpr Millis kT0 = 1770000000000;  // 2026-02-02, an ordinary "now"
inline constexpr Millis kHour = 3600 * 1000;

inline CustomerRow customer(const std::string& ref, Millis at, Millis expires_at) {
  CustomerRow c;
  c.customer_ref = ref;
  c.created_at = at;
  c.last_seen = at;
  c.expires_at = expires_at;
  return c;
}

inline Identifier ani(const std::string& number) { return Identifier{"ani", "", number}; }
inline Identifier external(const std::string& key, const std::string& value) {
  return Identifier{"external_id", key, value};
}

inline LinkRow link(const Identifier& id, const std::string& ref, Millis at, Millis expires_at,
                    const std::string& line_type = "") {
  LinkRow l;
  l.id = id;
  l.customer_ref = ref;
  l.line_type = line_type;
  l.first_seen = at;
  l.last_seen = at;
  l.expires_at = expires_at;
  return l;
}

inline CallRow call(const std::string& call_id, const std::string& ref, Millis started_at,
                    Millis expires_at) {
  CallRow c;
  c.call_id = call_id;
  c.customer_ref = ref;
  c.started_at = started_at;
  c.channel = "voice";
  c.direction = "inbound";
  c.call_data_json = "{}";
  c.start_fingerprint = 0x8000000000000001ULL;  // the top bit set: stored as a negative int64
  c.start_response = "{\"call_id\":\"" + call_id + "\"}";
  c.created_customer = false;
  c.expires_at = expires_at;
  return c;
}

inline IntentRow intent(const std::string& name, const std::string& status, Millis at, Millis expires_at,
                        std::int64_t attempts = 1) {
  IntentRow i;
  i.intent = name;
  i.status = status;
  i.attempt_count = attempts;
  i.first_seen = at;
  i.last_seen = at;
  i.last_call_id = "call-" + name;
  i.expires_at = expires_at;
  return i;
}

inline VariableRow variable(const std::string& name, const std::string& value_json, Millis at,
                            Millis expires_at, std::int64_t own_ttl_seconds = 0) {
  VariableRow v;
  v.name = name;
  v.value_json = value_json;
  v.source = "call-1";
  v.updated_at = at;
  v.own_ttl_seconds = own_ttl_seconds;
  v.expires_at = expires_at;
  return v;
}

inline std::vector<std::string> call_ids(const std::vector<CallRow>& calls) {
  std::vector<std::string> ids;
  for (const CallRow& c : calls) ids.push_back(c.call_id);
  return ids;
}

inline std::vector<std::string> refs(const std::vector<LinkRow>& links) {
  std::vector<std::string> out;
  for (const LinkRow& l : links) out.push_back(l.customer_ref);
  return out;
}

// Transactions one after another, each on what the next call is about:
// tx("a") is a transaction on tenant "a", tx.all() one across tenants. Asking
// for another commits the open one first, so that two are never open at once
// (two writers would wait for each other on SQLite).
class Serial {
 public:
  Serial(Store& store, Access access) : store_(store), access_(access) {}
  Transaction& operator()(const std::string& tenant) {
    if (!on_ || on_->tenant() != tenant) {
      commit();
      on_ = store_.begin(tenant, access_);
    }
    return *on_;
  }
  AcrossTenants& all() {
    if (!all_) {
      commit();
      all_ = store_.begin_all(access_);
    }
    return *all_;
  }
  // Commits the open transaction, if any.
  void commit() {
    if (on_) on_->commit();
    if (all_) all_->commit();
    reset();
  }
  // Rolls back the open transaction, if any.
  void reset() {
    on_.reset();
    all_.reset();
  }

 private:
  Store& store_;
  Access access_;
  std::unique_ptr<Transaction> on_;
  std::unique_ptr<AcrossTenants> all_;
};

// Runs `body` in committed write transactions, one after another.
template <typename F>
void write(Store& store, F&& body) {
  Serial tx(store, Access::write);
  body(tx);
  tx.commit();
}

// ------------------------------------------------------------------ areas --

inline void tenants(Store& store) {
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("acme").tenant_get().has_value());

  TenantRow row;
  row.settings.ttl_days = 90;
  row.settings.default_region = "GB";
  row.settings.level_very_high = 0.95;
  row.settings.level_high = 0.75;
  row.settings.level_medium = 0.55;
  row.settings.reuse = 0.6;
  row.settings.confirm = 0.1 + 0.2;  // 0.30000000000000004: kept to the last bit
  row.settings.billing_enabled = true;
  row.settings.prices.start_new = 3;
  row.settings.prices.start_returning = 2;
  row.settings.prices.end = 1;
  row.settings.identity_profile = "hosted";
  row.settings.identity_weights.ani_u_landline = 0.3;
  row.settings.identity_weights.external_id_u = 0.00051;
  row.settings.identity_weights.open_intent = 3;
  row.settings.identity_merge_duplicates = false;
  row.settings.rate_limit_per_minute = 600;
  row.balance = 1234;
  tx("acme").tenant_put(row);

  auto got = tx("acme").tenant_get();
  REQUIRE(got.has_value());
  CHECK(got->settings.ttl_days == 90);
  CHECK(got->settings.default_region == "GB");
  CHECK(got->settings.level_very_high == 0.95);
  CHECK(got->settings.level_high == 0.75);
  CHECK(got->settings.level_medium == 0.55);
  CHECK(got->settings.reuse == 0.6);
  CHECK(got->settings.confirm == 0.1 + 0.2);
  CHECK(got->settings.billing_enabled);
  CHECK(got->settings.prices.start_new == 3);
  CHECK(got->settings.prices.start_returning == 2);
  CHECK(got->settings.prices.end == 1);
  CHECK(got->settings.rate_limit_per_minute == 600);
  CHECK(got->settings.identity_profile == "hosted");
  // The weights, exactly (the store keeps json::write_identity_weights' text).
  CHECK(got->settings.identity_weights.ani_u_landline == 0.3);
  CHECK(got->settings.identity_weights.external_id_u == 0.00051);
  CHECK(got->settings.identity_weights.open_intent == 3);
  CHECK(got->settings.identity_weights.ani_m == 0.85);
  CHECK(got->settings.identity_weights.ani_u_mobile == 0.002);
  CHECK_FALSE(got->settings.identity_merge_duplicates);
  CHECK(got->balance == 1234);

  // Put again replaces the row.
  row.settings.ttl_days = 7;
  row.settings.billing_enabled = false;
  row.settings.identity_weights = IdentityWeights{};
  row.settings.identity_weights.ani_m = 0.9;
  row.balance = -5;
  tx("acme").tenant_put(row);
  got = tx("acme").tenant_get();
  REQUIRE(got.has_value());
  CHECK(got->settings.ttl_days == 7);
  CHECK_FALSE(got->settings.billing_enabled);
  CHECK(got->settings.identity_weights.ani_m == 0.9);
  CHECK(got->settings.identity_weights.ani_u_landline == 0.7);
  CHECK(got->balance == -5);

  // Another tenant is untouched.
  CHECK_FALSE(tx("other").tenant_get().has_value());
  tx.commit();

  Serial rtx(store, Access::read);
  got = rtx("acme").tenant_get();
  REQUIRE(got.has_value());
  CHECK(got->settings.ttl_days == 7);
}

inline void customers(Store& store) {
  write(store, [](Serial& tx) {
    tx("a").customer_insert(customer("c1", kT0, kT0 + 10 * kHour));
    tx("b").customer_insert(customer("c1", kT0 + 1, kT0 + 20 * kHour));
  });
  Serial tx(store, Access::write);
  auto got = tx("a").customer_get("c1", kT0);
  REQUIRE(got.has_value());
  CHECK(got->customer_ref == "c1");
  CHECK(got->created_at == kT0);
  CHECK(got->last_seen == kT0);
  CHECK(got->expires_at == kT0 + 10 * kHour);

  // Expired at expires_at itself: only expires_at > now is returned.
  CHECK(tx("a").customer_get("c1", kT0 + 10 * kHour - 1).has_value());
  CHECK_FALSE(tx("a").customer_get("c1", kT0 + 10 * kHour).has_value());
  CHECK_FALSE(tx("a").customer_get("missing", kT0).has_value());

  // The same ref in another tenant is another customer.
  got = tx("b").customer_get("c1", kT0);
  REQUIRE(got.has_value());
  CHECK(got->created_at == kT0 + 1);
  CHECK_FALSE(tx("c").customer_get("c1", kT0).has_value());

  // Touch moves last_seen and expires_at, keeps created_at, of that tenant only.
  tx("a").customer_touch("c1", kT0 + 5 * kHour, kT0 + 50 * kHour);
  got = tx("a").customer_get("c1", kT0 + 30 * kHour);
  REQUIRE(got.has_value());
  CHECK(got->created_at == kT0);
  CHECK(got->last_seen == kT0 + 5 * kHour);
  CHECK(got->expires_at == kT0 + 50 * kHour);
  got = tx("b").customer_get("c1", kT0);
  REQUIRE(got.has_value());
  CHECK(got->last_seen == kT0 + 1);
  CHECK(got->expires_at == kT0 + 20 * kHour);

  // A ref whose row expired but is not purged yet can be inserted again (a
  // host may hand back an old customer_ref): the new row replaces the old.
  tx("b").customer_insert(customer("c1", kT0 + 30 * kHour, kT0 + 40 * kHour));
  got = tx("b").customer_get("c1", kT0 + 30 * kHour);
  REQUIRE(got.has_value());
  CHECK(got->created_at == kT0 + 30 * kHour);
  CHECK(got->expires_at == kT0 + 40 * kHour);
  tx.commit();
}

inline void links(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    tx("a").link_upsert(link(ani("+14155551234"), "c1", kT0, exp, "mobile"));
    tx("a").link_upsert(link(ani("+14155551234"), "c2", kT0 + 1, exp, "mobile"));  // shared phone
    tx("a").link_upsert(link(external("crm_id", "CRM_1"), "c1", kT0, exp));
    tx("a").link_upsert(link(external("account", "CRM_1"), "c3", kT0, exp));  // same value, other key
    tx("a").link_upsert(link(ani("+15550000000"), "c4", kT0, kT0 + kHour));   // expires soon
    tx("b").link_upsert(link(ani("+14155551234"), "c9", kT0, exp));           // another tenant
  });

  Serial tx(store, Access::write);
  std::vector<LinkRow> found = tx("a").links_find({ani("+14155551234")}, kT0 + 2);
  REQUIRE(found.size() == 2);
  for (const LinkRow& l : found) {
    CHECK(l.id == ani("+14155551234"));
    CHECK(l.line_type == "mobile");
    CHECK(l.expires_at == exp);
  }
  CHECK((refs(found) == std::vector<std::string>{"c1", "c2"} ||
         refs(found) == std::vector<std::string>{"c2", "c1"}));

  // Every link of every identifier given; the key is part of the identifier.
  found = tx("a").links_find({external("crm_id", "CRM_1"), ani("+14155551234"), ani("+1999")}, kT0);
  CHECK(found.size() == 3);
  found = tx("a").links_find({external("crm_id", "CRM_1")}, kT0);
  REQUIRE(found.size() == 1);
  CHECK(found[0].customer_ref == "c1");
  CHECK(found[0].id == external("crm_id", "CRM_1"));
  CHECK(found[0].first_seen == kT0);
  CHECK(found[0].last_seen == kT0);
  CHECK(tx("a").links_find({}, kT0).empty());
  // An identifier listed twice does not return its links twice.
  CHECK(tx("a").links_find({external("crm_id", "CRM_1"), external("crm_id", "CRM_1")}, kT0).size() == 1);

  // Expired links are never found.
  CHECK(tx("a").links_find({ani("+15550000000")}, kT0).size() == 1);
  CHECK(tx("a").links_find({ani("+15550000000")}, kT0 + kHour).empty());

  // Tenant isolation.
  found = tx("b").links_find({ani("+14155551234"), external("crm_id", "CRM_1")}, kT0);
  REQUIRE(found.size() == 1);
  CHECK(found[0].customer_ref == "c9");
  CHECK(tx("c").links_find({ani("+14155551234")}, kT0).empty());

  // links_of: the customer's unexpired links.
  std::vector<LinkRow> of = tx("a").links_of("c1", kT0);
  REQUIRE(of.size() == 2);
  for (const LinkRow& l : of) CHECK(l.customer_ref == "c1");
  CHECK(tx("a").links_of("c4", kT0).size() == 1);
  CHECK(tx("a").links_of("c4", kT0 + kHour).empty());
  CHECK(tx("b").links_of("c1", kT0).empty());

  // Upsert keeps first_seen, refreshes last_seen and expires_at; an empty
  // line_type keeps the known one, a given one replaces it.
  LinkRow again = link(ani("+14155551234"), "c1", kT0 + 10 * kHour, kT0 + 200 * kHour, "");
  tx("a").link_upsert(again);
  found = tx("a").links_find({ani("+14155551234")}, kT0 + 150 * kHour);
  REQUIRE(found.size() == 1);  // c2's link expired meanwhile
  CHECK(found[0].customer_ref == "c1");
  CHECK(found[0].first_seen == kT0);
  CHECK(found[0].last_seen == kT0 + 10 * kHour);
  CHECK(found[0].expires_at == kT0 + 200 * kHour);
  CHECK(found[0].line_type == "mobile");
  again.last_seen = kT0 + 11 * kHour;
  again.line_type = "voip";
  tx("a").link_upsert(again);
  found = tx("a").links_find({ani("+14155551234")}, kT0 + 150 * kHour);
  REQUIRE(found.size() == 1);
  CHECK(found[0].first_seen == kT0);
  CHECK(found[0].last_seen == kT0 + 11 * kHour);
  CHECK(found[0].line_type == "voip");
  // The other tenant's link with the same identifier is untouched.
  found = tx("b").links_find({ani("+14155551234")}, kT0);
  REQUIRE(found.size() == 1);
  CHECK(found[0].expires_at == exp);

  // A link seen again after it had expired (not purged yet) starts afresh:
  // its old first_seen and line_type are no longer kept data.
  tx("a").link_upsert(link(ani("+15550000000"), "c4", kT0 + 5 * kHour, kT0 + 9 * kHour, ""));
  found = tx("a").links_find({ani("+15550000000")}, kT0 + 5 * kHour);
  REQUIRE(found.size() == 1);
  CHECK(found[0].first_seen == kT0 + 5 * kHour);
  CHECK(found[0].line_type == "");
  tx.commit();
}

// What the identity code learns of a number rides on its links: the line
// reports are replaced when given, the confirmations when confirmed_on is
// not 0 (-1 clears them), and both start afresh on an expired link.
inline void link_learning(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  LinkRow l = link(ani("+14155551234"), "c1", kT0, exp, "mobile");
  l.line_reports = "mobile=1";
  tx("a").link_upsert(l);
  LinkRow confirmed = l;
  confirmed.confirmed_days = 2;
  confirmed.confirmed_on = 20500;
  tx("a").link_upsert(confirmed);
  // A plain refresh keeps both.
  tx("a").link_upsert(link(ani("+14155551234"), "c1", kT0 + kHour, exp, ""));
  std::vector<LinkRow> found = tx("a").links_find({ani("+14155551234")}, kT0);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line_reports == "mobile=1");
  CHECK(found[0].confirmed_days == 2);
  CHECK(found[0].confirmed_on == 20500);
  CHECK(tx("a").links_of("c1", kT0).at(0).confirmed_days == 2);
  LinkRow more = link(ani("+14155551234"), "c1", kT0 + 2 * kHour, exp, "mobile");
  more.line_reports = "landline=1,mobile=1";
  more.confirmed_on = -1;  // cleared
  tx("a").link_upsert(more);
  found = tx("a").links_find({ani("+14155551234")}, kT0);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line_reports == "landline=1,mobile=1");
  CHECK(found[0].confirmed_days == 0);
  CHECK(found[0].confirmed_on == 0);
  // An expired link seen again starts afresh.
  LinkRow old = link(ani("+15550000001"), "c2", kT0, kT0 + kHour, "voip");
  old.line_reports = "voip=3";
  old.confirmed_days = 4;
  old.confirmed_on = 20400;
  tx("a").link_upsert(old);
  tx("a").link_upsert(link(ani("+15550000001"), "c2", kT0 + 2 * kHour, exp, ""));
  found = tx("a").links_find({ani("+15550000001")}, kT0 + 2 * kHour);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line_reports == "");
  CHECK(found[0].confirmed_days == 0);
  tx.commit();
}

inline void calls(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("a").call_get("k1").has_value());

  CallRow full = call("k1", "c1", kT0, exp);
  full.ended_at = 0;
  full.channel = "chat";
  full.direction = "outbound";
  full.call_data_json = "{\"five9\":\"123\"}";
  full.start_fingerprint = 0xFFFFFFFFFFFFFFFFULL;
  full.start_response = std::string("{\"x\":\"\xC3\xA9\"}");
  full.created_customer = true;
  tx("a").call_insert(full);
  tx("b").call_insert(call("k1", "c9", kT0 + 7, exp));  // same call_id, another tenant

  auto got = tx("a").call_get("k1");
  REQUIRE(got.has_value());
  CHECK(got->call_id == "k1");
  CHECK(got->customer_ref == "c1");
  CHECK(got->started_at == kT0);
  CHECK(got->ended_at == 0);
  CHECK(got->channel == "chat");
  CHECK(got->direction == "outbound");
  CHECK(got->call_data_json == "{\"five9\":\"123\"}");
  CHECK(got->start_fingerprint == 0xFFFFFFFFFFFFFFFFULL);
  CHECK(got->start_response == full.start_response);
  CHECK(got->end_fingerprint == 0);
  CHECK(got->end_response == "");
  CHECK(got->created_customer);
  CHECK(got->expires_at == exp);

  got = tx("b").call_get("k1");
  REQUIRE(got.has_value());
  CHECK(got->customer_ref == "c9");
  CHECK(got->start_fingerprint == 0x8000000000000001ULL);
  CHECK_FALSE(got->created_customer);

  // call_end records the end, of that tenant's call only.
  CallRow end = *tx("a").call_get("k1");
  end.ended_at = kT0 + 15000;
  end.end_fingerprint = 0x7FFFFFFFFFFFFFFFULL;
  end.end_response = "{\"duration_seconds\":15}";
  end.call_data_json = "{\"five9\":\"123\",\"nice\":\"9\"}";
  tx("a").call_end(end);
  got = tx("a").call_get("k1");
  REQUIRE(got.has_value());
  CHECK(got->ended_at == kT0 + 15000);
  CHECK(got->end_fingerprint == 0x7FFFFFFFFFFFFFFFULL);
  CHECK(got->end_response == "{\"duration_seconds\":15}");
  CHECK(got->call_data_json == "{\"five9\":\"123\",\"nice\":\"9\"}");
  CHECK(got->start_response == full.start_response);
  CHECK(got->started_at == kT0);
  got = tx("b").call_get("k1");
  REQUIRE(got.has_value());
  CHECK(got->ended_at == 0);
  CHECK(got->end_response == "");

  // An expired call is still found by call_get (idempotency needs it).
  tx("a").call_insert(call("old", "c1", kT0 - 50 * kHour, kT0 - 1));
  CHECK(tx("a").call_get("old").has_value());
  tx.commit();
}

inline void call_history(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    // Five calls of c1, two sharing a start time (tie broken by call_id DESC).
    tx("a").call_insert(call("k1", "c1", kT0 + 1000, exp));
    tx("a").call_insert(call("k2", "c1", kT0 + 2000, exp));
    tx("a").call_insert(call("k3a", "c1", kT0 + 3000, exp));
    tx("a").call_insert(call("k3b", "c1", kT0 + 3000, exp));
    tx("a").call_insert(call("k4", "c1", kT0 + 4000, exp));
    tx("a").call_insert(call("gone", "c1", kT0 + 5000, kT0 + 10 * kHour));  // expires first
    tx("a").call_insert(call("other", "c2", kT0 + 4500, exp));
    tx("b").call_insert(call("k9", "c1", kT0 + 4600, exp));
  });

  Serial tx(store, Access::read);
  using V = std::vector<std::string>;
  CHECK(call_ids(tx("a").calls_of("c1", kT0, std::nullopt, 100)) ==
        V{"gone", "k4", "k3b", "k3a", "k2", "k1"});
  const Millis later = kT0 + 10 * kHour;
  CHECK(call_ids(tx("a").calls_of("c1", later, std::nullopt, 100)) == V{"k4", "k3b", "k3a", "k2", "k1"});
  CHECK(tx("a").calls_of("c1", later, std::nullopt, 0).empty());

  // Paging with a cursor: strictly older than the last row of the page.
  std::vector<CallRow> page = tx("a").calls_of("c1", later, std::nullopt, 2);
  CHECK(call_ids(page) == V{"k4", "k3b"});
  CallCursor cursor{page.back().started_at, page.back().call_id};
  page = tx("a").calls_of("c1", later, cursor, 2);
  CHECK(call_ids(page) == V{"k3a", "k2"});
  cursor = CallCursor{page.back().started_at, page.back().call_id};
  page = tx("a").calls_of("c1", later, cursor, 2);
  CHECK(call_ids(page) == V{"k1"});
  cursor = CallCursor{page.back().started_at, page.back().call_id};
  CHECK(tx("a").calls_of("c1", later, cursor, 2).empty());
  // A cursor on the tie: only the smaller call_id at that time is older.
  CHECK(call_ids(tx("a").calls_of("c1", later, CallCursor{kT0 + 3000, "k3b"}, 100)) == V{"k3a", "k2", "k1"});
  CHECK(call_ids(tx("a").calls_of("c1", later, CallCursor{kT0 + 3000, "k3a"}, 100)) == V{"k2", "k1"});

  // Rows carry every column.
  page = tx("a").calls_of("c1", later, std::nullopt, 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0].customer_ref == "c1");
  CHECK(page[0].started_at == kT0 + 4000);
  CHECK(page[0].start_fingerprint == 0x8000000000000001ULL);
  CHECK(page[0].start_response == "{\"call_id\":\"k4\"}");
  CHECK(page[0].expires_at == exp);

  // Tenant and customer isolation.
  CHECK(call_ids(tx("a").calls_of("c2", kT0, std::nullopt, 100)) == V{"other"});
  CHECK(call_ids(tx("b").calls_of("c1", kT0, std::nullopt, 100)) == V{"k9"});
  CHECK(tx("c").calls_of("c1", kT0, std::nullopt, 100).empty());
}

inline void intents(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("a").intent_get("c1", "refund").has_value());
  tx("a").intent_put("c1", intent("refund", "open", kT0 + 3000, exp, 2));
  tx("a").intent_put("c1", intent("address", "resolved", kT0 + 4000, exp));
  tx("a").intent_put("c1", intent("billing", "abandoned", kT0 + 2000, exp));
  tx("a").intent_put("c1", intent("zeta", "open", kT0 + 3000, exp));  // tie with refund
  tx("a").intent_put("c1", intent("old", "open", kT0, kT0 + kHour));
  tx("b").intent_put("c1", intent("refund", "resolved", kT0, exp));

  auto names = [](const std::vector<IntentRow>& rows) {
    std::vector<std::string> out;
    for (const IntentRow& r : rows) out.push_back(r.intent);
    return out;
  };
  using V = std::vector<std::string>;
  // Newest last_seen first, then by intent.
  CHECK(names(tx("a").intents_of("c1", kT0, false)) == V{"address", "refund", "zeta", "billing", "old"});
  // Open only: not resolved (abandoned stays open); expired never.
  CHECK(names(tx("a").intents_of("c1", kT0, true)) == V{"refund", "zeta", "billing", "old"});
  CHECK(names(tx("a").intents_of("c1", kT0 + kHour, true)) == V{"refund", "zeta", "billing"});
  CHECK(names(tx("b").intents_of("c1", kT0, false)) == V{"refund"});
  CHECK(tx("b").intents_of("c1", kT0, true).empty());
  CHECK(tx("a").intents_of("c2", kT0, false).empty());

  std::vector<IntentRow> rows = tx("a").intents_of("c1", kT0, false);
  REQUIRE(rows.size() == 5);
  CHECK(rows[1].status == "open");
  CHECK(rows[1].attempt_count == 2);
  CHECK(rows[1].first_seen == kT0 + 3000);
  CHECK(rows[1].last_seen == kT0 + 3000);
  CHECK(rows[1].last_call_id == "call-refund");
  CHECK(rows[1].expires_at == exp);

  // intent_get returns the row as stored, expired or not.
  auto got = tx("a").intent_get("c1", "old");
  REQUIRE(got.has_value());
  CHECK(got->intent == "old");
  CHECK(got->expires_at == kT0 + kHour);
  got = tx("b").intent_get("c1", "refund");
  REQUIRE(got.has_value());
  CHECK(got->status == "resolved");

  // Put replaces every field of the row.
  IntentRow updated = intent("refund", "resolved", kT0 + 9000, exp + 1, 3);
  updated.first_seen = kT0 + 3000;
  updated.last_call_id = "k7";
  tx("a").intent_put("c1", updated);
  got = tx("a").intent_get("c1", "refund");
  REQUIRE(got.has_value());
  CHECK(got->status == "resolved");
  CHECK(got->attempt_count == 3);
  CHECK(got->first_seen == kT0 + 3000);
  CHECK(got->last_seen == kT0 + 9000);
  CHECK(got->last_call_id == "k7");
  CHECK(got->expires_at == exp + 1);
  CHECK(tx("b").intent_get("c1", "refund")->attempt_count == 1);
  tx.commit();
}

inline void variables(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  tx("a").variable_put("c1", variable("order_id", "\"12345\"", kT0, exp));
  tx("a").variable_put("c1", variable("name", "\"John\"", kT0, exp));
  tx("a").variable_put("c1", variable("cart", "{\"n\":[1,2]}", kT0, exp, 7776000));
  tx("a").variable_put("c1", variable("stale", "1", kT0, kT0 + kHour));
  tx("b").variable_put("c1", variable("name", "\"Jane\"", kT0, exp));

  auto names = [](const std::vector<VariableRow>& rows) {
    std::vector<std::string> out;
    for (const VariableRow& r : rows) out.push_back(r.name);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(names(tx("a").variables_of("c1", kT0)) == V{"cart", "name", "order_id", "stale"});
  CHECK(names(tx("a").variables_of("c1", kT0 + kHour)) == V{"cart", "name", "order_id"});
  std::vector<VariableRow> rows = tx("a").variables_of("c1", kT0);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].value_json == "{\"n\":[1,2]}");
  CHECK(rows[0].source == "call-1");
  CHECK(rows[0].updated_at == kT0);
  CHECK(rows[0].own_ttl_seconds == 7776000);
  CHECK(rows[0].expires_at == exp);
  CHECK(rows[1].own_ttl_seconds == 0);

  // Put replaces value, source, updated_at, own ttl and expiry.
  VariableRow v = variable("name", "\"John Doe\"", kT0 + 5, exp + 5, 60);
  v.source = "call-2";
  tx("a").variable_put("c1", v);
  rows = tx("a").variables_of("c1", kT0);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1].value_json == "\"John Doe\"");
  CHECK(rows[1].source == "call-2");
  CHECK(rows[1].updated_at == kT0 + 5);
  CHECK(rows[1].own_ttl_seconds == 60);
  CHECK(rows[1].expires_at == exp + 5);

  // Tenant isolation.
  rows = tx("b").variables_of("c1", kT0);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].value_json == "\"Jane\"");
  CHECK(tx("a").variables_of("c2", kT0).empty());

  // Delete: true only for an unexpired variable.
  CHECK(tx("a").variable_delete("c1", "order_id", kT0));
  CHECK_FALSE(tx("a").variable_delete("c1", "order_id", kT0));
  CHECK_FALSE(tx("a").variable_delete("c1", "missing", kT0));
  CHECK_FALSE(tx("a").variable_delete("c1", "stale", kT0 + kHour));
  CHECK(names(tx("a").variables_of("c1", kT0)) == V{"cart", "name"});
  CHECK_FALSE(tx("c").variable_delete("c1", "name", kT0));
  CHECK(tx("b").variables_of("c1", kT0).size() == 1);  // b's "name" is not a's
  tx.commit();
}

inline void credits_and_usage(Store& store) {
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("a").grant_get("topup-1").has_value());
  tx("a").grant_insert("topup-1", 100, kT0);
  tx("a").grant_insert("topup-2", -3, kT0);
  tx("b").grant_insert("topup-1", 7, kT0);
  CHECK(tx("a").grant_get("topup-1") == std::optional<std::int64_t>(100));
  CHECK(tx("a").grant_get("topup-2") == std::optional<std::int64_t>(-3));
  CHECK(tx("b").grant_get("topup-1") == std::optional<std::int64_t>(7));
  CHECK_FALSE(tx("c").grant_get("topup-1").has_value());

  tx("a").usage_add("2026-02-08", "start_new", 1);
  tx("a").usage_add("2026-02-07", "start_returning", 0);
  tx("a").usage_add("2026-02-07", "start_new", 1);
  tx("a").usage_add("2026-02-07", "start_new", 2);
  tx("a").usage_add("2026-02-07", "end", 0);
  tx("a").usage_add("2026-02-09", "end", 0);
  tx("b").usage_add("2026-02-07", "start_new", 5);

  std::vector<UsageRow> rows = tx("a").usage_between("2026-02-07", "2026-02-08");
  REQUIRE(rows.size() == 4);
  // By day, then operation.
  CHECK(rows[0].day == "2026-02-07");
  CHECK(rows[0].operation == callmem::UsageOperation::end);
  CHECK(rows[0].count == 1);
  CHECK(rows[0].credits == 0);
  CHECK(rows[1].day == "2026-02-07");
  CHECK(rows[1].operation == callmem::UsageOperation::start_new);
  CHECK(rows[1].count == 2);
  CHECK(rows[1].credits == 3);
  CHECK(rows[2].day == "2026-02-07");
  CHECK(rows[2].operation == callmem::UsageOperation::start_returning);
  CHECK(rows[2].count == 1);
  CHECK(rows[3].day == "2026-02-08");
  CHECK(rows[3].operation == callmem::UsageOperation::start_new);
  // Bounds are inclusive.
  CHECK(tx("a").usage_between("2026-02-09", "2026-02-09").size() == 1);
  CHECK(tx("a").usage_between("2026-02-10", "2026-12-31").empty());
  CHECK(tx("a").usage_between("0000-00-00", "9999-99-99").size() == 5);
  rows = tx("b").usage_between("0000-00-00", "9999-99-99");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].credits == 5);
  tx.commit();
}

inline void api_keys(Store& store) {
  const std::string hash_a(64, 'a'), hash_b(64, 'b'), hash_c(64, 'c');
  {
    auto tx = store.begin_all(Access::write);
    CHECK_FALSE(tx->api_key_by_hash(hash_a).has_value());
    tx->api_key_insert({"key_00000000000000a1", "acme", "ivr", hash_a, kT0, 0});
    tx->api_key_insert({"key_00000000000000b2", "acme", "", hash_b, kT0 + 1, 0});
    tx->api_key_insert({"key_00000000000000c3", "globex", "agent", hash_c, kT0, 0});
    tx->commit();
  }
  auto tx = store.begin_all(Access::write);
  const auto a = tx->api_key_by_hash(hash_a);
  REQUIRE(a.has_value());
  CHECK(a->key_id == "key_00000000000000a1");
  CHECK(a->tenant == "acme");
  CHECK(a->name == "ivr");
  CHECK(a->key_hash == hash_a);
  CHECK(a->created_at == kT0);
  CHECK(a->revoked_at == 0);
  CHECK(tx->api_key_by_id("key_00000000000000c3")->tenant == "globex");
  CHECK_FALSE(tx->api_key_by_id("key_0000000000000000").has_value());
  const auto acme = tx->api_keys_of("acme");  // oldest first
  REQUIRE(acme.size() == 2);
  CHECK(acme[0].key_id == "key_00000000000000a1");
  CHECK(acme[1].key_id == "key_00000000000000b2");
  CHECK(tx->api_keys_of("nobody").empty());
  tx->api_key_revoke("acme", "key_00000000000000b2", kT0 + 5);
  tx->api_key_revoke("acme", "key_00000000000000b2", kT0 + 9);    // the first time stays
  tx->api_key_revoke("globex", "key_00000000000000a1", kT0 + 9);  // another tenant's: nothing
  CHECK(tx->api_key_by_hash(hash_b)->revoked_at == kT0 + 5);
  CHECK(tx->api_key_by_hash(hash_a)->revoked_at == 0);
  tx->commit();
}

// One customer with a row in every table, expiring at `exp`.
inline void fill_customer(Serial& tx, const std::string& tenant, const std::string& ref, Millis exp) {
  tx(tenant).customer_insert(customer(ref, kT0, exp));
  tx(tenant).link_upsert(link(ani("+1" + ref), ref, kT0, exp, "mobile"));
  tx(tenant).link_upsert(link(external("crm", ref), ref, kT0, exp));
  tx(tenant).intent_put(ref, intent("refund", "open", kT0, exp));
  tx(tenant).variable_put(ref, variable("name", "\"x\"", kT0, exp));
  tx(tenant).variable_put(ref, variable("order", "1", kT0, exp));
  tx(tenant).variable_put(ref, variable("cart", "2", kT0, exp));
  tx(tenant).call_insert(call(tenant + ref + "-1", ref, kT0, exp));
  tx(tenant).call_insert(call(tenant + ref + "-2", ref, kT0 + 1, exp));
}

inline void customer_delete(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    fill_customer(tx, "a", "c1", exp);
    fill_customer(tx, "a", "c2", exp);
    fill_customer(tx, "b", "c1", exp);
  });
  Serial tx(store, Access::write);
  Removed r = tx("a").customer_delete("c1");
  CHECK(r.identities == 2);
  CHECK(r.intents == 1);
  CHECK(r.variables == 3);
  CHECK(r.calls == 2);
  CHECK(r.customers == 1);
  CHECK_FALSE(tx("a").customer_get("c1", kT0).has_value());
  CHECK(tx("a").links_of("c1", kT0).empty());
  CHECK(tx("a").links_find({ani("+1c1")}, kT0).empty());
  CHECK(tx("a").intents_of("c1", kT0, false).empty());
  CHECK(tx("a").variables_of("c1", kT0).empty());
  CHECK(tx("a").calls_of("c1", kT0, std::nullopt, 10).empty());
  CHECK_FALSE(tx("a").call_get("ac1-1").has_value());

  // The other customer and the same ref in another tenant are untouched.
  CHECK(tx("a").customer_get("c2", kT0).has_value());
  CHECK(tx("a").links_of("c2", kT0).size() == 2);
  CHECK(tx("b").customer_get("c1", kT0).has_value());
  CHECK(tx("b").links_of("c1", kT0).size() == 2);
  CHECK(tx("b").variables_of("c1", kT0).size() == 3);
  CHECK(tx("b").calls_of("c1", kT0, std::nullopt, 10).size() == 2);

  // Nothing left: all zero.
  CHECK(tx("a").customer_delete("c1").total() == 0);
  // Rows without a customer row still go, and the customer count is 0.
  tx("a").variable_put("c3", variable("name", "1", kT0, exp));
  r = tx("a").customer_delete("c3");
  CHECK(r.variables == 1);
  CHECK(r.customers == 0);
  tx.commit();
}

inline void tenant_shift_expiry(Store& store) {
  const Millis exp = kT0 + 10 * kHour;
  const Millis delta = 5 * kHour;
  write(store, [&](Serial& tx) {
    fill_customer(tx, "a", "c1", exp);
    tx("a").variable_put("c1", variable("own", "1", kT0, exp, 3600));
    fill_customer(tx, "b", "c1", exp);
    tx("a").tenant_shift_expiry(delta);
  });
  Serial tx(store, Access::read);
  auto c = tx("a").customer_get("c1", kT0);
  REQUIRE(c.has_value());
  CHECK(c->expires_at == exp + delta);
  for (const LinkRow& l : tx("a").links_of("c1", kT0)) CHECK(l.expires_at == exp + delta);
  for (const CallRow& k : tx("a").calls_of("c1", kT0, std::nullopt, 10)) {
    CHECK(k.expires_at == exp + delta);
  }
  CHECK(tx("a").intent_get("c1", "refund")->expires_at == exp + delta);
  std::vector<VariableRow> vars = tx("a").variables_of("c1", kT0);
  REQUIRE(vars.size() == 4);
  for (const VariableRow& v : vars) {
    CHECK(v.expires_at == (v.name == "own" ? exp : exp + delta));  // its own ttl does not follow
  }
  // Readers now see the rows past their old expiry.
  CHECK(tx("a").customer_get("c1", exp).has_value());
  CHECK(tx("a").links_of("c1", exp).size() == 2);

  // The other tenant is untouched.
  CHECK(tx("b").customer_get("c1", kT0)->expires_at == exp);
  for (const LinkRow& l : tx("b").links_of("c1", kT0)) CHECK(l.expires_at == exp);
  for (const VariableRow& v : tx("b").variables_of("c1", kT0)) CHECK(v.expires_at == exp);
  CHECK(tx("b").call_get("bc1-1")->expires_at == exp);
  CHECK(tx("b").intent_get("c1", "refund")->expires_at == exp);
  tx.reset();

  // A negative delta shortens.
  write(store, [&](Serial& t) { t("b").tenant_shift_expiry(-kHour); });
  Serial rtx(store, Access::read);
  CHECK(rtx("b").customer_get("c1", kT0)->expires_at == exp - kHour);
  CHECK(rtx("a").customer_get("c1", kT0)->expires_at == exp + delta);
}

// A customer lives as long as anything of theirs: customer_keep sets the
// customer row, its live links and the live aliases that resolve to it to
// `until` or their own expiry, whichever is later; a ttl shift moves them but
// not below `until`; a purge before then leaves them.
inline void customer_keep(Store& store) {
  const Millis exp = kT0 + 10 * kHour;     // the tenant's ttl
  const Millis until = kT0 + 100 * kHour;  // a variable's own ttl
  const Millis now = kT0 + 5 * kHour;
  write(store, [&](Serial& tx) {
    fill_customer(tx, "a", "c1", exp);
    tx("a").variable_put("c1", variable("order", "1", kT0, until, 100 * 3600));
    tx("a").link_upsert(link(ani("+1old"), "c1", kT0 - 20 * kHour, kT0 + kHour));  // expired at now
    tx("a").alias_put(AliasRow{"old-ref", "c1", kT0, exp});
    tx("a").alias_put(AliasRow{"gone-ref", "c1", kT0, kT0 + kHour});  // expired at now
    fill_customer(tx, "a", "c2", exp);
    fill_customer(tx, "b", "c1", exp);
    tx("a").customer_keep("c1", until, 10 * kHour, now);
  });
  {
    Serial tx(store, Access::write);
    REQUIRE(tx("a").customer_get("c1", until - 1).has_value());
    CHECK(tx("a").customer_get("c1", until - 1)->expires_at == until);
    CHECK(tx("a").links_of("c1", until - 1).size() == 2);
    CHECK(refs(tx("a").links_find({ani("+1c1"), external("crm", "c1")}, until - 1)) ==
          std::vector<std::string>{"c1", "c1"});
    CHECK(tx("a").links_find({ani("+1old")}, now).empty());  // what had expired stays expired
    CHECK(tx("a").alias_target("old-ref", until - 1) == "c1");
    CHECK_FALSE(tx("a").alias_target("gone-ref", now).has_value());
    // Other customers, and the same ref in another tenant, are untouched.
    CHECK_FALSE(tx("a").customer_get("c2", exp).has_value());
    CHECK_FALSE(tx("b").customer_get("c1", exp).has_value());
    CHECK(tx("b").links_of("c1", exp).empty());
    // Once nothing keeps it, each row is back to its own expiry; kept again, kept.
    tx("a").customer_keep("c1", 0, 10 * kHour, now);
    CHECK(tx("a").customer_get("c1", now)->expires_at == exp);
    for (const LinkRow& l : tx("a").links_of("c1", now)) CHECK(l.expires_at == exp);
    CHECK_FALSE(tx("a").alias_target("old-ref", exp).has_value());
    CHECK(tx("a").alias_target("old-ref", exp - 1) == "c1");
    tx("a").customer_keep("c1", until, 10 * kHour, now);
    CHECK(tx("a").customer_get("c1", now)->expires_at == until);
    CHECK(tx("a").alias_target("old-ref", until - 1) == "c1");

    // A purge before `until` deletes c1's expired rows, never c1 or its kept links.
    tx.all().purge(kT0 + 50 * kHour, 1000);
    CHECK(tx("a").customer_get("c1", kT0 + 50 * kHour).has_value());
    CHECK(tx("a").links_of("c1", kT0 + 50 * kHour).size() == 2);
    CHECK(tx("a").alias_target("old-ref", kT0 + 50 * kHour) == "c1");
    std::vector<VariableRow> vars = tx("a").variables_of("c1", kT0);
    REQUIRE(vars.size() == 1);
    CHECK(vars[0].name == "order");
    CHECK(tx("a").call_get("ac1-1") == std::nullopt);
    CHECK(tx("a").call_get("ac2-1") == std::nullopt);
    CHECK(tx("b").call_get("bc1-1") == std::nullopt);
    // A link made later and not kept follows the ttl alone.
    tx("a").link_upsert(link(ani("+1late"), "c1", kT0 + 50 * kHour, kT0 + 60 * kHour));
    tx.commit();
  }

  // A shorter ttl moves what was kept, but not below `until`; the rest moves.
  write(store, [&](Serial& tx) { tx("a").tenant_shift_expiry(-5 * kHour); });
  {
    Serial tx(store, Access::read);
    CHECK(tx("a").customer_get("c1", now)->expires_at == until);
    for (const LinkRow& l : tx("a").links_of("c1", now))
      CHECK(l.expires_at == (l.id.value == "+1late" ? kT0 + 55 * kHour : until));
    CHECK(tx("a").alias_target("old-ref", until - 1) == "c1");
    CHECK(tx("a").variables_of("c1", now).at(0).expires_at == until);
  }
  // A longer one moves them all.
  write(store, [&](Serial& tx) { tx("a").tenant_shift_expiry(5 * kHour); });
  Serial tx(store, Access::read);
  CHECK(tx("a").customer_get("c1", now)->expires_at == until + 5 * kHour);
  for (const LinkRow& l : tx("a").links_of("c1", now))
    CHECK(l.expires_at == (l.id.value == "+1late" ? kT0 + 60 * kHour : until + 5 * kHour));
  CHECK(tx("a").alias_target("old-ref", until + 5 * kHour - 1) == "c1");
}

inline void purge(Store& store) {
  const Millis now = kT0 + 50 * kHour;
  const Millis past = kT0 + 10 * kHour;
  const Millis future = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    // Expired in full: 2 identities, 1 intent, 3 variables, 2 calls, 1 customer each.
    fill_customer(tx, "a", "gone", past);
    fill_customer(tx, "b", "gone", past);
    // Expired customer row but an unexpired call: the customer stays.
    tx("a").customer_insert(customer("kept", kT0, past));
    tx("a").call_insert(call("kept-call", "kept", kT0, future));
    // Unexpired customer with one expired variable.
    fill_customer(tx, "a", "live", future);
    tx("a").variable_put("live", variable("stale", "1", kT0, past));
    // Exactly at now counts as expired.
    tx("b").variable_put("gone", variable("edge", "1", kT0, now));
    tx("b").variable_put("gone", variable("after", "1", kT0, now + 1));  // keeps b/gone alive
  });
  // Expired: 3+3+1+1 = 8 variables, 2 intents, 4 identities, 4 calls; then
  // customers a/gone (b/gone still has "after"): 19 rows.
  {
    Serial tx(store, Access::write);
    CHECK(tx.all().purge(now, 0).total() == 0);
    tx.commit();
  }
  Removed sum;
  std::vector<std::int64_t> totals;
  for (int round = 0; round < 20; ++round) {
    Serial tx(store, Access::write);
    Removed r = tx.all().purge(now, 5);
    tx.commit();
    CHECK(r.total() <= 5);
    if (round == 0) {
      // Variables go first.
      CHECK(r.variables == 5);
      CHECK(r.total() == 5);
    }
    sum += r;
    totals.push_back(r.total());
    if (r.total() < 5) break;
  }
  CHECK(totals == std::vector<std::int64_t>{5, 5, 5, 4});
  CHECK(sum.variables == 8);
  CHECK(sum.intents == 2);
  CHECK(sum.identities == 4);
  CHECK(sum.calls == 4);
  CHECK(sum.customers == 1);

  Serial tx(store, Access::write);
  CHECK(tx.all().purge(now, 1000).total() == 0);
  // What is left: every unexpired row, and the customers that still have rows.
  CHECK_FALSE(tx("a").call_get("agone-1").has_value());
  CHECK(tx("a").call_get("kept-call").has_value());
  CHECK(tx("a").customer_get("live", now).has_value());
  CHECK(tx("a").variables_of("live", now).size() == 3);
  CHECK(tx("a").links_of("live", now).size() == 2);
  CHECK(tx("a").calls_of("live", now, std::nullopt, 10).size() == 2);
  CHECK(tx("a").intents_of("live", now, false).size() == 1);
  CHECK(tx("b").variables_of("gone", now).size() == 1);
  // Expired customer rows are left in place but never returned.
  CHECK_FALSE(tx("a").customer_get("kept", now).has_value());
  CHECK_FALSE(tx("b").customer_get("gone", now).has_value());
  // a/kept and b/gone go once their last rows have expired and gone.
  Removed later = tx.all().purge(future + 1, 1000);
  CHECK(later.customers == 3);  // kept, b/gone, live
  CHECK(later.calls == 3);
  CHECK(later.variables == 4);
  tx.commit();
}

// Row moves and single deletes used by feedback: link_delete, intent_delete,
// call_move, call_feedback, customer_remove; identifiers_json round trip.
inline void feedback_rows(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    fill_customer(tx, "a", "c1", exp);
    fill_customer(tx, "b", "c1", exp);
  });
  Serial tx(store, Access::write);
  CHECK(tx("a").link_delete(ani("+1c1"), "c1"));
  CHECK_FALSE(tx("a").link_delete(ani("+1c1"), "c1"));
  CHECK_FALSE(tx("a").link_delete(external("crm", "c1"), "c2"));  // not this customer's
  CHECK(tx("a").links_of("c1", kT0).size() == 1);
  CHECK(tx("b").links_of("c1", kT0).size() == 2);  // the other tenant keeps its link

  CHECK(tx("a").intent_delete("c1", "refund"));
  CHECK_FALSE(tx("a").intent_delete("c1", "refund"));
  CHECK_FALSE(tx("a").intent_get("c1", "refund").has_value());
  CHECK(tx("b").intent_get("c1", "refund").has_value());
  // An expired intent goes too.
  tx("a").intent_put("c1", intent("old", "open", kT0 - 10 * kHour, kT0 - kHour));
  CHECK(tx("a").intent_delete("c1", "old"));

  // A call moves with its flag; feedback is recorded and cleared.
  CallRow k = call("k1", "c1", kT0, exp);
  k.identifiers_json = "{\"ani\":\"+14155551234\",\"x:crm\":\"C1\"}";
  tx("a").call_insert(k);
  CHECK(tx("a").call_get("k1")->identifiers_json == k.identifiers_json);
  CHECK(tx("a").call_get("ac1-1")->identifiers_json == "{}");
  CHECK(tx("a").call_get("k1")->feedback_fingerprint == 0);
  tx("a").call_move("k1", "c2", true);
  auto got = tx("a").call_get("k1");
  REQUIRE(got.has_value());
  CHECK(got->customer_ref == "c2");
  CHECK(got->created_customer);
  CHECK(call_ids(tx("a").calls_of("c2", kT0, std::nullopt, 10)) == std::vector<std::string>{"k1"});
  got->feedback_fingerprint = 0xF000000000000001ULL;
  got->feedback_outcome = "rejected";
  got->feedback_response = "{\"outcome\":\"rejected\"}";
  tx("a").call_feedback(*got);
  got = tx("a").call_get("k1");
  CHECK(got->feedback_fingerprint == 0xF000000000000001ULL);
  CHECK(got->feedback_outcome == "rejected");
  CHECK(got->feedback_response == "{\"outcome\":\"rejected\"}");
  CHECK(got->start_response == k.start_response);
  // call_end writes identifiers_json too.
  got->ended_at = kT0 + 1;
  got->end_fingerprint = 9;
  got->identifiers_json = "{\"x:acct\":\"9\"}";
  tx("a").call_end(*got);
  CHECK(tx("a").call_get("k1")->identifiers_json == "{\"x:acct\":\"9\"}");
  got->feedback_fingerprint = 0;
  got->feedback_outcome.clear();
  got->feedback_response.clear();
  tx("a").call_feedback(*got);
  CHECK(tx("a").call_get("k1")->feedback_fingerprint == 0);
  CHECK(tx("a").call_get("k1")->feedback_outcome.empty());

  // customer_remove takes the customer row only.
  CHECK(tx("a").customer_remove("c1"));
  CHECK_FALSE(tx("a").customer_remove("c1"));
  CHECK_FALSE(tx("a").customer_get("c1", kT0).has_value());
  CHECK(tx("a").variables_of("c1", kT0).size() == 3);
  CHECK(tx("b").customer_get("c1", kT0).has_value());
  tx.commit();
}

inline void aliases(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("a").alias_target("y", kT0).has_value());
  tx("a").alias_put(AliasRow{"y", "x", kT0, exp});
  tx("a").alias_put(AliasRow{"z", "y", kT0, exp});
  tx("a").alias_put(AliasRow{"w", "y", kT0, kT0 + kHour});
  tx("b").alias_put(AliasRow{"y", "q", kT0, exp});
  CHECK(tx("a").alias_target("y", kT0) == std::optional<std::string>("x"));
  CHECK(tx("b").alias_target("y", kT0) == std::optional<std::string>("q"));
  CHECK_FALSE(tx("c").alias_target("y", kT0).has_value());
  // Expired aliases are not found (but still retargeted and deleted).
  CHECK(tx("a").alias_target("w", kT0).has_value());
  CHECK_FALSE(tx("a").alias_target("w", kT0 + kHour).has_value());

  // Retarget: every alias of y now names x; the refs moved, sorted.
  CHECK(tx("a").aliases_retarget("y", "x") == std::vector<std::string>{"w", "z"});
  CHECK(tx("a").alias_target("z", kT0) == std::optional<std::string>("x"));
  CHECK(tx("a").aliases_retarget("y", "x").empty());
  CHECK(tx("b").aliases_retarget("nobody", "x").empty());
  // Put replaces.
  tx("a").alias_put(AliasRow{"z", "v", kT0, exp});
  CHECK(tx("a").alias_target("z", kT0) == std::optional<std::string>("v"));

  CHECK(tx("a").alias_delete("y"));
  CHECK_FALSE(tx("a").alias_delete("y"));
  CHECK_FALSE(tx("a").alias_target("y", kT0).has_value());
  CHECK(tx("b").alias_target("y", kT0).has_value());

  // A forget of the target removes the aliases that name it, counted.
  tx("a").customer_insert(customer("x", kT0, exp));
  Removed r = tx("a").customer_delete("x");
  CHECK(r.aliases == 1);  // w (z names v now)
  CHECK_FALSE(tx("a").alias_target("w", kT0).has_value());
  CHECK(tx("a").alias_target("z", kT0).has_value());
  CHECK(tx("b").alias_target("y", kT0).has_value());
  tx.commit();
}

inline MergeLog sample_merge(const std::string& id, const std::string& alias, const std::string& target,
                             Millis exp) {
  MergeLog m;
  m.merge_id = id;
  m.alias_ref = alias;
  m.target_ref = target;
  m.call_id = "call-" + id;
  m.alias_customer = customer(alias, kT0 - 5, exp - 5);
  m.merged_at = kT0;
  m.expires_at = exp;
  m.response = "{\"merge_id\":\"" + id + "\"}";
  m.moved_links = {ani("+15550001"), external("crm", "Y")};
  m.moved_intents = {"refund"};
  m.moved_variables = {"order", "cart"};
  m.moved_calls = {{"k1", true}, {"k2", false}};
  m.moved_aliases = {"old"};
  m.alias_links = {link(ani("+15550002"), alias, kT0 - 3, exp - 3, "mobile")};
  m.target_links = {link(ani("+15550002"), target, kT0 - 4, exp - 4, "landline")};
  m.alias_intents = {intent("billing", "open", kT0 - 2, exp - 2, 3)};
  m.target_intents = {intent("billing", "resolved", kT0 - 9, exp - 9, 1)};
  m.alias_variables = {variable("name", "\"Y\"", kT0 - 1, exp - 1, 60)};
  m.target_variables = {variable("name", "\"X\"", kT0 - 7, exp - 7)};
  return m;
}

inline void merges(Store& store) {
  const Millis exp = kT0 + 100 * kHour;
  Serial tx(store, Access::write);
  CHECK_FALSE(tx("a").merge_get("m1").has_value());
  const MergeLog in = sample_merge("m1", "y", "x", exp);
  tx("a").merge_insert(in);
  tx("b").merge_insert(sample_merge("m1", "q", "p", exp));
  auto got = tx("a").merge_get("m1");
  REQUIRE(got.has_value());
  CHECK(got->alias_ref == "y");
  CHECK(got->target_ref == "x");
  CHECK(got->call_id == "call-m1");
  CHECK(got->alias_customer.customer_ref == "y");
  CHECK(got->alias_customer.created_at == kT0 - 5);
  CHECK(got->alias_customer.last_seen == kT0 - 5);
  CHECK(got->alias_customer.expires_at == exp - 5);
  CHECK(got->merged_at == kT0);
  CHECK(got->unmerged_at == 0);
  CHECK(got->expires_at == exp);
  CHECK(got->response == in.response);
  CHECK(got->unmerge_response.empty());
  CHECK(got->moved_links == in.moved_links);
  CHECK(got->moved_intents == in.moved_intents);
  CHECK(got->moved_variables == in.moved_variables);
  CHECK(got->moved_calls == in.moved_calls);
  CHECK(got->moved_aliases == in.moved_aliases);
  REQUIRE(got->alias_links.size() == 1);
  CHECK(got->alias_links[0].id == ani("+15550002"));
  CHECK(got->alias_links[0].customer_ref == "y");
  CHECK(got->alias_links[0].line_type == "mobile");
  CHECK(got->alias_links[0].first_seen == kT0 - 3);
  CHECK(got->alias_links[0].expires_at == exp - 3);
  REQUIRE(got->target_links.size() == 1);
  CHECK(got->target_links[0].customer_ref == "x");
  CHECK(got->target_links[0].line_type == "landline");
  REQUIRE(got->alias_intents.size() == 1);
  CHECK(got->alias_intents[0].intent == "billing");
  CHECK(got->alias_intents[0].status == "open");
  CHECK(got->alias_intents[0].attempt_count == 3);
  CHECK(got->alias_intents[0].last_call_id == "call-billing");
  CHECK(got->alias_intents[0].expires_at == exp - 2);
  REQUIRE(got->target_intents.size() == 1);
  CHECK(got->target_intents[0].status == "resolved");
  REQUIRE(got->alias_variables.size() == 1);
  CHECK(got->alias_variables[0].value_json == "\"Y\"");
  CHECK(got->alias_variables[0].source == "call-1");
  CHECK(got->alias_variables[0].own_ttl_seconds == 60);
  CHECK(got->alias_variables[0].updated_at == kT0 - 1);
  REQUIRE(got->target_variables.size() == 1);
  CHECK(got->target_variables[0].value_json == "\"X\"");

  // Undone: marked, and found still.
  tx("a").merge_undone("m1", kT0 + 5, "{\"undone\":true}");
  got = tx("a").merge_get("m1");
  CHECK(got->unmerged_at == kT0 + 5);
  CHECK(got->unmerge_response == "{\"undone\":true}");
  CHECK(got->moved_calls == in.moved_calls);
  // Tenant isolation.
  got = tx("b").merge_get("m1");
  REQUIRE(got.has_value());
  CHECK(got->alias_ref == "q");
  CHECK(got->unmerged_at == 0);
  CHECK_FALSE(tx("c").merge_get("m1").has_value());

  // A forget of either side removes the merge logs naming it.
  tx("a").merge_insert(sample_merge("m2", "x", "w", exp));
  tx("a").merge_insert(sample_merge("m3", "s", "t", exp));
  Removed r = tx("a").customer_delete("x");
  CHECK(r.merges == 2);
  CHECK_FALSE(tx("a").merge_get("m1").has_value());
  CHECK_FALSE(tx("a").merge_get("m2").has_value());
  CHECK(tx("a").merge_get("m3").has_value());
  CHECK(tx("b").merge_get("m1").has_value());
  tx.commit();
}

inline void feedback_stats(Store& store) {
  Serial tx(store, Access::write);
  CHECK(tx("a").feedback_stats().empty());
  tx("a").feedback_stat_add("ani:mobile", "confirmed", 0.5);
  tx("a").feedback_stat_add("ani:mobile", "confirmed", 0.25);
  tx("a").feedback_stat_add("ani:mobile", "rejected", 0.125);
  tx("a").feedback_stat_add("ani:landline", "rejected", 0.4);
  tx("b").feedback_stat_add("ani:mobile", "rejected", 0.3);
  std::vector<FeedbackStat> a = tx("a").feedback_stats();
  REQUIRE(a.size() == 2);
  CHECK(a[0].signal == "ani:landline");  // by signal
  CHECK(a[0].confirmed == 0);
  CHECK(a[0].rejected == 1);
  CHECK(a[1].signal == "ani:mobile");
  CHECK(a[1].confirmed == 2);
  CHECK(a[1].rejected == 1);
  CHECK(a[1].predicted == doctest::Approx(0.875));
  CHECK(a[0].predicted == doctest::Approx(0.4));
  std::vector<FeedbackStat> b = tx("b").feedback_stats();
  REQUIRE(b.size() == 1);
  CHECK(b[0].confirmed == 0);
  CHECK(b[0].rejected == 1);
  CHECK(tx("c").feedback_stats().empty());
  tx.commit();
}

// Aliases and merge logs expire with the tenant's ttl: purge and the ttl shift reach them.
inline void purge_aliases_and_merges(Store& store) {
  const Millis past = kT0 + 10 * kHour;
  const Millis future = kT0 + 100 * kHour;
  write(store, [&](Serial& tx) {
    tx("a").alias_put(AliasRow{"y1", "x", kT0, past});
    tx("a").alias_put(AliasRow{"y2", "x", kT0, future});
    tx("a").merge_insert(sample_merge("m1", "y1", "x", past));
    tx("b").merge_insert(sample_merge("m2", "y2", "x", future));
    tx("b").alias_put(AliasRow{"y3", "x", kT0, past});
    tx("b").tenant_shift_expiry(kHour);
  });
  Serial tx(store, Access::write);
  CHECK(tx("b").merge_get("m2")->expires_at == future + kHour);
  CHECK(tx("b").merge_get("m2")->alias_customer.expires_at == future - 5 + kHour);
  CHECK(tx("a").merge_get("m1")->expires_at == past);
  const Millis now = kT0 + 20 * kHour;
  Removed r = tx.all().purge(now, 1000);
  CHECK(r.aliases == 2);  // a/y1, b/y3
  CHECK(r.merges == 1);   // a/m1 with its rows
  CHECK_FALSE(tx("a").merge_get("m1").has_value());
  CHECK(tx("b").merge_get("m2").has_value());
  CHECK(tx("b").merge_get("m2")->moved_calls.size() == 2);
  CHECK(tx("a").alias_target("y2", now).has_value());
  CHECK(tx.all().purge(now, 1000).total() == 0);
  tx.commit();
}

inline void rollback_and_commit(Store& store) {
  {
    Serial tx(store, Access::write);
    tx("a").customer_insert(customer("c1", kT0, kT0 + kHour));
    tx("a").variable_put("c1", variable("name", "1", kT0, kT0 + kHour));
    CHECK(tx("a").customer_get("c1", kT0).has_value());  // a transaction sees its own writes
    // destroyed without commit
  }
  {
    Serial tx(store, Access::read);
    CHECK_FALSE(tx("a").customer_get("c1", kT0).has_value());
    CHECK(tx("a").variables_of("c1", kT0).empty());
  }
  {
    Serial tx(store, Access::write);
    tx("a").customer_insert(customer("c1", kT0, kT0 + kHour));
    tx.commit();
  }
  {
    Serial tx(store, Access::read);
    CHECK(tx("a").customer_get("c1", kT0).has_value());
    tx.commit();  // a read transaction commits too
  }
  // Many transactions in a row reuse what the store holds (no leak, no stuck lock).
  for (int i = 0; i < 50; ++i) {
    Serial tx(store, i % 2 == 0 ? Access::write : Access::read);
    CHECK(tx("a").customer_get("c1", kT0).has_value());
    if (i % 3 == 0) tx.commit();
  }
}

// Two writers in two threads: the second waits for the first to commit and
// then sees its write (a read-decide-write never interleaves).
inline void writers_serialize(Store& store) {
  write(store, [](Serial& tx) {
    TenantRow row;
    row.balance = 0;
    tx("a").tenant_put(row);
  });
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        try {
          Serial tx(store, Access::write);
          auto row = tx("a").tenant_get();
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          row->balance += 1;
          tx("a").tenant_put(*row);
          tx.commit();
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failures.load() == 0);
  Serial tx(store, Access::read);
  CHECK(tx("a").tenant_get()->balance == kThreads * kIncrements);
}

// The web console's reads: a period's calls with what their start answered
// and the feedback on it, and its merges made and undone.
inline void console_reads(Store& store) {
  const Millis day = 24 * kHour, exp = kT0 + 90 * day;
  {
    Serial tx(store, Access::write);
    tx("a").customer_insert(customer("p", kT0, exp));
    CallRow c1 = call("c1", "p", kT0, exp);
    c1.start_response = R"({"call_id":"c1","identity":{"confidence":0.9,"recommendation":"reuse"}})";
    tx("a").call_insert(c1);
    c1.ended_at = kT0 + 60000;
    c1.end_fingerprint = 7;
    c1.end_response = "{}";
    tx("a").call_end(c1);
    c1.feedback_fingerprint = 9;
    c1.feedback_outcome = "confirmed";
    c1.feedback_response = R"({"call_id":"c1","merge":null})";
    tx("a").call_feedback(c1);
    CallRow c2 = call("c2", "p", kT0 + kHour, exp);
    c2.start_response = R"({"call_id":"c2","identity":{"confidence":0.55,"recommendation":"confirm"}})";
    tx("a").call_insert(c2);
    c2.feedback_fingerprint = 9;
    c2.feedback_outcome = "corrected";
    c2.feedback_response = R"({"call_id":"c2","merge":{"merge_id":"m1"}})";
    tx("a").call_feedback(c2);
    CallRow c3 = call("c3", "p", kT0 + 2 * kHour, exp);  // a standalone end: no start answer
    c3.start_fingerprint = 0;
    c3.start_response = "";
    tx("a").call_insert(c3);
    tx("a").call_insert(call("before", "p", kT0 - 1, exp));
    tx("a").call_insert(call("after", "p", kT0 + day, exp));
    tx("b").call_insert(call("other", "p", kT0 + kHour, exp));

    MergeLog m1 = sample_merge("m1", "q1", "p", exp);
    MergeLog m2 = sample_merge("m2", "q2", "p", exp);
    m2.merged_at = kT0 - day;
    MergeLog m3 = sample_merge("m3", "q3", "p", exp);
    m3.merged_at = kT0 + day;
    tx("a").merge_insert(m1);
    tx("a").merge_insert(m2);
    tx("a").merge_insert(m3);
    tx("a").merge_undone("m2", kT0 + kHour, "{}");
    tx("b").merge_insert(sample_merge("m4", "q4", "p", exp));
    tx.commit();
  }
  Serial tx(store, Access::read);
  const std::vector<CallOutcome> calls = tx("a").calls_between(kT0, kT0 + day, 10);
  REQUIRE(calls.size() == 3);  // newest first; [from, to)
  CHECK(calls[0].started_at == kT0 + 2 * kHour);
  CHECK(calls[0].recommendation.empty());
  CHECK(calls[0].confidence < 0);
  CHECK(calls[0].feedback.empty());
  CHECK(calls[1].recommendation == "confirm");
  CHECK(calls[1].confidence == doctest::Approx(0.55));
  CHECK(calls[1].feedback == "corrected");
  CHECK(calls[1].merged);
  CHECK(calls[1].ended_at == 0);
  CHECK(calls[2].recommendation == "reuse");
  CHECK(calls[2].confidence == doctest::Approx(0.9));
  CHECK(calls[2].feedback == "confirmed");
  CHECK_FALSE(calls[2].merged);
  CHECK(calls[2].ended_at == kT0 + 60000);
  CHECK(tx("a").calls_between(kT0, kT0 + day, 2).size() == 2);
  CHECK(tx("b").calls_between(kT0, kT0 + day, 10).size() == 1);
  CHECK(tx("c").calls_between(0, kT0 + 10 * day, 10).empty());

  const MergeCounts m = tx("a").merges_between(kT0, kT0 + day);
  CHECK(m.merged == 1);    // m1; m2 before, m3 after
  CHECK(m.unmerged == 1);  // m2, undone in the period
  CHECK(tx("a").merges_between(kT0 - day, kT0 + 2 * day).merged == 3);
  CHECK(tx("c").merges_between(0, kT0 + day).merged == 0);
  tx.commit();
}

}  // namespace callmem::store_suite

namespace callmem::store_suite {
struct NoScope {};
}  // namespace callmem::store_suite

#define CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, AREA) \
  TEST_CASE(LABEL ": " #AREA) {                                \
    [[maybe_unused]] SCOPE scope_;                             \
    std::unique_ptr<callmem::Store> store_ = FACTORY();        \
    REQUIRE(store_ != nullptr);                                \
    callmem::store_suite::AREA(*store_);                       \
  }

// Defines the suite's test cases for one store. LABEL: a string literal;
// FACTORY: anything callable as FACTORY() giving std::unique_ptr<Store>.
#define CALLMEM_STORE_SUITE(LABEL, FACTORY) \
  CALLMEM_STORE_SUITE_IN(LABEL, FACTORY, callmem::store_suite::NoScope)

// The same, each case inside an object of type SCOPE, made before the store
// and destroyed after it (tests/locale.hpp's CommaDecimalLocale runs the
// suite in a comma-decimal locale).
#define CALLMEM_STORE_SUITE_IN(LABEL, FACTORY, SCOPE)                        \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, tenants)                  \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, customers)                \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, links)                    \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, link_learning)            \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, calls)                    \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, call_history)             \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, intents)                  \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, variables)                \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, credits_and_usage)        \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, api_keys)                 \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, customer_delete)          \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, tenant_shift_expiry)      \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, purge)                    \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, customer_keep)            \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, feedback_rows)            \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, aliases)                  \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, merges)                   \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, feedback_stats)           \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, purge_aliases_and_merges) \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, console_reads)            \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, rollback_and_commit)      \
  CALLMEM_STORE_SUITE_CASE_(LABEL, FACTORY, SCOPE, writers_serialize)

#endif
