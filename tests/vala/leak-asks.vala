/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Leak check (suite 'slow'): 100 000 asks from Vala to a Vala actor, each
 * handing a value back (a string and a GObject), must not grow the
 * resident set beyond noise. Three loops: blocking get (), yield
 * get_async (), and an async handler replying with a future. Prints the
 * RSS figures as TAP comments.
 *
 *     vala-leak-asks [N] */

public class Echo : Pykka.Actor {
    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        var item = (Item) message.get_object ();
        reply = new Item ("reply %d".printf (item.n), item.n);
        return true;
    }
}

public class AsyncEcho : Pykka.Actor {
    async Item answer (Item item) {
        Idle.add (answer.callback);
        yield;
        return new Item ("reply %d".printf (item.n), item.n);
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        var future = new Pykka.Future ();
        answer.begin ((Item) message.get_object (), (obj, res) => {
            try {
                future.set_value (answer.end (res));
            } catch (GLib.Error e) {
                GLib.error ("%s", e.message);
            }
        });
        reply = future;
        return true;
    }
}

public class Item : Object {
    public string text;
    public int n;

    public Item (string text, int n) {
        this.text = text;
        this.n = n;
    }
}

int N;
const int LIMIT_KB = 4096;

long rss_kb () {
    string status;
    try {
        FileUtils.get_contents ("/proc/self/status", out status);
    } catch (FileError e) {
        GLib.error ("%s", e.message);
    }
    foreach (unowned string line in status.split ("\n")) {
        if (line.has_prefix ("VmRSS:"))
            return long.parse (line.substring (6).strip ().split (" ")[0]);
    }
    return -1;
}

void blocking_loop (Pykka.ActorRef target, int n) throws GLib.Error {
    for (int i = 0; i < n; i++) {
        var reply = target.ask (new Item ("message %d".printf (i), i)).get (10000);
        if (((Item) reply.get_object ()).n != i)
            GLib.error ("wrong reply for %d", i);
    }
}

async void async_loop (Pykka.ActorRef target, int n) throws GLib.Error {
    for (int i = 0; i < n; i++) {
        var reply = yield target.ask (new Item ("message %d".printf (i), i)).get_async (null);
        if (((Item) reply.get_object ()).n != i)
            GLib.error ("wrong reply for %d", i);
    }
}

void run_async_loop (Pykka.ActorRef target, int n) {
    var loop = new MainLoop ();
    async_loop.begin (target, n, (obj, res) => {
        try {
            async_loop.end (res);
        } catch (GLib.Error e) {
            GLib.error ("%s", e.message);
        }
        loop.quit ();
    });
    loop.run ();
}

int report (int number, string name, long before, long after, double secs) {
    long growth = after - before;
    print ("# %s: %d asks in %.2f s; RSS before %ld kB, after %ld kB, growth %ld kB\n",
           name, N, secs, before, after, growth);
    print ("%s %d %s: RSS growth %ld kB (limit %d kB)\n",
           growth < LIMIT_KB ? "ok" : "not ok", number, name, growth, LIMIT_KB);
    return growth < LIMIT_KB ? 0 : 1;
}

int main (string[] args) {
    N = args.length > 1 ? int.parse (args[1]) : 100000;
    int warmup = int.min (10000, N);
    int status = 0;

    try {
        var echo = new Echo ().start ();
        var async_echo = new AsyncEcho ().start ();
        print ("1..3\n");

        blocking_loop (echo, warmup);
        var before = rss_kb ();
        var t0 = get_monotonic_time ();
        blocking_loop (echo, N);
        status |= report (1, "blocking get", before, rss_kb (), (get_monotonic_time () - t0) / 1e6);

        run_async_loop (echo, warmup);
        before = rss_kb ();
        t0 = get_monotonic_time ();
        run_async_loop (echo, N);
        status |= report (2, "yield get_async", before, rss_kb (), (get_monotonic_time () - t0) / 1e6);

        run_async_loop (async_echo, warmup);
        before = rss_kb ();
        t0 = get_monotonic_time ();
        run_async_loop (async_echo, N);
        status |= report (3, "async handler", before, rss_kb (), (get_monotonic_time () - t0) / 1e6);

        Pykka.Registry.stop_all (10000);
    } catch (GLib.Error e) {
        printerr ("failed: %s\n", e.message);
        return 1;
    }
    return status;
}
