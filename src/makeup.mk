## src/makeup.mk - make-up payments reconciled with PayPal's Transaction Search (SPEC §5.5), part of librma.

librma_la_SOURCES += \
	src/api_makeup.c \
	src/db_makeup.c \
	src/makeup.c \
	src/makeup_job.c \
	src/makeup_ops.c

noinst_HEADERS += \
	include/rma/db_makeup.h \
	include/rma/makeup.h \
	include/rma/makeup_job.h \
	include/rma/makeup_ops.h

dist_migrations_DATA += sql/migrations/0008_makeup.sql

EXTRA_DIST += doc/makeup-payments.md
