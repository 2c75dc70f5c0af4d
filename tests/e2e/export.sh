#!/usr/bin/env bash
# export.sh - the finance exports end to end (SPEC §8, doc/exports.md), run
# by tests/run-suite against its stack.  The checks are in export_check.py
# (Python's csv module is the independent parser): every kind through nginx
# equals the database rows; formula neutralization, amounts, memos; HTTP and
# rmactl byte-identical; roles; the period's bounds; audit; a failure after
# the first bytes cuts the download; peak memory flat from 10k to 1M rows.
# Run alone against a running stack (make check sets these):
#   RUN=... HTTP_PORT=... RMA_CONFIG=... RMA_TEST_ADMIN_URL=...
#   RMA_TEST_PSQL=... PATH=$top_builddir:$PATH top_srcdir=... \
#   bash tests/e2e/export.sh
set -u
: "${RUN:?}" "${HTTP_PORT:?}" "${top_srcdir:?}" "${RMA_TEST_ADMIN_URL:?}"
command -v python3 >/dev/null 2>&1 || { echo "export: python3 is not installed" >&2; exit 1; }
exec python3 "$top_srcdir/tests/e2e/export_check.py"
