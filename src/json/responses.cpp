// Responses to their JSON (write): the answers of start, end, customer get
// and export, forget, credits and usage, purge, feedback and unmerge, and
// the contract's error body.
#include "json/codec.hpp"
#include "json/members.hpp"
#include "json/run.hpp"
#include "json/utf8.hpp"

namespace callmem::json {
namespace {

void write_variables(Out& o, const std::map<std::string, Variable>& vars) {
  o.begin_object();
  for (const auto& [name, v] : vars) {
    o.key(name).begin_object();
    o.key("value").raw(v.value.text);
    write_members(o, v, kVariable);
    o.end_object();
  }
  o.end_object();
}

void write_identity(Out& o, const Identity& id) {
  o.begin_object();
  o.key("confidence").num4(id.confidence);
  o.key("level").str(to_string(id.level));
  o.key("sources").begin_array();
  for (const auto& s : id.sources) o.str(s);
  o.end_array();
  o.key("recommendation").str(to_string(id.recommendation));
  // Left out when empty.
  if (!id.evidence.empty()) write_list(o.key("evidence"), id.evidence, kEvidence);
  if (!id.candidates.empty()) write_list(o.key("candidates"), id.candidates, kCandidate);
  o.end_object();
}

// The rows of a customer's kinds that an operation moved, restored, removed
// or deleted: the members all of them have.
template <class Counts>
void write_counts(Out& o, const Counts& c) {
  o.key("identities").i64(c.identities);
  o.key("intents").i64(c.intents);
  o.key("variables").i64(c.variables);
  o.key("calls").i64(c.calls);
}

void write_identities(Out& o, const std::vector<LinkedIdentity>& identities) {
  o.begin_array();
  for (const auto& id : identities) {
    o.begin_object();
    o.key("type").str(to_string(id.type));
    if (id.type == IdentityType::external_id) o.key("key").str(id.key);
    o.key("value").str(id.value);
    if (id.type == IdentityType::ani && !id.line_type.empty()) o.key("line_type").str(id.line_type);
    o.key("first_seen").time(id.first_seen);
    o.key("last_seen").time(id.last_seen);
    o.end_object();
  }
  o.end_array();
}

void write_calls(Out& o, const std::vector<CallRecord>& calls) {
  o.begin_array();
  for (const auto& c : calls) {
    o.begin_object();
    o.key("call_id").str(c.call_id);
    o.key("call_start").time(c.call_start);
    if (c.call_end == 0)
      o.key("call_end").null();
    else
      o.key("call_end").time(c.call_end);
    o.key("channel").str(to_string(c.channel));
    o.key("direction").str(to_string(c.direction));
    o.key("call_data").string_map(c.call_data);
    o.end_object();
  }
  o.end_array();
}

}  // namespace

std::string write(const StartResponse& r) {
  return encode([&](Out& o) {
    write_members(o, r, kStartResponse);
    write_identity(o.key("identity"), r.identity);
    write_list(o.key("open_intents"), r.open_intents, kIntent);
    write_variables(o.key("variables"), r.variables);
  });
}

std::string write(const EndResponse& r) {
  return encode([&](Out& o) { write_members(o, r, kEndResponse); });
}

std::string write(const CustomerView& v) {
  return encode([&](Out& o) {
    o.key("customer_ref").str(v.customer_ref);
    o.key("created_at").time(v.created_at);
    o.key("last_seen").time(v.last_seen);
    write_identities(o.key("identities"), v.identities);
    write_list(o.key("intents"), v.intents, kIntent);
    write_variables(o.key("variables"), v.variables);
    write_calls(o.key("calls"), v.calls);
    if (v.next_cursor.empty())
      o.key("next_cursor").null();
    else
      o.key("next_cursor").str(v.next_cursor);
  });
}

std::string write(const ForgetReceipt& r) {
  return encode([&](Out& o) {
    o.key("customer_ref").str(r.customer_ref);
    o.key("removed").begin_object();
    write_counts(o, r.removed);
    o.key("aliases").i64(r.removed.aliases);
    o.key("merges").i64(r.removed.merges);
    o.end_object();
  });
}

std::string write_balance(std::int64_t balance) {
  return encode([&](Out& o) { o.key("balance").i64(balance); });
}

std::string write(const UsageReport& r) {
  return encode([&](Out& o) {
    o.key("balance").i64(r.balance);
    write_list(o.key("days"), r.days, kUsageRow);
  });
}

std::string write(const PurgeResult& r) {
  return encode([&](Out& o) {
    o.key("deleted").begin_object();
    write_counts(o, r.deleted);
    o.key("customers").i64(r.deleted.customers);
    o.key("aliases").i64(r.deleted.aliases);
    o.key("merges").i64(r.deleted.merges);
    o.end_object();
    o.key("more").boolean(r.more);
  });
}

std::string write(const FeedbackResponse& r) {
  return encode([&](Out& o) {
    write_members(o, r, kFeedbackResponse);
    if (r.merge) {
      o.key("merge").begin_object();
      write_members(o, *r.merge, kMergeSummary);
      o.key("moved").begin_object();
      write_counts(o, *r.merge);
      o.end_object();
      o.key("conflicts").i64(r.merge->conflicts);
      o.end_object();
    } else {
      o.key("merge").null();
    }
    o.key("at").time(r.at);
  });
}

std::string write(const UnmergeResponse& r) {
  return encode([&](Out& o) {
    write_members(o, r, kUnmergeResponse);
    o.key("restored").begin_object();
    write_counts(o, r);
    o.end_object();
    o.key("unmerged_at").time(r.unmerged_at);
  });
}

std::string write_error(const Error& e) {
  return encode([&](Out& o) {
    const char* reason = http_reason(e.status());
    o.key("error").str(reason ? reason : "Internal Server Error");
    o.key("message").str(sanitize(e.what()));
    if (e.issues().empty()) return;
    o.key("details").begin_object();
    o.key("issues").begin_array();
    for (const auto& issue : e.issues()) {
      o.begin_object();
      o.key("path").begin_array();
      for (const auto& p : issue.path) o.str(sanitize(p));
      o.end_array();
      o.key("message").str(sanitize(issue.message));
      o.end_object();
    }
    o.end_array();
    o.end_object();
  });
}

}  // namespace callmem::json
