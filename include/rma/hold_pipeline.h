/* hold_pipeline.h - the pipeline of `rmactl run-jobs` for the holds' PayPal
 * work (hold_pipeline.c; SPEC §5.3, §10): due holds leased in rounds,
 * prepared, their calls streamed (job_concurrency in flight), their
 * outcomes settled on connections of their own. */
#ifndef RMA_HOLD_PIPELINE_H
#define RMA_HOLD_PIPELINE_H

#include "rma/hold_job.h"
#include "rma/hold_ops.h"
#include "rma/id_list.h"

/* Settling threads at most (job_settle_connections). */
#define HOLD_SETTLERS_MAX 4

/* The holds this pass looked at already, as a bigint[] text for the due
 * queries ("{}" when none); borrowed from t. */
const char *hold_tried_text(struct id_list *t);

/* Runs one kind of work over every due hold through the pipeline, settling
 * on the n_senv connections of senv (none: on env's, between leases);
 * counts the outcomes in s (or, in a dry run, prints to o->out). */
enum rma_err hold_pipeline_step(struct hold_env *env, struct hold_env *senv,
                                int n_senv, enum hold_op op,
                                const struct hold_job_options *o,
                                struct hold_job_summary *s);

#endif
