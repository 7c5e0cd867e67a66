/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* async.vala: waiting for an actor's reply with yield, in a main loop. */

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
    var ok = false;

    try {
        var doubler = new Doubler ().start ();
        ask_doubler.begin (doubler, (obj, res) => {
            ok = ask_doubler.end (res);
            loop.quit ();
        });
        loop.run ();
        Pykka.Registry.stop_all (5000);
    } catch (Error e) {
        printerr ("%s\n", e.message);
    }
    return ok ? 0 : 1;
}
