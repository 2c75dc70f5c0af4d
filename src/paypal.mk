## src/paypal.mk - the PayPal client module (SPEC §5.7), part of librma.
librma_la_SOURCES += \
	src/db_paypal.c \
	src/http_client.c \
	src/paypal_client.c \
	src/paypal_exec.c \
	src/paypal_intent.c \
	src/paypal_internal.h \
	src/paypal_orders.c \
	src/paypal_parse.c \
	src/paypal_payments.c \
	src/paypal_search.c \
	src/paypal_status.c \
	src/paypal_webhook.c
noinst_HEADERS += include/rma/http_client.h include/rma/paypal.h \
	include/rma/paypal_intent.h include/rma/db_paypal.h
