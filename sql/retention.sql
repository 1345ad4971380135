-- Retention: tsdb.drop_before() retires segments older than the cutoff,
-- rewrites the ones that straddle it and the committed head runs that hold
-- old samples, with compaction's MVCC hand-over; tsdb.retention is a
-- storage parameter of tsdb tables.
SET timezone = 'UTC';
CREATE TABLE rt (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE TABLE rt_heap (series tsdb.labels, ts timestamptz, value float8);
CREATE FUNCTION rt_add(t timestamptz, n int, step interval) RETURNS void LANGUAGE sql AS $$
  INSERT INTO rt_heap SELECT format('temp{room="r%s"}', k), t + i * step, i * 0.5 + k
    FROM generate_series(0, n - 1) i, generate_series(1, 3) k;
  INSERT INTO rt SELECT format('temp{room="r%s"}', k), t + i * step, i * 0.5 + k
    FROM generate_series(0, n - 1) i, generate_series(1, 3) k $$;
CREATE FUNCTION rt_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT series, ts, float8send(value) FROM rt EXCEPT ALL
     SELECT series, ts, float8send(value) FROM rt_heap)
    UNION ALL
    (SELECT series, ts, float8send(value) FROM rt_heap EXCEPT ALL
     SELECT series, ts, float8send(value) FROM rt)) d $$;
CREATE VIEW rt_segs AS
  SELECT segment_id, level, samples, min_ts, max_ts, state
    FROM tsdb.segments('rt') ORDER BY segment_id;

-- three days of hourly samples, one compaction a day; a fourth in the head
SELECT rt_add('2024-06-01', 24, '1 hour');
SELECT tsdb.compact('rt');
SELECT rt_add('2024-06-02', 24, '1 hour');
SELECT tsdb.compact('rt');
SELECT rt_add('2024-06-03', 24, '1 hour');
SELECT tsdb.compact('rt');
SELECT rt_add('2024-06-04', 24, '1 hour');
-- late samples of June 1st, still in the head
SELECT rt_add('2024-06-01 00:30', 2, '1 hour');
SELECT * FROM rt_segs;

-- Cut at June 2nd 12:00: June 1st's segment goes whole, June 2nd's is
-- rewritten from noon, the head run of late samples is consumed; the run
-- of June 4th has nothing old and stays in the head (a compaction moves it
-- below).
SELECT * FROM tsdb.drop_before('rt', '2024-06-02 12:00');
DELETE FROM rt_heap WHERE ts < '2024-06-02 12:00';
SELECT rt_diff();
SELECT * FROM rt_segs;
SELECT count(*), min(ts), max(ts) FROM rt;

-- Inside a transaction: later commands no longer see the old samples, a
-- second call is refused, and a rollback brings everything back.
BEGIN;
SELECT * FROM tsdb.drop_before('rt', '2024-06-03 06:00');
SELECT count(*), min(ts) FROM rt;
SELECT * FROM tsdb.drop_before('rt', '2024-06-03 07:00');
ROLLBACK;
SELECT count(*), min(ts) FROM rt;
BEGIN;
SELECT tsdb.compact('rt');
SELECT * FROM tsdb.drop_before('rt', '2024-06-03 07:00');
ROLLBACK;

-- Samples of the calling transaction itself are not removed, even old ones.
BEGIN;
INSERT INTO rt VALUES ('temp{room="own"}', '2024-06-01', 1);
SELECT * FROM tsdb.drop_before('rt', '2024-06-03');
SELECT count(*) FILTER (WHERE series = 'temp{room="own"}') AS own, min(ts) FROM rt;
COMMIT;
INSERT INTO rt_heap VALUES ('temp{room="own"}', '2024-06-01', 1);
DELETE FROM rt_heap WHERE ts < '2024-06-03' AND series <> 'temp{room="own"}';
SELECT rt_diff();
-- a later call takes it
SELECT * FROM tsdb.drop_before('rt', '2024-06-03');
DELETE FROM rt_heap WHERE ts < '2024-06-03';
SELECT rt_diff();

