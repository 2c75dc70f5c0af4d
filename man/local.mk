## man/local.mk - the manual pages, made from man/*.in with the paths of
## this installation and installed by `make install`; tests/docs/
## manpages.sh renders each with groff -ww and checks that rma.conf(5)
## has every key of src/config.c.  Included by Makefile.am.

man_MANS = man/paypal-sim.1 man/rma.conf.5 man/rma-fcgi.8 man/rmactl.8
EXTRA_DIST += man/local.mk man/paypal-sim.1.in man/rma.conf.5.in \
	man/rma-fcgi.8.in man/rmactl.8.in tests/docs/manpages.sh
CLEANFILES += $(man_MANS)

man_edit = $(MKDIR_P) man && sed -e 's|@VERSION[@]|$(VERSION)|g' \
	-e 's|@SYSCONFDIR[@]|$(sysconfdir)|g' \
	-e 's|@PKGDATADIR[@]|$(pkgdatadir)|g'

man/paypal-sim.1: $(srcdir)/man/paypal-sim.1.in Makefile
	$(AM_V_GEN)$(man_edit) $(srcdir)/man/paypal-sim.1.in > $@.tmp && mv $@.tmp $@
man/rma.conf.5: $(srcdir)/man/rma.conf.5.in Makefile
	$(AM_V_GEN)$(man_edit) $(srcdir)/man/rma.conf.5.in > $@.tmp && mv $@.tmp $@
man/rma-fcgi.8: $(srcdir)/man/rma-fcgi.8.in Makefile
	$(AM_V_GEN)$(man_edit) $(srcdir)/man/rma-fcgi.8.in > $@.tmp && mv $@.tmp $@
man/rmactl.8: $(srcdir)/man/rmactl.8.in Makefile
	$(AM_V_GEN)$(man_edit) $(srcdir)/man/rmactl.8.in > $@.tmp && mv $@.tmp $@
