/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <string.h>

#include "pykka-dbus.h"

#include "pykka-dbus-private.h"
#include "pykka-enums.h"
#include "pykka-error.h"
#include "pykka-private.h"

/*
 * Values that cross a process (issue 17.3): a GValue as a GVariant and
 * back, and the D-Bus names of the error domains whose domain and code
 * survive the trip.
 *
 * The mapping is chosen so that a value sent by one pykka-glib process
 * arrives with the same GType, and so that a plain D-Bus client's value
 * arrives as the natural GType: an `i` as a gint, a dictionary as the
 * #GVariant it is. A #GValue holding a #GVariant whose type would decode
 * to another GType is wrapped in one more `v`.
 */

/* Variant types that decode to a GType other than G_TYPE_VARIANT. */
static gboolean
decodes_to_plain (const GVariantType *type)
{
  if (g_variant_type_is_basic (type))
    return !g_variant_type_equal (type, G_VARIANT_TYPE_HANDLE);
  return g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT)
    || g_variant_type_equal (type, G_VARIANT_TYPE_UNIT)
    || g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY)
    || g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING)
    || g_variant_type_equal (type, G_VARIANT_TYPE ("ms"))
    || g_variant_type_equal (type, G_VARIANT_TYPE ("mv"));
}

/* "No value": an empty signature (D-Bus has neither an empty tuple
 * value nor maybe types). */
static GVariant *
no_value (void)
{
  return g_variant_ref_sink (g_variant_new_signature (""));
}

/* D-Bus's limits of nesting (the specification, "Valid signatures";
 * dbus-daemon and GDBus enforce them): a message whose body nests
 * deeper is refused by the bus or the peer, which then closes the whole
 * connection. Each array, struct, dict entry and variant is one level of
 * the body's 64; a signature (the body's, or a variant's) nests at most
 * 32 arrays and 32 structs. */
#define MAX_TOTAL_DEPTH   64
#define MAX_TYPE_DEPTH    32

static gboolean
type_has_variant (const GVariantType *type)
{
  return memchr (g_variant_type_peek_string (type), 'v',
                 g_variant_type_get_string_length (type)) != NULL;
}

/* Whether values of @type (with no `v` in it), at level @total of the
 * body and inside @arrays arrays and @structs structs of its signature,
 * stay within the limits. */
static gboolean
type_within_limits (const GVariantType *type,
                    guint               total,
                    guint               arrays,
                    guint               structs)
{
  if (total > MAX_TOTAL_DEPTH || arrays > MAX_TYPE_DEPTH || structs > MAX_TYPE_DEPTH)
    return FALSE;
  if (g_variant_type_is_array (type) || g_variant_type_is_maybe (type))
    return type_within_limits (g_variant_type_element (type), total + 1, arrays + 1, structs);
  if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type))
    for (const GVariantType *item = g_variant_type_first (type); item != NULL;
         item = g_variant_type_next (item))
      if (!type_within_limits (item, total + 1, arrays, structs + 1))
        return FALSE;
  return TRUE;
}

/* How many levels @type nests (a basic type or `v`: 1), counted up to
 * @limit + 1 at most. */
static guint
type_depth (const GVariantType *type,
            guint               limit)
{
  guint deepest = 0;

  if (limit == 0)
    return 1;
  if (g_variant_type_is_array (type) || g_variant_type_is_maybe (type))
    deepest = type_depth (g_variant_type_element (type), limit - 1);
  else if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type))
    for (const GVariantType *item = g_variant_type_first (type); item != NULL && deepest < limit;
         item = g_variant_type_next (item))
      deepest = MAX (deepest, type_depth (item, limit - 1));
  return deepest + 1;
}

/* The same for a value, looking into its variants (each starts a
 * signature of its own). */
