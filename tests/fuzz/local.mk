## tests/fuzz/local.mk - libFuzzer targets for every parser (SPEC §12).
#
# `make fuzz` builds the targets with clang (tests/fuzz/build: clang and
# libclang-rt-14-dev), replays tests/fuzz/regressions/, then runs each
# target for FUZZ_SECONDS over its seed corpus tests/fuzz/corpus/<target>/
# and fails on any crash or broken invariant.  Not part of `make check`.
#   make fuzz                                   every target, 60 s each
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=json_body
# See tests/fuzz/README.md.
FUZZ_SECONDS = 60
FUZZ_TARGETS =

fuzz:
	$(top_srcdir)/tests/fuzz/run --seconds $(FUZZ_SECONDS) \
	  --out $(abs_top_builddir)/tests/fuzz $(FUZZ_TARGETS)
.PHONY: fuzz

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/build tests/fuzz/run \
	tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_config.c \
	tests/fuzz/fuzz_cookies_headers.c \
	tests/fuzz/fuzz_csv.c \
	tests/fuzz/fuzz_export_period.c \
	tests/fuzz/fuzz_image.c \
	tests/fuzz/fuzz_json_body.c \
	tests/fuzz/fuzz_money.c \
	tests/fuzz/fuzz_paypal_responses.c \
	tests/fuzz/fuzz_router.c \
	tests/fuzz/fuzz_tracking.c \
	tests/fuzz/fuzz_webhook.c \
	tests/fuzz/config.dict tests/fuzz/cookies_headers.dict \
	tests/fuzz/json_body.dict tests/fuzz/webhook.dict \
	tests/fuzz/corpus tests/fuzz/regressions
