#!/usr/bin/env bash
# browser.sh - the customer portal in a real browser (SPEC §9): the journeys
# of tests/browser/journeys.mjs driven by playwright-core (from npm) in
# Debian's Chromium (never a downloaded browser), against the stack of
# tests/run-suite.  Screenshots of every step go to a work directory that
# is kept, and named, when a journey fails.
#
# Without Chromium it says so and exits 77 (skipped); `.ci/run` installs
# it.  Without node or npm it fails.  Run alone against a running stack:
#   RMA_TEST_BASE_URL=... RMA_TEST_SIM_URL=... RMA_TEST_RUN=... RMA_CONFIG=...
#   top_srcdir=... top_builddir=... bash tests/e2e/browser.sh [journey ...]
# or, from make, ONLY=browser BROWSER_JOURNEYS="journey ..." make check.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
die() { echo "browser: $*" >&2; exit 1; }

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "browser: SKIPPED: $CHROMIUM is not installed (apt-get install -y chromium);" \
         "the portal's browser journeys did not run"
    exit 77
fi
command -v node >/dev/null 2>&1 || die "node is not installed (apt-get install -y nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (apt-get install -y npm)"
export CHROMIUM

# playwright-core goes beside package.json, or into the build tree when the
# source tree is read-only (make distcheck).
src="$top_srcdir/tests/browser"
mods="$src"
if [ ! -w "$src" ]; then
    mods="$top_builddir/tests/browser"
    mkdir -p "$mods"
    cp "$src/package.json" "$src/package-lock.json" "$mods/"
fi
if [ ! -f "$mods/node_modules/playwright-core/package.json" ]; then
    (cd "$mods" && npm ci --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed in $mods"
fi
export BROWSER_MODULES="$mods"

work=$(mktemp -d /tmp/rma-browser.XXXXXX)
echo "== browser: the portal's journeys in $("$CHROMIUM" --version 2>/dev/null | tail -n 1)"
# BROWSER_JOURNEYS="consoleChain consoleFinance" runs only those (a quick
# loop: ONLY=browser BROWSER_JOURNEYS=... make check).
# shellcheck disable=SC2086
node "$src/run.mjs" "$work" ${BROWSER_JOURNEYS:-} "$@"
rc=$?
if [ "$rc" = 0 ] && [ -z "${KEEP_SCREENSHOTS:-}" ]; then
    rm -rf "$work"
else
    echo "browser: screenshots of every step: $work (kept)"
fi
exit "$rc"
