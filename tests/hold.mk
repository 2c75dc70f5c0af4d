## tests/hold.mk - tests of PayPal holds of advanced replacements and the job that settles them (SPEC §5.3, §10).

check_PROGRAMS += tests/unit/test_hold tests/e2e/test_hold
tests_unit_test_hold_SOURCES = tests/unit/test_hold.c
tests_unit_test_hold_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_hold_LDADD = $(TEST_LDADD)
tests_e2e_test_hold_SOURCES = tests/e2e/test_hold.c tests/harness.c \
	tests/harness.h
tests_e2e_test_hold_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_hold_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/e2e/test_webhook
tests_e2e_test_webhook_SOURCES = tests/e2e/test_webhook.c tests/harness.c \
	tests/harness.h
tests_e2e_test_webhook_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_webhook_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/e2e/test_money_safety
tests_e2e_test_money_safety_SOURCES = tests/e2e/test_money_safety.c \
	tests/harness.c tests/harness.h
tests_e2e_test_money_safety_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_money_safety_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/e2e/test_case_ends
tests_e2e_test_case_ends_SOURCES = tests/e2e/test_case_ends.c \
	tests/harness.c tests/harness.h
tests_e2e_test_case_ends_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_case_ends_LDADD = $(TEST_LDADD)
check_PROGRAMS += tests/e2e/test_every_kind
tests_e2e_test_every_kind_SOURCES = tests/e2e/test_every_kind.c \
	tests/harness.c tests/harness.h
tests_e2e_test_every_kind_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_every_kind_LDADD = $(TEST_LDADD)
