# tsdb: PGXS build.  See README.md for the two commands that build, install
# and test everything on a fresh Debian 12 machine.

MODULE_big = tsdb
OBJS = \
	src/tsdb.o \
	src/labels.o \
	src/labels_match.o \
	src/labels_parse.o \
	src/am_handler.o \
	src/recycle.o \
	src/backpressure.o \
	src/am_insert.o \
	src/insert_buffer.o \
	src/am_scan.o \
	src/am_vacuum.o \
	src/scan_plan.o \
	src/scan_exec.o \
	src/scan_read.o \
	src/scan_blocks.o \
	src/guard.o \
	src/head.o \
	src/meta.o \
	src/series.o \
	src/series_dict.o \
	src/label_index.o \
	src/label_index_sql.o \
	src/visibility.o \
	src/wal.o \
	src/wal_desc.o \
	src/inspect.o \
	src/segment.o \
	src/segment_dir.o \
	src/block_cache.o \
	src/compaction.o \
	src/compaction_write.o \
	src/merge_policy.o \
	src/options.o \
	src/retention.o \
	src/debug_points.o \
	src/worker.o \
	src/worker_estimate.o \
	src/compress_alp.o \
	src/compress_bits.o \
	src/compress_chunk.o \
	src/compress_crc.o \
	src/compress_gorilla.o \
	src/compress_lz4.o \
	src/compress_samples.o \
	src/compress_ts.o \
	src/compress_values.o


EXTENSION = tsdb
DATA = tsdb--1.0.sql
SHLIB_LINK += -llz4
PGFILEDESC = "tsdb - time-series table access method"

# pg_regress runs these in order in one database; setup creates the extension.
REGRESS = setup labels_input labels_ops labels_match ddl insert_select \
	visibility insert_buffer refused partitions vacuum compaction merge retention recycle backpressure stats dictionary label_index block_cache scan
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/tsdb.conf
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --temp-instance=./tmp_check_iso --temp-config=$(srcdir)/tsdb.conf
TAP_TESTS = 1

PG_CPPFLAGS = -I$(srcdir)/src
# -Wextra on top of PostgreSQL's own warning set.  Callbacks have signatures
# fixed by the server, so unused parameters are normal and not reported.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter

EXTRA_CLEAN = codec_build tmp_check tmp_check_iso output_iso results regression.diffs regression.out log

# No LLVM bitcode for JIT inlining: it buys nothing here and doubles build time.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies unless the server was configured with
# --enable-depend; rebuild everything when a header changes.
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# ---- column codecs, standalone (no server): unit tests, bench, fuzzers ----
#
# The compress_*.c files use no PostgreSQL runtime, so they are also built
# outside PGXS: with gcc and ASan/UBSan for the unit tests, -O2 for the
# bench, and clang's libFuzzer for the fuzzers.  Everything goes under
# codec_build/.

CODEC_SRCS = $(sort $(wildcard $(srcdir)/src/compress_*.c))
CODEC_HDRS = $(srcdir)/src/compress.h $(srcdir)/bench/codec_data.h
CODEC_CC ?= gcc
CODEC_WARN = -std=gnu99 -Wall -Wextra -Werror -Wdeclaration-after-statement \
	-Wmissing-prototypes -I$(srcdir)/src -I$(srcdir)/bench
CODEC_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
REAL_DATA = $(srcdir)/data/node-exporter-5s.tsv.zst
FUZZ_SECONDS ?= 30

codec_build:
	mkdir -p codec_build

codec_build/codec_test: $(srcdir)/test/codec_test.c $(srcdir)/bench/codec_data.c $(CODEC_SRCS) $(CODEC_HDRS) | codec_build
	$(CODEC_CC) $(CODEC_WARN) -O1 -g $(CODEC_SAN) -o $@ $(srcdir)/test/codec_test.c \
		$(srcdir)/bench/codec_data.c $(CODEC_SRCS) -llz4 -lm

codec_build/real.tsv: $(REAL_DATA) | codec_build
	zstd -q -dc $< > $@

# Unit tests of the codecs, under ASan and UBSan, including the real data.
check-codecs: codec_build/codec_test codec_build/real.tsv
	codec_build/codec_test codec_build/real.tsv

codec_build/codec_bench: $(srcdir)/bench/codec_bench.c $(srcdir)/bench/codec_data.c $(CODEC_SRCS) $(CODEC_HDRS) | codec_build
	$(CODEC_CC) $(CODEC_WARN) -O2 -g -o $@ $(srcdir)/bench/codec_bench.c \
		$(srcdir)/bench/codec_data.c $(CODEC_SRCS) -llz4 -lm

codec_build/gen: $(srcdir)/bench/gen.c | codec_build
	$(CODEC_CC) -O2 -o $@ $< -lm

# Figures for doc/compression.md: real data, whole series and 120-sample
# chunks, then the generator's default output.
bench-codecs: codec_build/codec_bench codec_build/real.tsv codec_build/gen
	codec_build/codec_bench codec_build/real.tsv
	codec_build/codec_bench -c 120 codec_build/real.tsv
	codec_build/gen -h 20 -s 100 -d 3600 -i 10000 > codec_build/gen.tsv
	codec_build/codec_bench codec_build/gen.tsv
	codec_build/codec_bench -c 120 codec_build/gen.tsv

FUZZ_TARGETS = fuzz_decode_ts fuzz_decode_values fuzz_decode_chunk fuzz_decode_samples
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(srcdir)/src -I$(srcdir)/bench

codec_build/fuzz_%: $(srcdir)/fuzz/fuzz_%.c $(CODEC_SRCS) $(CODEC_HDRS) | codec_build
	clang $(FUZZ_CFLAGS) -o $@ $< $(CODEC_SRCS) -llz4 -lm

# Seeds are valid encodings written by the unit-test binary, so they follow
# the format whenever it changes.
codec_build/seeds: codec_build/codec_test codec_build/real.tsv
	rm -rf $@ && mkdir -p $@/ts $@/values $@/chunk $@/samples
	codec_build/codec_test --seeds $@ codec_build/real.tsv

# Each fuzzer runs FUZZ_SECONDS on a scratch copy of the seeds; a crash
# leaves its input in codec_build/ and fails the target.
fuzz: $(addprefix codec_build/,$(FUZZ_TARGETS)) codec_build/seeds
	rm -rf codec_build/corpus && mkdir -p codec_build/corpus
	@set -e; for t in $(FUZZ_TARGETS); do \
		k=$${t#fuzz_decode_}; cp -r codec_build/seeds/$$k codec_build/corpus/$$k; \
		if codec_build/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=codec_build/ codec_build/corpus/$$k > codec_build/$$t.log 2>&1; then \
			echo "$$t: $$(grep -E '^stat::number_of_executed_units' codec_build/$$t.log | sed 's/.*: *//') runs in $(FUZZ_SECONDS) s, no crash"; \
		else \
			tail -n 60 codec_build/$$t.log; echo "$$t: FAILED (input saved in codec_build/)"; exit 1; \
		fi; \
	done

.PHONY: check-codecs bench-codecs fuzz
