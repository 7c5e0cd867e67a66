/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pykka-registry.h"

#include "pykka-private.h"

/**
 * PykkaRegistry:
 *
 * Every running actor of the process, as Pykka's `ActorRegistry`.
 *
 * An actor is in the registry from [method@Pykka.Actor.start] until it
 * begins to stop: as in Pykka, it has left the registry when its
 * [vfunc@Pykka.Actor.on_stop] or [vfunc@Pykka.Actor.on_failure] runs. The registry is never instantiated: use its functions to list the
 * running actors ([func@Pykka.Registry.get_all]), to find them by type,
 * subtypes included ([func@Pykka.Registry.get_by_type],
 * [func@Pykka.Registry.get_by_type_name]) or by urn
 * ([func@Pykka.Registry.get_by_urn]), to tell a message to many at once
 * ([func@Pykka.Registry.broadcast]), and to stop them all
 * ([func@Pykka.Registry.stop_all]). Lists are in start order.
 *
 * ```c
 *   g_autolist(PykkaActorRef) workers = pykka_registry_get_by_type (MY_TYPE_WORKER);
 *   PykkaActorRef *first = workers->data;
 *   g_autoptr(PykkaActorRef) found = pykka_registry_get_by_urn (pykka_actor_ref_get_urn (first));
 * ```
 *
 * ## Names
 *
 * An actor may also be found by a name of your choosing, as with Erlang's
 * `register/2` and `whereis/1`: [func@Pykka.Registry.register_name]
 * gives a running actor a name, unique in the process, and
 * [func@Pykka.Registry.lookup_name] finds it. A name belongs to one actor
 * at a time (another actor asking for it gets
 * %PYKKA_ERROR_NAME_TAKEN), an actor may have several, and the runtime
 * frees them all when the actor begins to stop, at the same moment it
 * leaves the registry (or when it is killed): in its
 * [vfunc@Pykka.Actor.on_stop] or [vfunc@Pykka.Actor.on_failure] its names
 * are already free for a successor. [func@Pykka.Registry.unregister_name]
 * frees one earlier.
 *
 * ```c
 *   if (!pykka_registry_register_name ("first-worker", first, &error))
 *     g_error ("%s", error->message);
 *   g_autoptr(PykkaActorRef) named = pykka_registry_lookup_name ("first-worker");
 * ```
 *
 * Before a program exits, stop every actor, last started first, so that
 * actors that use older ones stop before them:
 *
 * ```c
 *   // Before the program exits: stop every actor, newest first.
 *   if (!pykka_registry_stop_all (5000, &error))
 *     g_error ("%s", error->message);
 * ```
 *
 * ## Thread safety
 *
 * Every function may be called from any thread. What it returns is a
 * snapshot: actors may start and stop at any time.
 */

struct _PykkaRegistry
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (PykkaRegistry, pykka_registry, G_TYPE_OBJECT)

G_LOCK_DEFINE_STATIC (registry);
/* The registered cells, then those that left and run their last hook
 * (stopping): two lists threaded through the cells' PykkaRegLink, in the
 * order they joined, each holding a reference of its cells; under
 * registry. Joining and leaving hash nothing. */
typedef struct
{
  PykkaCell *head;
  PykkaCell *tail;
  guint      length;
} CellList;

static CellList running;
static CellList stopping;
/* The registered cells whose urn was made, by id (their key): the only
 * ones pykka_registry_get_by_urn() can be asked for, since an urn that
 * was never made was never handed out. Filled when the urn is made (or
 * when a cell whose urn exists registers); no references (running has
 * them); under registry. */
static GHashTable *urns;        /* (nullable) guint64 id -> PykkaCell* */
/* Names (issue 15.5). Invariant: a cell has names only while it is on
 * `running`; the names leave with it, in the same locked step. So the
 * cells below are referenced but never released last here. */
static GHashTable *names;       /* (nullable) char *name (owned) -> PykkaCell* (owned); under registry */
static GHashTable *names_of;    /* (nullable) guint64 id (the cell's key) -> GPtrArray of char* (owned), in registration order; under registry */
/* A name registration for a cell that another thread is starting (STARTING,
 * not on `running` yet) waits for the start's end: the cell joins
 * `running` (pykka_registry_add()) or dies (pykka_registry_start_failed()),
 * which wake it. Under registry. */
