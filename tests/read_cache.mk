## tests/read_cache.mk - the read paths' stored documents are never stale (SPEC §11, 0021_read_cache.sql).

check_PROGRAMS += tests/e2e/test_read_cache
tests_e2e_test_read_cache_SOURCES = tests/e2e/test_read_cache.c \
	tests/harness.c tests/harness.h
tests_e2e_test_read_cache_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_read_cache_LDADD = $(TEST_LDADD)
