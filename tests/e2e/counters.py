"""The counters' day rows (lib/store/counter_days.h) read back as the hourly
rows that usage_counters and usage_uniques held before schema version 8, for
the tests that check the counters with SQL. One row per (tenant, meter, UTC
day); `day` the day's first millisecond; `data` its hours:

  counters:        <hour>:<value>:<events>:<latest_ts>;   (latest_ts may be empty)
  distinct values: <hour>: then <byte length>:<bytes> per value, then ;

`sql` is a function (query, params) -> rows: the fixture's meter.sql, or a
sqlite3 connection's execute(...).fetchall().
"""

HOUR_MS = 3_600_000


def _int(data, pos, stop):
    end = data.index(stop, pos)
    return int(data[pos:end]), end + 1


def decode_counters(day, data):
    """[(hour, value, events, latest_ts or None)] of one day row."""
    raw, pos, out = data.encode("utf-8"), 0, []
    while pos < len(raw):
        h, pos = _int(raw, pos, b":")
        value, pos = _int(raw, pos, b":")
        events, pos = _int(raw, pos, b":")
        end = raw.index(b";", pos)
        latest = int(raw[pos:end]) if end > pos else None
        pos = end + 1
        out.append((day + h * HOUR_MS, value, events, latest))
    return out


def decode_uniques(day, data):
    """[(hour, value)] of one day row."""
    raw, pos, out = data.encode("utf-8"), 0, []
    while pos < len(raw):
        h, pos = _int(raw, pos, b":")
        while raw[pos:pos + 1] != b";":
            n, pos = _int(raw, pos, b":")
            out.append((day + h * HOUR_MS, raw[pos:pos + n].decode("utf-8")))
            pos += n
        pos += 1
    return out


def counter_rows(sql, where="", params=()):
    """[(tenant_id, meter, hour, value, events, latest_ts)], as usage_counters
    held them; `where` filters the day rows (on tenant_id and meter)."""
    rows = sql(f"SELECT tenant_id, meter, day, data FROM usage_counter_days {where}", tuple(params))
    return [(t, m) + hour for t, m, day, data in rows for hour in decode_counters(day, data)]


def unique_rows(sql, where="", params=()):
    """[(tenant_id, meter, hour, value)], as usage_uniques held them."""
    rows = sql(f"SELECT tenant_id, meter, day, data FROM usage_unique_days {where}", tuple(params))
    return [(t, m) + hour for t, m, day, data in rows for hour in decode_uniques(day, data)]