static GCond   start_ended;
static guint   start_waiters;
static guint64 next_serial = 1; /* atomic */
static guint64 urn_base[2];     /* random bits of every urn, set once */

static void
pykka_registry_class_init (PykkaRegistryClass *klass)
{
}

static void
pykka_registry_init (PykkaRegistry *self)
{
}

guint64
pykka_registry_next_serial (void)
{
  return __atomic_fetch_add (&next_serial, 1, __ATOMIC_RELAXED);
}

static void
ensure_urn_base (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      for (guint i = 0; i < 2; i++)
        urn_base[i] = ((guint64) g_random_int () << 32) | g_random_int ();
      /* Version 4, RFC 4122 variant. */
      urn_base[0] = (urn_base[0] & ~G_GUINT64_CONSTANT (0xf000)) | 0x4000;
      urn_base[1] = (urn_base[1] & ~(G_GUINT64_CONSTANT (0xc) << 60)) | (G_GUINT64_CONSTANT (0x8) << 60);
      g_once_init_leave (&initialized, 1);
    }
}

/* The low 48 bits of a urn are the random base plus the actor's id, so
 * urns are unique in the process and random across processes, and cost
 * no random numbers per actor. */
char *
pykka_registry_make_urn (guint64 id)
{
  guint64 hi, lo;

  ensure_urn_base ();
  hi = urn_base[0];
  lo = (urn_base[1] & ~G_GUINT64_CONSTANT (0xffffffffffff)) |
       ((urn_base[1] + id) & G_GUINT64_CONSTANT (0xffffffffffff));

  return g_strdup_printf ("urn:uuid:%08x-%04x-%04x-%04x-%012" G_GINT64_MODIFIER "x",
                          (guint) (hi >> 32), (guint) ((hi >> 16) & 0xffff), (guint) (hi & 0xffff),
                          (guint) (lo >> 48), lo & G_GUINT64_CONSTANT (0xffffffffffff));
}

/* Reads the actor id out of a urn spelled exactly as
 * pykka_registry_make_urn() spells it: same length, same prefix, and a last
 * group of 12 lower-case hex digits. No blank, sign, 0x or upper case:
 * strtoull() would take those, and a urn must name one actor in one
 * spelling only (issue 12, F21). The caller still compares the urn of the
 * cell it finds. */
static gboolean
parse_urn_id (const char *urn,
              guint64    *id)
{
  g_autofree char *expected_prefix = NULL;
  gsize prefix_len;
  guint64 low = 0, base_low;

  ensure_urn_base ();
  expected_prefix = pykka_registry_make_urn (0);
  prefix_len = strlen (expected_prefix) - 12;
  if (strlen (urn) != strlen (expected_prefix) ||
      strncmp (urn, expected_prefix, prefix_len) != 0)
    return FALSE;

  for (const char *p = urn + prefix_len; *p != '\0'; p++)
    {
      if (*p >= '0' && *p <= '9')
        low = (low << 4) | (guint64) (*p - '0');
      else if (*p >= 'a' && *p <= 'f')
        low = (low << 4) | (guint64) (*p - 'a' + 10);
      else
        return FALSE;
    }
  base_low = urn_base[1] & G_GUINT64_CONSTANT (0xffffffffffff);
  *id = (low - base_low) & G_GUINT64_CONSTANT (0xffffffffffff);
  return TRUE;
}

/* Observers of registrations (pykka-registry-model.c). Actors read one
 * pointer when there is none. An observer is called right after the
 * registry's lock is released, on the thread that registered or
 * unregistered the cell, under observers_lock for reading: removing an
 * observer takes it for writing, so once pykka_registry_remove_observer()
 * returns the observer is not running and never runs again. Observers
 * must be quick and take only leaf locks (a GSource's context lock is
 * fine); they must not add or remove observers. Notifications of one
 * cell from two threads may arrive in either order: observers re-read
 * the registry rather than replay them. */
typedef struct
{
  PykkaRegistryObserverFunc func;
  gpointer                  user_data;
} RegistryObserver;

static GRWLock observers_lock;
static GArray *observers;  /* (nullable) RegistryObserver; NULL when empty. Written under observers_lock (write), atomically */

