-- tsdb tables as partitions of a range-partitioned table.
CREATE TABLE pm (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)
  PARTITION BY RANGE (ts);
CREATE TABLE pm_2026_01 PARTITION OF pm
  FOR VALUES FROM ('2026-01-01') TO ('2026-02-01') USING tsdb;
CREATE TABLE pm_2026_02 PARTITION OF pm
  FOR VALUES FROM ('2026-02-01') TO ('2026-03-01') USING tsdb;
-- a heap partition next to tsdb ones is fine too
CREATE TABLE pm_old PARTITION OF pm FOR VALUES FROM (MINVALUE) TO ('2026-01-01');

INSERT INTO pm VALUES ('up{job="a"}', '2026-01-15', 1), ('up{job="a"}', '2026-02-15', 2),
                      ('up{job="a"}', '2025-12-15', 3);
COPY pm FROM STDIN;
up{job="b"}	2026-01-20 00:00:00+00	4
up{job="b"}	2026-02-20 00:00:00+00	5
\.
SELECT tableoid::regclass, * FROM pm ORDER BY ts;
EXPLAIN (COSTS OFF) SELECT * FROM pm WHERE ts >= '2026-02-01';
SELECT * FROM pm WHERE ts >= '2026-02-01' ORDER BY ts;

-- Refusals reach tsdb partitions through the parent.
-- (a statement pruned down to no tsdb partition touches none and is allowed)
UPDATE pm SET value = 0 WHERE false;
UPDATE pm SET value = 0 WHERE ts >= '2026-01-01' AND value < 0;
DELETE FROM pm WHERE ts < '2026-02-01';
SELECT * FROM pm FOR UPDATE;

-- An index on the parent cascades to the partitions and is refused.
CREATE INDEX ON pm (ts);

-- Retention by partition: detach and drop.
ALTER TABLE pm DETACH PARTITION pm_2026_01;
DROP TABLE pm_2026_01;
SELECT tableoid::regclass, * FROM pm ORDER BY ts;

-- Attaching a tsdb table checks the partition constraint by scanning it.
CREATE TABLE pm_2026_03 (series tsdb.labels NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL) USING tsdb;
INSERT INTO pm_2026_03 VALUES ('up{job="a"}', '2026-04-02', 9);
ALTER TABLE pm ATTACH PARTITION pm_2026_03 FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
TRUNCATE pm_2026_03;
INSERT INTO pm_2026_03 VALUES ('up{job="a"}', '2026-03-02', 9);
ALTER TABLE pm ATTACH PARTITION pm_2026_03 FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
SELECT tableoid::regclass, * FROM pm ORDER BY ts;
DROP TABLE pm;
