#include "identity/identifiers.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace callmem {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Words SIP and carriers put in the user part for a withheld number.
constexpr std::array<std::string_view, 9> kWithheldWords = {
    "anonymous", "restricted", "private", "unavailable", "unknown",
    "blocked",   "withheld",   "unknown caller", "no caller id"};

// Placeholder numbers platforms send instead of a withheld caller ID
// (Twilio: ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE).
constexpr std::array<std::string_view, 5> kPlaceholderNumbers = {
    "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"};

}  // namespace

NormalisedAni normalise_ani(std::string_view raw) {
  NormalisedAni out;
  std::string s = lower(trim(raw));
  std::string_view v = s;
  for (std::string_view scheme : {"tel:", "sips:", "sip:"}) {
    if (starts_with(v, scheme)) {
      v.remove_prefix(scheme.size());
      break;
    }
  }
  // A SIP URI's user part ends at '@'; parameters start at ';'.
  if (auto at = v.find('@'); at != std::string_view::npos) v = v.substr(0, at);
  if (auto semi = v.find(';'); semi != std::string_view::npos) v = v.substr(0, semi);
  v = trim(v);
  if (v.empty()) {
    out.kind = NormalisedAni::Kind::withheld;
    out.reason = "empty caller ID";
    return out;
  }
  for (std::string_view w : kWithheldWords) {
    if (v == w) {
      out.kind = NormalisedAni::Kind::withheld;
      out.reason = std::string("withheld caller ID (") + std::string(w) + ")";
      return out;
    }
  }
  std::string number;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      number.push_back(c);
    } else if (c == '+' && number.empty()) {
      number.push_back(c);
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') {
      continue;
    } else {
      out.kind = NormalisedAni::Kind::invalid;
      out.reason = "not a phone number";
      return out;
    }
  }
  if (starts_with(number, "011")) number = "+" + number.substr(3);
  else if (starts_with(number, "00")) number = "+" + number.substr(2);
  const std::size_t digits = number.size() - (starts_with(number, "+") ? 1 : 0);
  if (digits < 3 || digits > 15) {
    out.kind = NormalisedAni::Kind::invalid;
    out.reason = digits < 3 ? "too few digits for a phone number" : "too many digits for a phone number";
    return out;
  }
  if (std::find(kPlaceholderNumbers.begin(), kPlaceholderNumbers.end(), number) !=
      kPlaceholderNumbers.end()) {
    out.kind = NormalisedAni::Kind::withheld;
    out.reason = "withheld caller ID (placeholder number " + number + ")";
    return out;
  }
  out.kind = NormalisedAni::Kind::number;
  out.value = std::move(number);
  return out;
}

bool is_interaction_key(std::string_view raw) {
  const std::string key = lower(raw);
  const std::string_view k = key;
  if (k == "call_id" || k == "callid" || k == "call_sid" || k == "campaign_id" || k == "skill_id" ||
      k == "agent_id" || k == "queue_id" || k == "interaction_id" || k == "conversation_id")
    return true;
  if (ends_with(k, "_call_id") || ends_with(k, "_call_sid") ||
      ends_with(k, "contact_id") || ends_with(k, "_interaction_id") ||
      ends_with(k, "_conversation_id"))
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

CallIdentifiers identifiers_of(const IdentityHints& hints,
                               std::map<std::string, std::string>* call_data) {
  CallIdentifiers out;
  if (hints.ani) {
    out.ani_given = true;
    out.ani = normalise_ani(*hints.ani);
    if (out.ani.kind == NormalisedAni::Kind::number)
      out.ids.push_back(Identifier{"ani", "", out.ani.value});
  }
  std::vector<Identifier> ext = external_identifiers(hints.external_ids, call_data);
  out.ids.insert(out.ids.end(), ext.begin(), ext.end());
  return out;
}

}  // namespace callmem
