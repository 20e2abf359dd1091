// The cursor of a customer's call history: where the next page starts.
#ifndef CALLMEM_CALLS_CURSOR_HPP
#define CALLMEM_CALLS_CURSOR_HPP

#include <optional>
#include <string>

#include "store/store.hpp"

namespace callmem::calls {

// "c1:<started_at>:<call_id>" of the last call of a page.
std::string encode_cursor(const CallRow& last);
// std::nullopt for "" (the first page); throws invalid_field({"cursor"})
// for a text this library did not return.
std::optional<CallCursor> decode_cursor(const std::string& s);

}  // namespace callmem::calls

#endif
