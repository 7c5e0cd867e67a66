/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "pykka-registry-model.h"

#include "pykka-private.h"

/**
 * PykkaRegistryModel:
 *
 * The running actors as a live [iface@Gio.ListModel] (issue 13.4), for a
 * `GtkListView` or anything else that shows a list model.
 *
 * The items are the [class@Pykka.ActorRef]s of the running actors of
 * [property@Pykka.RegistryModel:actor-type] (subtypes included), in start
 * order, as [func@Pykka.Registry.get_by_type] lists them. An actor
 * appears once it is started and leaves once it is dead.
 *
 * ```c
 *   g_autoptr(PykkaRegistryModel) model = pykka_registry_model_new (MY_TYPE_WORKER);
 *   g_print ("%u workers listed\n", g_list_model_get_n_items (G_LIST_MODEL (model)));  // 3 workers listed
 *   g_signal_connect (model, "items-changed", G_CALLBACK (on_workers_changed), NULL);
 * ```
 *
 * A `GtkListView` shows it through a selection model, such as
 * `gtk_no_selection_new (G_LIST_MODEL (model))`, with a
 * `GtkSignalListItemFactory` that binds a label to each ref's urn.
 *
 * ## Threads
 *
 * A model belongs to the thread-default main context of the thread that
 * created it (the global default context if that thread pushed none),
 * like a widget belongs to the main thread. Actors start and stop on any
 * thread; the model learns of it at once, but changes its items and emits
 * [signal@Gio.ListModel::items-changed] only when that context runs,
 * from its thread: use the model there only. Every start and stop between
 * two runs of the context become one update, of few `items-changed`
 * signals whose positions describe the change step by step. After each
 * update the model lists what [func@Pykka.Registry.get_by_type] would.
 *
 * A model that is no longer referenced stops listening at once; it never
 * keeps an actor alive, but it holds a reference to each listed
 * [class@Pykka.ActorRef] while the actor runs.
 */

/* Hunks closer than this are merged into one items-changed: a stop every
 * other row becomes one signal, not many. */
#define MERGE_GAP  8
/* At most this many items-changed per update; more are merged into one. */
#define MAX_HUNKS  8

/* The model's half that other threads touch: a GSource on the model's
 * context. The registry observer (any thread) marks it pending and makes
 * it ready; its dispatch (the model's thread) updates the model, which it
 * finds through a weak reference. The observer is removed before the
 * source is destroyed, so it never sees a freed source. */
typedef struct
{
  GSource  source;
  GWeakRef model;    /* PykkaRegistryModel */
  GType    filter;   /* immutable: 0 for every actor */
  gint     pending;  /* atomic: a change is not yet seen by a dispatch */
} ModelSource;

struct _PykkaRegistryModel
{
  GObject       parent_instance;

  GType         actor_type;  /* construct-only */
  GMainContext *context;     /* (owned) where updates run */
  GSource      *source;      /* (owned) (nullable after dispose) a ModelSource */
  GPtrArray    *items;       /* (owned) PykkaActorRef*, in start order; only the model's thread */
};

enum
{
  PROP_0,
  PROP_ACTOR_TYPE,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pykka_registry_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PykkaRegistryModel, pykka_registry_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      pykka_registry_model_list_model_init))

static GType
filter_of (GType actor_type)
{
  return actor_type == PYKKA_TYPE_ACTOR ? 0 : actor_type;
}

static guint64
ref_order (gpointer ref)
{
  return pykka_cell_get_start_order (pykka_actor_ref_get_cell (ref));
}

/* The ref of a cell's actor, or NULL once the actor is dying. */
static PykkaActorRef *
cell_dup_ref (PykkaCell *cell)
{
  g_autoptr(PykkaActor) actor = pykka_cell_dup_actor (cell);

  return actor != NULL ? g_object_ref (pykka_actor_get_actor_ref (actor)) : NULL;
}

/* The refs the model should list now, in start order: its own items where
 * they are still registered, new refs for new actors. */
static GPtrArray *
fresh_items (PykkaRegistryModel *self)
{
  g_autoptr(GPtrArray) cells = pykka_registry_dup_cells (filter_of (self->actor_type));
  GPtrArray *fresh = g_ptr_array_new_full (cells->len, g_object_unref);
  guint i = 0;

  for (guint k = 0; k < cells->len; k++)
    {
      PykkaCell *cell = cells->pdata[k];
      guint64 order = pykka_cell_get_start_order (cell);
      PykkaActorRef *ref;

      while (i < self->items->len && ref_order (self->items->pdata[i]) < order)
        i++;
      if (i < self->items->len && pykka_actor_ref_get_cell (self->items->pdata[i]) == cell)
        ref = g_object_ref (self->items->pdata[i]);
      else
        ref = cell_dup_ref (cell);
      if (ref != NULL)
        g_ptr_array_add (fresh, ref);
    }
  return fresh;
}

