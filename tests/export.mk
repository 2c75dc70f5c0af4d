## tests/export.mk - tests of CSV writer and finance exports (SPEC §8).
#
# tests/e2e/export.sh (export_check.py) is run by tests/run-suite; it
# measures peak memory through tests/peak_rss, a helper built without
# sanitizers (see its header).

check_PROGRAMS += tests/unit/test_csv tests/unit/test_export tests/peak_rss
tests_unit_test_csv_SOURCES = tests/unit/test_csv.c
tests_unit_test_csv_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_csv_LDADD = $(TEST_LDADD)
tests_unit_test_export_SOURCES = tests/unit/test_export.c
tests_unit_test_export_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_export_LDADD = $(TEST_LDADD)
tests_peak_rss_SOURCES = tests/peak_rss.c
tests_peak_rss_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_peak_rss_LDFLAGS =

EXTRA_DIST += tests/e2e/export.sh tests/e2e/export_check.py