-- Whole segments only: nothing is written but an empty entry, which marks
-- the command for the transaction's own later reads; VACUUM removes it
-- and the retired entries once no snapshot needs them.
SELECT tsdb.compact('rt');
SELECT * FROM rt_segs;
SELECT * FROM tsdb.drop_before('rt', '2024-06-04');
DELETE FROM rt_heap WHERE ts < '2024-06-04';
SELECT * FROM rt_segs;
VACUUM rt;
SELECT * FROM rt_segs;
SELECT rt_diff();

-- Compaction and retention in one rewrite, so in one transaction: the
-- head moves whole, nothing older than the cutoff stays.
SELECT rt_add('2024-06-05', 4, '1 hour');
BEGIN;
SELECT tsdb.compact('rt', drop_before => '2024-06-04 12:00');
SELECT count(*), min(ts), max(ts) FROM rt;
COMMIT;
DELETE FROM rt_heap WHERE ts < '2024-06-04 12:00';
SELECT * FROM rt_segs;
SELECT rt_diff();

-- Nothing is older than -infinity; everything but +infinity is older
-- than +infinity.
INSERT INTO rt VALUES ('edge', '-infinity', 1), ('edge', 'infinity', 2);
INSERT INTO rt_heap VALUES ('edge', '-infinity', 1), ('edge', 'infinity', 2);
SELECT * FROM tsdb.drop_before('rt', '-infinity');
SELECT rt_diff();
SELECT * FROM tsdb.drop_before('rt', 'infinity');
SELECT series, ts, value FROM rt;
SELECT * FROM tsdb.drop_before('rt', 'infinity');

-- Who may call it, and on what: the owner, as for tsdb.compact().
SELECT * FROM tsdb.drop_before('rt_heap', '2024-01-01');
CREATE TABLE rt_parted (series tsdb.labels, ts timestamptz, value float8) PARTITION BY RANGE (ts);
SELECT * FROM tsdb.drop_before('rt_parted', '2024-01-01');
CREATE ROLE regress_rt_other;
GRANT USAGE ON SCHEMA tsdb TO regress_rt_other;
GRANT SELECT, INSERT ON rt TO regress_rt_other;
SET ROLE regress_rt_other;
SELECT * FROM tsdb.drop_before('rt', '2024-01-01');
SELECT tsdb.compact('rt');
RESET ROLE;

-- The tsdb.retention storage parameter.
CREATE TABLE rt_opt (series tsdb.labels, ts timestamptz, value float8) USING tsdb
  WITH (tsdb.retention = '30 days');
SELECT reloptions, tsdb.retention('rt_opt') FROM pg_class WHERE relname = 'rt_opt';
ALTER TABLE rt_opt SET (tsdb.retention = '1 mon 12:00', autovacuum_enabled = false);
SELECT reloptions, tsdb.retention('rt_opt') FROM pg_class WHERE relname = 'rt_opt';
-- heap's own parameters alone still work next to it
ALTER TABLE rt_opt RESET (autovacuum_enabled);
ALTER TABLE rt_opt SET (fillfactor = 100);
SELECT reloptions FROM pg_class WHERE relname = 'rt_opt';
ALTER TABLE rt_opt RESET (tsdb.retention, fillfactor);
SELECT reloptions, tsdb.retention('rt_opt') FROM pg_class WHERE relname = 'rt_opt';
-- pg_dump writes it as one quoted name
ALTER TABLE rt_opt SET ("tsdb.retention" = '2 days');
SELECT tsdb.retention('rt_opt');
SET IntervalStyle = 'iso_8601';
ALTER TABLE rt_opt SET (tsdb.retention = '36 hours');
RESET IntervalStyle;
SELECT reloptions FROM pg_class WHERE relname = 'rt_opt';
CREATE TABLE rt_ctas USING tsdb WITH (tsdb.retention = '7 days') AS SELECT * FROM rt;
SELECT tsdb.retention('rt_ctas'), count(*) FROM rt_ctas;
CREATE TABLE IF NOT EXISTS rt_ctas (series tsdb.labels, ts timestamptz, value float8) USING tsdb
  WITH (tsdb.retention = '1 day');
