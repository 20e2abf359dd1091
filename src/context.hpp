// What an operation hands to the concepts it runs (calls, identity, feedback,
// billing, tenants, customers): its transaction, bound to one tenant
// (tx.tenant()), and the parts of the engine they read. Built per operation
// by the façade (engine.cpp).
#ifndef CALLMEM_CONTEXT_HPP
#define CALLMEM_CONTEXT_HPP

#include <string>

#include "callmem/types.hpp"
#include "clock.hpp"
#include "store/store.hpp"

namespace callmem {

class Scorer;
namespace feedback {
class LearnedCache;
}

struct Context {
  Transaction& tx;
  const TenantSettings& defaults;  // of a tenant that was never configured
  const Clock& clock;
  const Scorer& probabilistic;
  const Scorer& hosted;
  feedback::LearnedCache& learned;
  // False for a bulk import of history (calls/import.hpp): not billed, no usage.
  bool metered = true;

  Millis now() const { return clock.now(); }
};

// An operation's answer: the bytes of its response. A replay answers the
// bytes stored the first time and writes nothing (there is nothing to commit).
struct Answer {
  std::string text;
  bool replay = false;
};

}  // namespace callmem

#endif