typedef struct
{
  guint old_pos, removed;
  guint new_pos, added;
} Hunk;

/* The differences of two lists in start order, as hunks in order, merged
 * when close or too many. */
static GArray *
diff (GPtrArray *old,
      GPtrArray *fresh)
{
  GArray *hunks = g_array_new (FALSE, FALSE, sizeof (Hunk));
  guint i = 0, k = 0;

  while (i < old->len || k < fresh->len)
    {
      Hunk h;

      if (i < old->len && k < fresh->len && old->pdata[i] == fresh->pdata[k])
        {
          i++, k++;
          continue;
        }
      h = (Hunk) { i, 0, k, 0 };
      while ((i < old->len || k < fresh->len) &&
             !(i < old->len && k < fresh->len && old->pdata[i] == fresh->pdata[k]))
        {
          if (k == fresh->len ||
              (i < old->len && ref_order (old->pdata[i]) <= ref_order (fresh->pdata[k])))
            i++, h.removed++;
          else
            k++, h.added++;
        }

      if (hunks->len > 0)
        {
          Hunk *last = &g_array_index (hunks, Hunk, hunks->len - 1);

          if (h.old_pos - (last->old_pos + last->removed) < MERGE_GAP)
            {
              last->removed = h.old_pos + h.removed - last->old_pos;
              last->added = h.new_pos + h.added - last->new_pos;
              continue;
            }
        }
      g_array_append_val (hunks, h);
    }

  if (hunks->len > MAX_HUNKS)
    {
      Hunk first = g_array_index (hunks, Hunk, 0);
      Hunk last = g_array_index (hunks, Hunk, hunks->len - 1);

      first.removed = last.old_pos + last.removed - first.old_pos;
      first.added = last.new_pos + last.added - first.new_pos;
      g_array_set_size (hunks, 1);
      g_array_index (hunks, Hunk, 0) = first;
    }
  return hunks;
}

/* Brings the items up to date with the registry, emitting items-changed
 * after each hunk so that the model is always in the state the signals
 * so far describe. On the model's thread only. */
static void
update (PykkaRegistryModel *self)
{
  g_autoptr(GPtrArray) fresh = fresh_items (self);
  g_autoptr(GArray) hunks = diff (self->items, fresh);
  guint before = self->items->len;

  for (guint n = 0; n < hunks->len; n++)
    {
      Hunk h = g_array_index (hunks, Hunk, n);

      /* Hunks before this one are applied: it starts at its new place. */
      if (h.removed > 0)
        g_ptr_array_remove_range (self->items, h.new_pos, h.removed);
      for (guint a = 0; a < h.added; a++)
        g_ptr_array_insert (self->items, h.new_pos + a, g_object_ref (fresh->pdata[h.new_pos + a]));
      g_list_model_items_changed (G_LIST_MODEL (self), h.new_pos, h.removed, h.added);
    }
  if (self->items->len != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Any thread, right after a registration or an unregistration. */
static void
model_observer (PykkaCell *cell,
                gboolean   added,
                gpointer   user_data)
{
  ModelSource *ms = user_data;

  if (ms->filter != 0 && !g_type_is_a (pykka_cell_get_gtype (cell), ms->filter))
    return;
  /* The first change since the last dispatch makes the source ready;
   * later ones ride along. */
  if (g_atomic_int_compare_and_exchange (&ms->pending, 0, 1))
    g_source_set_ready_time ((GSource *) ms, 0);
}

static gboolean
model_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  ModelSource *ms = (ModelSource *) source;
  PykkaRegistryModel *self;

  /* Not ready again until the next change, which happens after this
   * point and so is either in the update below or makes it ready. */
  g_source_set_ready_time (source, -1);
  g_atomic_int_set (&ms->pending, 0);

  self = g_weak_ref_get (&ms->model);
  if (self != NULL)
    {
      update (self);
      g_object_unref (self);
    }
  return G_SOURCE_CONTINUE;
}

static void
model_source_finalize (GSource *source)
{
  g_weak_ref_clear (&((ModelSource *) source)->model);
}

static GSourceFuncs model_source_funcs = {
  .dispatch = model_source_dispatch,
  .finalize = model_source_finalize,
};

static GType
pykka_registry_model_get_item_type (GListModel *list)
{
  return PYKKA_TYPE_ACTOR_REF;
}

static guint
pykka_registry_model_get_n_items (GListModel *list)
{
  return PYKKA_REGISTRY_MODEL (list)->items->len;
}

static gpointer
pykka_registry_model_get_item (GListModel *list,
                               guint       position)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (list);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
pykka_registry_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pykka_registry_model_get_item_type;
  iface->get_n_items = pykka_registry_model_get_n_items;
  iface->get_item = pykka_registry_model_get_item;
}

