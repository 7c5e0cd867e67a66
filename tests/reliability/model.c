/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The reference model: Pykka's semantics, small enough to trust.
 *
 * All actors of a sequence run on the default main context of the calling
 * thread, so nothing happens in the library until the context is iterated
 * (MODEL_OP_RUN, or a blocking get). Actors are independent of each other,
 * so the order in which the scheduler gives them turns is not observable;
 * everything else is compared after every operation:
 *
 *  - per actor: alive or not, on_start / on_stop / on_failure counts and
 *    the messages handled, in order;
 *  - every ask and stop future: pending, or its exact outcome;
 *  - the user futures that handlers wait for;
 *  - the number of actors in the registry.
 *
 * Messages are ints; a message's behaviour is b % 6:
 *   0 reply b          1 fail (G_IO_ERROR_INVALID_DATA)
 *   2 reply with user future (b / 6) % N_UF (the actor waits for it)
 *   3 stop itself, then reply b
 *   4 return FALSE without an error (PYKKA_ERROR_FAILED)
 *   5 stackful actors: blocking get of the user future, reply its value;
 *     other actors: as 2
 * An actor's kind is b: b % 4 == 2 fails in on_start, == 3 fails in
 * on_stop; (b / 4) % 2 makes it stackful.
 */

#include "config.h"

#include <string.h>

#include "model.h"

#define N_SLOTS      4
#define MAX_ACTORS   24
#define N_UF         4
#define MAX_FUTURES  160
#define MAILBOX      1024
#define MAX_LOG      512

/* ---- outcomes --------------------------------------------------------- */

typedef enum
{
  OUT_PENDING,
  OUT_INT,
  OUT_BOOL,
  OUT_ERR_HANDLER,
  OUT_ERR_FAILED,
  OUT_ERR_DEAD,
  OUT_ERR_USER,
  OUT_OTHER,
} OutKind;

typedef struct
{
  OutKind kind;
  gint    v;
} Outcome;

static const char *out_names[] = {
  "pending", "int", "bool", "handler-error", "FAILED", "ACTOR_DEAD", "user-error", "other",
};

static char *
outcome_str (Outcome o)
{
  if (o.kind == OUT_INT || o.kind == OUT_BOOL)
    return g_strdup_printf ("%s %d", out_names[o.kind], o.v);
  return g_strdup (out_names[o.kind]);
}

static gboolean
outcome_equal (Outcome a, Outcome b)
{
  if (a.kind != b.kind)
    return FALSE;
  return (a.kind != OUT_INT && a.kind != OUT_BOOL) || a.v == b.v;
}

static gboolean
outcome_is_error (Outcome o)
{
  return o.kind >= OUT_ERR_HANDLER;
}

/* ---- the model ---------------------------------------------------------- */

typedef enum { M_START, M_USER, M_STOP } MKind;

typedef struct
{
  guint8 kind;
  guint8 b;
  gint16 reply;  /* future index, or -1 */
} MMsg;

enum { A_NONE, A_ALIVE, A_DEAD };

typedef struct
{
  guint8   state;
  gboolean stackful, start_fails, stop_fails;
  MMsg     box[MAILBOX];
  guint    head, len;
  gint     blocked_uf;     /* -1 when not blocked */
  gint     blocked_reply;  /* future of the ask it blocks in, or -1 */
  guint    started, stopped, failures;
  guint8   log[MAX_LOG];
  guint    n_log;
} MActor;

typedef struct
{
  MActor  actors[MAX_ACTORS];
  guint   n_actors;
  gint    slot[N_SLOTS];
  Outcome uf[N_UF];
  Outcome fut[MAX_FUTURES];
  guint   n_fut;
} Model;

static void
m_push (MActor *a, MMsg m)
{
  g_assert_cmpuint (a->len, <, MAILBOX);
  a->box[(a->head + a->len++) % MAILBOX] = m;
}

