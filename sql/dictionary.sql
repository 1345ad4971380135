-- The series dictionary stores each label set front-coded against the
-- previous entry of its page: labels repeated, shared prefixes, a label
-- that is a prefix of the previous one, more and fewer labels, entries
-- spanning pages.  Every one reads back exactly, also in a new session,
-- whose cache is built from the pages alone.
CREATE TABLE dict (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO dict VALUES ('m_count{a="1",b="2"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m_sum{a="1",b="2"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m{a="1",b="2"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m{a="1",b="22"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m{a="1",b="2",c="3"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m{a="1"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('{a="1"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('{aa="1"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('m{a="1",b="2"}', '2026-01-02', 2);
INSERT INTO dict VALUES ('n{a="\\\"\n"}', '2026-01-01', 1);
INSERT INTO dict VALUES ('n{a="\\\"\n",b="é"}', '2026-01-01', 1);
SELECT * FROM tsdb.series('dict') ORDER BY series_id;

-- Large label sets: 580 labels, one 4000-byte value, and generated series
-- enough for several dictionary pages.
CREATE TABLE want (labels tsdb.labels);
INSERT INTO want SELECT ('big{' || string_agg(format('l%s="x"', i), ',') || '}')::tsdb.labels
	FROM generate_series(1, 580) i;
INSERT INTO want VALUES (('long{v="' || repeat('v', 4000) || '"}')::tsdb.labels);
INSERT INTO want SELECT format('node_cpu_seconds_total{cpu="%s",instance="host-%s:9100",mode="%s"}',
	i % 64, i / 512, (ARRAY['idle', 'user', 'system', 'iowait', 'nice', 'irq', 'softirq', 'steal'])[i / 64 % 8 + 1])::tsdb.labels
	FROM generate_series(0, 4999) i;
INSERT INTO dict SELECT labels, '2026-01-01', 1 FROM want;
SELECT page_type, pages > 2 AS several FROM tsdb.page_types('dict') WHERE page_type = 'dictionary';
SELECT count(*) AS missing FROM want w WHERE NOT EXISTS (SELECT FROM tsdb.series('dict') s WHERE s.labels = w.labels);
\c
SELECT count(*) AS missing FROM want w WHERE NOT EXISTS (SELECT FROM tsdb.series('dict') s WHERE s.labels = w.labels);
SELECT count(*), count(DISTINCT labels), max(series_id) FROM tsdb.series('dict');
SELECT series, count(*) FROM dict WHERE series @@ '{__name__=~"m.*"}' GROUP BY 1 ORDER BY 1;
SELECT octet_length(series::text) FROM dict WHERE series -> '__name__' IN ('big', 'long') ORDER BY 1;
DROP TABLE dict, want;
