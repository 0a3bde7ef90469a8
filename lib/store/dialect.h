// Internal to lib/store: the small table of what SQLite and PostgreSQL spell
// differently. Store code writes one SQL text in SQLite's spelling of the
// common subset; the PostgreSQL driver rewrites it with these functions.
#pragma once

#include <string>
#include <string_view>

namespace meter::store {

// Rewrites SQLite placeholders to PostgreSQL's: `?N` becomes `$N` and a bare
// `?` becomes `$K` with K one past the largest number so far (SQLite's rule).
// Quoted strings, quoted identifiers and comments are left alone. Sets
// `*params` to the number of parameters (the largest K).
std::string PostgresPlaceholders(std::string_view sql, int* params);

// Rewrites one migration statement written for SQLite into PostgreSQL DDL:
// `INTEGER PRIMARY KEY` becomes a 64-bit identity column, INTEGER BIGINT,
// REAL DOUBLE PRECISION, BLOB BYTEA, TEXT `TEXT COLLATE "C"` (byte order, as
// SQLite sorts), and `WITHOUT ROWID` / AUTOINCREMENT go. Words inside quotes
// are left alone.
std::string PostgresDdl(std::string_view sql);

// `name` as a double-quoted SQL identifier (both engines): embedded quotes
// doubled.
std::string QuoteIdentifier(std::string_view name);

// A migration statement that begins with one of these comment lines runs on
// that backend only; every other statement runs on both.
inline constexpr std::string_view kSqliteOnly = "-- sqlite only\n";
inline constexpr std::string_view kPostgresOnly = "-- postgresql only\n";

}  // namespace meter::store
