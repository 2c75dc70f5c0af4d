## src/hold.mk - PayPal holds of advanced replacements and the job that settles them (SPEC §5.3, §10), part of librma.
dist_migrations_DATA += sql/migrations/0005_holds.sql \
	sql/migrations/0014_case_ops.sql \
	sql/migrations/0017_case_ends.sql \
	sql/migrations/0023_case_mail.sql \
	sql/migrations/0024_on_behalf.sql
librma_la_SOURCES += \
	src/api_hold.c \
	src/api_exception.c \
	src/api_webhook.c \
	src/db_exception.c \
	src/exception_ops.c \
	src/case_attachment.c \
	src/case_customer.c \
	src/case_ends.c \
	src/case_makeup.c \
	src/case_late_return.c \
	src/case_notify.c \
	src/case_ops.c \
	src/case_paypal.c \
	src/case_staff.c \
	src/case_warehouse.c \
	src/db_hold.c \
	src/db_hold_sql.h \
	src/db_hold_state.c \
	src/hold.c \
	src/hold_job.c \
	src/hold_ops.c \
	src/hold_outcomes.c \
	src/hold_pipeline.c \
	src/db_refund.c \
	src/refund_ops.c \
	src/webhook_ops.c
noinst_HEADERS += \
	include/rma/case_ops.h \
	include/rma/db_exception.h \
	include/rma/db_hold.h \
	include/rma/exception.h \
	include/rma/hold.h \
	include/rma/hold_job.h \
	include/rma/hold_ops.h \
	include/rma/hold_pipeline.h \
	include/rma/refund.h \
	include/rma/refund_ops.h \
	include/rma/webhook_ops.h
