-- write: COPY of a 1000-row file per transaction
COPY @TBL@ FROM '@DIR@/chunk.copy';