void
pykka_registry_add_observer (PykkaRegistryObserverFunc func,
                             gpointer                  user_data)
{
  RegistryObserver o = { func, user_data };
  GArray *list;

  g_rw_lock_writer_lock (&observers_lock);
  list = observers;
  if (list == NULL)
    list = g_array_new (FALSE, FALSE, sizeof (RegistryObserver));
  g_array_append_val (list, o);
  g_atomic_pointer_set (&observers, list);
  g_rw_lock_writer_unlock (&observers_lock);
}

void
pykka_registry_remove_observer (PykkaRegistryObserverFunc func,
                                gpointer                  user_data)
{
  GArray *list;

  g_rw_lock_writer_lock (&observers_lock);
  list = observers;
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      RegistryObserver *o = &g_array_index (list, RegistryObserver, i);

      if (o->func == func && o->user_data == user_data)
        {
          g_array_remove_index (list, i);
          break;
        }
    }
  if (list != NULL && list->len == 0)
    {
      g_atomic_pointer_set (&observers, NULL);
      g_array_unref (list);
    }
  g_rw_lock_writer_unlock (&observers_lock);
}

static inline void
notify_observers (PykkaCell *cell,
                  gboolean   added)
{
  GArray *list;

  if (G_LIKELY (g_atomic_pointer_get (&observers) == NULL))
    return;

  g_rw_lock_reader_lock (&observers_lock);
  list = observers;
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      RegistryObserver *o = &g_array_index (list, RegistryObserver, i);

      o->func (cell, added, o->user_data);
    }
  g_rw_lock_reader_unlock (&observers_lock);
}

static void
list_append (CellList  *list,
             PykkaCell *cell,
             guint      where)
{
  PykkaRegLink *link = pykka_cell_reg_link (cell);

  link->prev = list->tail;
  link->next = NULL;
  if (list->tail != NULL)
    pykka_cell_reg_link (list->tail)->next = cell;
  else
    list->head = cell;
  list->tail = cell;
  list->length++;
  link->where = where;
}

static void
list_unlink (CellList  *list,
             PykkaCell *cell)
{
  PykkaRegLink *link = pykka_cell_reg_link (cell);

  if (link->prev != NULL)
    pykka_cell_reg_link (link->prev)->next = link->next;
  else
    list->head = link->next;
  if (link->next != NULL)
    pykka_cell_reg_link (link->next)->prev = link->prev;
  else
    list->tail = link->prev;
  list->length--;
  link->prev = link->next = NULL;
  link->where = PYKKA_REG_NONE;
}

/* Puts @cell, on `running`, in the urn index (under the registry lock). */
static void
index_urn_locked (PykkaCell *cell)
{
  PykkaRegLink *link = pykka_cell_reg_link (cell);

  if (link->indexed)
    return;
  if (urns == NULL)
    urns = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_hash_table_insert (urns, (gpointer) pykka_cell_get_id_key (cell), cell);
  link->indexed = TRUE;
}

/* The urn of @cell was just made (pykka_cell_get_urn(), which may run
 * under any lock but this one's): a registered cell can be found by it
 * from now on. */
void
pykka_registry_urn_made (PykkaCell *cell)
{
  G_LOCK (registry);
  if (pykka_cell_reg_link (cell)->where == PYKKA_REG_RUNNING)
    index_urn_locked (cell);
  G_UNLOCK (registry);
}

void
pykka_registry_add (PykkaCell *cell)
{
  G_LOCK (registry);
  g_assert (pykka_cell_reg_link (cell)->where == PYKKA_REG_NONE);
  list_append (&running, pykka_cell_ref (cell), PYKKA_REG_RUNNING);
  /* An urn made before (by the instance's "urn", a describe) was handed
   * out already. */
  if (pykka_cell_peek_urn (cell) != NULL)
    index_urn_locked (cell);
  if (G_UNLIKELY (start_waiters > 0))
    g_cond_broadcast (&start_ended);
  G_UNLOCK (registry);

  notify_observers (cell, TRUE);
}

/* @cell's start failed (it is dead): name registrations that waited for
 * it fail. */
void
pykka_registry_start_failed (PykkaCell *cell)
{
  G_LOCK (registry);
  if (start_waiters > 0)
    g_cond_broadcast (&start_ended);
  G_UNLOCK (registry);
}

guint
pykka_registry_count_start_waiters (void)
{
  guint n;

  G_LOCK (registry);
  n = start_waiters;
  G_UNLOCK (registry);
  return n;
}

