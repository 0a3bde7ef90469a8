// postgresql:// URLs: which strings choose PostgreSQL, how they print (never
// with a password), and what reaches libpq.
#include <doctest/doctest.h>

#include "store/pg_url.h"

namespace st = meter::store;

TEST_CASE("pg_url: the scheme chooses the backend") {
  CHECK(st::IsPostgresUrl("postgresql://h/db"));
  CHECK(st::IsPostgresUrl("postgres://u@h:5432/db"));
  CHECK_FALSE(st::IsPostgresUrl("meter.db"));
  CHECK_FALSE(st::IsPostgresUrl("./postgresql://x"));
  CHECK_FALSE(st::IsPostgresUrl("POSTGRESQL://h/db"));
}

TEST_CASE("pg_url: the password never prints") {
  struct Case {
    const char* url;
    const char* want;
  } cases[] = {
      {"postgresql://meter:s3cret@db.example:5432/meter", "postgresql://meter:***@db.example:5432/meter"},
      {"postgres://meter:p%40ss@h/db?sslmode=require", "postgres://meter:***@h/db?sslmode=require"},
      {"postgresql://meter@h/db?password=s3cret&schema=x", "postgresql://meter@h/db?password=***&schema=x"},
      {"postgresql://h/db", "postgresql://h/db"},
      {"postgresql://u:@h/db", "postgresql://u:***@h/db"},
  };
  for (const auto& c : cases) CHECK(st::MaskedUrl(c.url) == c.want);
}

TEST_CASE("pg_url: schema is meter's; every other parameter passes through to libpq") {
  auto t = st::ParsePgUrl("postgresql://u@h/db?sslmode=verify-full&schema=billing%5F1&target_session_attrs=read-write");
  CHECK(t.schema == "billing_1");
  CHECK(t.conninfo ==
        "postgresql://u@h/db?sslmode=verify-full&target_session_attrs=read-write&connect_timeout=10"
        "&fallback_application_name=meter");
  auto own = st::ParsePgUrl("postgres://h/db?connect_timeout=3");
  CHECK(own.schema.empty());
  CHECK(own.conninfo == "postgres://h/db?connect_timeout=3&fallback_application_name=meter");
}