static gboolean
value_within_limits (GVariant *value,
                     guint     total,
                     guint     arrays,
                     guint     structs)
{
  const GVariantType *type = g_variant_get_type (value);
  gboolean ok = TRUE;
  gsize n;

  if (!type_has_variant (type))
    return type_within_limits (type, total, arrays, structs);
  if (total > MAX_TOTAL_DEPTH || arrays > MAX_TYPE_DEPTH || structs > MAX_TYPE_DEPTH)
    return FALSE;
  /* A type that nests too deep by itself is refused before its children
   * are read: GLib 2.74 aborts reading a child of an untrusted value
   * (made from bytes) whose type nests deeper than GVariant's own limit
   * of 128, unless the value is a variant. */
  if (total + type_depth (type, MAX_TOTAL_DEPTH + 1 - total) > MAX_TOTAL_DEPTH + 1)
    return FALSE;
  if (g_variant_type_is_array (type) || g_variant_type_is_maybe (type))
    arrays++;
  else if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type))
    structs++;
  else
    arrays = structs = 0;   /* a variant: its own signature */

  n = g_variant_n_children (value);
  for (gsize i = 0; ok && i < n; i++)
    {
      GVariant *child = g_variant_get_child_value (value, i);

      ok = value_within_limits (child, total + 1, arrays, structs);
      g_variant_unref (child);
    }
  return ok;
}

/* Whether @body (a tuple, a message's arguments) nests within D-Bus's
 * limits; if not, sets %PYKKA_ERROR_INVALID_ARGUMENT. */
gboolean
pykka_dbus_check_nesting (GVariant  *body,
                          GError   **error)
{
  gsize n = g_variant_n_children (body);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) arg = g_variant_get_child_value (body, i);

      if (!value_within_limits (arg, 0, 0, 0))
        {
          g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                       P_("A value nested deeper than D-Bus allows (%d levels, %d arrays or structs in a signature) cannot cross a process"),
                       MAX_TOTAL_DEPTH, MAX_TYPE_DEPTH);
          return FALSE;
        }
    }
  return TRUE;
}

static GVariant *
too_large (gsize    size,
           GError **error)
{
  g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
               P_("A value of %lu bytes is larger than the limit of %d bytes for a value that crosses a process"),
               (unsigned long) size, PYKKA_DBUS_MAX_VALUE_SIZE);
  return NULL;
}

/**
 * pykka_dbus_value_to_variant:
 * @value: a #GValue, or an unset one for "no value"
 * @error: return location for an error
 *
 * Converts a message or reply for another process. The mapping:
 *
 * - an unset #GValue, a %NULL %G_TYPE_POINTER (Python's None), a %NULL
 *   string or a %NULL #GVariant: an empty signature `g`, "no value" (D-Bus
 *   has neither empty tuples nor maybe types)
 * - gboolean: `b`; guchar: `y`; gint, gchar and enums: `i`; guint and
 *   flags: `u`; gint64 and glong: `x`; guint64 and gulong: `t`; gdouble
 *   and gfloat: `d`
 * - a string: `s`
 * - a %G_TYPE_STRV: `as`; a #GBytes: `ay`
 * - a #GVariant: itself (dictionaries `a{sv}` and other containers), or
 *   wrapped in a `v` when its type is one of the above, so that it
 *   arrives as a #GVariant again
 *
 * [func@Pykka.dbus_value_from_variant] reverses it.
 *
 * Returns: (transfer full) (nullable): a new floating-free #GVariant, or
 *   %NULL with %PYKKA_ERROR_INVALID_ARGUMENT for a value that cannot
 *   cross a process (an object, a pointer, another boxed type), one
 *   larger than %PYKKA_DBUS_MAX_VALUE_SIZE, or a #GVariant nested deeper
 *   than D-Bus allows (64 levels in a message, arrays and variants
 *   counted, 32 arrays or 32 structs in a signature)
 */
