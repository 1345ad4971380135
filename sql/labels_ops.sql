-- tsdb.labels operators: equality, order, hashing, ->, @>, <@.
CREATE TABLE lo (id int, l tsdb.labels);
INSERT INTO lo VALUES
  (1, 'up{job="a"}'), (2, 'up{job="b"}'), (3, 'up{instance="x",job="a"}'),
  (4, 'down{job="a"}'), (5, '{job="a"}'), (6, 'up{job="a"}'), (7, 'Up{job="a"}');

-- equality ignores how the input was written
SELECT 'up{job="a",x="1"}'::tsdb.labels = '{x="1", __name__="up", job="a"}' AS eq,
       'up{job="a"}'::tsdb.labels <> 'up{job="b"}' AS ne;

-- order: (name, value) pairs in byte order; __name__ sorts as a plain label
SELECT id, l FROM lo ORDER BY l, id;

-- hashing: GROUP BY, DISTINCT, hash join
SET enable_sort = off;
SELECT l, count(*) FROM lo GROUP BY l ORDER BY 2 DESC, 1;
RESET enable_sort;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM lo a JOIN lo b ON a.l = b.l;
SELECT count(*) FROM lo a JOIN lo b ON a.l = b.l;
RESET enable_mergejoin; RESET enable_nestloop;
SELECT tsdb.labels_hash('up{job="a"}') = tsdb.labels_hash('{job="a",__name__="up"}') AS same_hash;
SELECT tsdb.labels_hash_extended('up{job="a"}', 0) = tsdb.labels_hash_extended('up{job="a"}', 0) AS stable,
       tsdb.labels_hash_extended('up{job="a"}', 0) <> tsdb.labels_hash_extended('up{job="a"}', 1) AS seeded;

-- indexes on heap tables
CREATE INDEX lo_btree ON lo (l);
CREATE INDEX lo_hash ON lo USING hash (l);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM lo WHERE l = 'up{job="a"}';
SELECT id FROM lo WHERE l = 'up{job="a"}' ORDER BY id;
SELECT id FROM lo WHERE l > 'up{job="a"}' ORDER BY id;
RESET enable_seqscan;
-- a unique constraint sees through spelling
CREATE TABLE lu (l tsdb.labels PRIMARY KEY);
INSERT INTO lu VALUES ('up{job="a",x=""}');
INSERT INTO lu VALUES ('{job="a",__name__="up"}');

-- ->: one label's value, NULL when absent
SELECT l -> '__name__' AS name, l -> 'job' AS job, l -> 'instance' AS instance FROM lo ORDER BY id;
SELECT 'm{a="x\"y"}'::tsdb.labels -> 'a';
SELECT count(*) FROM lo WHERE l -> 'job' = 'a';

-- @> and <@: subset
SELECT 'up{job="a",instance="x"}'::tsdb.labels @> 'up{job="a"}' AS t1,
       'up{job="a",instance="x"}'::tsdb.labels @> '{instance="x"}' AS t2,
       'up{job="a"}'::tsdb.labels @> 'up{job="a",instance="x"}' AS f1,
       'up{job="a"}'::tsdb.labels @> 'up{job="b"}' AS f2,
       '{job="a"}'::tsdb.labels <@ 'up{job="a"}' AS t3;
SELECT id FROM lo WHERE l @> '{job="a"}' ORDER BY id;

-- operators resolve without tsdb on the search_path
SET search_path = pg_catalog;
SELECT 'up{job="a"}'::tsdb.labels = 'up{job="a"}', 'up{job="a"}'::tsdb.labels -> 'job',
       'up{job="a"}'::tsdb.labels @@ '{job="a"}';
RESET search_path;

DROP TABLE lo, lu;
