-- Generates @n events for February 2026 straight into a meter database that
-- holds the sample catalog (sample-data/catalog.json), in time order, with
-- the sample's metric mix: half api_calls (1-5 calls, one of 200 users per
-- tenant), 30 % ai_requests (five operations), 10 % llm_completion
-- (properties.tokens), 8 % operation_start, 2 % storage_gb snapshots.
-- Used by bench/aggregate.sh and bench/quota.sh:
--   sqlite3 DB -cmd ".parameter set @n 10000000" < bench/aggregate_events.sql
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-1000000;
CREATE TEMP TABLE bench_tenants(k INTEGER PRIMARY KEY, id TEXT);
INSERT INTO bench_tenants(k, id) SELECT row_number() OVER (ORDER BY id) - 1, id FROM tenants;
CREATE TEMP TABLE bench_ops(k INTEGER PRIMARY KEY, op TEXT);
INSERT INTO bench_ops VALUES (0, 'email_analysis'), (1, 'video_understanding'), (2, 'audio_transcription'),
                             (3, 'text_to_speech'), (4, 'summarize');
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < @n),
r AS (SELECT i, (i * 2654435761) % 100 AS p, (i * 40503) % 1000003 AS h FROM c)
INSERT INTO events(id, tenant_id, metric, ts, quantity, user_id, operation, status, latency_ms, cost, properties,
                   ingested_at)
SELECT printf('b%010d', i),
       (SELECT id FROM bench_tenants WHERE k = ((i * 7919 + i / 7) % 1000033) % (SELECT COUNT(*) FROM bench_tenants)),
       CASE WHEN p < 50 THEN 'api_calls' WHEN p < 80 THEN 'ai_requests' WHEN p < 90 THEN 'llm_completion'
            WHEN p < 98 THEN 'operation_start' ELSE 'storage_gb' END,
       1769904000000 + i * (2419200000 / @n),
       CASE WHEN p < 50 THEN (1 + h % 5) * 1000000 WHEN p >= 98 THEN (h % 200000) * 1000 ELSE 1000000 END,
       CASE WHEN p < 50 THEN 'user_' || (h % 200) END,
       CASE WHEN p >= 50 AND p < 80 THEN (SELECT op FROM bench_ops WHERE k = h % 5) END,
       CASE WHEN p >= 50 AND p < 80 THEN 'success' END,
       CASE WHEN p >= 50 AND p < 80 THEN 50 + h % 900 END,
       NULL,
       CASE WHEN p >= 80 AND p < 90 THEN '{"tokens":' || (h % 4000) || '}' END,
       1772323200000
FROM r;
-- The hourly counters and distinct sets ingest keeps with its events, for
-- the sample catalog's meters, packed one row per (tenant, meter, UTC day)
-- in the text of lib/store/counter_days.h (hours ascending; values
-- length-prefixed in bytes, ascending). The ordered subqueries feed
-- group_concat in that order.
CREATE TEMP TABLE bench_hours(tenant_id TEXT, meter TEXT, hour INTEGER, value INTEGER, events INTEGER);
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, 'api_calls', ts / 3600000 * 3600000 AS h, SUM(quantity), COUNT(*)
  FROM events WHERE metric = 'api_calls' GROUP BY tenant_id, h;
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, 'ai_requests', ts / 3600000 * 3600000 AS h, COUNT(*) * 1000000, COUNT(*)
  FROM events WHERE metric = 'ai_requests' GROUP BY tenant_id, h;
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, operation, ts / 3600000 * 3600000 AS h, COUNT(*) * 1000000, COUNT(*)
  FROM events WHERE metric = 'ai_requests' AND operation IN ('email_analysis', 'video_understanding',
                                                            'audio_transcription', 'text_to_speech')
  GROUP BY tenant_id, operation, h;
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, 'operations_started', ts / 3600000 * 3600000 AS h, COUNT(*) * 1000000, COUNT(*)
  FROM events WHERE metric = 'operation_start' GROUP BY tenant_id, h;
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, 'llm_tokens', ts / 3600000 * 3600000 AS h, SUM((properties ->> '$.tokens') * 1000000), COUNT(*)
  FROM events WHERE metric = 'llm_completion' GROUP BY tenant_id, h;
INSERT INTO bench_hours(tenant_id, meter, hour, value, events)
  SELECT tenant_id, 'storage_gb', ts / 3600000 * 3600000 AS h, MAX(quantity), COUNT(*)
  FROM events WHERE metric = 'storage_gb' GROUP BY tenant_id, h;
INSERT INTO usage_counter_days(tenant_id, meter, day, data)
  SELECT tenant_id, meter, day, group_concat(((hour - day) / 3600000) || ':' || value || ':' || events || ':;', '')
  FROM (SELECT tenant_id, meter, hour / 86400000 * 86400000 AS day, hour, value, events FROM bench_hours
        ORDER BY tenant_id, meter, hour)
  GROUP BY tenant_id, meter, day;
CREATE TEMP TABLE bench_values(tenant_id TEXT, meter TEXT, hour INTEGER, value TEXT);
INSERT INTO bench_values(tenant_id, meter, hour, value)
  SELECT DISTINCT tenant_id, 'active_users', ts / 3600000 * 3600000, user_id
  FROM events WHERE metric = 'api_calls' AND user_id IS NOT NULL;
INSERT INTO usage_unique_days(tenant_id, meter, day, data)
  SELECT tenant_id, meter, day, group_concat(entry, '')
  FROM (SELECT tenant_id, meter, hour / 86400000 * 86400000 AS day, hour,
               (hour % 86400000 / 3600000) || ':' || group_concat(length(CAST(value AS BLOB)) || ':' || value, '') || ';'
                 AS entry
        FROM (SELECT tenant_id, meter, hour, value FROM bench_values ORDER BY tenant_id, meter, hour, value)
        GROUP BY tenant_id, meter, hour
        ORDER BY tenant_id, meter, hour)
  GROUP BY tenant_id, meter, day;
COMMIT;
