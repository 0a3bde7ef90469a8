#include "store/schema.h"

#include <fmt/format.h>

#include <vector>

#include "store/counter_migration.h"
#include "store/dialect.h"
#include "store/invoice_migration.h"
#include "store/statement.h"

namespace meter::store {
namespace {

// Conventions: times are INTEGER milliseconds since the epoch, UTC. Unit
// quantities are INTEGER millionths ("micro-units": 1.5 GB is 1500000), so
// SUM() stays exact integer arithmetic. Money is TEXT holding a canonical
// decimal string (never REAL).
//
// Each migration is a list of statements, optionally followed by a step in
// C++ for what SQL cannot say portably (reading a JSON document). Never edit
// a migration that has shipped; add the next one.
struct Migration {
  std::vector<const char*> sql;
  Status (*then)(Database&) = nullptr;
};

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      // ---- version 1 ----
      {{
          // -- catalog --
          R"(CREATE TABLE catalog_versions(
               id INTEGER PRIMARY KEY,
               applied_at INTEGER NOT NULL,
               digest TEXT NOT NULL,
               document TEXT NOT NULL))",
          R"(CREATE TABLE tenants(
               id TEXT PRIMARY KEY,
               name TEXT NOT NULL,
               email TEXT NOT NULL DEFAULT '',
               timezone TEXT NOT NULL DEFAULT '',
               status TEXT NOT NULL DEFAULT 'active',
               overrides TEXT NOT NULL DEFAULT '{}',
               created_at INTEGER NOT NULL))",
          R"(CREATE TABLE tenant_plans(
               tenant_id TEXT NOT NULL,
               plan_key TEXT NOT NULL,
               effective_from INTEGER NOT NULL,
               recorded_at INTEGER NOT NULL,
               PRIMARY KEY(tenant_id, effective_from)) WITHOUT ROWID)",

          // -- events and the counters ingest keeps with them --
          R"(CREATE TABLE events(
               seq INTEGER PRIMARY KEY,
               id TEXT NOT NULL,
               tenant_id TEXT NOT NULL,
               metric TEXT NOT NULL,
               ts INTEGER NOT NULL,
               quantity INTEGER NOT NULL,
               user_id TEXT,
               operation TEXT,
               status TEXT,
               latency_ms INTEGER,
               cost TEXT,
               properties TEXT,
               ingested_at INTEGER NOT NULL))",
          "CREATE UNIQUE INDEX events_id ON events(id)",
          // Hourly per-meter counters, written in the same transaction as the
          // events they count. value: sum / count / max / latest value in
          // micro-units; latest_ts: the event time that set a 'latest' value.
          R"(CREATE TABLE usage_counters(
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               hour INTEGER NOT NULL,
               value INTEGER NOT NULL,
               events INTEGER NOT NULL,
               latest_ts INTEGER,
               PRIMARY KEY(tenant_id, meter, hour)) WITHOUT ROWID)",
          // Distinct values seen per hour for unique_count meters.
          R"(CREATE TABLE usage_uniques(
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               hour INTEGER NOT NULL,
               value TEXT NOT NULL,
               PRIMARY KEY(tenant_id, meter, hour, value)) WITHOUT ROWID)",

          // -- usage: roll-ups, reservations, rate-limit buckets, alerts (lib/usage) --
          // Roll-up buckets of `meter aggregate`: period 'hour' | 'day' (UTC) |
          // 'month' (calendar month in the tenant's time zone); bucket = its
          // start. value in micro-units like usage_counters; latest_ts: the
          // event time behind a 'latest' value.
          R"(CREATE TABLE usage_rollups(
               period TEXT NOT NULL,
               meter TEXT NOT NULL,
               tenant_id TEXT NOT NULL,
               bucket INTEGER NOT NULL,
               value INTEGER NOT NULL,
               events INTEGER NOT NULL,
               latest_ts INTEGER,
               PRIMARY KEY(period, meter, tenant_id, bucket)) WITHOUT ROWID)",
          // The distinct values behind each unique_count bucket, so late
          // events update the count without rereading old events.
          R"(CREATE TABLE usage_rollup_uniques(
               period TEXT NOT NULL,
               meter TEXT NOT NULL,
               tenant_id TEXT NOT NULL,
               bucket INTEGER NOT NULL,
               value TEXT NOT NULL,
               PRIMARY KEY(period, meter, tenant_id, bucket, value)) WITHOUT ROWID)",
          // Watermark per (period, meter): events with seq <= last_seq are in
          // the buckets; definition: the meter definition they were built with.
          R"(CREATE TABLE usage_rollup_state(
               period TEXT NOT NULL,
               meter TEXT NOT NULL,
               definition TEXT NOT NULL,
               last_seq INTEGER NOT NULL,
               updated_at INTEGER NOT NULL,
               PRIMARY KEY(period, meter)) WITHOUT ROWID)",
          // `quota reserve` decisions by id (idempotency); decision: the JSON
          // returned again when the same id is reserved twice.
          R"(CREATE TABLE quota_reservations(
               id TEXT PRIMARY KEY,
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               amount INTEGER NOT NULL,
               allowed INTEGER NOT NULL,
               decision TEXT NOT NULL,
               created_at INTEGER NOT NULL))",
          // Threshold alerts: one per tenant, meter, threshold and period.
          R"(CREATE TABLE usage_alerts(
               id INTEGER PRIMARY KEY,
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               threshold INTEGER NOT NULL,
               period_start INTEGER NOT NULL,
               period_end INTEGER NOT NULL,
               used INTEGER NOT NULL,
               limit_value INTEGER NOT NULL,
               message_id TEXT,
               created_at INTEGER NOT NULL,
               UNIQUE(tenant_id, meter, threshold, period_start)))",
          // Token buckets: level = tokens (micro-tokens) * per_us + remainder,
          // exact under continuous refill; capacity/refill in micro-tokens.
          R"(CREATE TABLE rate_buckets(
               tenant_id TEXT NOT NULL,
               key TEXT NOT NULL,
               tokens INTEGER NOT NULL,
               remainder INTEGER NOT NULL,
               updated_us INTEGER NOT NULL,
               capacity INTEGER NOT NULL,
               refill INTEGER NOT NULL,
               per_us INTEGER NOT NULL,
               PRIMARY KEY(tenant_id, key)) WITHOUT ROWID)",

          // -- billing: invoices (lib/billing) --
          // status: draft, open, paid, void, overdue. number is assigned at
          // finalization. document: the full invoice JSON (lines, totals).
          R"(CREATE TABLE invoices(
               id TEXT PRIMARY KEY,
               number TEXT UNIQUE,
               tenant_id TEXT NOT NULL,
               period_start INTEGER NOT NULL,
               period_end INTEGER NOT NULL,
               status TEXT NOT NULL,
               currency TEXT NOT NULL,
               subtotal TEXT NOT NULL,
               tax TEXT NOT NULL,
               total TEXT NOT NULL,
               issue_date INTEGER NOT NULL,
               due_date INTEGER NOT NULL,
               document TEXT NOT NULL,
               created_at INTEGER NOT NULL,
               updated_at INTEGER NOT NULL,
               finalized_at INTEGER,
               paid_at INTEGER,
               voided_at INTEGER,
               void_reason TEXT,
               month TEXT NOT NULL DEFAULT '',
               events_seq INTEGER NOT NULL DEFAULT 0))",
          // month: the billed month "YYYY-MM" (in the tenant's time zone).
          // events_seq: the highest events.seq when the invoice was finalized;
          // events recorded after it for its period are late usage.
          "CREATE INDEX invoices_tenant_period ON invoices(tenant_id, period_start)",
          "CREATE INDEX invoices_month ON invoices(month, tenant_id)",
          "CREATE INDEX invoices_status ON invoices(status, due_date)",
          // At most one invoice per tenant and month that is not void.
          "CREATE UNIQUE INDEX invoices_one_live ON invoices(tenant_id, month) WHERE status <> 'void'",
          // Invoice numbers: the last number issued per prefix and year,
          // taken in the finalizing transaction so numbers have no gaps.
          R"(CREATE TABLE invoice_numbers(
               prefix TEXT NOT NULL,
               year INTEGER NOT NULL,
               last INTEGER NOT NULL,
               PRIMARY KEY(prefix, year)) WITHOUT ROWID)",

          // -- webhooks: endpoints, the message queue, deliveries, attempts --
          // secret / previous_secret: the signing secrets; during a rotation
          // both sign until previous_secret_until. disabled_reason says why
          // an endpoint was disabled (a 410 answer, or a person).
          R"(CREATE TABLE webhook_endpoints(
               id INTEGER PRIMARY KEY,
               url TEXT NOT NULL,
               tenant_id TEXT,
               events TEXT NOT NULL DEFAULT '[]',
               secret TEXT NOT NULL,
               previous_secret TEXT,
               previous_secret_until INTEGER,
               enabled INTEGER NOT NULL DEFAULT 1,
               disabled_reason TEXT,
               created_at INTEGER NOT NULL))",
          // data: the message's data object as compact JSON text; the POSTed
          // body is rebuilt from these columns byte for byte on every attempt.
          R"(CREATE TABLE webhook_messages(
               id TEXT PRIMARY KEY,
               type TEXT NOT NULL,
               tenant_id TEXT,
               created_at INTEGER NOT NULL,
               data TEXT NOT NULL))",
          "CREATE INDEX webhook_messages_created ON webhook_messages(created_at)",
          // status: pending, delivered, failed. attempts counts every attempt
          // ever made; retry_base is the value attempts had when the delivery
          // was last put back on the queue by `retry`, so the backoff and the
          // attempt budget restart there. next_attempt_at is 0 for a delivery
          // nobody has tried yet: due at once. lease_owner/lease_until: the replay
          // run that claimed the delivery and until when nobody else may.
          R"(CREATE TABLE webhook_deliveries(
               id INTEGER PRIMARY KEY,
               message_id TEXT NOT NULL,
               endpoint_id INTEGER NOT NULL,
               status TEXT NOT NULL DEFAULT 'pending',
               attempts INTEGER NOT NULL DEFAULT 0,
               retry_base INTEGER NOT NULL DEFAULT 0,
               next_attempt_at INTEGER NOT NULL,
               lease_owner TEXT,
               lease_until INTEGER,
               last_status INTEGER,
               last_error TEXT,
               created_at INTEGER NOT NULL,
               updated_at INTEGER,
               delivered_at INTEGER))",
          "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at)",
          "CREATE INDEX webhook_deliveries_message ON webhook_deliveries(message_id)",
          "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status)",
          // One row per HTTP attempt: status_code NULL when no answer came.
          R"(CREATE TABLE webhook_attempts(
               delivery_id INTEGER NOT NULL,
               attempt INTEGER NOT NULL,
               started_at INTEGER NOT NULL,
               duration_ms INTEGER NOT NULL,
               status_code INTEGER,
               error TEXT,
               PRIMARY KEY(delivery_id, attempt)) WITHOUT ROWID)",
      }},
      // ---- version 2: an event's identity is (id, source) ----
      // A CloudEvent's identity used to be stored as the id "source#id",
      // which a native id, or another source and id, could equal. Now its
      // source has a column ("" for every other shape) and the pair is
      // unique. Rows stored before keep their ids; events_legacy_identity
      // records how far they go (seq <= last_seq), and ingest also looks a
      // CloudEvent up under its old key among them, so a file ingested before
      // the migration still adds nothing when ingested again.
      {{
          "ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT ''",
          "DROP INDEX events_id",
          "CREATE UNIQUE INDEX events_identity ON events(id, source)",
          "CREATE TABLE events_legacy_identity(last_seq INTEGER NOT NULL)",
          "INSERT INTO events_legacy_identity(last_seq) SELECT COALESCE(MAX(seq), 0) FROM events",
      }},
      // ---- version 3: invoices as typed rows ----
      // Versions 1 and 2 kept each invoice as its CLI JSON document. Invoices and
      // their lines become typed rows; fields beyond the columns go in
      // `attributes` (a JSON object, see store/invoice_store.h). Each
      // version-1 document is split into those rows by
      // MigrateInvoiceDocuments (store/invoice_migration.cc), which then
      // drops the old table. Lifecycle fields come from the old columns,
      // which were authoritative.
      {{
           "DROP INDEX invoices_tenant_period",
           "DROP INDEX invoices_month",
           "DROP INDEX invoices_status",
           "DROP INDEX invoices_one_live",
           "ALTER TABLE invoices RENAME TO invoices_v1",
           // timezone: the tenant's zone when billed ('' = UTC); issue_date,
           // due_date: midnight UTC of those days; money and tax_rate: TEXT
           // decimals; attributes: JSON object of further fields.
           R"(CREATE TABLE invoices(
                id TEXT PRIMARY KEY,
                number TEXT UNIQUE,
                tenant_id TEXT NOT NULL,
                month TEXT NOT NULL,
                timezone TEXT NOT NULL,
                period_start INTEGER NOT NULL,
                period_end INTEGER NOT NULL,
                status TEXT NOT NULL,
                currency TEXT NOT NULL,
                issue_date INTEGER NOT NULL,
                due_date INTEGER NOT NULL,
                tenant_name TEXT NOT NULL,
                tenant_email TEXT NOT NULL,
                subtotal TEXT NOT NULL,
                tax_name TEXT NOT NULL,
                tax_rate TEXT NOT NULL,
                tax TEXT NOT NULL,
                total TEXT NOT NULL,
                attributes TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                finalized_at INTEGER,
                paid_at INTEGER,
                voided_at INTEGER,
                void_reason TEXT,
                events_seq INTEGER NOT NULL DEFAULT 0))",
           "CREATE INDEX invoices_tenant_period ON invoices(tenant_id, period_start)",
           "CREATE INDEX invoices_month ON invoices(month, tenant_id)",
           "CREATE INDEX invoices_status ON invoices(status, due_date)",
           "CREATE UNIQUE INDEX invoices_one_live ON invoices(tenant_id, month) WHERE status <> 'void'",
           // line: 0-based position in the invoice; meter NULL for lines
           // without one; quantity, unit_price, amount: TEXT decimals.
           R"(CREATE TABLE invoice_lines(
                invoice_id TEXT NOT NULL,
                line INTEGER NOT NULL,
                kind TEXT NOT NULL,
                description TEXT NOT NULL,
                meter TEXT,
                plan TEXT NOT NULL,
                period_start INTEGER NOT NULL,
                period_end INTEGER NOT NULL,
                quantity TEXT NOT NULL,
                unit_price TEXT,
                amount TEXT NOT NULL,
                attributes TEXT NOT NULL,
                PRIMARY KEY(invoice_id, line)))",
       },
       MigrateInvoiceDocuments},
      // ---- version 4: balances and corrections (SPEC 11) ----
      {{
          // Coupons applied to tenants, in the order applied (position 1, 2
          // ...). terms: the coupon's catalog JSON when it was applied, so a
          // later catalog change does not rewrite a running discount.
          // start_month: the first billing period ("YYYY-MM") it applies to.
          R"(CREATE TABLE tenant_coupons(
               tenant_id TEXT NOT NULL,
               position INTEGER NOT NULL,
               code TEXT NOT NULL,
               terms TEXT NOT NULL,
               start_month TEXT NOT NULL,
               applied_at INTEGER NOT NULL,
               removed_at INTEGER,
               PRIMARY KEY(tenant_id, position)))",
          "CREATE INDEX tenant_coupons_code ON tenant_coupons(code)",
          // What each finalized invoice took off with each coupon (amount:
          // decimal text, >= 0), written in the finalizing transaction.
          R"(CREATE TABLE coupon_redemptions(
               invoice_id TEXT NOT NULL,
               tenant_id TEXT NOT NULL,
               position INTEGER NOT NULL,
               amount TEXT NOT NULL,
               PRIMARY KEY(invoice_id, position)))",
          "CREATE INDEX coupon_redemptions_tenant ON coupon_redemptions(tenant_id, position)",
          // Prepaid credit grants. remaining = amount minus the grant's draws,
          // expiries and voids in credit_ledger (meter db check verifies it).
          // expires_at: the instant it stops being usable (local midnight after
          // its --expires day), NULL for never.
          R"(CREATE TABLE credit_grants(
               id TEXT PRIMARY KEY,
               tenant_id TEXT NOT NULL,
               currency TEXT NOT NULL,
               amount TEXT NOT NULL,
               remaining TEXT NOT NULL,
               priority INTEGER NOT NULL,
               expires_at INTEGER,
               reason TEXT NOT NULL,
               source TEXT NOT NULL,
               created_at INTEGER NOT NULL,
               voided_at INTEGER,
               void_reason TEXT))",
          "CREATE INDEX credit_grants_tenant ON credit_grants(tenant_id, created_at)",
          // The ledger: kind grant | draw | expiry | void; amount > 0 except a
          // draw given back by a voided invoice (negative). seq orders a
          // tenant's entries.
          R"(CREATE TABLE credit_ledger(
               tenant_id TEXT NOT NULL,
               seq INTEGER NOT NULL,
               grant_id TEXT NOT NULL,
               kind TEXT NOT NULL,
               amount TEXT NOT NULL,
               invoice_id TEXT,
               note TEXT NOT NULL,
               created_at INTEGER NOT NULL,
               PRIMARY KEY(tenant_id, seq)))",
          "CREATE INDEX credit_ledger_invoice ON credit_ledger(invoice_id)",
          // low_notified: 1 while the balance is below credits.low_balance and
          // credits.balance_low has been queued for this crossing.
          R"(CREATE TABLE credit_accounts(
               tenant_id TEXT PRIMARY KEY,
               low_notified INTEGER NOT NULL))",
          // Credit notes against finalized invoices. lines: JSON array of
          // {line, description, amount} credited. grant_id: the credit grant a
          // note on a paid invoice became (NULL for --refund or none).
          R"(CREATE TABLE credit_notes(
               number TEXT PRIMARY KEY,
               invoice_id TEXT NOT NULL,
               tenant_id TEXT NOT NULL,
               currency TEXT NOT NULL,
               amount TEXT NOT NULL,
               tax TEXT NOT NULL,
               total TEXT NOT NULL,
               reason TEXT NOT NULL,
               refunded INTEGER NOT NULL,
               grant_id TEXT,
               lines TEXT NOT NULL,
               created_at INTEGER NOT NULL))",
          "CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id)",
          "CREATE INDEX credit_notes_tenant ON credit_notes(tenant_id, created_at)",
          R"(CREATE TABLE credit_note_numbers(
               prefix TEXT NOT NULL,
               year INTEGER NOT NULL,
               last INTEGER NOT NULL,
               PRIMARY KEY(prefix, year)))",
      }},
      // ---- version 5 (usage: voided events, reads of any [start, end)) ----
      {{
          // An event taken out of every count (`meter events void`): kept,
          // with when and why. Every usage read skips voided_at IS NOT NULL.
          "ALTER TABLE events ADD COLUMN voided_at INTEGER",
          "ALTER TABLE events ADD COLUMN void_reason TEXT",
          // Reads of raw events by time (the partial hours at the ends of a
          // period not made of whole hours, charge filters and groups): a
          // range of ts, then the tenant, found in the index alone.
          "CREATE INDEX events_ts ON events(ts, tenant_id)",
          // The meter definition (event, where, value, aggregation) each
          // meter's hourly counters were built with: a meter whose
          // definition changes is recounted from its raw events.
          R"(CREATE TABLE usage_meter_definitions(
               meter TEXT PRIMARY KEY,
               definition TEXT NOT NULL))",
      }},
      // ---- version 6: tenants' billing periods and start (SPEC section 10) ----
      {{
          // billing_day: the day of the month the tenant's periods start (1-31).
          // started_at: when the tenant started, as written in the catalog or
          // `tenants add --started-at` (a date means local midnight in its
          // time zone); '' = billed whole periods.
          "ALTER TABLE tenants ADD COLUMN billing_day INTEGER NOT NULL DEFAULT 1",
          "ALTER TABLE tenants ADD COLUMN started_at TEXT NOT NULL DEFAULT ''",
      }},
      // ---- version 7 (balances: voided events on later invoices) ----
      {{
          // The voided events alone (a partial index: ingest's rows, never
          // voided, add nothing to it): invoice generate finds the finalized
          // periods that lost events after finalization through it.
          "CREATE INDEX events_voided ON events(voided_at) WHERE voided_at IS NOT NULL",
      }},
      // ---- version 8: counters packed per (tenant, meter, UTC day) ----
      // With many tenants an hourly key holds one or two events, so the
      // hourly tables took almost a row per event. One row per tenant,
      // meter and UTC day now holds that day's hours: `day` is the day's
      // first instant (milliseconds, a multiple of 86400000); `data` the
      // day's hours in the canonical text of store/counter_days.h (counters:
      // value, events, latest_ts per hour; distinct values: each value per
      // hour). MigrateCountersToDays (store/counter_migration.cc) moves the
      // hourly rows into them and drops usage_counters and usage_uniques.
      {{
           R"(CREATE TABLE usage_counter_days(
                tenant_id TEXT NOT NULL,
                meter TEXT NOT NULL,
                day INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY(tenant_id, meter, day)) WITHOUT ROWID)",
           R"(CREATE TABLE usage_unique_days(
                tenant_id TEXT NOT NULL,
                meter TEXT NOT NULL,
                day INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY(tenant_id, meter, day)) WITHOUT ROWID)",
       },
       MigrateCountersToDays},
  };
  return kMigrations;
}

