## src/export.mk - CSV writer and finance exports (SPEC §8), part of librma.

librma_la_SOURCES += \
	src/api_export.c \
	src/csv.c \
	src/db_export.c \
	src/export.c

noinst_HEADERS += \
	include/rma/csv.h \
	include/rma/export.h

EXTRA_DIST += doc/exports.md bench/export.sh