static void
m_die (Model *m, MActor *a)
{
  a->state = A_DEAD;
  while (a->len > 0)
    {
      MMsg msg = a->box[a->head];

      a->head = (a->head + 1) % MAILBOX;
      a->len--;
      if (msg.reply < 0)
        continue;
      if (msg.kind == M_STOP)
        m->fut[msg.reply] = (Outcome) { OUT_BOOL, FALSE };
      else
        m->fut[msg.reply] = (Outcome) { OUT_ERR_DEAD, 0 };
    }
}

/* The awaited user future completed with @o. */
static void
m_finish_wait (Model *m, MActor *a, gint reply, Outcome o)
{
  if (reply >= 0)
    m->fut[reply] = o;
  else if (outcome_is_error (o))
    {
      a->failures++;
      m_die (m, a);
    }
}

static void
m_process (Model *m, MActor *a)
{
  while (a->state == A_ALIVE)
    {
      MMsg msg;

      if (a->blocked_uf >= 0)
        {
          Outcome o = m->uf[a->blocked_uf];

          if (o.kind == OUT_PENDING)
            return;
          a->blocked_uf = -1;
          m_finish_wait (m, a, a->blocked_reply, o);
          continue;
        }
      if (a->len == 0)
        return;
      msg = a->box[a->head];
      a->head = (a->head + 1) % MAILBOX;
      a->len--;

      switch (msg.kind)
        {
        case M_START:
          a->started++;
          if (a->start_fails)
            m_die (m, a);
          break;

        case M_STOP:
          a->stopped++;
          m_die (m, a);
          if (msg.reply >= 0)
            m->fut[msg.reply] = (Outcome) { OUT_BOOL, TRUE };
          break;

        case M_USER:
        default:
          if (a->n_log < MAX_LOG)
            a->log[a->n_log] = msg.b;
          a->n_log++;
          switch (msg.b % 6)
            {
            case 0:
              if (msg.reply >= 0)
                m->fut[msg.reply] = (Outcome) { OUT_INT, msg.b };
              break;
            case 1:
            case 4:
              {
                Outcome err = { msg.b % 6 == 1 ? OUT_ERR_HANDLER : OUT_ERR_FAILED, 0 };

                if (msg.reply >= 0)
                  m->fut[msg.reply] = err;
                else
                  {
                    a->failures++;
                    m_die (m, a);
                  }
              }
              break;
            case 2:
            case 5:
              {
                gint u = (msg.b / 6) % N_UF;

                if (m->uf[u].kind != OUT_PENDING)
                  m_finish_wait (m, a, msg.reply, m->uf[u]);
                else
                  {
                    a->blocked_uf = u;
                    a->blocked_reply = msg.reply;
                  }
              }
              break;
            case 3:
              m_push (a, (MMsg) { M_STOP, 0, -1 });
              if (msg.reply >= 0)
                m->fut[msg.reply] = (Outcome) { OUT_INT, msg.b };
              break;
            }
          break;
        }
    }
}

static void
m_run (Model *m)
{
  for (guint i = 0; i < m->n_actors; i++)
    m_process (m, &m->actors[i]);
}

static guint
m_n_alive (Model *m)
{
  guint n = 0;

  for (guint i = 0; i < m->n_actors; i++)
    n += m->actors[i].state == A_ALIVE;
  return n;
}

/* ---- the library side -------------------------------------------------- */

typedef struct
{
  PykkaActorRef *refs[MAX_ACTORS];
  TestRecord    *records[MAX_ACTORS];
  PykkaFuture   *uf[N_UF];
  PykkaFuture   *fut[MAX_FUTURES];
  gint           watched;
  gint           finalized;
  guint          registry_baseline;
} World;

static guint64 ops_run;

static void
world_weak_notify (gpointer data, GObject *where)
{
  World *w = data;

  w->finalized++;
}

static void
world_watch (World *w, gpointer object)
{
  w->watched++;
  g_object_weak_ref (object, world_weak_notify, w);
}

