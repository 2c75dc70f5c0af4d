## tests/console.mk - the staff console's tests (SPEC §15): people's
## sign-in, sessions, CSRF, queues, scan, admin API and notifications
## through nginx; its browser journeys are in tests/browser/console.mjs.
check_PROGRAMS += tests/e2e/test_console
tests_e2e_test_console_SOURCES = tests/e2e/test_console.c \
	tests/console_harness.c tests/console_harness.h tests/harness.c \
	tests/harness.h
tests_e2e_test_console_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_console_LDADD = $(TEST_LDADD)

# The console's /staff/auth/code timed like the customers' (SPEC §15), in
# a binary of its own as test_auth_timing is.
check_PROGRAMS += tests/e2e/test_auth_timing_staff
tests_e2e_test_auth_timing_staff_SOURCES = tests/e2e/test_auth_timing.c \
	tests/harness.c tests/harness.h
tests_e2e_test_auth_timing_staff_CPPFLAGS = $(AM_CPPFLAGS) -DAUTH_TIMING_STAFF
tests_e2e_test_auth_timing_staff_CFLAGS = $(TEST_CFLAGS) $(LIBCURL_CFLAGS)
tests_e2e_test_auth_timing_staff_LDADD = $(TEST_LDADD) $(LIBCURL_LIBS)

check_PROGRAMS += tests/unit/test_csv_reader
tests_unit_test_csv_reader_SOURCES = tests/unit/test_csv_reader.c
tests_unit_test_csv_reader_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_csv_reader_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_staff_mail
tests_unit_test_staff_mail_SOURCES = tests/unit/test_staff_mail.c
tests_unit_test_staff_mail_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_staff_mail_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_order_lines
tests_unit_test_order_lines_SOURCES = tests/unit/test_order_lines.c
tests_unit_test_order_lines_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_order_lines_LDADD = $(TEST_LDADD)
