// Canonical forms of requests (start, end, feedback): every field written,
// in one order, whatever shape the request came in. Idempotency compares
// fingerprints of them: their bytes must stay those earlier versions
// stored (tests/codec_test.cpp holds a few).
#include "json/codec.hpp"
#include "json/run.hpp"

namespace callmem::json {
namespace {

void write_hints(Out& o, const IdentityHints& h) {
  o.begin_object();
  o.key("ani").opt_str(h.ani);
  o.key("dnis").opt_str(h.dnis);
  o.key("external_ids").string_map(h.external_ids);
  o.key("customer_ref").opt_str(h.customer_ref);
  o.end_object();
}

void write_telco(Out& o, const Telco& t) {
  o.begin_object();
  if (t.line_type) o.key("line_type").str(to_string(*t.line_type));
  if (t.attestation) o.key("attestation").str(to_string(*t.attestation));
  if (t.verstat) o.key("verstat").str(to_string(*t.verstat));
  o.end_object();
}

// A request's time as the wire has it: omitted when not given.
void write_at(Out& o, const std::optional<Millis>& at) {
  if (at) o.key("at").str(format_iso(*at));
}

}  // namespace

std::string canonical(const StartRequest& r) {
  return encode([&](Out& o) {
    o.key("call_id").str(r.call_id);
    write_hints(o.key("identity_hints"), r.identity_hints);
    write_telco(o.key("telco"), r.telco);
    o.key("channel").str(to_string(r.channel));
    o.key("direction").str(to_string(r.direction));
    write_at(o, r.at);
  });
}

std::string canonical(const EndRequest& r) {
  return encode([&](Out& o) {
    o.key("call_id").str(r.call_id);
    o.key("customer_ref").opt_str(r.customer_ref);
    o.key("intents").begin_array();
    for (const auto& i : r.intents) {
      o.begin_object();
      o.key("intent").str(i.intent);
      o.key("status").str(to_string(i.status));
      o.end_object();
    }
    o.end_array();
    o.key("variables").begin_object();
    for (const auto& [k, v] : r.variables) {
      o.key(k);
      if (v)
        o.raw(v->text);
      else
        o.null();
    }
    o.end_object();
    o.key("variable_ttl_seconds").begin_object();
    for (const auto& [k, v] : r.variable_ttl_seconds) o.key(k).i64(v);
    o.end_object();
    o.key("external_ids").string_map(r.external_ids);
    if (r.identity_hints)
      write_hints(o.key("identity_hints"), *r.identity_hints);
    else
      o.key("identity_hints").null();
    write_telco(o.key("telco"), r.telco);
    write_at(o, r.at);
  });
}

std::string canonical(const FeedbackRequest& r) {
  return encode([&](Out& o) {
    o.key("call_id").str(r.call_id);
    o.key("outcome").str(to_string(r.outcome));
    if (r.customer_ref) o.key("customer_ref").str(*r.customer_ref);
    write_at(o, r.at);
  });
}

}  // namespace callmem::json
