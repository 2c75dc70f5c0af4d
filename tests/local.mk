## tests/local.mk - the test suite (included by Makefile.am).
#
# `make check` runs tests/run-suite: unit tests, then a throwaway PostgreSQL
# cluster, nginx and the services for the database and end-to-end tiers.

TEST_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
TEST_LDADD = librma.la $(CRITERION_LIBS)

check_PROGRAMS += tests/unit/test_money tests/unit/test_util \
	tests/unit/test_config tests/unit/test_router tests/unit/test_http_json \
	tests/unit/test_rma_state
tests_unit_test_money_SOURCES = tests/unit/test_money.c
tests_unit_test_money_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_money_LDADD = $(TEST_LDADD)
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_util_LDADD = $(TEST_LDADD)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_LDADD)
tests_unit_test_router_SOURCES = tests/unit/test_router.c
tests_unit_test_router_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_router_LDADD = $(TEST_LDADD)
tests_unit_test_http_json_SOURCES = tests/unit/test_http_json.c
tests_unit_test_http_json_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_http_json_LDADD = $(TEST_LDADD)
tests_unit_test_rma_state_SOURCES = tests/unit/test_rma_state.c
tests_unit_test_rma_state_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rma_state_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/db/test_db tests/e2e/test_http tests/e2e/test_customer
tests_db_test_db_SOURCES = tests/db/test_db.c tests/harness.c tests/harness.h
tests_db_test_db_CFLAGS = $(TEST_CFLAGS)
tests_db_test_db_LDADD = $(TEST_LDADD)
tests_e2e_test_http_SOURCES = tests/e2e/test_http.c tests/harness.c tests/harness.h
tests_e2e_test_http_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_http_LDADD = $(TEST_LDADD)
tests_e2e_test_customer_SOURCES = tests/e2e/test_customer.c tests/harness.c \
	tests/harness.h
tests_e2e_test_customer_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_customer_LDADD = $(TEST_LDADD)

# What nginx answers itself (headers, its 405s, the web root), against the
# demo's configuration and, from nginx_example.sh, the production example.
check_PROGRAMS += tests/e2e/test_web
tests_e2e_test_web_SOURCES = tests/e2e/test_web.c tests/harness.c \
	tests/harness.h
tests_e2e_test_web_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIMAGE_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/images"'
tests_e2e_test_web_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_web_LDADD = $(TEST_LDADD)

EXTRA_DIST += tests/run-suite tests/check-style tests/check-structure \
	tests/check-structure-test tests/ci-run-test tests/lsan.supp \
	tests/e2e/faults.sh tests/e2e/scale.sh tests/e2e/replica.sh \
	tests/e2e/restore.sh tests/package.sh tests/e2e/nginx_example.sh \
	tests/e2e/privileges.sh tests/e2e/alert_rules.sh

check-local: $(check_PROGRAMS) $(bin_PROGRAMS)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PG_BINDIR='$(PG_BINDIR)' bash '$(srcdir)/tests/run-suite'

# The HTTP client's batch against a local libmicrohttpd server.
check_PROGRAMS += tests/unit/test_http_client
tests_unit_test_http_client_SOURCES = tests/unit/test_http_client.c
tests_unit_test_http_client_CFLAGS = $(TEST_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_http_client_LDADD = $(TEST_LDADD) $(MHD_LIBS)
