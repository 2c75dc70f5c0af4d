## tests/mail.mk - tests of outgoing mail: rendering and texts (unit), the
## outbox against the suite's PostgreSQL (database tier), the mail sender
## through nginx (end to end).

check_PROGRAMS += tests/unit/test_mail tests/db/test_mail_outbox
tests_unit_test_mail_SOURCES = tests/unit/test_mail.c
tests_unit_test_mail_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mail_LDADD = $(TEST_LDADD)
tests_db_test_mail_outbox_SOURCES = tests/db/test_mail_outbox.c \
	tests/harness.c tests/harness.h
tests_db_test_mail_outbox_CFLAGS = $(TEST_CFLAGS)
tests_db_test_mail_outbox_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/e2e/test_mail_sender
tests_e2e_test_mail_sender_SOURCES = tests/e2e/test_mail_sender.c \
	tests/harness.c tests/harness.h
tests_e2e_test_mail_sender_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_mail_sender_LDADD = $(TEST_LDADD)
