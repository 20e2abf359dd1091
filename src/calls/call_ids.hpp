// A call's identifiers as kept on its row for feedback to link later
// (CallRow::identifiers_json): which of them may become a customer's, and
// their stored form.
#ifndef CALLMEM_CALLS_CALL_IDS_HPP
#define CALLMEM_CALLS_CALL_IDS_HPP

#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "identity/identifiers.hpp"
#include "store/store.hpp"

namespace callmem::calls {

struct CallIds {
  std::vector<Identifier> ids;
  std::string line_type;  // the host's telco.line_type of the ANI, "" when not given
};

// The identifiers of a call that may become a customer's: all but a number
// that may be spoofed (identity/trust.hpp).
std::vector<Identifier> linkable(const CallIdentifiers& ids, const Telco& telco);

// A flat JSON object {"ani": "+1...", "ani_line_type": "mobile", "x:<key>": "<value>"}.
std::string encode_ids(const CallIds& c);
CallIds decode_ids(const std::string& text);

// The line type to link a call's number with: the host's carrier data
// (`given`); else, for a number new to the customer, its type from the
// numbering plan (kept, so that it is looked up once); else "" (the link
// keeps its own).
std::string link_line(const std::string& given, bool on_file, const std::string& number);

// Adds those of `more` not already there (an end's external ids).
void add_ids(CallIds& c, const std::vector<Identifier>& more);

}  // namespace callmem::calls

#endif
