-- Table shape: one tsdb.labels, one timestamptz, one float8, any names/order.
CREATE TABLE m (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
CREATE TABLE m_reordered (v float8, at timestamptz, s tsdb.labels) USING tsdb;
SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.relname IN ('m', 'm_reordered') ORDER BY 1;

-- Wrong shapes are refused at CREATE TABLE.
CREATE TABLE bad1 (series tsdb.labels, ts timestamptz) USING tsdb;
CREATE TABLE bad2 (series tsdb.labels, ts timestamptz, value float8, extra int) USING tsdb;
CREATE TABLE bad3 (series text, ts timestamptz, value float8) USING tsdb;
CREATE TABLE bad4 (series tsdb.labels, ts timestamp, value float8) USING tsdb;
CREATE TABLE bad5 (series tsdb.labels, ts timestamptz, value float4) USING tsdb;
CREATE TABLE bad6 (a tsdb.labels, b tsdb.labels, ts timestamptz) USING tsdb;
CREATE TABLE bad7 (series tsdb.labels, ts timestamptz, value numeric) USING tsdb;

-- Only permanent tables.
CREATE TEMP TABLE tmp (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
CREATE UNLOGGED TABLE unl (series tsdb.labels, ts timestamptz, value float8) USING tsdb;

-- The column set cannot change afterwards; renames are fine.
ALTER TABLE m ADD COLUMN extra int;
ALTER TABLE m DROP COLUMN value;
ALTER TABLE m ALTER COLUMN value TYPE numeric;
ALTER TABLE m RENAME COLUMN value TO val;
ALTER TABLE m RENAME COLUMN val TO value;

-- Converting a heap table keeps its rows; a wrong shape is refused.
CREATE TABLE conv (series tsdb.labels, ts timestamptz, value float8);
INSERT INTO conv VALUES ('up{job="a"}', '2026-01-01 00:00:00+00', 1),
                        ('up{job="b"}', '2026-01-01 00:00:05+00', 0);
ALTER TABLE conv SET ACCESS METHOD tsdb;
SELECT * FROM conv ORDER BY series;
ALTER TABLE conv SET ACCESS METHOD heap;
SELECT * FROM conv ORDER BY series;
CREATE TABLE conv_bad (series text, ts timestamptz, value float8);
ALTER TABLE conv_bad SET ACCESS METHOD tsdb;

-- CREATE TABLE AS and SELECT INTO with the default access method.
SET default_table_access_method = tsdb;
CREATE TABLE ctas AS SELECT * FROM conv;
SELECT count(*) FROM ctas;
RESET default_table_access_method;


DROP TABLE m_reordered, conv, conv_bad, ctas;
