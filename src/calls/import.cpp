// A bulk import of past calls: ordering, idempotency and refusals around the
// live start and end (calls/import.hpp).
#include "calls/import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <unordered_map>

#include "calls/calls.hpp"
#include "calls/fingerprint.hpp"
#include "json/codec.hpp"

namespace callmem::calls {
namespace {

// The error with its fields' paths under `part` ("start" or "end"), so that
// a refused line names the field of the line.
Error under(const char* part, const Error& e) {
  std::vector<FieldIssue> issues = e.issues();
  for (FieldIssue& i : issues) i.path.insert(i.path.begin(), part);
  return Error(e.status(), e.what(), std::move(issues));
}

// What only the store can answer for: the whole batch fails, nothing commits.
bool fatal(const Error& e) {
  return e.status() == Status::busy || e.status() == Status::store || e.status() == Status::error;
}

struct Event {
  Millis at;
  std::size_t call;  // index into the calls
  bool end;
};

struct Prepared {
  std::size_t line = 0;
  std::string call_id;
  const ImportCall* call = nullptr;
  std::uint64_t start_fp = 0, end_fp = 0;
  std::optional<Error> refused;
  bool wrote = false;    // committed: something of it was written
  bool applied = false;  // committed: something of it ran (written or skipped)
};

}  // namespace

void check_import(const ImportCall& call) {
  if (!call.start && !call.end) throw invalid_field({"start"}, "a line needs a start, an end or both");
  if (call.start && !call.start->at)
    throw invalid_field({"start", "at"}, "at is required in an import: when the call started");
  if (call.end && !call.end->at)
    throw invalid_field({"end", "at"}, "at is required in an import: when the call ended");
  if (call.start && call.end) {
    if (call.end->call_id != call.start->call_id)
      throw invalid_field({"end", "call_id"}, "the end's call_id must be the start's");
    if (*call.end->at < *call.start->at)
      throw invalid_field({"end", "at"}, "the call cannot end before it started");
  }
}

ImportSummary import(Store& store, const std::string& tenant, const std::function<Context(Transaction&)>& on,
                     std::vector<ImportLine> lines, const ImportOptions& options,
                     const ImportProgress& progress) {
  std::vector<Prepared> calls;
  calls.reserve(lines.size());
  ImportSummary summary;
  for (const ImportLine& l : lines) {
    Prepared p;
    p.line = l.line;
    p.call_id = l.call_id;
    p.call = &l.call;
    if (l.call.start)
      p.call_id = l.call.start->call_id;
    else if (l.call.end)
      p.call_id = l.call.end->call_id;
    p.refused = l.refused;
    if (!p.refused) {
      try {
        check_import(l.call);
        if (l.call.start) p.start_fp = fingerprint(json::canonical(*l.call.start));
        if (l.call.end) {
          try {
            check_end(*l.call.end);
          } catch (const Error& e) {
            throw under("end", e);
          }
          p.end_fp = fingerprint(json::canonical(*l.call.end));
        }
      } catch (const Error& e) {
        p.refused = e;
      }
    }
    calls.push_back(std::move(p));
  }
  // Strict: a line that could not be read stops the import before anything is applied.
  if (options.strict) {
    for (const Prepared& p : calls) {
      if (!p.refused) continue;
      summary.rejected.push_back({p.line, p.call_id, *p.refused});
      summary.stopped_at = p.line;
      summary.not_applied = static_cast<std::int64_t>(calls.size()) - 1;
      return summary;
    }
  }

  std::vector<Event> events;
  events.reserve(calls.size() * 2);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].refused) continue;
    if (const auto& s = calls[i].call->start) events.push_back({*s->at, i, false});
    if (const auto& e = calls[i].call->end) events.push_back({*e->at, i, true});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  // For progress: after the events before k, the calls whose last event is before k are done.
  std::vector<std::size_t> last(calls.size(), 0), lasts;
  for (std::size_t k = 0; k < events.size(); ++k) last[events[k].call] = k;
  for (std::size_t i = 0; i < calls.size(); ++i)
    if (!calls[i].refused) lasts.push_back(last[i]);
  std::sort(lasts.begin(), lasts.end());
  const std::size_t refused_before = calls.size() - lasts.size();

  const std::size_t window = std::max<std::size_t>(1, options.batch) * 2;
  std::size_t stop = events.size();         // strict: the event that was refused
  std::vector<std::size_t> wrote, applied;  // calls, in this pass
  for (std::size_t first = 0; first < stop;) {
    std::size_t past = std::min(first + window, stop);
    // Passes until one finishes without a refusal that wrote: each such
    // refusal rolls back and is left out of the next pass.
    for (;;) {
      wrote.clear();
      applied.clear();
      auto tx = store.begin(tenant, Access::write);
      const Context c = on(*tx);
      // The rows this pass's starts wrote, for their ends: read again only
      // in a later transaction, where another writer may have changed them.
      std::unordered_map<std::size_t, CallRow> started;
      bool again = false;
      for (std::size_t k = first; k < past; ++k) {
        const Event& ev = events[k];
        Prepared& p = calls[ev.call];
        if (p.refused) continue;
        applied.push_back(ev.call);
        const std::string& call_id = ev.end ? p.call->end->call_id : p.call->start->call_id;
        const std::uint64_t fp = ev.end ? p.end_fp : p.start_fp;
        try {
          // Already there: skipped when the same, refused when not, before
          // anything is written (so that no pass is needed again).
          std::optional<CallRow> stored;
          if (auto it = ev.end ? started.find(ev.call) : started.end(); it != started.end()) {
            stored = std::move(it->second);
            started.erase(it);
          } else {
            stored = c.tx.call_get(call_id);
          }
          if (stored) {
            const std::uint64_t was = ev.end ? stored->end_fingerprint : stored->start_fingerprint;
            if (was == fp) continue;
            if (!ev.end || was != 0) {
              p.refused = Error(
                  Status::conflict,
                  ev.end ? fmt::format("call {} already ended with a different request", call_id)
                         : fmt::format("call_id {} was already used with a different request", call_id));
              if (options.strict) stop = past = k;
              // Its start was written in this pass: apply the batch again without it.
              again = std::find(wrote.begin(), wrote.end(), ev.call) != wrote.end();
              if (again || options.strict) break;
              continue;
            }
          }
          // Read once, here: start and end are given what was read.
          CallRow row;
          const bool ended_later = !ev.end && p.call->end;
          const Answer a = ev.end
                               ? end(c, *p.call->end, fp, nullptr, &stored)
                               : start(c, *p.call->start, fp, nullptr, &stored, ended_later ? &row : nullptr);
          if (!a.replay) wrote.push_back(ev.call);
          if (ended_later) started.emplace(ev.call, std::move(row));
        } catch (const Error& e) {
          if (fatal(e)) throw;
          // It may have written part of the call: apply the batch again without it.
          p.refused = under(ev.end ? "end" : "start", e);
          if (options.strict) stop = past = k;
          again = true;
          break;
        }
      }
      if (again) continue;
      tx->commit();
      break;
    }
    for (std::size_t i : wrote) calls[i].wrote = true;
    for (std::size_t i : applied) calls[i].applied = true;
    first = past;
    if (progress) {
      const auto done = std::lower_bound(lasts.begin(), lasts.end(), past) - lasts.begin();
      progress(refused_before + static_cast<std::size_t>(done), calls.size());
    }
  }

  for (const Prepared& p : calls) {
    if (p.refused) {
      summary.rejected.push_back({p.line, p.call_id, *p.refused});
    } else if (p.wrote) {
      ++summary.imported;
    } else if (p.applied) {
      ++summary.skipped;
    } else {
      ++summary.not_applied;
    }
  }
  if (stop < events.size()) summary.stopped_at = calls[events[stop].call].line;
  std::sort(summary.rejected.begin(), summary.rejected.end(),
            [](const ImportRejection& a, const ImportRejection& b) { return a.line < b.line; });
  return summary;
}

}  // namespace callmem::calls
