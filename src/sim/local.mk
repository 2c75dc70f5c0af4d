## src/sim/local.mk - paypal-sim, the local PayPal (SPEC §6).
bin_PROGRAMS += paypal-sim
paypal_sim_SOURCES = \
	src/sim/sim_api.h \
	src/sim/sim_authorizations.c \
	src/sim/sim_captures.c \
	src/sim/sim_control.c \
	src/sim/sim_http.c \
	src/sim/sim_http.h \
	src/sim/sim_main.c \
	src/sim/sim_oauth.c \
	src/sim/sim_orders.c \
	src/sim/sim_outcomes.c \
	src/sim/sim_payments.c \
	src/sim/sim_payments.h \
	src/sim/sim_reply.c \
	src/sim/sim_search.c \
	src/sim/sim_state.c \
	src/sim/sim_state.h \
	src/sim/sim_util.c \
	src/sim/sim_util.h \
	src/sim/sim_webhooks.c \
	src/sim/sim_webhooks.h
paypal_sim_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
paypal_sim_LDADD = librma.la $(MHD_LIBS) $(JANSSON_LIBS) $(LIBCRYPTO_LIBS) \
	$(LIBCURL_LIBS) -lpthread
EXTRA_DIST += src/sim/sim_issues.inc
