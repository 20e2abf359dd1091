// The identity-weights memo of the stores' tenant rows (store/columns.hpp).
#include "store/columns.hpp"

#include <utility>

#include "json/codec.hpp"

namespace callmem {

const IdentityWeights& WeightsMemo::of(std::string_view text) {
  if (text == text_) return weights_;
  // Parsed and copied first: nothing is assigned unless both succeed.
  const IdentityWeights parsed = json::read_identity_weights(text);
  std::string copy(text);
  text_.swap(copy);
  weights_ = parsed;  // doubles: cannot throw
  return weights_;
}

}  // namespace callmem