SELECT tsdb.retention('rt_ctas');
SET default_table_access_method = tsdb;
CREATE TABLE rt_default (series tsdb.labels, ts timestamptz, value float8) WITH ("tsdb.retention" = '1 hour');
RESET default_table_access_method;
SELECT tsdb.retention('rt_default');
-- leaving tsdb drops it
ALTER TABLE rt_default SET ACCESS METHOD heap;
SELECT reloptions FROM pg_class WHERE relname = 'rt_default';
-- refusals
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.retention = '-1 day');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.retention = '0');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.retention = '1 day -1 hour');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.retention = 'soon');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.retention);
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb WITH (tsdb.keep = '1 day');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) USING tsdb
  WITH (tsdb.retention = '1 day', "tsdb.retention" = '2 days');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) WITH (tsdb.retention = '1 day');
CREATE TABLE rt_bad (series tsdb.labels, ts timestamptz, value float8) PARTITION BY RANGE (ts) WITH (tsdb.retention = '1 day');
ALTER TABLE rt_heap SET (tsdb.retention = '1 day');
ALTER TABLE rt_opt SET (tsdb.retention = 'P-1D');
SET ROLE regress_rt_other;
ALTER TABLE rt_opt SET (tsdb.retention = '1 day');
RESET ROLE;
REVOKE ALL ON rt FROM regress_rt_other;
REVOKE USAGE ON SCHEMA tsdb FROM regress_rt_other;
DROP ROLE regress_rt_other;
SELECT tsdb.retention('rt_opt');

-- Where retention cuts: now - retention, down to a tenth of the retention
-- (the widest merge window), so that whole segments go.
ALTER TABLE rt_opt SET (tsdb.retention = '10 days');
SELECT tsdb.retention_cutoff('rt_opt', '2024-06-20 15:47');
SELECT tsdb.retention_cutoff('rt', '2024-06-20 15:47');

-- Thirty days of hourly compactions, each followed by retention of five
-- days at its cutoff: windows stop growing at 12 hours, whole segments go
-- and none is rewritten, the list stays short, the data stays the same
-- as heap's.
CREATE TABLE rr (series tsdb.labels, ts timestamptz, value float8) USING tsdb
  WITH (tsdb.retention = '5 days');
CREATE TABLE rr_heap (series tsdb.labels, ts timestamptz, value float8);
CREATE TABLE rr_log (step int, live int, levels int[], removed bigint, dropped int, rewritten int);
CREATE PROCEDURE rr_run(steps int) LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  cut timestamptz;
  r record;
BEGIN
  FOR i IN 0 .. steps - 1 LOOP
    t := '2024-03-01'::timestamptz + i * interval '1 hour';
    INSERT INTO rr_heap SELECT format('cpu{host="h%s"}', k), t + j * interval '10 min', i * 6 + j + k * 0.5
      FROM generate_series(0, 3) k, generate_series(0, 5) j;
    INSERT INTO rr SELECT format('cpu{host="h%s"}', k), t + j * interval '10 min', i * 6 + j + k * 0.5
      FROM generate_series(0, 3) k, generate_series(0, 5) j;
    PERFORM tsdb.compact('rr');
    COMMIT;
    cut := tsdb.retention_cutoff('rr', t + interval '1 hour');
    SELECT * INTO r FROM tsdb.drop_before('rr', cut);
    DELETE FROM rr_heap WHERE ts < cut;
    INSERT INTO rr_log SELECT i, count(*), array_agg(level ORDER BY level),
        r.samples_removed, r.segments_dropped, r.segments_rewritten
      FROM tsdb.segments('rr') WHERE state = 'live' AND samples > 0;
    COMMIT;
  END LOOP;
END $$;
CALL rr_run(720);
SELECT max(live) AS most_live_segments, sum(removed) AS removed, sum(dropped) AS dropped,
  sum(rewritten) AS rewritten FROM rr_log;
SELECT * FROM rr_log WHERE step % 72 = 71 ORDER BY step;
SELECT count(*), min(ts), max(ts) FROM rr;
SELECT count(*) FROM (
  (SELECT series, ts, value FROM rr EXCEPT ALL SELECT series, ts, value FROM rr_heap)
  UNION ALL
  (SELECT series, ts, value FROM rr_heap EXCEPT ALL SELECT series, ts, value FROM rr)) d;

DROP PROCEDURE rr_run;
DROP VIEW rt_segs;
DROP TABLE rt, rt_heap, rt_parted, rt_opt, rt_ctas, rt_default, rr, rr_heap, rr_log;
DROP FUNCTION rt_add(timestamptz, int, interval), rt_diff();
