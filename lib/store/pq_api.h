// Internal to lib/store: libpq, loaded when a postgresql:// URL is first
// opened instead of linked into the binary.
//
// libpq pulls TLS, Kerberos and LDAP libraries into a process; loading them
// costs milliseconds that every SQLite command (a quota check has 5 ms in
// all, SPEC section 9) would pay for nothing. Like libcurl
// (webhooks/curl_api.h), only the commands that need it load it.
#pragma once

#include <libpq-fe.h>

#include "core/status.h"

namespace meter::store {

// Each libpq entry point meter uses, under its own name.
#define METER_PQ_FUNCTIONS(X)                                                                                   \
  X(PQconnectdb) X(PQstatus) X(PQfinish) X(PQerrorMessage) X(PQhost) X(PQport) X(PQuser) X(PQdb)                \
  X(PQsetNoticeProcessor) X(PQexec) X(PQexecParams) X(PQprepare) X(PQexecPrepared) X(PQresultStatus)         \
  X(PQresultErrorField) X(PQresultErrorMessage) X(PQclear) X(PQntuples) X(PQnfields) X(PQgetisnull)           \
  X(PQgetvalue) X(PQgetlength) X(PQftype) X(PQcmdTuples) X(PQputCopyData) X(PQputCopyEnd) X(PQgetResult)     \
  X(PQfname) X(PQserverVersion)

struct PqApi {
#define METER_PQ_SLOT(name) decltype(&::name) name = nullptr;
  METER_PQ_FUNCTIONS(METER_PQ_SLOT)
#undef METER_PQ_SLOT
};

// Loads libpq.so.5 and resolves every entry point, once per process and
// thread-safely; later calls return the same table. Unavailable naming the
// package to install when it cannot be loaded.
Result<const PqApi*> LoadPq();

}  // namespace meter::store
