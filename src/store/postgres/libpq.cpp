// libpq loaded with dlopen at the first PostgreSQL open (store/postgres/libpq.hpp).
#include "store/postgres/libpq.hpp"

#include <dlfcn.h>

#include <string>

#include "callmem/error.hpp"

namespace callmem::postgres {

namespace {

// The soname of libpq 10 and later; the pipeline functions need 14 or later.
constexpr const char* kLibpq = "libpq.so.5";

Libpq table;

template <typename F>
void resolve(void* lib, F& f, const char* name) {
  void* sym = dlsym(lib, name);
  if (!sym)
    throw Error(Status::store, std::string("postgres: ") + kLibpq + " has no " + name +
                                   " (the PostgreSQL store needs libpq 14 or later)");
  f = reinterpret_cast<F>(sym);
}

void load(Libpq& t) {
  // RTLD_LOCAL: its symbols stay its own, whatever else the host has loaded.
  void* lib = dlopen(kLibpq, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* why = dlerror();
    throw Error(Status::store, std::string("postgres: cannot load ") + kLibpq + ": " +
                                   (why ? why : "unknown") + " (install libpq5)");
  }
  // Kept loaded for the life of the process: connections may outlive a store.
#define CALLMEM_RESOLVE(name) resolve(lib, t.name, #name)
  CALLMEM_RESOLVE(PQclear);
  CALLMEM_RESOLVE(PQcmdTuples);
  CALLMEM_RESOLVE(PQconnectdb);
  CALLMEM_RESOLVE(PQenterPipelineMode);
  CALLMEM_RESOLVE(PQerrorMessage);
  CALLMEM_RESOLVE(PQescapeIdentifier);
  CALLMEM_RESOLVE(PQescapeLiteral);
  CALLMEM_RESOLVE(PQexec);
  CALLMEM_RESOLVE(PQfinish);
  CALLMEM_RESOLVE(PQfreemem);
  CALLMEM_RESOLVE(PQgetisnull);
  CALLMEM_RESOLVE(PQgetlength);
  CALLMEM_RESOLVE(PQgetResult);
  CALLMEM_RESOLVE(PQgetvalue);
  CALLMEM_RESOLVE(PQntuples);
  CALLMEM_RESOLVE(PQpipelineSync);
  CALLMEM_RESOLVE(PQresStatus);
  CALLMEM_RESOLVE(PQresultErrorField);
  CALLMEM_RESOLVE(PQresultErrorMessage);
  CALLMEM_RESOLVE(PQresultStatus);
  CALLMEM_RESOLVE(PQsendPrepare);
  CALLMEM_RESOLVE(PQsendQueryParams);
  CALLMEM_RESOLVE(PQsendQueryPrepared);
  CALLMEM_RESOLVE(PQstatus);
#undef CALLMEM_RESOLVE
}

}  // namespace

const Libpq& load_libpq() {
  // A failed load throws out of the initialiser, so the next open tries again.
  static const bool loaded = (load(table), true);
  (void)loaded;
  return table;
}

const Libpq& pq() noexcept { return table; }

}  // namespace callmem::postgres
