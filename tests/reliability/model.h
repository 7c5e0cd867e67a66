/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A reference model of Pykka's semantics and a runner that plays the same
 * operation sequence against the model and against the library, comparing
 * everything observable after every operation. Shared by the model-based
 * random test (test-model.c) and the fuzz target (fuzz/fuzz-ops.c). */

#pragma once

#include "test-util.h"

G_BEGIN_DECLS

typedef enum
{
  MODEL_OP_START,         /* a: actor slot, b: kind */
  MODEL_OP_TELL,          /* a: actor slot, b: message (behaviour) */
  MODEL_OP_ASK,           /* a: actor slot, b: message (behaviour) */
  MODEL_OP_STOP,          /* a: actor slot */
  MODEL_OP_STOP_ALL,      /* b & 1: wait for the actors when they can all stop */
  MODEL_OP_RUN,           /* iterate the context until nothing is left to do */
  MODEL_OP_FUTURE_SET,    /* a: user future, b: value */
  MODEL_OP_FUTURE_FAIL,   /* a: user future */
  MODEL_OP_GET,           /* a: an ask or stop future: blocking get when it can finish, else get (0) */
  MODEL_OP_N_KINDS
} ModelOpKind;

typedef struct
{
  guint8 kind;
  guint8 a;
  guint8 b;
} ModelOp;

/* Plays @ops against the model and the library. Returns TRUE if they
 * agreed all along; otherwise FALSE with *@divergence describing the first
 * difference (op index and what differed). Leaves no actor behind. */
gboolean  model_run_sequence   (const ModelOp *ops,
                                guint          n_ops,
                                char         **divergence);

/* A random sequence of @n_ops operations from @seed. */
ModelOp  *model_generate       (guint32        seed,
                                guint          n_ops);

/* Removes operations from a failing sequence as long as it still fails;
 * returns the new length. */
guint     model_shrink         (ModelOp       *ops,
                                guint          n_ops);

/* Human-readable listing of a sequence. */
char     *model_format         (const ModelOp *ops,
                                guint          n_ops);

/* Silences the library's info/message logs (failures are expected). */
void      model_quiet_logs     (void);

/* Operations run through model_run_sequence() so far. */
guint64   model_get_ops_run    (void);

G_END_DECLS
