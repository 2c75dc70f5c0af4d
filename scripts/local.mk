## scripts/local.mk - the demo (SPEC §3), included by Makefile.am.

EXTRA_DIST += scripts/bootstrap scripts/demo scripts/stack.sh \
	nginx/rma.conf.example nginx/rma-local.conf.in nginx/fastcgi_params \
	.clang-format README.md doc/paypal-sim.md \
	contrib/rma-fcgi.socket contrib/rma-fcgi.service \
	contrib/rma-jobs.service contrib/rma.conf \
	contrib/rma-jobs.timer contrib/rma.cron contrib/rma-mail-sender.service

demo: all
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PG_BINDIR='$(PG_BINDIR)' bash '$(srcdir)/scripts/demo' start

demo-stop:
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  PG_BINDIR='$(PG_BINDIR)' bash '$(srcdir)/scripts/demo' stop

.PHONY: demo demo-stop
