## tests/console.mk - the staff console's tests (SPEC §15): people's
## sign-in, sessions, CSRF, queues, scan, admin API and notifications
## through nginx; its browser journeys are in tests/browser/console.mjs.
check_PROGRAMS += tests/e2e/test_console
tests_e2e_test_console_SOURCES = tests/e2e/test_console.c \
	tests/console_harness.c tests/console_harness.h tests/harness.c \
	tests/harness.h
tests_e2e_test_console_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_console_LDADD = $(TEST_LDADD)
