// libFuzzer target: every JSON entry point of the C ABI on one in-memory call
// memory. The first byte picks the entry point and the tenant; the rest is
// the request, in which "@ref", "@merge" and "@call" become a customer_ref,
// a merge_id or a call_id from earlier answers, so that the fuzzer reaches
// returning callers, merges and unmerges, not only refusals. Any status is
// fine; a crash, a leak or undefined behaviour is not (ASan, UBSan).
#include <callmem/callmem.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

callmem_db* db = nullptr;
long runs = 0;
std::vector<std::string> refs, merges, calls;  // seen in answers, newest last

void open_fresh() {
  if (db) callmem_close(db);
  if (callmem_warm() != CALLMEM_OK) std::abort();
  if (callmem_open(&db, R"({"path": ":memory:"})") != CALLMEM_OK) std::abort();
  callmem_tenant_configure(db, "acme", R"({"billing": {"enabled": false}})", nullptr);
  refs.clear(), merges.clear(), calls.clear();
}

// Keeps every string value of `key` in `answer` (at most 16 of each).
void remember(const std::string& answer, const std::string& key, std::vector<std::string>& into) {
  const std::string quoted = "\"" + key + "\":\"";
  for (std::size_t at = answer.find(quoted); at != std::string::npos; at = answer.find(quoted, at + 1)) {
    const std::size_t from = at + quoted.size(), to = answer.find('"', from);
    if (to == std::string::npos) break;
    into.push_back(answer.substr(from, to - from));
    if (into.size() > 16) into.erase(into.begin());
  }
}

void replace_all(std::string& s, const std::string& what, const std::vector<std::string>& seen,
                 std::size_t pick) {
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) {
    const std::string with = seen.empty() ? "none" : seen[pick++ % seen.size()];
    s.replace(at, what.size(), with);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // A fresh database now and then, so that memory stays flat over long runs.
  if (!db || ++runs % 5000 == 0) open_fresh();
  const std::uint8_t pick = data[0];
  std::string request(reinterpret_cast<const char*>(data + 1), size - 1);
  replace_all(request, "@ref", refs, pick);
  replace_all(request, "@merge", merges, pick);
  replace_all(request, "@call", calls, pick);
  const char* tenant = (pick & 0x80) ? "globex" : "acme";
  char* out = nullptr;
  int rc = CALLMEM_OK;
  switch ((pick & 0x7f) % 15) {
    case 0:
      rc = callmem_call_start(db, tenant, request.c_str(), &out);
      break;
    case 1:
      rc = callmem_call_end(db, tenant, request.c_str(), &out);
      break;
    case 2:
      rc = callmem_customer_get(db, tenant, request.c_str(), &out);
      break;
    case 3:
      rc = callmem_customer_forget(db, tenant, request.c_str(), &out);
      break;
    case 4:
      rc = callmem_customer_export(db, tenant, request.c_str(), &out);
      break;
    case 5:
      rc = callmem_tenant_configure(db, tenant, request.c_str(), &out);
      break;
    case 6:
      rc = callmem_tenant_settings_get(db, tenant, request.c_str(), &out);
      break;
    case 7:
      rc = callmem_credits_grant(db, tenant, request.c_str(), &out);
      break;
    case 8:
      rc = callmem_usage(db, tenant, request.c_str(), &out);
      break;
    case 9:
      rc = callmem_purge_expired(db, request.c_str(), &out);
      break;
    case 10:
      rc = callmem_identity_feedback(db, tenant, request.c_str(), &out);
      break;
    case 11:
      rc = callmem_identity_unmerge(db, tenant, request.c_str(), &out);
      break;
    case 12: {
      // NDJSON lines, then after a NUL byte (if any) the options.
      const std::size_t nul = request.find('\0');
      const std::string lines = request.substr(0, nul);
      const std::string options = nul == std::string::npos ? "" : request.substr(nul + 1);
      rc = callmem_import(db, tenant, lines.c_str(), options.c_str(), &out);
      break;
    }
    case 13:
      rc = callmem_api_key_tenant(db, request.c_str(), &out);
      break;
    default:
      rc = callmem_call_start(db, tenant, request.c_str(), &out);
      break;
  }
  if (rc == CALLMEM_OK && out == nullptr) std::abort();  // an answer is promised
  if (rc != CALLMEM_OK && callmem_last_error() == nullptr) std::abort();
  if (out) {
    const std::string answer(out);
    remember(answer, "customer_ref", refs);
    remember(answer, "merge_id", merges);
    remember(answer, "call_id", calls);
    callmem_free(out);
  }
  return 0;
}
