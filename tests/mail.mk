## tests/mail.mk - tests of outgoing mail: rendering and texts (unit), the
## outbox against the suite's PostgreSQL (database tier).

check_PROGRAMS += tests/unit/test_mail tests/db/test_mail_outbox
tests_unit_test_mail_SOURCES = tests/unit/test_mail.c
tests_unit_test_mail_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mail_LDADD = $(TEST_LDADD)
tests_db_test_mail_outbox_SOURCES = tests/db/test_mail_outbox.c \
	tests/harness.c tests/harness.h
tests_db_test_mail_outbox_CFLAGS = $(TEST_CFLAGS)
tests_db_test_mail_outbox_LDADD = $(TEST_LDADD)
