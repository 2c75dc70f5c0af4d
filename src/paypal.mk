## src/paypal.mk - the PayPal client module (SPEC §5.7), part of librma.
librma_la_SOURCES += src/http_client.c src/paypal.c src/paypal_webhook.c \
	src/paypal_internal.h src/paypal_intent.c src/paypal_status.c src/db_paypal.c
noinst_HEADERS += include/rma/http_client.h include/rma/paypal.h \
	include/rma/paypal_intent.h include/rma/db_paypal.h
