/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The smallest actor in Vala.
 *
 *     valac --pkg gio-2.0 --pkg pykka-glib-1.0 greeter.vala && ./greeter
 */

class Greeter : Pykka.Actor {
    public override bool on_receive (Value message, out Value reply) throws Error {
        reply = "Hi there, %s!".printf ((string) message);
        return true;
    }
}

int main () {
    try {
        var greeter = new Greeter ().start ();
        var answer = greeter.ask ("Alice");
        print ("%s\n", (string) answer.get (5000));  // Hi there, Alice!
        greeter.stop_sync (5000);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return 0;
}
