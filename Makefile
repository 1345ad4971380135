# tsdb: PGXS build.  See README.md for the two commands that build, install
# and test everything on a fresh Debian 12 machine.

MODULE_big = tsdb
OBJS = \
	src/tsdb.o \
	src/labels.o \
	src/labels_match.o \
	src/labels_parse.o \
	src/am_handler.o \
	src/am_insert.o \
	src/am_scan.o \
	src/am_vacuum.o \
	src/guard.o \
	src/head.o \
	src/meta.o \
	src/series.o \
	src/visibility.o \
	src/wal.o \
	src/wal_desc.o \
	src/inspect.o


EXTENSION = tsdb
DATA = tsdb--1.0.sql
PGFILEDESC = "tsdb - time-series table access method"

# pg_regress runs these in order in one database; setup creates the extension.
REGRESS = setup labels_input labels_ops labels_match ddl insert_select \
	visibility refused partitions vacuum
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/tsdb.conf
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --temp-instance=./tmp_check_iso --temp-config=$(srcdir)/tsdb.conf
TAP_TESTS = 1

PG_CPPFLAGS = -I$(srcdir)/src
# -Wextra on top of PostgreSQL's own warning set.  Callbacks have signatures
# fixed by the server, so unused parameters are normal and not reported.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter

EXTRA_CLEAN = tmp_check tmp_check_iso output_iso results regression.diffs regression.out log

# No LLVM bitcode for JIT inlining: it buys nothing here and doubles build time.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies unless the server was configured with
# --enable-depend; rebuild everything when a header changes.
$(OBJS): $(wildcard $(srcdir)/src/*.h)