static gboolean
lib_fail_hook (TestActor *self, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "hook failed on purpose");
  return FALSE;
}

static gboolean
lib_receive (TestActor *self, const GValue *message, GValue *reply, GError **error)
{
  World *w = test_actor_get_data (self);
  TestRecord *r = test_actor_get_record (self);
  gint b = g_value_get_int (message);
  PykkaFuture *uf = w->uf[(b / 6) % N_UF];

  g_mutex_lock (&r->mutex);
  g_array_append_val (r->ints, b);
  g_mutex_unlock (&r->mutex);

  switch (b % 6)
    {
    case 1:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message %d fails", b);
      return FALSE;
    case 3:
      pykka_actor_stop (PYKKA_ACTOR (self));
      break;
    case 4:
      return FALSE;
    case 5:
      if (TEST_IS_STACKFUL_ACTOR (self))
        {
          const GValue *value = pykka_future_get (uf, -1, error);

          if (value == NULL)
            return FALSE;
          g_value_init (reply, G_VALUE_TYPE (value));
          g_value_copy (value, reply);
          return TRUE;
        }
      G_GNUC_FALLTHROUGH;
    case 2:
      g_value_init (reply, PYKKA_TYPE_FUTURE);
      g_value_set_object (reply, uf);
      return TRUE;
    default:
      break;
    }
  g_value_init (reply, G_TYPE_INT);
  g_value_set_int (reply, b);
  return TRUE;
}

static Outcome
lib_outcome (PykkaFuture *future)
{
  g_autoptr(GError) error = NULL;
  const GValue *value;

  if (!pykka_future_is_done (future))
    return (Outcome) { OUT_PENDING, 0 };
  value = pykka_future_get (future, 0, &error);
  if (value != NULL)
    {
      if (G_VALUE_HOLDS_INT (value))
        return (Outcome) { OUT_INT, g_value_get_int (value) };
      if (G_VALUE_HOLDS_BOOLEAN (value))
        return (Outcome) { OUT_BOOL, g_value_get_boolean (value) };
      return (Outcome) { OUT_OTHER, 0 };
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    return (Outcome) { OUT_ERR_HANDLER, 0 };
  if (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_FAILED))
    return (Outcome) { OUT_ERR_FAILED, 0 };
  if (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD))
    return (Outcome) { OUT_ERR_DEAD, 0 };
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return (Outcome) { OUT_ERR_USER, 0 };
  return (Outcome) { OUT_OTHER, 0 };
}

