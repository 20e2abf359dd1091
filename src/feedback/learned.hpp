// What each tenant's identity feedback taught the scorer, cached by the
// engine: read from the store at most once a minute per tenant (the counts
// move slowly, and a start should not pay a query for them); feedback given
// through the same engine drops them at once.
#ifndef CALLMEM_FEEDBACK_LEARNED_HPP
#define CALLMEM_FEEDBACK_LEARNED_HPP

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "identity/scorer.hpp"
#include "store/store.hpp"
#include "time.hpp"

namespace callmem::feedback {

class LearnedCache {
 public:
  // The counts of the transaction's tenant as of `now`, read through tx when
  // not cached or stale.
  std::shared_ptr<const LearnedFeedback> get(Transaction& tx, Millis now);
  // The tenant's next get reads the store again.
  void forget(const std::string& tenant);

 private:
  static constexpr Millis kRefresh = 60 * kSecond;
  struct Entry {
    Millis fetched = 0;
    std::shared_ptr<const LearnedFeedback> counts;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> by_tenant_;
};

}  // namespace callmem::feedback

#endif