GVariant *
pykka_dbus_value_to_variant (const GValue  *value,
                             GError       **error)
{
  GType type;
  GVariant *result = NULL;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  type = G_VALUE_TYPE (value);
  if (type == G_TYPE_INVALID)
    return no_value ();

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN:
      result = g_variant_new_boolean (g_value_get_boolean (value));
      break;
    case G_TYPE_CHAR:
      result = g_variant_new_int32 (g_value_get_schar (value));
      break;
    case G_TYPE_UCHAR:
      result = g_variant_new_byte (g_value_get_uchar (value));
      break;
    case G_TYPE_INT:
      result = g_variant_new_int32 (g_value_get_int (value));
      break;
    case G_TYPE_UINT:
      result = g_variant_new_uint32 (g_value_get_uint (value));
      break;
    case G_TYPE_LONG:
      result = g_variant_new_int64 (g_value_get_long (value));
      break;
    case G_TYPE_ULONG:
      result = g_variant_new_uint64 (g_value_get_ulong (value));
      break;
    case G_TYPE_INT64:
      result = g_variant_new_int64 (g_value_get_int64 (value));
      break;
    case G_TYPE_UINT64:
      result = g_variant_new_uint64 (g_value_get_uint64 (value));
      break;
    case G_TYPE_ENUM:
      result = g_variant_new_int32 (g_value_get_enum (value));
      break;
    case G_TYPE_FLAGS:
      result = g_variant_new_uint32 (g_value_get_flags (value));
      break;
    case G_TYPE_FLOAT:
      result = g_variant_new_double (g_value_get_float (value));
      break;
    case G_TYPE_DOUBLE:
      result = g_variant_new_double (g_value_get_double (value));
      break;
    case G_TYPE_STRING:
      {
        const char *s = g_value_get_string (value);

        if (s != NULL && strlen (s) > PYKKA_DBUS_MAX_VALUE_SIZE)
          return too_large (strlen (s), error);
        if (s != NULL && !g_utf8_validate (s, -1, NULL))
          {
            g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                                 P_("A string that is not valid UTF-8 cannot cross a process"));
            return NULL;
          }
        if (s == NULL)
          return no_value ();
        result = g_variant_new_string (s);
      }
      break;
    case G_TYPE_VARIANT:
      {
        GVariant *v = g_value_get_variant (value);

        if (v == NULL)
          return no_value ();
        else if (decodes_to_plain (g_variant_get_type (v)))
          result = g_variant_new_variant (v);
        else
          result = v;   /* referenced below */
      }
      break;
    case G_TYPE_POINTER:
      /* A NULL pointer is "no value" (None in Python); any other pointer
       * means nothing in another process. */
      if (g_value_get_pointer (value) == NULL)
        return no_value ();
      goto cannot_cross;
    case G_TYPE_BOXED:
      if (type == G_TYPE_STRV)
        {
          const char * const *strv = g_value_get_boxed (value);

          for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
            if (!g_utf8_validate (strv[i], -1, NULL))
              {
                g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                                     P_("A string that is not valid UTF-8 cannot cross a process"));
                return NULL;
              }
          /* A %NULL array is an empty one. */
          result = g_variant_new_strv (strv, strv != NULL ? -1 : 0);
          break;
        }
      if (type == G_TYPE_BYTES)
        {
          GBytes *bytes = g_value_get_boxed (value);
          gsize size = bytes != NULL ? g_bytes_get_size (bytes) : 0;

          if (size > PYKKA_DBUS_MAX_VALUE_SIZE)
            return too_large (size, error);
          result = bytes != NULL
            ? g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE)
            : g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, "", 0, TRUE, NULL, NULL);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
    cannot_cross:
      if (G_TYPE_IS_OBJECT (type) || G_TYPE_IS_INTERFACE (type))
        g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                     P_("An object (%s) cannot cross a process"), g_type_name (type));
      else
        g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                     P_("A value of type %s cannot cross a process"), g_type_name (type));
      return NULL;
    }

  result = g_variant_ref_sink (result);
  if (g_variant_get_size (result) > PYKKA_DBUS_MAX_VALUE_SIZE)
    {
      gsize size = g_variant_get_size (result);

      g_variant_unref (result);
      return too_large (size, error);
    }
  /* It travels as the `v` argument of a message: one level down. */
  if (!value_within_limits (result, 1, 0, 0))
    {
      g_variant_unref (result);
      g_set_error (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                   P_("A value nested deeper than D-Bus allows (%d levels, %d arrays or structs in a signature) cannot cross a process"),
                   MAX_TOTAL_DEPTH, MAX_TYPE_DEPTH);
      return NULL;
    }
  return result;
}

