-- Create the extension once for the whole regression run.
CREATE EXTENSION tsdb;
SELECT tsdb.version();
-- The reserved GUC prefix: a misspelt tsdb setting is an error, not a no-op.
SET tsdb.no_such_setting = 1;
