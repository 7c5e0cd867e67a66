/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Waiting for a reply with yield, without blocking the main loop.
 *
 *     valac --pkg gio-2.0 --pkg pykka-glib-1.0 async.vala && ./async
 */

class Doubler : Pykka.Actor {
    public override bool on_receive (Value message, out Value reply) throws Error {
        reply = 2 * (int) message;
        return true;
    }
}

async bool ask_doubler (Pykka.ActorRef doubler) {
    try {
        var future = doubler.ask (21);
        unowned Value? doubled = yield future.get_async (null);
        print ("%d\n", (int) doubled);  // 42
        return true;
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return false;
    }
}

int main () {
    var loop = new MainLoop ();
    bool ok = false;
    try {
        var doubler = new Doubler ().start ();
        ask_doubler.begin (doubler, (obj, res) => {
            ok = ask_doubler.end (res);
            loop.quit ();
        });
        loop.run ();
        doubler.stop_sync (5000);
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return ok ? 0 : 1;
}
