## src/ledger.mk - the double-entry ledger (SPEC §5.6) and rmactl ledger verify, part of librma.
dist_migrations_DATA += sql/migrations/0006_ledger.sql \
	sql/migrations/0026_ledger_check_once.sql \
	sql/migrations/0027_ledger_check_set.sql
librma_la_SOURCES += \
	src/db_ledger.c \
	src/ledger.c \
	src/ledger_ops.c \
	src/ledger_verify.c
noinst_HEADERS += \
	include/rma/db_ledger.h \
	include/rma/ledger.h \
	include/rma/ledger_ops.h \
	include/rma/ledger_verify.h

# The ledger benchmark's load driver (SPEC §11), built on request by
# bench/ledger.sh: `make bench/ledger_load`.
EXTRA_PROGRAMS += bench/ledger_load
bench_ledger_load_SOURCES = bench/ledger_load.c
bench_ledger_load_LDADD = librma.la
CLEANFILES += bench/ledger_load
EXTRA_DIST += bench/ledger.sh