/* Frees the names of @cell, which leaves `running` (under the registry
 * lock). Costs one pointer read while no actor has a name. */
static void
drop_names_locked (PykkaCell *cell)
{
  GPtrArray *held;

  if (names_of == NULL ||
      !g_hash_table_steal_extended (names_of, pykka_cell_get_id_key (cell), NULL, (gpointer *) &held))
    return;
  for (guint i = 0; i < held->len; i++)
    g_hash_table_remove (names, held->pdata[i]);
  g_ptr_array_unref (held);
}

/* Takes @cell off `running` with its names and its urn (under the
 * registry lock); returns whether it was there. */
static gboolean
leave_running_locked (PykkaCell *cell)
{
  PykkaRegLink *link = pykka_cell_reg_link (cell);

  if (link->where != PYKKA_REG_RUNNING)
    return FALSE;
  list_unlink (&running, cell);
  if (link->indexed)
    {
      g_hash_table_remove (urns, pykka_cell_get_id_key (cell));
      link->indexed = FALSE;
    }
  drop_names_locked (cell);
  return TRUE;
}

/* The actor begins to stop (RUNNING -> STOPPING): it leaves the registry
 * but is kept on the list of stopping cells until it is dead. */
void
pykka_registry_unregister_stopping (PykkaCell *cell)
{
  gboolean removed;

  G_LOCK (registry);
  removed = leave_running_locked (cell);
  if (removed)
    list_append (&stopping, cell, PYKKA_REG_STOPPING);  /* (the reference moves) */
  G_UNLOCK (registry);

  if (removed)
    notify_observers (cell, FALSE);
}

/* The actor is dead: it leaves the registry, or the stopping list. */
void
pykka_registry_remove (PykkaCell *cell)
{
  gboolean removed;

  G_LOCK (registry);
  removed = leave_running_locked (cell);
  if (!removed && pykka_cell_reg_link (cell)->where == PYKKA_REG_STOPPING)
    {
      list_unlink (&stopping, cell);
      removed = TRUE;
    }
  G_UNLOCK (registry);

  if (removed)
    {
      notify_observers (cell, FALSE);
      pykka_cell_unref (cell);
    }
}

/* Whether no actor is registered or stopping, for pykka-application.c
 * (issue 13.5): an application is held until the last on_stop ends. */
gboolean
pykka_registry_is_quiet (void)
{
  gboolean quiet;

  G_LOCK (registry);
  quiet = running.length == 0 && stopping.length == 0;
  G_UNLOCK (registry);
  return quiet;
}

static gint
compare_start_order (gconstpointer a,
                gconstpointer b)
{
  guint64 sa = pykka_cell_get_start_order (*(PykkaCell **) a);
  guint64 sb = pykka_cell_get_start_order (*(PykkaCell **) b);

  return sa < sb ? -1 : sa > sb;
}

static void
add_cells_of_type (GPtrArray *result,
                   CellList  *list,
                   GType      type)
{
  for (PykkaCell *cell = list->head; cell != NULL; cell = pykka_cell_reg_link (cell)->next)
    if (type == 0 || g_type_is_a (pykka_cell_get_gtype (cell), type))
      g_ptr_array_add (result, pykka_cell_ref (cell));
}

/* Registered cells of @type (0 for all), and the stopping ones too when
 * @with_stopping, in start order, each referenced. */
static GPtrArray *
dup_cells (GType    type,
           gboolean with_stopping)
{
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) pykka_cell_unref);

  G_LOCK (registry);
  add_cells_of_type (result, &running, type);
  if (with_stopping)
    add_cells_of_type (result, &stopping, type);
  G_UNLOCK (registry);

  g_ptr_array_sort (result, compare_start_order);
  return result;
}

/* Registered cells of @type (0 for all), in start order, each referenced. */
GPtrArray *
pykka_registry_dup_cells (GType type)
{
  return dup_cells (type, FALSE);
}

/* The same, all types, with the cells whose on_stop or on_failure runs
 * (the stopping list). */
GPtrArray *
pykka_registry_dup_cells_all (void)
{
  return dup_cells (0, TRUE);
}

