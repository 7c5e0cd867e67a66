/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A supervisor restarts a failed worker behind the same ref.
 *
 *     valac --pkg gio-2.0 --pkg pykka-glib-1.0 supervision.vala && ./supervision
 */

int instances = 0;

class Worker : Pykka.Actor {
    int instance = ++instances;

    public override bool on_receive (Value message, out Value reply) throws Error {
        if ((string) message == "crash")
            throw new Pykka.ActorError.FAILED ("crashed on purpose");
        reply = instance;
        return true;
    }
}

int main () {
    try {
        var supervisor = new Pykka.Supervisor (Pykka.RestartStrategy.ONE_FOR_ONE, 3, 5000);
        var supervisor_ref = supervisor.start ();
        // The factory makes each instance: the first, and one per restart.
        var worker = supervisor.start_child (() => new Worker ());
        print ("%d\n", (int) worker.ask ("who").get (5000));  // 1
        worker.tell ("crash");
        print ("%d\n", (int) worker.ask ("who").get (5000));  // 2: the same ref, a new instance
        supervisor_ref.stop_sync (5000);  // stops its children first
        print ("%s\n", worker.is_alive ().to_string ());  // false
    } catch (Error e) {
        printerr ("%s\n", e.message);
        return 1;
    }
    return 0;
}