/**
 * pykka_dbus_value_from_variant:
 * @variant: a #GVariant, maybe from another process
 * @value: (out caller-allocates): an unset #GValue to initialise
 * @error: return location for an error
 *
 * Converts a message or reply from another process, the reverse of
 * [func@Pykka.dbus_value_to_variant]: `b` gives a gboolean, `y` a guchar,
 * `n` and `i` a gint, `q` and `u` a guint, `x` a gint64, `t` a guint64, `d`
 * a gdouble, `s`, `o`, `g` and `ms` a string, `as` a %G_TYPE_STRV, `ay` a
 * #GBytes, `v` the #GVariant inside, an empty signature `g` (and `()`) an
 * unset @value, `mv` the #GVariant inside or an unset @value, and any
 * other type (dictionaries `a{sv}`, tuples, arrays)
 * a #GVariant.
 *
 * Returns: %TRUE, or %FALSE with %PYKKA_ERROR_INVALID_ARGUMENT (and
 *   @value left unset) for a file descriptor (`h`) or a value larger
 *   than %PYKKA_DBUS_MAX_VALUE_SIZE
 */
gboolean
pykka_dbus_value_from_variant (GVariant  *variant,
                               GValue    *value,
                               GError   **error)
{
  const GVariantType *type;

  g_return_val_if_fail (variant != NULL, FALSE);
  g_return_val_if_fail (value != NULL && G_VALUE_TYPE (value) == G_TYPE_INVALID, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_variant_get_size (variant) > PYKKA_DBUS_MAX_VALUE_SIZE)
    {
      too_large (g_variant_get_size (variant), error);
      return FALSE;
    }

  type = g_variant_get_type (variant);
  switch (g_variant_classify (variant))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, g_variant_get_boolean (variant));
      return TRUE;
    case G_VARIANT_CLASS_BYTE:
      g_value_init (value, G_TYPE_UCHAR);
      g_value_set_uchar (value, g_variant_get_byte (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT16:
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, g_variant_get_int16 (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT16:
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, g_variant_get_uint16 (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT32:
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, g_variant_get_int32 (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT32:
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, g_variant_get_uint32 (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT64:
      g_value_init (value, G_TYPE_INT64);
      g_value_set_int64 (value, g_variant_get_int64 (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT64:
      g_value_init (value, G_TYPE_UINT64);
      g_value_set_uint64 (value, g_variant_get_uint64 (variant));
      return TRUE;
    case G_VARIANT_CLASS_DOUBLE:
      g_value_init (value, G_TYPE_DOUBLE);
      g_value_set_double (value, g_variant_get_double (variant));
      return TRUE;
    case G_VARIANT_CLASS_SIGNATURE:
      if (g_variant_get_string (variant, NULL)[0] == '\0')
        return TRUE;
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, g_variant_get_string (variant, NULL));
      return TRUE;
    case G_VARIANT_CLASS_HANDLE:
      g_set_error_literal (error, PYKKA_ERROR, PYKKA_ERROR_INVALID_ARGUMENT,
                           P_("A file descriptor cannot cross a process as a message"));
      return FALSE;
    case G_VARIANT_CLASS_VARIANT:
      g_value_init (value, G_TYPE_VARIANT);
      g_value_take_variant (value, g_variant_get_variant (variant));
      return TRUE;
    case G_VARIANT_CLASS_MAYBE:
      if (g_variant_type_equal (type, G_VARIANT_TYPE ("ms")))
        {
          g_autoptr(GVariant) child = g_variant_get_maybe (variant);

          g_value_init (value, G_TYPE_STRING);
          if (child != NULL)
            g_value_set_string (value, g_variant_get_string (child, NULL));
          return TRUE;
        }
      if (g_variant_type_equal (type, G_VARIANT_TYPE ("mv")))
        {
          g_autoptr(GVariant) child = g_variant_get_maybe (variant);

          if (child != NULL)
            {
              g_value_init (value, G_TYPE_VARIANT);
              g_value_take_variant (value, g_variant_get_variant (child));
            }
          return TRUE;
        }
      break;
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY))
        {
          g_value_init (value, G_TYPE_STRV);
          g_value_take_boxed (value, g_variant_dup_strv (variant, NULL));
          return TRUE;
        }
      if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
        {
          g_value_init (value, G_TYPE_BYTES);
          g_value_take_boxed (value, g_variant_get_data_as_bytes (variant));
          return TRUE;
        }
      break;
    case G_VARIANT_CLASS_TUPLE:
      if (g_variant_n_children (variant) == 0)
        return TRUE;
      break;
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      break;
    }

  g_value_init (value, G_TYPE_VARIANT);
  g_value_set_variant (value, variant);
  return TRUE;
}

/* CamelCase of an enum nick: "actor-dead" → "ActorDead". */
static char *
camel_case (const char *nick)
{
  GString *s = g_string_new (NULL);
  gboolean upper = TRUE;

  for (const char *p = nick; *p != '\0'; p++)
    {
      if (*p == '-' || *p == '_')
        {
          upper = TRUE;
          continue;
        }
      g_string_append_c (s, upper ? g_ascii_toupper (*p) : *p);
      upper = FALSE;
    }
  return g_string_free (s, FALSE);
}

static void
register_domain (GQuark      domain,
                 GType       enum_type,
                 const char *prefix)
{
  GEnumClass *klass = g_type_class_ref (enum_type);

  for (guint i = 0; i < klass->n_values; i++)
    {
      g_autofree char *camel = camel_case (klass->values[i].value_nick);
      g_autofree char *name = g_strconcat (prefix, camel, NULL);

      g_dbus_error_register_error (domain, klass->values[i].value, name);
    }
  g_type_class_unref (klass);
}

/* Registers the D-Bus error names of PYKKA_ERROR (org.pykka.Error.*) and
 * G_IO_ERROR (org.pykka.GIOError.*), once per process: a GError of those
 * domains that a remote handler returns arrives with its domain and code. */
void
pykka_dbus_ensure_errors (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      register_domain (PYKKA_ERROR, PYKKA_TYPE_ERROR, "org.pykka.Error.");
      register_domain (G_IO_ERROR, G_TYPE_IO_ERROR_ENUM, "org.pykka.GIOError.");
      g_once_init_leave (&initialized, 1);
    }
}

/* The GError of an error reply, without GDBus's "GDBus.Error:…: " prefix. */
GError *
pykka_dbus_error_from_message (GDBusMessage *message)
{
  GError *error = NULL;

  pykka_dbus_ensure_errors ();
  if (!g_dbus_message_to_gerror (message, &error))
    return g_error_new_literal (PYKKA_ERROR, PYKKA_ERROR_FAILED, "no error");
  g_dbus_error_strip_remote_error (error);
  return error;
}

/* Whether a remote error means that the peer (or the object) is gone,
 * rather than an error of the actor's handler. */
gboolean
pykka_dbus_error_is_peer_gone (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code == G_IO_ERROR_CLOSED
      || error->code == G_IO_ERROR_BROKEN_PIPE
      || error->code == G_IO_ERROR_CONNECTION_CLOSED;
  if (error->domain == G_DBUS_ERROR)
    return error->code == G_DBUS_ERROR_NO_REPLY
      || error->code == G_DBUS_ERROR_DISCONNECTED
      || error->code == G_DBUS_ERROR_SERVICE_UNKNOWN
      || error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER
      || error->code == G_DBUS_ERROR_UNKNOWN_OBJECT
      || error->code == G_DBUS_ERROR_UNKNOWN_METHOD
      || error->code == G_DBUS_ERROR_UNKNOWN_INTERFACE;
  return FALSE;
}
