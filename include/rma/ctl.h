/* ctl.h - rmactl's commands that live in files of their own (main_ctl.c
 * dispatches).  Each returns rmactl's exit status: 0 success, 1 the work
 * failed (said on stderr), 2 usage or configuration error. */
#ifndef RMA_CTL_H
#define RMA_CTL_H

#include "rma/config.h"

/* rmactl staff add|list|deactivate (ctl_staff.c). */
int ctl_staff(const struct rma_config *cfg, int argc, char **argv);
/* rmactl orders import FILE.csv (ctl_orders.c; orders.h). */
int ctl_orders(const struct rma_config *cfg, int argc, char **argv);

#endif
