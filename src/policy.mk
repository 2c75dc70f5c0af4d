## src/policy.mk - refund, repair and RMA-validity policies per product line (SPEC §4.1, §5.5), part of librma.

librma_la_SOURCES += \
	src/api_policy.c \
	src/db_policy.c \
	src/policy.c \
	src/policy_job.c

noinst_HEADERS += \
	include/rma/policy.h \
	include/rma/policy_db.h

dist_migrations_DATA += sql/migrations/0009_policy.sql

check_PROGRAMS += tests/unit/test_policy tests/e2e/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_policy_LDADD = $(TEST_LDADD)
tests_e2e_test_policy_SOURCES = tests/e2e/test_policy.c tests/harness.c \
	tests/harness.h
tests_e2e_test_policy_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_policy_LDADD = $(TEST_LDADD)