static PykkaActorRef *
cell_dup_ref (PykkaCell *cell)
{
  g_autoptr(PykkaActor) actor = pykka_cell_dup_actor (cell);
  PykkaActorRef *ref = NULL;

  if (actor != NULL)
    ref = g_object_ref (pykka_actor_get_actor_ref (actor));

  return ref;
}

static GList *
refs_of_cells (GPtrArray *found)
{
  GList *refs = NULL;

  for (guint i = found->len; i > 0; i--)
    {
      PykkaActorRef *ref = cell_dup_ref (found->pdata[i - 1]);
      if (ref != NULL)
        refs = g_list_prepend (refs, ref);
    }
  return refs;
}

/**
 * pykka_registry_get_all:
 *
 * Lists the refs of every running actor, in start order.
 *
 * Returns: (transfer full) (element-type PykkaActorRef): the refs
 */
GList *
pykka_registry_get_all (void)
{
  g_autoptr(GPtrArray) found = pykka_registry_dup_cells (0);

  return refs_of_cells (found);
}

/**
 * pykka_registry_get_by_type:
 * @actor_type: a subtype of [class@Pykka.Actor]
 *
 * Lists the refs of the running actors of @actor_type or of its
 * subtypes, in start order.
 *
 * Returns: (transfer full) (element-type PykkaActorRef): the refs
 */
GList *
pykka_registry_get_by_type (GType actor_type)
{
  g_return_val_if_fail (g_type_is_a (actor_type, PYKKA_TYPE_ACTOR), NULL);

  g_autoptr(GPtrArray) found = pykka_registry_dup_cells (actor_type);

  return refs_of_cells (found);
}

/**
 * pykka_registry_get_by_type_name:
 * @type_name: the name of a #GType, such as `"MyCounter"`
 *
 * Lists the refs of the running actors whose type, or one of its parents,
 * is called @type_name. An unknown name gives an empty list.
 *
 * Returns: (transfer full) (element-type PykkaActorRef): the refs
 */
GList *
pykka_registry_get_by_type_name (const char *type_name)
{
  GType type;

  g_return_val_if_fail (type_name != NULL, NULL);

  type = g_type_from_name (type_name);
  if (type == 0 || !g_type_is_a (type, PYKKA_TYPE_ACTOR))
    return NULL;
  return pykka_registry_get_by_type (type);
}

/**
 * pykka_registry_get_by_urn:
 * @urn: an actor's `urn:uuid:` identifier
 *
 * Finds a running actor by its identifier.
 *
 * Returns: (transfer full) (nullable): the actor's ref, or %NULL if no
 *   running actor has @urn
 */
PykkaActorRef *
pykka_registry_get_by_urn (const char *urn)
{
  PykkaCell *cell = NULL;
  PykkaActorRef *ref = NULL;
  guint64 id;

  g_return_val_if_fail (urn != NULL, NULL);

  if (!parse_urn_id (urn, &id))
    return NULL;

  G_LOCK (registry);
  if (urns != NULL && (cell = g_hash_table_lookup (urns, &id)) != NULL)
    pykka_cell_ref (cell);
  G_UNLOCK (registry);

  /* Belt and braces: only the urn the actor reports finds it. */
  if (cell != NULL && strcmp (pykka_cell_get_urn (cell), urn) != 0)
    g_clear_pointer (&cell, pykka_cell_unref);

  if (cell != NULL)
    {
      ref = cell_dup_ref (cell);
      pykka_cell_unref (cell);
    }
  return ref;
}

/* Gives @name to @cell, which is on `running` and alive (under the
 * registry lock). */
static void
add_name_locked (PykkaCell  *cell,
                 const char *name)
{
  GPtrArray *held;

  if (names == NULL)
    {
      names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) pykka_cell_unref);
      names_of = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                        (GDestroyNotify) g_ptr_array_unref);
    }
  g_hash_table_insert (names, g_strdup (name), pykka_cell_ref (cell));
  held = g_hash_table_lookup (names_of, pykka_cell_get_id_key (cell));
  if (held == NULL)
    {
      held = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (names_of, (gpointer) pykka_cell_get_id_key (cell), held);
    }
  g_ptr_array_add (held, g_strdup (name));
}

