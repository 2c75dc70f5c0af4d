## tests/makeup.mk - tests of make-up payments and their reconciliation (SPEC §5.5).

check_PROGRAMS += tests/unit/test_makeup tests/e2e/test_makeup
tests_unit_test_makeup_SOURCES = tests/unit/test_makeup.c
tests_unit_test_makeup_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_makeup_LDADD = $(TEST_LDADD)
tests_e2e_test_makeup_SOURCES = tests/e2e/test_makeup.c tests/harness.c \
	tests/harness.h
tests_e2e_test_makeup_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_makeup_LDADD = $(TEST_LDADD)
tests_e2e_test_makeup_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIMAGE_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/images"'
