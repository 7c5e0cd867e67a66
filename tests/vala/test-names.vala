/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Names of actors from Vala (issue 15.5), through the generated
 * pykka-glib-1.0.vapi: register_name throws Pykka.ActorError,
 * lookup_name is nullable, dup_names is a string[]. */

const int TIMEOUT_MSEC = 10000;

public class Echo : Pykka.Actor {
    public bool name_free_in_stop = false;

    public override bool on_stop () throws GLib.Error {
        name_free_in_stop = Pykka.Registry.lookup_name ("echo") == null;
        return true;
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = message;
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

void test_register_and_lookup () {
    Test.summary ("A name finds its actor; again for the same actor is fine; an actor may have several; unregister_name frees one");
    try {
        var echo = new Echo ().start ();
        assert_null (Pykka.Registry.lookup_name ("echo"));
        assert_true (Pykka.Registry.register_name ("echo", echo));
        Pykka.ActorRef? found = Pykka.Registry.lookup_name ("echo");
        assert_true (found == echo);
        assert_true (Pykka.Registry.register_name ("echo", echo));
        assert_true (Pykka.Registry.register_name ("écho", echo));
        string[] names = Pykka.Registry.dup_names (echo);
        assert_cmpuint (names.length, CompareOperator.EQ, 2);
        assert_cmpstr (names[0], CompareOperator.EQ, "echo");
        assert_cmpstr (names[1], CompareOperator.EQ, "écho");
        assert_true (Pykka.Registry.unregister_name ("écho"));
        assert_false (Pykka.Registry.unregister_name ("écho"));
        assert_cmpuint (Pykka.Registry.dup_names (echo).length, CompareOperator.EQ, 1);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_taken_dead_invalid () {
    Test.summary ("Another actor gets NAME_TAKEN naming the holder; a stopped actor ACTOR_DEAD; an empty name INVALID_ARGUMENT");
    Pykka.ActorRef? first = null, second = null;
    try {
        first = new Echo ().start ();
        second = new Echo ().start ();
        Pykka.Registry.register_name ("echo", first);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    try {
        Pykka.Registry.register_name ("echo", second);
        assert_not_reached ();
    } catch (Pykka.ActorError e) {
        assert_true (e is Pykka.ActorError.NAME_TAKEN);
        assert_true (e.message.contains ("echo") && e.message.contains (first.get_urn ()));
    }
    try {
        Pykka.Registry.register_name ("", second);
        assert_not_reached ();
    } catch (Pykka.ActorError e) {
        assert_true (e is Pykka.ActorError.INVALID_ARGUMENT);
    }
    try {
        assert_true (second.stop_sync (TIMEOUT_MSEC));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    try {
        Pykka.Registry.register_name ("late", second);
        assert_not_reached ();
    } catch (Pykka.ActorError e) {
        assert_true (e is Pykka.ActorError.ACTOR_DEAD);
    }
}

void test_freed_on_stop () {
    Test.summary ("The name is free once the actor stops (in on_stop already) or is killed, for a successor to take");
    try {
        var echo = new Echo ().start ();
        var actor = (Echo) echo.dup_actor ();
        var successor = new Echo ().start ();
        Pykka.Registry.register_name ("echo", echo);
        assert_true (echo.stop_sync (TIMEOUT_MSEC));
        assert_true (actor.name_free_in_stop);
        assert_null (Pykka.Registry.lookup_name ("echo"));
        Pykka.Registry.register_name ("echo", successor);
        assert_true (Pykka.Registry.lookup_name ("echo") == successor);
        assert_true (successor.kill ());
        assert_null (Pykka.Registry.lookup_name ("echo"));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

int main (string[] args) {
    Test.init (ref args);

    Test.add_func ("/Pykka/Vala/names/register-and-lookup", () => { test_register_and_lookup (); stop_all (); });
    Test.add_func ("/Pykka/Vala/names/taken-dead-invalid", () => { test_taken_dead_invalid (); stop_all (); });
    Test.add_func ("/Pykka/Vala/names/freed-on-stop", () => { test_freed_on_stop (); stop_all (); });

    return Test.run ();
}
