-- The @@ matcher: Prometheus selector semantics.
CREATE TABLE lm (id int, l tsdb.labels);
INSERT INTO lm VALUES
  (1, 'http_requests_total{code="200",job="api",method="GET"}'),
  (2, 'http_requests_total{code="500",job="api",method="POST"}'),
  (3, 'http_requests_total{code="503",job="web"}'),
  (4, 'http_requests_total{job="web"}'),
  (5, 'up{job="api"}'),
  (6, 'up{job="web",env="prod"}'),
  (7, '{job="api",code="5"}');

-- =
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{job="api"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ 'http_requests_total';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ 'http_requests_total{job="web"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{__name__="up"}';
-- an absent label has the value ""
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=""}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{env=""}';
-- !=
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{job!="api"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code!=""}';
-- =~ is anchored at both ends
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=~"5.."}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=~"5"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=~"2|5"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=~".*"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code=~".+"}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{__name__=~"http_.*"}';
-- !~
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{code!~"5.."}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{job!~"a.*"}';
-- several matchers, also on one label
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ 'http_requests_total{job="api", code=~"5.."}';
SELECT array_agg(id ORDER BY id) FROM lm WHERE l @@ '{job=~"a.*|w.*", job!="web", method!~"G.*"}';
-- quoting in matcher values
SELECT 'm{p="a\"b"}'::tsdb.labels @@ '{p="a\"b"}' AS quoted,
       'm{p="a.b"}'::tsdb.labels @@ '{p=~"a\\.b"}' AS escaped_dot,
       'm{p="axb"}'::tsdb.labels @@ '{p=~"a\\.b"}' AS not_a_dot;

-- Different matchers in one query: each row gets its own (cache per call site
-- and per matcher text).
SELECT id, l @@ m AS matches
  FROM lm, (VALUES ('{job="api"}'), ('{code=~"5.."}'), ('{job="api"}')) AS v(m)
 WHERE id <= 2 ORDER BY id, m;

-- Errors
SELECT 'up'::tsdb.labels @@ '{}';
SELECT 'up'::tsdb.labels @@ '';
SELECT 'up'::tsdb.labels @@ '{job=~"("}';
SELECT 'up'::tsdb.labels @@ '{job!~"[z-a]"}';
SELECT 'up'::tsdb.labels @@ '{job=="a"}';
SELECT 'up'::tsdb.labels @@ '{job~"a"}';
SELECT 'up'::tsdb.labels @@ '{1job="a"}';
SELECT 'up'::tsdb.labels @@ '{job="a"';
SELECT 'up'::tsdb.labels @@ '{job="a\x"}';
SELECT 'up'::tsdb.labels @@ NULL;

-- On a tsdb table.
CREATE TABLE lmt (series tsdb.labels, ts timestamptz, value float8) USING tsdb;
INSERT INTO lmt SELECT l, '2026-01-01'::timestamptz + id * interval '1 s', id FROM lm;
SELECT series, value FROM lmt WHERE series @@ 'http_requests_total{code=~"5.."}' ORDER BY value;
PREPARE q(text) AS SELECT count(*) FROM lmt WHERE series @@ $1;
EXECUTE q('{job="api"}');
EXECUTE q('{job="web"}');
DROP TABLE lm, lmt;
