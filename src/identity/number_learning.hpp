// What the identity code learns of a number from its calls, kept with its
// links (LinkRow): its type from every call's carrier data, not the last
// call's; the distinct days on which the hosts confirmed it as one
// customer's, forgotten at once when an answer on it is rejected or
// corrected, or another customer is linked to it; and, on a personal
// number, the day the hosts showed another person on it (docs/identity.md).
#ifndef CALLMEM_IDENTITY_NUMBER_LEARNING_HPP
#define CALLMEM_IDENTITY_NUMBER_LEARNING_HPP

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "store/store.hpp"

namespace callmem::identity {

// The carrier's reports of a number's type, by type: "landline=1,mobile=3".
using LineReports = std::map<std::string, std::int64_t>;
LineReports read_reports(const std::string& text);
std::string write_reports(const LineReports& reports);

// Whether a host's telco.line_type reports a type ("" and "unknown" do not).
bool reports_type(std::string_view line_type);

// The number's type from the reports of all its calls: the type reported
// most; on a tie, `previous` (the type decided before, which counts as one
// report when none backs it: a single contradicting report never flips it),
// else `latest` (this call's report). "" when there is nothing to go by.
std::string decide_line(const LineReports& reports, const std::string& previous, const std::string& latest);

// The day a confirmation counts on: the UTC day of the call's start (at
// least 1: 0 is "unchanged" to the store).
std::int64_t confirmation_day(Millis call_start);

// The live links of `number` forget their confirmations (on the day of
// `at`; the days are counted afresh from the next confirmation): an answer
// on the number was rejected or corrected, or another customer is on it.
// On a personal number (a mobile) that day stays: it is the day the hosts
// showed another person on the number (shown_shared below). `shown`: the
// hosts did so on this call (not only callmem putting a second customer on
// it), so links forgotten before take this day too: the hold runs from the
// last time.
void forget_confirmations(const Context& c, const Identifier& number, Millis at, bool shown = false);

// The hosts confirmed that the caller of a call from `number` started at
// `call_start` is `ref`: a new day counts (and, the first time, the day the
// link was made), unless another customer is on the number (then every
// link forgets instead). A personal number's forgotten link counts nothing
// for less than `ttl` after its day of forgetting: its days never weigh (a
// mobile is personal by its type), and that day is what the scorer holds
// the number by. A confirmation a TTL or more after it counts, and ends the
// hold: the hosts' word, not silence, says the number is one person's
// again. So does one that `merged` the number's other customer into `ref`
// (one person made twice: the other customer it was forgotten for was the
// same person).
void count_confirmation(const Context& c, const Identifier& number, const std::string& ref, Millis call_start,
                        Millis at, Millis ttl, bool merged = false);

// Whether the link of a personal number says that the hosts showed another
// person on it: it was forgotten (an answer on the number rejected or
// corrected, or a confirmation while another customer was on it) and
// nothing counted since. It lasts as long as the link, or until a
// confirmation a TTL later (count_confirmation).
bool shown_shared(std::int64_t confirmed_days, std::int64_t confirmed_on);

}  // namespace callmem::identity

#endif
