## scripts/local.mk - the demo (SPEC §3), included by Makefile.am.

EXTRA_DIST += scripts/bootstrap scripts/demo scripts/stack.sh \
	nginx/rma.conf.example nginx/rma-local.conf.in nginx/fastcgi_params \
	nginx/security_headers \
	.clang-format README.md doc/paypal-sim.md \
	contrib/rma-fcgi.socket contrib/rma-fcgi.service \
	contrib/rma-jobs.service contrib/rma.conf \
	contrib/rma-jobs.timer contrib/rma.cron contrib/rma-mail-sender.service \
	contrib/prometheus/rma-alerts.yml contrib/prometheus/rma-alerts.test.yml

# make demo [HTTP_PORT=8080] [SIM_PORT=HTTP_PORT+9] [RUN=run or run-HTTP_PORT]
# (scripts/demo says more); make demo-stop with the same variables.
DEMO_ENV = top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	PG_BINDIR='$(PG_BINDIR)' HTTP_PORT='$(HTTP_PORT)' SIM_PORT='$(SIM_PORT)' \
	RUN='$(RUN)' STACK_USER='$(STACK_USER)'

demo: all
	@$(DEMO_ENV) bash '$(srcdir)/scripts/demo' start

demo-stop:
	@$(DEMO_ENV) bash '$(srcdir)/scripts/demo' stop

.PHONY: demo demo-stop
