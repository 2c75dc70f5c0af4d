/* ctl.h - shared by rmactl's files (main_ctl.c and its commands in
 * ctl_*.c); never included elsewhere. */
#ifndef RMA_CTL_INTERNAL_H
#define RMA_CTL_INTERNAL_H

#include "rma/config.h"

#define EXIT_WORK 1
#define EXIT_USAGE 2

/* Prints rmactl's usage to stderr; returns EXIT_USAGE. */
int ctl_usage(void);

/* rmactl export KIND --from T --to T [--output FILE] (ctl_export.c). */
int ctl_export(const struct rma_config *cfg, int argc, char **argv);

#endif
