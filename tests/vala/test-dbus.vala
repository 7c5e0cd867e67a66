/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A remote ref from Vala (issue 17.2): an actor of the C test module in
 * pykka-glib-host, asked through Pykka.RemoteRef and the vapi. */

const int TIMEOUT_MSEC = 10000;

void test_remote_ask () {
    try {
        var remote = Pykka.subprocess_start_actor (Environment.get_variable ("TEST_DBUS_MODULE"),
                                                   "TestHostActor");
        assert_true (remote.is_alive ());
        var reply = remote.ask (41).get (TIMEOUT_MSEC);
        assert_true (reply.get_int () == 42);
        var pid = remote.ask ("pid").get (TIMEOUT_MSEC);
        assert_true (pid.get_string () == remote.get_subprocess ().get_identifier ());
        assert_true (remote.stop ().get (TIMEOUT_MSEC).get_boolean ());
        assert_false (remote.is_alive ());
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_remote_error () {
    try {
        var remote = Pykka.subprocess_start_actor (Environment.get_variable ("TEST_DBUS_MODULE"),
                                                   "TestHostActor");
        try {
            remote.ask (2.5).get (TIMEOUT_MSEC);
            assert_not_reached ();
        } catch (GLib.Error e) {
            assert_true (e is Pykka.ActorError.INVALID_ARGUMENT);
        }
        remote.stop ().get (TIMEOUT_MSEC);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/Pykka/Vala/remote-ask", test_remote_ask);
    Test.add_func ("/Pykka/Vala/remote-error", test_remote_error);
    return Test.run ();
}