static void
pykka_registry_model_constructed (GObject *object)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (object);
  ModelSource *ms;

  G_OBJECT_CLASS (pykka_registry_model_parent_class)->constructed (object);

  self->context = g_main_context_ref_thread_default ();
  self->source = g_source_new (&model_source_funcs, sizeof (ModelSource));
  ms = (ModelSource *) self->source;
  g_weak_ref_init (&ms->model, self);
  ms->filter = filter_of (self->actor_type);
  g_source_set_static_name (self->source, "PykkaRegistryModel");
  g_source_set_ready_time (self->source, -1);
  g_source_attach (self->source, self->context);

  /* Listen first, then read: a change after the read makes the source
   * ready, one before it is in the read. */
  pykka_registry_add_observer (model_observer, ms);
  {
    g_autoptr(GPtrArray) fresh = fresh_items (self);

    for (guint i = 0; i < fresh->len; i++)
      g_ptr_array_add (self->items, g_object_ref (fresh->pdata[i]));
  }
}

/* May run on any thread: once the observer is removed, no thread touches
 * the source again but its context. */
static void
pykka_registry_model_dispose (GObject *object)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (object);

  if (self->source != NULL)
    {
      pykka_registry_remove_observer (model_observer, self->source);
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  G_OBJECT_CLASS (pykka_registry_model_parent_class)->dispose (object);
}

static void
pykka_registry_model_finalize (GObject *object)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (object);

  g_ptr_array_unref (self->items);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (pykka_registry_model_parent_class)->finalize (object);
}

static void
pykka_registry_model_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (object);

  switch (prop_id)
    {
    case PROP_ACTOR_TYPE:
      g_value_set_gtype (value, self->actor_type);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, PYKKA_TYPE_ACTOR_REF);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_registry_model_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  PykkaRegistryModel *self = PYKKA_REGISTRY_MODEL (object);

  switch (prop_id)
    {
    case PROP_ACTOR_TYPE:
      self->actor_type = g_value_get_gtype (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pykka_registry_model_class_init (PykkaRegistryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pykka_registry_model_constructed;
  object_class->dispose = pykka_registry_model_dispose;
  object_class->finalize = pykka_registry_model_finalize;
  object_class->get_property = pykka_registry_model_get_property;
  object_class->set_property = pykka_registry_model_set_property;

  /**
   * PykkaRegistryModel:actor-type: (getter get_actor_type)
   *
   * The type of the actors the model lists, subtypes included:
   * [class@Pykka.Actor] (the default) for every actor.
   */
  properties[PROP_ACTOR_TYPE] =
    g_param_spec_gtype ("actor-type", NULL, NULL,
                        PYKKA_TYPE_ACTOR,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaRegistryModel:item-type:
   *
   * The type of the items: always [class@Pykka.ActorRef].
   */
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL,
                        G_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PykkaRegistryModel:n-items:
   *
   * How many actors the model lists. Notified on the model's context,
   * after the `items-changed` signals of an update that changed it.
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pykka_registry_model_init (PykkaRegistryModel *self)
{
  self->actor_type = PYKKA_TYPE_ACTOR;
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pykka_registry_model_new:
 * @actor_type: a subtype of [class@Pykka.Actor] whose actors (and those of
 *   its subtypes) to list, or %G_TYPE_NONE for every actor
 *
 * Makes a live list of the running actors of @actor_type, in start order,
 * that follows starts and stops on the calling thread's thread-default
 * main context. It lists the actors running now at once.
 *
 * Returns: (transfer full): the new model
 */
PykkaRegistryModel *
pykka_registry_model_new (GType actor_type)
{
  if (actor_type == G_TYPE_NONE || actor_type == G_TYPE_INVALID)
    actor_type = PYKKA_TYPE_ACTOR;
  g_return_val_if_fail (g_type_is_a (actor_type, PYKKA_TYPE_ACTOR), NULL);

  return g_object_new (PYKKA_TYPE_REGISTRY_MODEL, "actor-type", actor_type, NULL);
}

/**
 * pykka_registry_model_get_actor_type: (get-property actor-type)
 * @self: a [class@Pykka.RegistryModel]
 *
 * Gets [property@Pykka.RegistryModel:actor-type].
 *
 * Returns: the type of the actors @self lists, subtypes included
 */
GType
pykka_registry_model_get_actor_type (PykkaRegistryModel *self)
{
  g_return_val_if_fail (PYKKA_IS_REGISTRY_MODEL (self), G_TYPE_INVALID);

  return self->actor_type;
}