/* Takes @name, which @cell holds, from it (under the registry lock). */
static void
forget_name_locked (PykkaCell  *cell,
                    const char *name)
{
  GPtrArray *held = g_hash_table_lookup (names_of, pykka_cell_get_id_key (cell));

  for (guint i = 0; held != NULL && i < held->len; i++)
    if (strcmp (held->pdata[i], name) == 0)
      {
        g_ptr_array_remove_index (held, i);
        break;
      }
  if (held != NULL && held->len == 0)
    g_hash_table_remove (names_of, pykka_cell_get_id_key (cell));
  /* Last: drops the table's reference of the cell (`running` holds one). */
  g_hash_table_remove (names, name);
}

/* Whether @name may name an actor; sets INVALID_ARGUMENT if not. */
static gboolean
check_name (const char  *name,
            GError     **error)
{
  if (name[0] == '\0')
    {
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                           P_("An actor’s name must not be empty"));
      return FALSE;
    }
  if (!g_utf8_validate (name, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (name, -1);

      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is the name asked for, its invalid bytes shown as U+FFFD. */
                   P_("An actor’s name must be valid UTF-8, which “%s” is not"), shown);
      return FALSE;
    }
  return TRUE;
}

/**
 * pykka_registry_register_name:
 * @name: the name, a non-empty UTF-8 string
 * @ref: the ref of a running actor
 * @error: return location for an error
 *
 * Gives the actor of @ref the name @name, by which
 * [func@Pykka.Registry.lookup_name] finds it, as Erlang's `register/2`.
 *
 * Names are unique in the process: if another actor holds @name the call
 * fails with %PYKKA_ERROR_NAME_TAKEN, whose message says which actor
 * holds it. Registering @name again for the actor that holds it succeeds
 * and changes nothing, and an actor may have several names. The name is
 * the actor's until [func@Pykka.Registry.unregister_name] or until the
 * actor is no longer alive ([property@Pykka.ActorRef:alive]), however it
 * ends: stopped, failed, killed or orphaned. It is free when the actor's
 * [vfunc@Pykka.Actor.on_stop] or [vfunc@Pykka.Actor.on_failure] runs,
 * and from the moment [method@Pykka.ActorRef.kill] returns.
 *
 * Only an alive actor (started, not stopping, not killed) can take a
 * name; any other fails with %PYKKA_ERROR_ACTOR_DEAD, as a tell to it
 * would. An actor that another thread is starting
 * ([method@Pykka.Actor.start] has not returned) takes the name once its
 * start is done: the call waits for that; if the start fails, it fails
 * with %PYKKA_ERROR_ACTOR_DEAD giving the start's error. An
 * empty @name, or one that is not valid UTF-8, fails with
 * %PYKKA_ERROR_INVALID_ARGUMENT.
 *
 * May be called from any thread. When threads race for one name, exactly
 * one of them gets it; a name is never left to an actor that has begun
 * to stop.
 *
 * Returns: %TRUE if the actor holds @name, %FALSE with @error set
 */
gboolean
pykka_registry_register_name (const char     *name,
                              PykkaActorRef  *ref,
                              GError        **error)
{
  PykkaCell *cell, *holder = NULL;
  gboolean registered = FALSE;
  gboolean unstarted;
  PykkaCellState state;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (ref), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, error))
    return FALSE;

  cell = pykka_actor_ref_get_cell (ref);

  G_LOCK (registry);
  /* Another thread is inside pykka_actor_start() and the cell has not
   * joined the registry yet: the name waits for the start's end (which
   * runs no code of the application: it is short). */
  for (;;)
    {
      /* The state is read once per pass: a start that begins between two
       * reads (NEW, then STARTING) must not make the error say dead. */
      state = pykka_cell_get_state (cell);
      if (pykka_cell_reg_link (cell)->where != PYKKA_REG_NONE || state != PYKKA_CELL_STARTING)
        break;
      start_waiters++;
      g_cond_wait (&start_ended, &G_LOCK_NAME (registry));
      start_waiters--;
    }
  registered = pykka_cell_reg_link (cell)->where == PYKKA_REG_RUNNING && pykka_cell_is_alive (cell);
  unstarted = !registered && state == PYKKA_CELL_NEW;
  if (registered)
    {
      PykkaCell *current = names != NULL ? g_hash_table_lookup (names, name) : NULL;

      /* A holder that is killed, or stopping and not unregistered yet,
       * holds its names no more. */
      if (current != NULL && current != cell && !pykka_cell_is_alive (current))
        {
          forget_name_locked (current, name);
          current = NULL;
        }
      if (current == NULL)
        add_name_locked (cell, name);
      else if (current != cell)
        holder = pykka_cell_ref (current);
    }
  G_UNLOCK (registry);

  /* Describing a cell takes its mutex: only once the registry's lock is
   * released (docs/internals.md, lock order). */
  if (!registered)
    {
      g_propagate_error (error, unstarted ? pykka_cell_unstarted_error (cell) : pykka_cell_dead_error (cell));
      return FALSE;
    }
  if (holder != NULL)
    {
      g_autofree char *who = pykka_cell_describe (holder);

      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_NAME_TAKEN,
                   /* Translators: the first %s is an actor's name, the second an actor, such as "MyCounter (urn:uuid:…)". */
                   P_("The name “%s” is taken by actor %s"), name, who);
      pykka_cell_unref (holder);
      return FALSE;
    }
  return TRUE;
}

