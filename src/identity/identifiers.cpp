// Which identity hints identify a customer, and their normalised form (identity/identifiers.hpp).
#include "identity/identifiers.hpp"

#include "text.hpp"

namespace callmem {

bool is_interaction_key(std::string_view raw) {
  const std::string key = lower(raw);
  const std::string_view k = key;
  if (k == "call_id" || k == "callid" || k == "call_sid" || k == "campaign_id" || k == "skill_id" ||
      k == "agent_id" || k == "queue_id" || k == "interaction_id" || k == "conversation_id")
    return true;
  if (ends_with(k, "_call_id") || ends_with(k, "_call_sid") || ends_with(k, "contact_id") ||
      ends_with(k, "_interaction_id") || ends_with(k, "_conversation_id"))
    return true;
  return k.find("session") != std::string_view::npos;
}

std::string normalise_external_id(std::string_view key, std::string_view value) {
  std::string_view v = trim(value);
  if (lower(key).find("email") != std::string::npos) return lower(v);
  return std::string(v);
}

std::vector<Identifier> external_identifiers(const std::map<std::string, std::string>& external_ids,
                                             std::map<std::string, std::string>* call_data) {
  std::vector<Identifier> ids;
  for (const auto& [key, value] : external_ids) {
    if (is_interaction_key(key)) {
      if (call_data) (*call_data)[key] = value;
      continue;
    }
    std::string v = normalise_external_id(key, value);
    if (!v.empty()) ids.push_back(Identifier{"external_id", key, std::move(v)});
  }
  return ids;
}

CallIdentifiers identifiers_of(const IdentityHints& hints, const std::string& default_region,
                               std::map<std::string, std::string>* call_data) {
  CallIdentifiers out;
  if (hints.ani) {
    out.ani_given = true;
    // The DNIS is looked at only for an ANI in national form.
    out.ani = parse_phone(*hints.ani, [&] {
      if (hints.dnis) {
        const ParsedPhone dnis = parse_phone(*hints.dnis, default_region);
        if (dnis.kind == ParsedPhone::Kind::number) {
          std::string region = region_of(dnis.e164);
          if (!region.empty()) return region;
        }
      }
      return default_region;
    });
    if (out.ani.kind == ParsedPhone::Kind::number) out.ids.push_back(Identifier{"ani", "", out.ani.e164});
  }
  std::vector<Identifier> ext = external_identifiers(hints.external_ids, call_data);
  out.ids.insert(out.ids.end(), ext.begin(), ext.end());
  return out;
}

}  // namespace callmem
