// A bulk import of past calls (docs/import.md): the calls' starts and ends
// applied in time order in one write transaction, through the live start and
// end (calls/calls.hpp), not metered.
#ifndef CALLMEM_CALLS_IMPORT_HPP
#define CALLMEM_CALLS_IMPORT_HPP

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "context.hpp"
#include "engine.hpp"
#include "store/store.hpp"

namespace callmem::calls {

// A call to import and the line it came from; or, when `refused` is set, a
// line that could not be read (it is reported, nothing of it applied).
struct ImportLine {
  std::size_t line = 0;
  std::string call_id;  // of a refused line, when it could be read
  ImportCall call;
  std::optional<Error> refused;
};

// Throws invalid_field, with paths under "start" and "end", unless the call
// has a start or an end (or both), each with its `at`, the end's call_id is
// the start's, and the end is not before the start.
void check_import(const ImportCall& call);

// Applies the lines' starts and ends sorted by `at` (stable: a tie keeps the
// lines' order, a call's start before its end), options.batch calls' worth
// (2 * batch starts and ends) per write transaction on `tenant`, each on the context
// `on` gives (metered or not, as it builds it); `progress`, when set, after
// each commit. A start or end
// already stored with the same request is skipped; a refused one refuses its
// call (its other half is not applied) and the rest goes on, unless strict.
// A refusal that left writes behind rolls the transaction back and the batch
// is applied again without that call, so that what commits is exactly the
// calls that were not refused (but the start of a call committed in an
// earlier batch, whose end is then refused).
ImportSummary import(Store& store, const std::string& tenant, const std::function<Context(Transaction&)>& on,
                     std::vector<ImportLine> lines, const ImportOptions& options,
                     const ImportProgress& progress = {});

}  // namespace callmem::calls

#endif