/**
 * pykka_registry_lookup_name:
 * @name: a name given by [func@Pykka.Registry.register_name]
 *
 * Finds the running actor that holds @name, as Erlang's `whereis/1`.
 *
 * As every query of the registry, the answer is a snapshot: the actor
 * may begin to stop right after. A name that no running actor holds,
 * including an empty or invalid one, gives %NULL.
 *
 * Returns: (transfer full) (nullable): the ref of the actor holding
 *   @name, or %NULL
 */
PykkaActorRef *
pykka_registry_lookup_name (const char *name)
{
  PykkaCell *cell = NULL;
  PykkaActorRef *ref = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  G_LOCK (registry);
  if (names != NULL && (cell = g_hash_table_lookup (names, name)) != NULL)
    {
      if (pykka_cell_is_alive (cell))
        pykka_cell_ref (cell);
      else
        cell = NULL;  /* killed, or its stop has begun: the name is free */
    }
  G_UNLOCK (registry);

  if (cell != NULL)
    {
      ref = cell_dup_ref (cell);
      pykka_cell_unref (cell);
    }
  return ref;
}

/**
 * pykka_registry_unregister_name:
 * @name: a name given by [func@Pykka.Registry.register_name]
 *
 * Frees @name before its actor stops; the actor goes on running. The
 * actor's other names stay. Freeing a name nobody holds is not an error.
 *
 * Returns: %TRUE if an alive actor held @name, %FALSE if none did
 */
gboolean
pykka_registry_unregister_name (const char *name)
{
  PykkaCell *cell;
  gboolean removed = FALSE;

  g_return_val_if_fail (name != NULL, FALSE);

  G_LOCK (registry);
  if (names != NULL && (cell = g_hash_table_lookup (names, name)) != NULL)
    {
      removed = pykka_cell_is_alive (cell);
      forget_name_locked (cell, name);
    }
  G_UNLOCK (registry);
  return removed;
}

/**
 * pykka_registry_dup_names:
 * @ref: an actor's ref
 *
 * Lists the names the actor of @ref holds, in the order it took them.
 * An actor that is not alive holds none.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names, an empty
 *   array if none
 */
