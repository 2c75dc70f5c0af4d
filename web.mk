## web.mk - the customer portal (SPEC §9), installed under
## $(pkgdatadir)/web for nginx (nginx/rma.conf.example), and its browser
## tests (tests/e2e/browser.sh, run by tests/run-suite).  Included by
## Makefile.am.  It lives beside web/, not in it: nginx serves web/ as it
## is in the demo and the tests, so nothing but the portal goes there.

webdir = $(pkgdatadir)/web
dist_web_DATA = web/index.html
webcssdir = $(webdir)/css
dist_webcss_DATA = web/css/portal.css
webimgdir = $(webdir)/img
dist_webimg_DATA = web/img/icon.svg
webjsdir = $(webdir)/js
dist_webjs_DATA = web/js/api.js web/js/app.js web/js/detail.js \
	web/js/dom.js web/js/images.js web/js/words.js

# The staff console (SPEC §15), beside the portal.
webstaffdir = $(webdir)/staff
dist_webstaff_DATA = web/staff/index.html
webstaffcssdir = $(webstaffdir)/css
dist_webstaffcss_DATA = web/staff/css/console.css web/staff/css/paper.css
webstaffjsdir = $(webstaffdir)/js
dist_webstaffjs_DATA = web/staff/js/admin.js web/staff/js/api.js \
	web/staff/js/app.js web/staff/js/case.js web/staff/js/exceptions.js \
	web/staff/js/exports.js \
	web/staff/js/new.js web/staff/js/paper.js web/staff/js/queues.js \
	web/staff/js/words.js

EXTRA_DIST += web.mk tests/e2e/browser.sh \
	tests/browser/package.json tests/browser/package-lock.json \
	tests/browser/run.mjs tests/browser/lib.mjs tests/browser/journeys.mjs \
	tests/browser/console.mjs \
	doc/screenshots
