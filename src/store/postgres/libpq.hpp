// libpq, loaded when the first PostgreSQL store opens rather than when
// libcallmem.so does: a host that only uses SQLite (a pre-forking softswitch's
// workers, a one-process-per-call IVR script) does not pay for loading libpq
// and the Kerberos, LDAP and TLS libraries it brings (about 4 ms a process).
//
// The functions keep libpq's names and types (libpq-fe.h declares them); the
// store calls them as pq().PQexec(...).
#ifndef CALLMEM_STORE_POSTGRES_LIBPQ_HPP
#define CALLMEM_STORE_POSTGRES_LIBPQ_HPP

#include <libpq-fe.h>

namespace callmem::postgres {

struct Libpq {
  decltype(&::PQclear) PQclear;
  decltype(&::PQcmdTuples) PQcmdTuples;
  decltype(&::PQconnectdb) PQconnectdb;
  decltype(&::PQenterPipelineMode) PQenterPipelineMode;
  decltype(&::PQerrorMessage) PQerrorMessage;
  decltype(&::PQescapeIdentifier) PQescapeIdentifier;
  decltype(&::PQescapeLiteral) PQescapeLiteral;
  decltype(&::PQexec) PQexec;
  decltype(&::PQfinish) PQfinish;
  decltype(&::PQfreemem) PQfreemem;
  decltype(&::PQgetisnull) PQgetisnull;
  decltype(&::PQgetlength) PQgetlength;
  decltype(&::PQgetResult) PQgetResult;
  decltype(&::PQgetvalue) PQgetvalue;
  decltype(&::PQntuples) PQntuples;
  decltype(&::PQpipelineSync) PQpipelineSync;
  decltype(&::PQresStatus) PQresStatus;
  decltype(&::PQresultErrorField) PQresultErrorField;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage;
  decltype(&::PQresultStatus) PQresultStatus;
  decltype(&::PQsendPrepare) PQsendPrepare;
  decltype(&::PQsendQueryParams) PQsendQueryParams;
  decltype(&::PQsendQueryPrepared) PQsendQueryPrepared;
  decltype(&::PQstatus) PQstatus;
};

// Loads libpq.so.5 once a process (later calls return the same table).
// Throws Status::store naming the library and the loader's reason when it
// cannot be loaded or lacks a function (libpq older than 14: no pipeline mode).
const Libpq& load_libpq();

// The loaded table: only after load_libpq() succeeded (every connection is
// made by dial(), which loads it first).
const Libpq& pq() noexcept;

}  // namespace callmem::postgres

#endif
