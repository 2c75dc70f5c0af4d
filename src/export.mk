## src/export.mk - CSV writer and finance exports (SPEC §8), part of librma.

librma_la_SOURCES += \
	src/api_export.c \
	src/csv.c \
	src/db_export.c \
	src/export.c \
	src/export_row.c

noinst_HEADERS += \
	include/rma/csv.h \
	include/rma/db_export.h \
	include/rma/export.h \
	include/rma/export_row.h

EXTRA_DIST += doc/exports.md bench/export.sh
