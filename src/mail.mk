## src/mail.mk - outgoing mail (the outbox, rendering, SMTP or spool
## delivery, message texts), part of librma.

librma_la_SOURCES += \
	src/db_mail.c \
	src/mail.c \
	src/mail_row.c \
	src/mail_send.c \
	src/mail_sender.c \
	src/mail_templates.c \
	src/mail_case.c

noinst_HEADERS += \
	include/rma/db_mail.h \
	include/rma/mail.h \
	include/rma/mail_row.h

# The sender's wake-up (sql/migrations/0015_mail_notify.sql).
dist_migrations_DATA += sql/migrations/0015_mail_notify.sql
