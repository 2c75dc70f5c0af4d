## src/console.mk - the staff console (SPEC §15): people's accounts and
## sign-in, their queues and the scan box, the admin page's API, staff
## notifications, `rmactl staff`; part of librma (rmactl's command apart).
dist_migrations_DATA += sql/migrations/0016_staff_console.sql \
	sql/migrations/0019_orders.sql
librma_la_SOURCES += \
	src/api_staff_admin.c \
	src/api_staff_auth.c \
	src/api_staff_console.c \
	src/api_staff_paper.c \
	src/console.c \
	src/csv_reader.c \
	src/db_console.c \
	src/db_orders.c \
	src/order_lines.c \
	src/db_staff_account.c \
	src/html.c \
	src/mail_staff.c \
	src/staff_notify.c
noinst_HEADERS += \
	include/rma/console.h \
	include/rma/csv_reader.h \
	include/rma/html.h \
	include/rma/ctl.h \
	include/rma/order_lines.h \
	include/rma/orders.h \
	include/rma/staff_account.h \
	include/rma/staff_notify.h
rmactl_SOURCES += src/ctl_orders.c src/ctl_staff.c
# The demo's original orders (scripts/demo imports them).
EXTRA_DIST += doc/orders-example.csv