/* Iterates the default context until it has nothing left to do. */
static void
lib_drain (void)
{
  for (guint i = 0; i < 100000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static guint
lib_registry_size (void)
{
  GList *all = pykka_registry_get_all ();
  guint n = g_list_length (all);

  g_list_free_full (all, g_object_unref);
  return n;
}

/* ---- comparison ---------------------------------------------------------- */

static char *
compare (Model *m, World *w)
{
  for (guint i = 0; i < m->n_actors; i++)
    {
      MActor *a = &m->actors[i];
      TestRecord *r = w->records[i];
      gboolean alive = pykka_actor_ref_is_alive (w->refs[i]);

      if (alive != (a->state == A_ALIVE))
        return g_strdup_printf ("actor %u: library says %s, model says %s", i,
                                alive ? "alive" : "dead", a->state == A_ALIVE ? "alive" : "dead");
      if ((guint) g_atomic_int_get (&r->n_started) != a->started ||
          (guint) g_atomic_int_get (&r->n_stopped) != a->stopped ||
          (guint) g_atomic_int_get (&r->n_failures) != a->failures)
        return g_strdup_printf ("actor %u: on_start/on_stop/on_failure ran %d/%d/%d times, model says %u/%u/%u",
                                i, r->n_started, r->n_stopped, r->n_failures,
                                a->started, a->stopped, a->failures);
      if (r->ints->len != a->n_log)
        return g_strdup_printf ("actor %u: handled %u messages, model says %u", i, r->ints->len, a->n_log);
      for (guint k = 0; k < MIN (a->n_log, MAX_LOG); k++)
        if (g_array_index (r->ints, gint, k) != a->log[k])
          return g_strdup_printf ("actor %u: message %u handled was %d, model says %d", i, k,
                                  g_array_index (r->ints, gint, k), a->log[k]);
    }
  for (guint i = 0; i < m->n_fut; i++)
    {
      Outcome o = lib_outcome (w->fut[i]);

      if (!outcome_equal (o, m->fut[i]))
        {
          g_autofree char *lo = outcome_str (o);
          g_autofree char *mo = outcome_str (m->fut[i]);

          return g_strdup_printf ("future %u: library has %s, model says %s", i, lo, mo);
        }
    }
  for (guint i = 0; i < N_UF; i++)
    if (pykka_future_is_done (w->uf[i]) != (m->uf[i].kind != OUT_PENDING))
      return g_strdup_printf ("user future %u: done in the library but not in the model, or the reverse", i);
  {
    guint n = lib_registry_size () - w->registry_baseline;

    if (n != m_n_alive (m))
      return g_strdup_printf ("registry holds %u actors, model says %u", n, m_n_alive (m));
  }
  return NULL;
}

/* ---- applying one operation to both --------------------------------------- */

static char *
apply (Model *m, World *w, const ModelOp *op)
{
  guint s = op->a % N_SLOTS;
  gint idx = m->slot[s];
  MActor *a = idx >= 0 ? &m->actors[idx] : NULL;
  GValue msg = G_VALUE_INIT;

  switch (op->kind % MODEL_OP_N_KINDS)
    {
    case MODEL_OP_START:
      if ((a != NULL && a->state == A_ALIVE) || m->n_actors == MAX_ACTORS)
        break;
      {
        guint i = m->n_actors++;
        MActor *na = &m->actors[i];
        g_autoptr(PykkaActor) actor = NULL;

        memset (na, 0, sizeof *na);
        na->state = A_ALIVE;
        na->start_fails = op->b % 4 == 2;
        na->stop_fails = op->b % 4 == 3;
        na->stackful = (op->b / 4) % 2;
        na->blocked_uf = -1;
        na->blocked_reply = -1;
        m_push (na, (MMsg) { M_START, 0, -1 });
        m->slot[s] = i;

        w->refs[i] = test_start (na->stackful ? TEST_TYPE_STACKFUL_ACTOR : TEST_TYPE_ACTOR,
                                 lib_receive, w, &w->records[i]);
        /* on_start has not run: this thread's context was not iterated. */
        actor = pykka_actor_ref_dup_actor (w->refs[i]);
        if (na->start_fails)
          test_actor_set_on_start (TEST_ACTOR (actor), lib_fail_hook);
        if (na->stop_fails)
          test_actor_set_on_stop (TEST_ACTOR (actor), lib_fail_hook);
        world_watch (w, actor);
      }
      break;

    case MODEL_OP_TELL:
      if (a == NULL)
        break;
      {
        g_autoptr(GError) error = NULL;
        gboolean expected = a->state == A_ALIVE;
        gboolean ok;

        if (expected)
          m_push (a, (MMsg) { M_USER, op->b, -1 });
        g_value_init (&msg, G_TYPE_INT);
        g_value_set_int (&msg, op->b);
        ok = pykka_actor_ref_tell (w->refs[idx], &msg, &error);
        g_value_unset (&msg);
        if (ok != expected)
          return g_strdup_printf ("tell returned %d, model says %d", ok, expected);
        if (!ok && !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ACTOR_DEAD))
          return g_strdup_printf ("tell to a dead actor failed with %s", error ? error->message : "no error");
      }
      break;

    case MODEL_OP_ASK:
    case MODEL_OP_STOP:
      if (a == NULL || m->n_fut == MAX_FUTURES)
        break;
      {
        guint f = m->n_fut++;
        gboolean is_ask = op->kind % MODEL_OP_N_KINDS == MODEL_OP_ASK;

        if (a->state == A_ALIVE)
          {
            m->fut[f] = (Outcome) { OUT_PENDING, 0 };
            m_push (a, (MMsg) { is_ask ? M_USER : M_STOP, op->b, f });
          }
        else
          m->fut[f] = is_ask ? (Outcome) { OUT_ERR_DEAD, 0 } : (Outcome) { OUT_BOOL, FALSE };

        if (is_ask)
          {
            g_value_init (&msg, G_TYPE_INT);
            g_value_set_int (&msg, op->b);
            w->fut[f] = pykka_actor_ref_ask (w->refs[idx], &msg);
            g_value_unset (&msg);
          }
        else
          w->fut[f] = pykka_actor_ref_stop (w->refs[idx]);
        world_watch (w, w->fut[f]);
      }
      break;

    case MODEL_OP_STOP_ALL:
      {
        g_autoptr(GError) error = NULL;
        gboolean wait = FALSE;
        gboolean ok;

        if (op->b & 1)
          {
            /* Wait only when every actor can stop: ask the model. */
            Model *copy = g_memdup2 (m, sizeof *m);

            for (guint i = 0; i < copy->n_actors; i++)
              if (copy->actors[i].state == A_ALIVE)
                m_push (&copy->actors[i], (MMsg) { M_STOP, 0, -1 });
            m_run (copy);
            wait = m_n_alive (copy) == 0;
            g_free (copy);
          }

        {
          gboolean expected = wait || m_n_alive (m) == 0;

          for (guint i = m->n_actors; i > 0; i--)
            if (m->actors[i - 1].state == A_ALIVE)
              m_push (&m->actors[i - 1], (MMsg) { M_STOP, 0, -1 });
          if (wait)
            m_run (m);

          ok = pykka_registry_stop_all (wait ? TEST_TIMEOUT_MSEC : 0, &error);
          if (wait)
            lib_drain ();
          if (ok != expected)
            return g_strdup_printf ("stop_all (%d) returned %d (%s), model says %d",
                                    wait ? TEST_TIMEOUT_MSEC : 0, ok,
                                    error ? error->message : "no error", expected);
          if (!ok && !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT))
            return g_strdup_printf ("stop_all failed with %s", error->message);
        }
      }
      break;

    case MODEL_OP_RUN:
      m_run (m);
      lib_drain ();
      break;

    case MODEL_OP_FUTURE_SET:
    case MODEL_OP_FUTURE_FAIL:
      {
        guint u = op->a % N_UF;
        gboolean expected = m->uf[u].kind == OUT_PENDING;
        g_autoptr(GError) error = NULL;
        gboolean ok;

        if (op->kind % MODEL_OP_N_KINDS == MODEL_OP_FUTURE_SET)
          {
            if (expected)
              m->uf[u] = (Outcome) { OUT_INT, op->b };
            g_value_init (&msg, G_TYPE_INT);
            g_value_set_int (&msg, op->b);
            ok = pykka_future_set_value (w->uf[u], &msg, &error);
            g_value_unset (&msg);
          }
        else
          {
            g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "user future failed");

            if (expected)
              m->uf[u] = (Outcome) { OUT_ERR_USER, 0 };
            ok = pykka_future_set_error (w->uf[u], failure, &error);
          }
        if (ok != expected)
          return g_strdup_printf ("completing user future %u returned %d, model says %d", u, ok, expected);
        if (!ok && !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_ALREADY_SET))
          return g_strdup_printf ("completing user future %u twice failed with %s", u, error->message);
      }
      break;

    case MODEL_OP_GET:
      if (m->n_fut == 0)
        break;
      {
        guint f = op->a % m->n_fut;
        Model *copy = g_memdup2 (m, sizeof *m);
        gboolean can_finish;
        g_autoptr(GError) error = NULL;
        const GValue *value;

        m_run (copy);
        can_finish = copy->fut[f].kind != OUT_PENDING;
        g_free (copy);

        if (can_finish)
          {
            /* Iterates this thread's context until the reply is there. */
            value = pykka_future_get (w->fut[f], TEST_TIMEOUT_MSEC, &error);
            if (g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT))
              return g_strdup_printf ("blocking get of future %u timed out; the model says it can finish", f);
            m_run (m);
            lib_drain ();
          }
        else
          {
            value = pykka_future_get (w->fut[f], 0, &error);
            if (m->fut[f].kind == OUT_PENDING &&
                !g_error_matches (error, PYKKA_ERROR, PYKKA_ERROR_TIMEOUT))
              return g_strdup_printf ("get (0) of pending future %u did not time out", f);
          }
        (void) value;
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return NULL;
}

