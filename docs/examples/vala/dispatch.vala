/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Handlers by message type: each gets only messages of its type, so a
 * wrong cast such as (int) on a string cannot happen, and a message of
 * another type fails the ask with a clear Pykka.ActorError.
 *
 *     valac --pkg gio-2.0 --pkg pykka-glib-1.0 dispatch.vala && ./dispatch
 */

class Calculator : Pykka.Actor {
    int total = 0;

    class construct {
        add_handler (typeof (int), on_int);
        add_handler (typeof (string), on_command);
        add_variant_handler ("(sii)", on_operation);
    }

    static bool on_int (Pykka.Actor actor, Value message, out Value reply) throws Error {
        var self = (Calculator) actor;
        self.total += (int) message;
        reply = self.total;
        return true;
    }

    static bool on_command (Pykka.Actor actor, Value message, out Value reply) throws Error {
        reply = Value (typeof (int));
        if ((string) message != "reset")
            throw new IOError.INVALID_ARGUMENT ("Unknown command “%s”", (string) message);
        ((Calculator) actor).total = 0;
        return true;
    }

    static bool on_operation (Pykka.Actor actor, Value message, out Value reply) throws Error {
        string op;
        int a, b;
        ((Variant) message).get ("(sii)", out op, out a, out b);
        reply = op == "*" ? a * b : a + b;
        return true;
    }
}

int main () {
    try {
        var calculator = new Calculator ().start ();
        print ("total: %d\n", (int) calculator.ask (5).get (5000));  // total: 5
        print ("6 * 7 = %d\n", (int) calculator.ask (new Variant ("(sii)", "*", 6, 7)).get (5000));
        try {
            calculator.ask (2.5).get (5000);
        } catch (Pykka.ActorError.INVALID_ARGUMENT e) {
            // Actor Calculator (urn:uuid:…) has no handler for a message of type gdouble: …
            print ("%s\n", e.message);
        }
        print ("still alive: %s\n", calculator.is_alive ().to_string ());
        calculator.stop_sync (5000);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return 0;
}
