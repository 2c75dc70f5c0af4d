## tests/paypal.mk - tests of the PayPal client and the simulator.

# The PayPal client: unit tests (fixtures), then against paypal-sim.
PAYPAL_TEST_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPAYPAL_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/paypal"'
check_PROGRAMS += tests/unit/test_paypal tests/e2e/test_paypal_client
tests_unit_test_paypal_SOURCES = tests/unit/test_paypal.c
tests_unit_test_paypal_CPPFLAGS = $(PAYPAL_TEST_CPPFLAGS)
tests_unit_test_paypal_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_paypal_LDADD = $(TEST_LDADD)
tests_e2e_test_paypal_client_SOURCES = tests/e2e/test_paypal_client.c \
	tests/e2e/sim_client.c tests/e2e/sim_client.h
tests_e2e_test_paypal_client_CPPFLAGS = $(PAYPAL_TEST_CPPFLAGS) \
	-DSIM_BINARY='"$(abs_top_builddir)/paypal-sim"'
tests_e2e_test_paypal_client_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_paypal_client_LDADD = $(TEST_LDADD)
EXTRA_DIST += tests/fixtures/paypal tests/e2e/conformance.sh \
	tests/conformance/validate.mjs tests/conformance/package.json \
	tests/conformance/package-lock.json third_party/paypal-openapi

# paypal-sim against its contract (doc/paypal-sim.md), end-to-end tier.
check_PROGRAMS += tests/e2e/test_sim
tests_e2e_test_sim_SOURCES = tests/e2e/test_sim.c
tests_e2e_test_sim_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_sim_LDADD = $(TEST_LDADD) $(LIBCURL_LIBS) $(JANSSON_LIBS) \
	$(LIBCRYPTO_LIBS)
check_PROGRAMS += tests/db/test_paypal_intent
tests_db_test_paypal_intent_SOURCES = tests/db/test_paypal_intent.c \
	tests/harness.c tests/harness.h
tests_db_test_paypal_intent_CFLAGS = $(TEST_CFLAGS)
tests_db_test_paypal_intent_LDADD = $(TEST_LDADD)
