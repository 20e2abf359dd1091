// What the identity code learns of a number (identity/number_learning.hpp).
#include "identity/number_learning.hpp"

#include <algorithm>
#include <cstdlib>

#include "identity/phone.hpp"
#include "time.hpp"

namespace callmem::identity {

LineReports read_reports(const std::string& text) {
  LineReports out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    const std::size_t eq = item.find('=');
    if (eq != std::string::npos && eq > 0) {
      const long long n = std::strtoll(item.c_str() + eq + 1, nullptr, 10);
      if (n > 0) out[item.substr(0, eq)] += n;
    }
    at = end + 1;
  }
  return out;
}

std::string write_reports(const LineReports& reports) {
  std::string out;
  for (const auto& [type, n] : reports) {
    if (n <= 0) continue;
    if (!out.empty()) out += ',';
    out += type + '=' + std::to_string(n);
  }
  return out;
}

bool reports_type(std::string_view line_type) { return !line_type.empty() && line_type != "unknown"; }

std::string decide_line(const LineReports& reports, const std::string& previous, const std::string& latest) {
  LineReports counts = reports;
  if (!previous.empty()) counts[previous] = std::max<std::int64_t>(counts[previous], 1);
  std::string best;
  std::int64_t most = 0;
  for (const auto& [type, n] : counts) most = std::max(most, n);
  if (most == 0) return "";
  const auto tops = [&](const std::string& t) {
    auto it = counts.find(t);
    return !t.empty() && it != counts.end() && it->second == most;
  };
  if (tops(previous)) return previous;
  if (tops(latest)) return latest;
  for (const auto& [type, n] : counts)
    if (n == most) return type;
  return best;
}

std::int64_t confirmation_day(Millis call_start) { return std::max<std::int64_t>(1, call_start / kDay); }

namespace {

// The link as it is, with its confirmations set: `days` counted, the last
// on `on` (days 0: forgotten on `on`).
void set_confirmations(const Context& c, LinkRow l, std::int64_t days, std::int64_t on) {
  l.confirmed_days = days;
  l.confirmed_on = on;
  c.tx.link_upsert(l);
}

}  // namespace

void forget_confirmations(const Context& c, const Identifier& number, Millis at, bool shown) {
  const std::int64_t today = confirmation_day(at);
  for (const LinkRow& l : c.tx.links_find({number}, at))
    if (l.confirmed_days > 0 || l.confirmed_on == 0 || (shown && l.confirmed_on < today))
      set_confirmations(c, l, 0, today);
}

void count_confirmation(const Context& c, const Identifier& number, const std::string& ref, Millis call_start,
                        Millis at, Millis ttl, bool merged) {
  const std::vector<LinkRow> links = c.tx.links_find({number}, at);
  const LinkRow* mine = nullptr;
  bool others = false;
  for (const LinkRow& l : links) {
    if (l.customer_ref == ref)
      mine = &l;
    else
      others = true;
  }
  if (others) {
    forget_confirmations(c, number, at, true);
    return;
  }
  const std::int64_t day = confirmation_day(call_start);
  if (!mine || mine->confirmed_on == day) return;
  // The hold on a personal number another person was shown on: the hosts'
  // confirmations count from a TTL after the last time.
  if (!merged && is_personal_type(mine->line_type) &&
      shown_shared(mine->confirmed_days, mine->confirmed_on) && (day - mine->confirmed_on) * kDay < ttl)
    return;
  std::int64_t days = mine->confirmed_days + 1;
  // A link never counted nor forgotten: the day it was made, by a call
  // whose caller was taken for the customer, was theirs too (the host now
  // confirms that this caller is the customer that call made or found).
  if (mine->confirmed_days == 0 && mine->confirmed_on == 0 && confirmation_day(mine->first_seen) != day)
    days = 2;
  set_confirmations(c, *mine, days, day);
}

bool shown_shared(std::int64_t confirmed_days, std::int64_t confirmed_on) {
  return confirmed_days == 0 && confirmed_on != 0;
}

}  // namespace callmem::identity