/* ---- sequences ----------------------------------------------------------- */

static const char *op_names[] = {
  "start", "tell", "ask", "stop", "stop_all", "run", "future_set", "future_fail", "get",
};

static gboolean quiet;

static void
quiet_log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

void
model_quiet_logs (void)
{
  if (quiet)
    return;
  quiet = TRUE;
  g_log_set_handler ("Pykka", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                     quiet_log_handler, NULL);
}

guint64
model_get_ops_run (void)
{
  return ops_run;
}

gboolean
model_run_sequence (const ModelOp  *ops,
                    guint           n_ops,
                    char          **divergence)
{
  Model *m = g_new0 (Model, 1);
  World *w = g_new0 (World, 1);
  char *diff = NULL;
  guint i;

  for (guint s = 0; s < N_SLOTS; s++)
    m->slot[s] = -1;
  w->registry_baseline = lib_registry_size ();
  for (guint u = 0; u < N_UF; u++)
    {
      w->uf[u] = pykka_future_new ();
      world_watch (w, w->uf[u]);
    }

  for (i = 0; i < n_ops && diff == NULL; i++)
    {
      diff = apply (m, w, &ops[i]);
      if (diff == NULL)
        diff = compare (m, w);
      ops_run++;
    }

  /* Clean up: release every waiting actor, stop everyone, compare once
   * more, then check that nothing is left. */
  if (diff == NULL)
    {
      for (guint u = 0; u < N_UF; u++)
        {
          ModelOp set = { MODEL_OP_FUTURE_SET, u, 0 };

          if (m->uf[u].kind == OUT_PENDING)
            diff = apply (m, w, &set);
        }
      if (diff == NULL)
        {
          ModelOp stop_all = { MODEL_OP_STOP_ALL, 0, 1 };

          diff = apply (m, w, &stop_all);
        }
      if (diff == NULL)
        diff = compare (m, w);
      if (diff == NULL && m_n_alive (m) != 0)
        diff = g_strdup ("model: actors left alive after the final stop_all");
      if (diff != NULL)
        {
          char *tmp = g_strdup_printf ("after the last operation, in the clean-up: %s", diff);

          g_free (diff);
          diff = tmp;
          i = n_ops + 1;
        }
    }
  else
    {
      /* Diverged: unblock and stop whatever is left, without judging. */
      for (guint u = 0; u < N_UF; u++)
        pykka_future_set_value (w->uf[u], NULL, NULL);
      lib_drain ();
      pykka_registry_stop_all (1000, NULL);
      lib_drain ();
    }

  for (guint u = 0; u < N_UF; u++)
    g_clear_object (&w->uf[u]);
  for (guint f = 0; f < m->n_fut; f++)
    g_clear_object (&w->fut[f]);
  for (guint k = 0; k < m->n_actors; k++)
    g_clear_object (&w->refs[k]);
  lib_drain ();

  if (diff == NULL && w->finalized != w->watched)
    {
      diff = g_strdup_printf ("after the clean-up: %d of %d actors and futures were not finalized",
                              w->watched - w->finalized, w->watched);
      i = n_ops + 1;
    }

  if (w->finalized == w->watched)
    {
      for (guint k = 0; k < m->n_actors; k++)
        test_record_free (w->records[k]);
      g_free (w);
    }
  /* else: leaked actors still point at their records and the world */
  g_free (m);

  if (diff != NULL && divergence != NULL)
    *divergence = g_strdup_printf ("at operation %u of %u: %s", i, n_ops, diff);
  g_free (diff);
  return diff == NULL;
}

