## tests/upload.mk - tests of attachments: image sniffing, content-addressed storage, returns (SPEC §5.4).

UPLOAD_TEST_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIMAGE_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/images"'

check_PROGRAMS += tests/unit/test_image tests/unit/test_tracking \
	tests/e2e/test_upload
tests_unit_test_image_SOURCES = tests/unit/test_image.c
tests_unit_test_image_CPPFLAGS = $(UPLOAD_TEST_CPPFLAGS)
tests_unit_test_image_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_image_LDADD = $(TEST_LDADD)
tests_unit_test_tracking_SOURCES = tests/unit/test_tracking.c
tests_unit_test_tracking_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracking_LDADD = $(TEST_LDADD)
tests_e2e_test_upload_SOURCES = tests/e2e/test_upload.c tests/harness.c \
	tests/harness.h
tests_e2e_test_upload_CPPFLAGS = $(UPLOAD_TEST_CPPFLAGS)
tests_e2e_test_upload_CFLAGS = $(TEST_CFLAGS)
tests_e2e_test_upload_LDADD = $(TEST_LDADD)

EXTRA_DIST += tests/fixtures/images