// Runs one migration statement in the dialect of `db` (see dialect.h for
// statements meant for one backend only).
Status RunMigrationStatement(Database& db, std::string_view sql) {
  bool postgres = Dialect(db) == Backend::kPostgres;
  if (sql.starts_with(kSqliteOnly) && postgres) return Status::OK();
  if (sql.starts_with(kPostgresOnly) && !postgres) return Status::OK();
  Exec(db, sql);  // the PostgreSQL driver rewrites DDL (dialect.h)
  return Status::OK();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status Migrate(Database& db, bool read_only) {
  const auto& migrations = Migrations();
  int current = db.SchemaVersion();
  int latest = LatestSchemaVersion();
  if (current > latest) {
    return Status::IOError(fmt::format(
        "database '{}' has schema version {}, newer than this meter's {}; upgrade meter",
        db.path(), current, latest));
  }
  if (current == latest) return Status::OK();
  if (read_only) {
    return Status::IOError(fmt::format(
        "database '{}' has schema version {} and needs migrating to {}; open it writable once",
        db.path(), current, latest));
  }
  for (int v = current; v < latest; ++v) {
    METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
      // Another process may have migrated while we waited for the lock.
      if (db.SchemaVersion() > v) return Status::OK();
      for (const char* sql : migrations[v].sql) METER_RETURN_IF_ERROR(RunMigrationStatement(db, sql));
      if (migrations[v].then) METER_RETURN_IF_ERROR(migrations[v].then(db));
      db.impl().conn->SetUserVersion(v + 1);
      return Status::OK();
    }));
  }
  return Status::OK();
}

}  // namespace meter::store