ModelOp *
model_generate (guint32 seed,
                guint   n_ops)
{
  /* Weights of the operation kinds, in ModelOpKind order. */
  static const guint weights[MODEL_OP_N_KINDS] = { 12, 20, 22, 7, 3, 14, 8, 4, 10 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  ModelOp *ops = g_new0 (ModelOp, n_ops);
  guint total = 0;

  for (guint k = 0; k < MODEL_OP_N_KINDS; k++)
    total += weights[k];

  for (guint i = 0; i < n_ops; i++)
    {
      guint r = g_rand_int_range (rand, 0, total);
      guint k = 0;

      while (r >= weights[k])
        r -= weights[k++];
      ops[i].kind = k;
      ops[i].a = g_rand_int_range (rand, 0, 256);
      ops[i].b = g_rand_int_range (rand, 0, 256);
    }
  return ops;
}

guint
model_shrink (ModelOp *ops,
              guint    n_ops)
{
  guint tries = 0;

  for (guint chunk = MAX (1, n_ops / 2); chunk >= 1 && tries < 4000; chunk /= 2)
    {
      for (guint i = 0; i + chunk <= n_ops && tries < 4000;)
        {
          g_autofree ModelOp *candidate = g_new (ModelOp, n_ops - chunk + 1);

          memcpy (candidate, ops, i * sizeof *ops);
          memcpy (candidate + i, ops + i + chunk, (n_ops - i - chunk) * sizeof *ops);
          tries++;
          if (!model_run_sequence (candidate, n_ops - chunk, NULL))
            {
              memcpy (ops, candidate, (n_ops - chunk) * sizeof *ops);
              n_ops -= chunk;
            }
          else
            i += chunk;
        }
      if (chunk == 1)
        break;
    }
  return n_ops;
}

char *
model_format (const ModelOp *ops,
              guint          n_ops)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_ops; i++)
    {
      guint k = ops[i].kind % MODEL_OP_N_KINDS;

      g_string_append_printf (s, "  %3u: %-11s a=%-3u b=%-3u", i, op_names[k], ops[i].a, ops[i].b);
      switch (k)
        {
        case MODEL_OP_START:
          g_string_append_printf (s, "  slot %u, %s%s%s", ops[i].a % N_SLOTS,
                                  (ops[i].b / 4) % 2 ? "stackful" : "plain",
                                  ops[i].b % 4 == 2 ? ", on_start fails" : "",
                                  ops[i].b % 4 == 3 ? ", on_stop fails" : "");
          break;
        case MODEL_OP_TELL:
        case MODEL_OP_ASK:
          {
            static const char *behaviours[] = {
              "reply", "fail", "reply with user future", "stop self", "FALSE without error", "wait for user future",
            };

            g_string_append_printf (s, "  slot %u, %s", ops[i].a % N_SLOTS, behaviours[ops[i].b % 6]);
            if (ops[i].b % 6 == 2 || ops[i].b % 6 == 5)
              g_string_append_printf (s, " %u", (ops[i].b / 6) % N_UF);
          }
          break;
        case MODEL_OP_STOP:
          g_string_append_printf (s, "  slot %u", ops[i].a % N_SLOTS);
          break;
        case MODEL_OP_FUTURE_SET:
        case MODEL_OP_FUTURE_FAIL:
          g_string_append_printf (s, "  user future %u", ops[i].a % N_UF);
          break;
        default:
          break;
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}
