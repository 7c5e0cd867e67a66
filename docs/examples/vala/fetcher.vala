/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Async Vala with actors: a handler replies with a future that an async
 * method completes (the actor takes no other message until then), and
 * callers `yield` on futures.
 *
 *     valac --pkg pykka-glib-1.0 fetcher.vala && ./fetcher
 */

public class Fetcher : Pykka.Actor {
    async string fetch (string url) throws GLib.Error {
        print ("fetcher: fetching %s\n", url);
        Timeout.add (10, fetch.callback);  // Stands for real I/O.
        yield;
        if (url.has_prefix ("bad:"))
            throw new IOError.NOT_FOUND ("cannot fetch %s", url);
        print ("fetcher: done with %s\n", url);
        return "<contents of %s>".printf (url);
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        var future = new Pykka.Future ();
        fetch.begin (message.get_string (), (obj, res) => {
            try {
                try {
                    future.set_value (fetch.end (res));
                } catch (GLib.Error e) {
                    future.set_error (e);
                }
            } catch (GLib.Error e) {
                assert_not_reached ();  // Completed here only, once.
            }
        });
        reply = future;
        return true;
    }
}

async void run (Pykka.ActorRef fetcher) throws GLib.Error {
    // Both asks are queued at once; the actor takes one at a time.
    var a = fetcher.ask ("https://example.org/a");
    var b = fetcher.ask ("https://example.org/b");
    var body_b = yield b.get_async (null);
    var body_a = yield a.get_async (null);
    print ("main: got %s and %s\n", body_a.get_string (), body_b.get_string ());

    try {
        yield fetcher.ask ("bad:url").get_async (null);
    } catch (IOError e) {
        print ("main: IOError: %s\n", e.message);
    }

    var stopped = yield fetcher.stop ().get_async (null);
    print ("main: stopped: %s\n", stopped.get_boolean ().to_string ());
}

int main () {
    var loop = new MainLoop ();
    int status = 0;
    try {
        var fetcher = new Fetcher ().start ();
        run.begin (fetcher, (obj, res) => {
            try {
                run.end (res);
            } catch (GLib.Error e) {
                printerr ("failed: %s\n", e.message);
                status = 1;
            }
            loop.quit ();
        });
        loop.run ();
    } catch (GLib.Error e) {
        printerr ("failed: %s\n", e.message);
        return 1;
    }
    print ("main: finished\n");
    return status;
}