char **
pykka_registry_dup_names (PykkaActorRef *ref)
{
  GStrvBuilder *builder;
  PykkaCell *cell;
  GPtrArray *held;
  char **result;

  g_return_val_if_fail (PYKKA_IS_ACTOR_REF (ref), NULL);

  cell = pykka_actor_ref_get_cell (ref);
  builder = g_strv_builder_new ();
  G_LOCK (registry);
  if (names_of != NULL &&
      (held = g_hash_table_lookup (names_of, pykka_cell_get_id_key (cell))) != NULL &&
      pykka_cell_reg_link (cell)->where == PYKKA_REG_RUNNING &&
      pykka_cell_is_alive (cell))
    for (guint i = 0; i < held->len; i++)
      g_strv_builder_add (builder, held->pdata[i]);
  G_UNLOCK (registry);
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/**
 * pykka_registry_broadcast:
 * @message: the message, copied for each actor
 * @target_type: the type of actors to tell (subtypes included), or
 *   %G_TYPE_INVALID for all
 *
 * Tells @message to every running actor of @target_type.
 *
 * Returns: how many actors the message was sent to
 */
guint
pykka_registry_broadcast (const GValue *message,
                          GType         target_type)
{
  g_autoptr(GPtrArray) found = NULL;
  guint sent = 0;

  g_return_val_if_fail (message != NULL && G_IS_VALUE (message), 0);
  g_return_val_if_fail (target_type == G_TYPE_INVALID || g_type_is_a (target_type, PYKKA_TYPE_ACTOR), 0);

  found = pykka_registry_dup_cells (target_type);
  for (guint i = 0; i < found->len; i++)
    {
      PykkaMessage *m = pykka_message_new (PYKKA_MESSAGE_USER, message, NULL);

      if (pykka_cell_push (found->pdata[i], m))
        sent++;
      else
        pykka_message_free (m);
    }
  return sent;
}

/* How many times pykka_registry_stop_all() stops everything it finds
 * before it gives up on actors that keep starting others. */
#define PYKKA_STOP_ALL_ROUNDS 64

/* Stops @refs (newest first) in turn. Returns the first error. */
static GError *
stop_round (GList *refs,
            gint   timeout_msec)
{
  GError *first_error = NULL;

  for (GList *l = refs; l != NULL; l = l->next)
    {
      GError *local_error = NULL;

      if (!pykka_actor_ref_stop_sync (l->data, timeout_msec, &local_error) &&
          local_error != NULL)
        {
          if (first_error == NULL)
            first_error = local_error;
          else
            g_error_free (local_error);
        }
    }
  return first_error;
}

/**
 * pykka_registry_stop_all:
 * @timeout_msec: how long to wait for each actor in milliseconds, -1 for
 *   ever
 * @error: return location for an error
 *
 * Stops every running actor, last started first, waiting for each to be
 * dead before stopping the next (Pykka's `stop_all(block=True)`).
 *
 * Actors that are already stopping (their `on_stop` or `on_failure`
 * runs; they have left the registry) are waited for too. Actors started
 * meanwhile, for example by an `on_stop`, are stopped as well: the
 * registry is listed and stopped again until it is empty, at most 64
 * times. %TRUE means no actor was registered or stopping when the call
 * returned (actors may of course start right after).
 *
 * Returns: %TRUE, or %FALSE with the first error (such as
 *   %PYKKA_ERROR_TIMEOUT) set once every actor was asked to stop, or with
 *   %PYKKA_ERROR_FAILED if actors were still running after 64 rounds
 */
gboolean
pykka_registry_stop_all (gint     timeout_msec,
                         GError **error)
{
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint round = 0; round < PYKKA_STOP_ALL_ROUNDS; round++)
    {
      g_autoptr(GPtrArray) found = dup_cells (0, TRUE);
      g_autolist(PykkaActorRef) refs = g_list_reverse (refs_of_cells (found));
      GError *round_error;

      if (refs == NULL)
        return TRUE;
      /* A failed round (a timeout) leaves actors running: report it rather
       * than wait for them again. */
      round_error = stop_round (refs, timeout_msec);
      if (round_error != NULL)
        {
          g_propagate_error (error, round_error);
          return FALSE;
        }
    }

  {
    g_autolist(PykkaActorRef) left = pykka_registry_get_all ();
    g_autofree char *who = NULL;

    if (left == NULL)
      return TRUE;
    who = pykka_cell_describe (pykka_actor_ref_get_cell (left->data));
    g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_FAILED,
                 /* Translators: %u is a number of actors (at least 1), %d a number of rounds, %s an actor, such as "MyCounter (urn:uuid:…)". */
                 P_("%u actors still running, such as %s, after stopping every actor %d times: stopping actors starts others"),
                 g_list_length (left), who, PYKKA_STOP_ALL_ROUNDS);
    return FALSE;
  }
}

/**
 * pykka_registry_stop_all_futures:
 *
 * Asks every running actor to stop, last started first, without waiting
 * (Pykka's `stop_all(block=False)`).
 *
 * Returns: (transfer full) (element-type PykkaFuture): a future of a
 *   #gboolean per actor, in the order they were asked to stop
 */
GList *
pykka_registry_stop_all_futures (void)
{
  g_autolist(PykkaActorRef) refs = g_list_reverse (pykka_registry_get_all ());
  GList *futures = NULL;

  for (GList *l = refs; l != NULL; l = l->next)
    futures = g_list_prepend (futures, pykka_actor_ref_stop (l->data));

  return g_list_reverse (futures);
}
