## tests/ledger.mk - tests of the double-entry ledger (SPEC §5.6) and rmactl ledger verify.

# The chart, the checks and the posting rules without a database.
check_PROGRAMS += tests/unit/test_ledger
tests_unit_test_ledger_SOURCES = tests/unit/test_ledger.c
tests_unit_test_ledger_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ledger_LDADD = $(TEST_LDADD)

# Against the suite's PostgreSQL (each test in a database of its own) and
# its paypal-sim: posting, what the database refuses, verify and rmactl.
check_PROGRAMS += tests/db/test_ledger
tests_db_test_ledger_SOURCES = tests/db/test_ledger.c tests/harness.c \
	tests/harness.h tests/e2e/sim_client.c tests/e2e/sim_client.h
tests_db_test_ledger_CFLAGS = $(TEST_CFLAGS)
tests_db_test_ledger_LDADD = $(TEST_LDADD)
