-- The shared-memory label index answers what a walk of the series
-- dictionary answers: every matcher type, label set lookups, after new
-- series, in a new session (built from the pages), after TRUNCATE.
CREATE TABLE li (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO li SELECT format('http_requests_total{job="%s",code="%s",instance="host-%s"%s}',
		(ARRAY['api', 'web', 'db'])[i % 3 + 1], 200 + (i % 4) * 100 + i % 3,
		i % 17, CASE WHEN i % 5 = 0 THEN ',canary="yes"' ELSE '' END),
	'2026-01-01'::timestamptz + i * interval '10 s', i
	FROM generate_series(0, 1999) i;
INSERT INTO li VALUES ('up{job="api"}', '2026-01-01', 1), ('up', '2026-01-01', 1),
	('{job="api",code="500"}', '2026-01-01', 1);

CREATE TABLE matchers (m text);
INSERT INTO matchers VALUES
	('{job="api"}'), ('{job="nope"}'), ('{job!="api"}'), ('{job=~"api|web"}'),
	('{job!~"api|web"}'), ('{job=~"z.*"}'), ('{job!~".*"}'), ('{job=~".*"}'),
	('{job=~".+"}'), ('{job=""}'), ('{job!=""}'), ('{canary=""}'), ('{canary!=""}'),
	('{canary="yes"}'), ('{canary!="yes"}'), ('{missing=""}'), ('{missing!=""}'),
	('{__name__="up"}'), ('{__name__!="up"}'),
	('{job="api", code=~"5.."}'), ('{job="api", code!~"5.."}'),
	('{job="api", code="500", instance="host-3"}'),
	('{__name__="http_requests_total", job=~"a.*|w.*", code!="200", canary=""}'),
	('{job="api", job="web"}'), ('{code=~"2..|3.."}'), ('{code=~"(5|4)0[01]"}'),
	-- few series left after the equalities: their own values are tested
	('{job="api", code="500", instance=~"host-1.*"}'),
	('{job="api", code="500", instance!~"host-1.*"}'),
	('{job="api", code="500", canary=""}'), ('{__name__="up", code=""}'),
	('{__name__="up", job!="api", missing=""}'), ('{__name__="up", job=~"a.*"}'),
	('{job="api", code="500", instance="host-3", code=~"5.*", instance!~"x.*"}');

-- index and dictionary walk agree, both ways, on every matcher
CREATE FUNCTION li_check(rel regclass) RETURNS TABLE (m text, n int8, differ int8)
LANGUAGE sql AS $$
	SELECT m.m,
		(SELECT count(*) FROM tsdb.label_index_match(rel, m.m)),
		(SELECT count(*) FROM (
			(SELECT * FROM tsdb.label_index_match(rel, m.m)
			 EXCEPT ALL SELECT series_id FROM tsdb.series(rel) WHERE labels @@ m.m)
			UNION ALL
			(SELECT series_id FROM tsdb.series(rel) WHERE labels @@ m.m
			 EXCEPT ALL SELECT * FROM tsdb.label_index_match(rel, m.m))) d)
	FROM matchers m ORDER BY m.m COLLATE "C"
$$;
SELECT * FROM li_check('li');
-- the walk of the dictionary gives the same ids, sorted like the index's
SELECT count(*) AS differ FROM matchers,
	LATERAL (SELECT array_agg(x) AS a FROM tsdb.label_index_match('li', m) x) i,
	LATERAL (SELECT array_agg(x) AS a FROM tsdb.label_index_match('li', m, false) x) d
	WHERE i.a IS DISTINCT FROM d.a;

-- every label set looks up to its id; unknown ones to NULL
SELECT count(*) AS series,
	count(*) FILTER (WHERE tsdb.label_index_lookup('li', labels) = series_id) AS found
	FROM tsdb.series('li');
SELECT tsdb.label_index_lookup('li', 'up{job="nope"}') IS NULL AS unknown;

-- the relation is in the index, ready
SELECT state, series, postings > 0 AS postings, bytes > 0 AS bytes
	FROM tsdb.label_index_stats() WHERE relid = 'li'::regclass;
SELECT bytes <= max_bytes AS under_cap, lookups > 0 AS looked_up, hits > 0 AS hit
	FROM tsdb.label_index_stats() WHERE state = 'total';

-- new series appended since are matched
INSERT INTO li VALUES ('up{job="late"}', '2026-01-02', 3), ('up{job="late",code="500"}', '2026-01-02', 4);
SELECT * FROM tsdb.label_index_match('li', '{job="late"}');
-- a series created by an aborted insert stays in the dictionary (and index)
BEGIN;
INSERT INTO li VALUES ('up{job="aborted"}', '2026-01-02', 5);
ROLLBACK;
SELECT tsdb.label_index_lookup('li', 'up{job="aborted"}') IS NOT NULL AS kept;

-- a new session reads the index other sessions built
\c
SELECT * FROM li_check('li') WHERE differ <> 0;
SELECT tsdb.label_index_lookup('li', 'up{job="late",code="500"}') = series_id AS same
	FROM tsdb.series('li') WHERE labels = 'up{job="late",code="500"}';

-- the newest-sample hint: greatest timestamp inserted, with its value
INSERT INTO li VALUES ('hint{k="1"}', '2026-02-01 00:00:10', 10),
	('hint{k="1"}', '2026-02-01 00:00:30', 30), ('hint{k="1"}', '2026-02-01 00:00:20', 20);
SELECT * FROM tsdb.label_index_newest('li', tsdb.label_index_lookup('li', 'hint{k="1"}'));

-- TRUNCATE: a new storage, a new index; nothing of the old one is served
TRUNCATE li;
SELECT count(*) FROM tsdb.label_index_match('li', '{job="api"}');
SELECT tsdb.label_index_lookup('li', 'up{job="api"}') IS NULL AS gone;
INSERT INTO li VALUES ('up{job="api"}', '2026-01-03', 1), ('up{job="web"}', '2026-01-03', 2);
SELECT * FROM tsdb.label_index_match('li', '{job=~"api|web"}');
SELECT * FROM li_check('li') WHERE differ <> 0;
SELECT state, series FROM tsdb.label_index_stats() WHERE relid = 'li'::regclass;
-- TRUNCATE in the transaction that created the storage
BEGIN;
CREATE TABLE li2 (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO li2 VALUES ('a{x="1"}', '2026-01-01', 1);
SELECT * FROM tsdb.label_index_match('li2', '{x="1"}');
TRUNCATE li2;
SELECT count(*) FROM tsdb.label_index_match('li2', '{x="1"}');
INSERT INTO li2 VALUES ('b{x="1"}', '2026-01-01', 1);
SELECT * FROM tsdb.series('li2') WHERE series_id IN (SELECT * FROM tsdb.label_index_match('li2', '{x="1"}'));
COMMIT;

-- errors
SELECT * FROM tsdb.label_index_match('matchers', '{a="b"}');
SELECT * FROM tsdb.label_index_match('li', '{a=~"("}');
DROP TABLE li, li2, matchers;
DROP FUNCTION li_check(regclass);
