/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* An actor written in Vala: it keeps a count, answers asks, fails an ask
 * with an error, runs on a thread of its own and is found in the
 * registry.
 *
 *     valac --pkg pykka-glib-1.0 tour.vala && ./tour
 */

public class Greeter : Pykka.Actor {
    int greeted = 0;

    public override bool on_start () throws GLib.Error {
        print ("greeter: started\n");
        return true;
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        unowned string? name = message.get_string ();
        if (name == null || name == "")
            throw new Pykka.ActorError.INVALID_ARGUMENT ("no name given");
        greeted++;
        reply = "Hello, %s! (greeting #%d)".printf (name, greeted);
        return true;
    }

    public override bool on_stop () throws GLib.Error {
        print ("greeter: stopping after %d greetings\n", greeted);
        return true;
    }
}

int main () {
    try {
        // A thread of its own, like Pykka's ThreadingActor.
        var actor = (Greeter) Object.new (typeof (Greeter), use_own_thread: true);
        var greeter = actor.start ();

        // The value belongs to the future: `var` keeps a copy.
        var hello = greeter.ask ("Ada").get (5000);
        print ("%s\n", hello.get_string ());

        // Tells are handled in order, before anything sent later.
        greeter.tell ("Grace");
        var again = greeter.ask ("Linus").get (5000);
        print ("%s\n", again.get_string ());

        // The handler's error reaches the asker.
        try {
            greeter.ask ("").get (5000);
        } catch (Pykka.ActorError e) {
            print ("error: %s (INVALID_ARGUMENT: %s)\n", e.message,
                   (e is Pykka.ActorError.INVALID_ARGUMENT).to_string ());
        }

        var found = Pykka.Registry.get_by_type (typeof (Greeter));
        print ("greeters running: %u\n", found.length ());

        greeter.stop_sync (5000);
        print ("alive after stop: %s\n", greeter.is_alive ().to_string ());
    } catch (GLib.Error e) {
        printerr ("failed: %s\n", e.message);
        return 1;
    }
    return 0;
}
