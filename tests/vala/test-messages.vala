/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Handlers by message type from Vala (issue 19.2): add_handler and
 * add_variant_handler in `class construct`, a subclass that inherits and
 * overrides them, and the error of a message no handler takes. */

const int TIMEOUT_MSEC = 10000;

public class Shape : Object {
    public string name { get; construct; }
    public Shape (string name) { Object (name: name); }
}

public class Circle : Shape {
    public Circle () { Object (name: "circle"); }
}

public class Typed : Pykka.Actor {
    public int total = 0;

    class construct {
        add_handler (typeof (int), on_int);
        add_handler (typeof (string), on_string);
        add_handler (typeof (Shape), on_shape);
        add_variant_handler ("(si)", on_pair);
        add_variant_handler ("(s*)", on_any_pair);
    }

    static bool on_int (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        var self = (Typed) actor;
        self.total += (int) message;
        reply = self.total;
        return true;
    }

    static bool on_string (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = "string " + (string) message;
        return true;
    }

    static bool on_shape (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = "shape " + ((Shape) message.get_object ()).name;
        return true;
    }

    static bool on_pair (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        string key;
        int n;
        ((Variant) message).get ("(si)", out key, out n);
        reply = "(si) %s=%d".printf (key, n);
        return true;
    }

    static bool on_any_pair (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = "(s*) " + ((Variant) message).get_type_string ();
        return true;
    }
}

/* Inherits Typed's handlers, replaces the string one and adds doubles. */
public class Derived : Typed {
    class construct {
        add_handler (typeof (string), on_loud);
        add_handler (typeof (double), on_double);
    }

    static bool on_loud (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = ((string) message).up ();
        return true;
    }

    static bool on_double (Pykka.Actor actor, GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = (double) message * 2;
        return true;
    }
}

void stop_all () {
    try {
        assert_true (Pykka.Registry.stop_all (TIMEOUT_MSEC));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

GLib.Value ask (Pykka.ActorRef actor, GLib.Value message) throws GLib.Error {
    return actor.ask (message).get (TIMEOUT_MSEC);
}

void test_dispatch () {
    Test.summary ("Each message goes to the handler of its type: exact types, a subclass of an object type, variants by their type string");
    try {
        var typed = new Typed ().start ();
        assert_cmpint ((int) ask (typed, 2), CompareOperator.EQ, 2);
        assert_cmpint ((int) ask (typed, 3), CompareOperator.EQ, 5);
        assert_cmpstr ((string) ask (typed, "hi"), CompareOperator.EQ, "string hi");
        assert_cmpstr ((string) ask (typed, new Circle ()), CompareOperator.EQ, "shape circle");
        assert_cmpstr ((string) ask (typed, new Variant ("(si)", "n", 4)), CompareOperator.EQ, "(si) n=4");
        assert_cmpstr ((string) ask (typed, new Variant ("(sb)", "b", true)), CompareOperator.EQ, "(s*) (sb)");
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_subclass () {
    Test.summary ("A subclass inherits its parent's handlers and overrides one type; the parent keeps its own");
    try {
        var derived = new Derived ().start ();
        var typed = new Typed ().start ();
        assert_cmpint ((int) ask (derived, 7), CompareOperator.EQ, 7);
        assert_cmpstr ((string) ask (derived, "hi"), CompareOperator.EQ, "HI");
        assert_cmpfloat ((double) ask (derived, 1.5), CompareOperator.EQ, 3.0);
        assert_cmpstr ((string) ask (typed, "hi"), CompareOperator.EQ, "string hi");
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_unhandled () {
    Test.summary ("A message of a type with no handler fails the ask with INVALID_ARGUMENT naming the actor, the type and the handled types, is logged once, and the actor lives on; a tell of it is dropped");
    Pykka.ActorRef typed;
    try {
        typed = new Typed ().start ();
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    Test.expect_message ("Pykka", LogLevelFlags.LEVEL_WARNING, "Actor Typed (urn:uuid:*) has no handler for a message of type gboolean (it handles gint, gchararray, Shape, GVariant '(si)', GVariant '(s*)')*");
    try {
        ask (typed, true);
        assert_not_reached ();
    } catch (Pykka.ActorError.INVALID_ARGUMENT e) {
        assert_true (e.message.has_prefix ("Actor Typed (" + typed.get_urn () + ") has no handler for a message of type gboolean: it handles gint, gchararray, Shape, GVariant '(si)', GVariant '(s*)'."));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    Test.assert_expected_messages ();
    /* Logged once: the same type again logs nothing (a warning would abort). */
    try {
        ask (typed, false);
        assert_not_reached ();
    } catch (Pykka.ActorError.INVALID_ARGUMENT e) {
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    /* A variant of a type no variant handler covers names its type. */
    Test.expect_message ("Pykka", LogLevelFlags.LEVEL_WARNING, "*message of type GVariant 'u'*");
    try {
        ask (typed, new Variant ("u", 3));
        assert_not_reached ();
    } catch (Pykka.ActorError.INVALID_ARGUMENT e) {
        assert_true ("of type GVariant 'u': it handles" in e.message);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    Test.assert_expected_messages ();
    /* A tell of another type is dropped: the actor lives on. */
    Test.expect_message ("Pykka", LogLevelFlags.LEVEL_WARNING, "*message of type guint64 *the tell is dropped*");
    try {
        typed.tell ((uint64) 1);
        assert_cmpint ((int) ask (typed, 1), CompareOperator.EQ, 1);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    Test.assert_expected_messages ();
    assert_true (typed.is_alive ());
}

int main (string[] args) {
    Test.init (ref args);

    Test.add_func ("/Pykka/Vala/messages/dispatch", () => { test_dispatch (); stop_all (); });
    Test.add_func ("/Pykka/Vala/messages/subclass", () => { test_subclass (); stop_all (); });
    Test.add_func ("/Pykka/Vala/messages/unhandled", () => { test_unhandled (); stop_all (); });

    return Test.run ();
}
