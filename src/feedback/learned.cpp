// The per-tenant cache of feedback counts (feedback/learned.hpp).
#include "feedback/learned.hpp"

namespace callmem::feedback {

std::shared_ptr<const LearnedFeedback> LearnedCache::get(Transaction& tx, Millis now) {
  const std::string& tenant = tx.tenant();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_tenant_.find(tenant);
    if (it != by_tenant_.end() && now >= it->second.fetched && now - it->second.fetched < kRefresh)
      return it->second.counts;
  }
  auto counts = std::make_shared<LearnedFeedback>();
  for (const FeedbackStat& f : tx.feedback_stats())
    (*counts)[f.signal] = {f.confirmed, f.rejected, f.predicted};
  std::lock_guard<std::mutex> lock(mutex_);
  by_tenant_[tenant] = Entry{now, counts};
  return counts;
}

void LearnedCache::forget(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  by_tenant_.erase(tenant);
}

}  // namespace callmem::feedback
