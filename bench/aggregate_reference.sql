-- The reference of bench/aggregate.sh: what `meter aggregate` computes for
-- the sample catalog, as plain sqlite3 GROUP BYs over the events table. Hour
-- buckets come from one GROUP BY over the events (sums, counts, maxima,
-- tokens, per operation for the where-filtered meters); days and months are
-- rolled up from the hours; distinct users come from the events per hour
-- and per day, and per month from the daily distinct sets. Months are UTC
-- here (meter follows each tenant's time zone). Results go to temporary
-- tables, as meter writes its buckets instead of printing them.
CREATE TEMP TABLE ref_hour AS
  SELECT tenant_id, metric, ts / 3600000 * 3600000 AS hour, operation, COUNT(*) AS n, SUM(quantity) AS total,
         MAX(quantity) AS peak, SUM(properties ->> '$.tokens') AS tokens
  FROM events GROUP BY tenant_id, metric, hour, operation;
CREATE TEMP TABLE ref_day AS
  SELECT tenant_id, metric, hour / 86400000 * 86400000 AS day, operation, SUM(n) AS n, SUM(total) AS total,
         MAX(peak) AS peak, SUM(tokens) AS tokens
  FROM ref_hour GROUP BY tenant_id, metric, day, operation;
CREATE TEMP TABLE ref_month AS
  SELECT tenant_id, metric, strftime('%Y-%m', day / 1000, 'unixepoch') AS month, operation, SUM(n), SUM(total),
         MAX(peak), SUM(tokens)
  FROM ref_day GROUP BY tenant_id, metric, month, operation;
CREATE TEMP TABLE ref_users_hour AS
  SELECT tenant_id, ts / 3600000 * 3600000 AS hour, COUNT(DISTINCT user_id) AS users
  FROM events WHERE metric = 'api_calls' GROUP BY tenant_id, hour;
CREATE TEMP TABLE ref_users_day_set AS
  SELECT DISTINCT tenant_id, ts / 86400000 * 86400000 AS day, user_id FROM events WHERE metric = 'api_calls';
CREATE TEMP TABLE ref_users_day AS
  SELECT tenant_id, day, COUNT(*) AS users FROM ref_users_day_set GROUP BY tenant_id, day;
CREATE TEMP TABLE ref_users_month AS
  SELECT tenant_id, strftime('%Y-%m', day / 1000, 'unixepoch') AS month, COUNT(DISTINCT user_id) AS users
  FROM ref_users_day_set GROUP BY tenant_id, month;
