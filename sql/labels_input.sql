-- tsdb.labels input and output: every accepted form, every refused one.
-- Accepted forms; output is canonical: metric name first, then labels sorted.
SELECT 'http_requests_total{job="api",code="200"}'::tsdb.labels;
SELECT '{__name__="http_requests_total",job="api",code="200"}'::tsdb.labels;
SELECT 'up'::tsdb.labels;
SELECT '{job="api"}'::tsdb.labels;
SELECT '  up  {  job = "a" ,  instance = "h:9100" , }  '::tsdb.labels;
SELECT 'up{}'::tsdb.labels;
SELECT 'name:with:colons_1{_a="x"}'::tsdb.labels;
SELECT 'up{B="upper",a="lower",_="u"}'::tsdb.labels;
-- an empty value is the same as no label
SELECT 'up{job="a",instance=""}'::tsdb.labels = 'up{job="a"}'::tsdb.labels AS same;
SELECT '{__name__="", job="a"}'::tsdb.labels;
SELECT 'up{job=""}'::tsdb.labels;
-- escapes \\ \" \n, and non-ASCII values
SELECT 'm{path="C:\\dir",quote="say \"hi\"",nl="a\nb"}'::tsdb.labels;
SELECT 'm{city="Zürich",emoji="⏱"}'::tsdb.labels;
-- output re-parses to the same value
SELECT l::text::tsdb.labels = l AS round_trip
  FROM (VALUES ('m{path="C:\\dir",quote="say \"hi\"",nl="a\nb"}'::tsdb.labels),
               ('{job="x"}'), ('up'), ('a{b="}{,=~"}')) AS v(l);

-- Refused forms, each with its own message.
SELECT '{}'::tsdb.labels;
SELECT ''::tsdb.labels;
SELECT '   '::tsdb.labels;
SELECT 'up{job="a",job="b"}'::tsdb.labels;
SELECT 'up{__name__="up"}'::tsdb.labels;
SELECT '{__name__="1up"}'::tsdb.labels;
SELECT '{__name__="a-b"}'::tsdb.labels;
SELECT '1up{job="a"}'::tsdb.labels;
SELECT 'up-down{job="a"}'::tsdb.labels;
SELECT 'up{1job="a"}'::tsdb.labels;
SELECT 'up{jo:b="a"}'::tsdb.labels;
SELECT 'up{job-x="a"}'::tsdb.labels;
SELECT 'up{job="a"'::tsdb.labels;
SELECT 'up{job="a}'::tsdb.labels;
SELECT 'up{job=a}'::tsdb.labels;
SELECT 'up{job}'::tsdb.labels;
SELECT 'up{job="a" instance="b"}'::tsdb.labels;
SELECT 'up{job="a"} extra'::tsdb.labels;
SELECT 'up{job="a\q"}'::tsdb.labels;
SELECT 'up{job="a\'::tsdb.labels;
SELECT 'up{job!="a"}'::tsdb.labels;
SELECT 'up{job=~"a"}'::tsdb.labels;
SELECT ('up{job="' || repeat('x', 5000) || '"}')::tsdb.labels;
SELECT ('up{' || (SELECT string_agg('l' || i || '="' || repeat('v', 40) || '"', ',') FROM generate_series(1, 100) i) || '}')::tsdb.labels;

-- The largest accepted label set, and one byte more.
SELECT length(('m{a="' || repeat('x', 4076) || '"}')::tsdb.labels::text);
SELECT ('m{a="' || repeat('x', 4077) || '"}')::tsdb.labels;

-- Binary I/O goes through the same validation.
SELECT tsdb.labels_send('up{job="a"}');
CREATE TABLE lbin (l tsdb.labels);
INSERT INTO lbin VALUES ('up{job="a"}'), ('{k="v\"q"}'), ('m{city="Zürich"}');
COPY lbin TO '/tmp/tsdb_labels_test.bin' (FORMAT binary);
CREATE TABLE lbin2 (l tsdb.labels);
COPY lbin2 FROM '/tmp/tsdb_labels_test.bin' (FORMAT binary);
SELECT a.l, a.l = b.l AS equal FROM lbin a JOIN lbin2 b ON a.l = b.l ORDER BY 1;
DROP TABLE lbin, lbin2;
