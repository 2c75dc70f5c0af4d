## src/upload.mk - attachments: image sniffing, content-addressed storage, returns (SPEC §5.4), part of librma.

librma_la_SOURCES += \
	src/api_attachment.c \
	src/api_return.c \
	src/db_returns.c \
	src/image.c \
	src/tracking.c \
	src/upload.c

noinst_HEADERS += \
	include/rma/image.h \
	include/rma/returns.h \
	include/rma/tracking.h \
	include/rma/upload.h

dist_migrations_DATA += sql/migrations/0007_attachments.sql
