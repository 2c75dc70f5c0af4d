## tests/security.mk - the attack surface in one place (SPEC §12).
check_PROGRAMS += tests/e2e/test_security
tests_e2e_test_security_SOURCES = tests/e2e/test_security.c tests/harness.c \
	tests/harness.h tests/console_harness.c tests/console_harness.h
tests_e2e_test_security_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIMAGE_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/images"'
tests_e2e_test_security_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_security_LDADD = $(TEST_LDADD)

# Alone in its binary: nothing of ours runs beside the measurement.
check_PROGRAMS += tests/e2e/test_auth_timing
tests_e2e_test_auth_timing_SOURCES = tests/e2e/test_auth_timing.c \
	tests/harness.c tests/harness.h
tests_e2e_test_auth_timing_CFLAGS = $(TEST_CFLAGS) $(LIBCURL_CFLAGS)
tests_e2e_test_auth_timing_LDADD = $(TEST_LDADD) $(LIBCURL_LIBS)
