## bench/local.mk - benchmark helpers (SPEC §11), built on request:
## `make bench/fcgi_min` (bench/api.sh does it).
EXTRA_PROGRAMS += bench/fcgi_min
bench_fcgi_min_SOURCES = bench/fcgi_min.c
bench_fcgi_min_LDADD = $(LIBPQ_LIBS) $(FCGI_LIBS)
CLEANFILES += bench/fcgi_min
EXTRA_DIST += bench/api.sh bench/capture.sh bench/capture_setup.py \
	bench/RESULTS.md
