// Internal to lib/store: reading a postgresql:// database URL.
#pragma once

#include <string>
#include <string_view>

namespace meter::store {

// True for `postgresql://...` and `postgres://...`: the PostgreSQL backend.
bool IsPostgresUrl(std::string_view url);

// The URL with any password (in the user-info part or a `password=`
// parameter) replaced by "***": the only form meter ever prints.
std::string MaskedUrl(std::string_view url);

struct PgTarget {
  // What libpq gets: the URL without meter's own parameters, plus a connect
  // timeout (10 s unless the URL sets connect_timeout) and an
  // application name.
  std::string conninfo;
  // `?schema=NAME`: the schema meter's tables live in; empty for the
  // server's default (search_path).
  std::string schema;
};

// Splits meter's parameters off the URL. Every other parameter (sslmode,
// sslrootcert, target_session_attrs, ...) passes through to libpq.
PgTarget ParsePgUrl(std::string_view url);

}  // namespace meter::store
