/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Actors written in Vala, compiled against the generated
 * pykka-glib-1.0.vapi: overrides, errors, asks from blocking and async
 * code, async handlers, events, the registry and own threads. */

const int TIMEOUT_MSEC = 10000;

public class Counter : Pykka.Actor {
    public int total = 0;
    public GenericArray<string> log = new GenericArray<string> ();
    public Thread<void*>? handler_thread = null;

    public override bool on_start () throws GLib.Error {
        log.add ("start");
        return true;
    }

    public override bool on_stop () throws GLib.Error {
        log.add ("stop");
        return true;
    }

    public override void on_failure (GLib.Error error) {
        log.add ("failure: " + error.message);
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        handler_thread = Thread.self<void*> ();
        if (message.holds (typeof (int))) {
            total += message.get_int ();
            reply = total;
            return true;
        }
        if (message.holds (typeof (string))) {
            unowned string command = message.get_string ();
            log.add (command);
            if (command == "fail")
                throw new Pykka.ActorError.INVALID_ARGUMENT ("cannot %s", command);
            if (command == "io")
                throw new IOError.NOT_FOUND ("nothing here");
            if (command == "thread-is-main")
                reply = (Thread.self<void*> () == main_thread);
            else
                reply = command.up ();
            return true;
        }
        if (message.holds (typeof (Object))) {
            reply = message;
            return true;
        }
        throw new Pykka.ActorError.INVALID_ARGUMENT ("unexpected %s", message.type_name ());
    }
}

/* An actor whose handler is a Vala async method: it replies with a future
 * the method completes, so the actor waits for it before the next message. */
public class Slow : Pykka.Actor {
    public GenericArray<string> events = new GenericArray<string> ();

    async int work (int n) throws GLib.Error {
        events.add ("begin %d".printf (n));
        Timeout.add (5, work.callback);
        yield;
        events.add ("end %d".printf (n));
        if (n < 0)
            throw new Pykka.ActorError.INVALID_ARGUMENT ("negative: %d", n);
        return n * 2;
    }

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        var future = new Pykka.Future ();
        work.begin (message.get_int (), (obj, res) => {
            try {
                future.set_value (work.end (res));
            } catch (GLib.Error e) {
                try {
                    future.set_error (e);
                } catch (GLib.Error e2) {
                    GLib.error ("completing a future twice: %s", e2.message);
                }
            }
        });
        reply = future;
        return true;
    }
}

public class Box : Object {
    public string name { get; construct; }

    public Box (string name) {
        Object (name: name);
    }
}

Thread<void*> main_thread;

string joined (GenericArray<string> items) {
    var b = new StringBuilder ();
    for (uint i = 0; i < items.length; i++)
        b.append (i == 0 ? items[i] : "," + items[i]);
    return b.str;
}

/* Runs @loop until an async test quits it; fails if that takes too long. */
void run_loop (MainLoop loop) {
    var timeout = Timeout.add (TIMEOUT_MSEC, () => {
        GLib.error ("test timed out");
    });
    loop.run ();
    Source.remove (timeout);
}

void async_done (MainLoop loop, GLib.Error? failure) {
    if (failure != null)
        GLib.error ("unexpected error: %s", failure.message);
    loop.quit ();
}

void stop_all () {
    try {
        assert_true (Pykka.Registry.stop_all (TIMEOUT_MSEC));
    } catch (GLib.Error e) {
        GLib.error ("stop_all: %s", e.message);
    }
}

void test_ask_blocking () {
    Test.summary ("A Vala actor answers asks; the blocking get iterates the main context");
    try {
        var actor = new Counter ();
        var actor_ref = actor.start ();
        var future = actor_ref.ask (2);
        var v = future.get (TIMEOUT_MSEC);
        assert_cmpint (v.get_int (), CompareOperator.EQ, 2);
        var w = actor_ref.ask (3).get (TIMEOUT_MSEC);
        assert_cmpint (w.get_int (), CompareOperator.EQ, 5);
        var s = actor_ref.ask ("hello").get (TIMEOUT_MSEC);
        assert_cmpstr (s.get_string (), CompareOperator.EQ, "HELLO");
        // get() copies the value out of the temporary future, so the
        // value outlives it even read straight off the chain.
        assert_cmpint (actor_ref.ask (4).get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 9);
        assert_cmpstr (actor_ref.ask ("again").get (TIMEOUT_MSEC).get_string (), CompareOperator.EQ, "AGAIN");
        assert_true (actor_ref.stop_sync (TIMEOUT_MSEC));
        assert_false (actor_ref.is_alive ());
        assert_cmpstr (joined (actor.log), CompareOperator.EQ, string.joinv (",", { "start", "hello", "again", "stop" }));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_tell_and_stop () {
    Test.summary ("Tells are handled in order before the stop; asks after it fail with ACTOR_DEAD");
    try {
        var actor = new Counter ();
        var actor_ref = actor.start ();
        for (int i = 1; i <= 4; i++)
            actor_ref.tell (i);
        actor_ref.tell ("told");
        var stopped = actor_ref.stop ().get (TIMEOUT_MSEC);
        assert_true (stopped.get_boolean ());
        assert_cmpint (actor.total, CompareOperator.EQ, 10);
        assert_cmpstr (joined (actor.log), CompareOperator.EQ, string.joinv (",", { "start", "told", "stop" }));
        try {
            actor_ref.ask (1).get (TIMEOUT_MSEC);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_error (e, Pykka.ActorError.quark (), Pykka.ActorError.ACTOR_DEAD);
        }
        try {
            actor_ref.tell (1);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.ACTOR_DEAD);
        }
        assert_false (actor_ref.stop_sync (TIMEOUT_MSEC));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_errors () {
    Test.summary ("Errors thrown by a Vala handler reach the asker with domain and code; a told error runs on_failure and stops the actor");
    try {
        var actor = new Counter ();
        var actor_ref = actor.start ();
        try {
            actor_ref.ask ("fail").get (TIMEOUT_MSEC);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.INVALID_ARGUMENT);
            assert_cmpstr (e.message, CompareOperator.EQ, "cannot fail");
        }
        try {
            actor_ref.ask ("io").get (TIMEOUT_MSEC);
            assert_not_reached ();
        } catch (IOError e) {
            assert_true (e is IOError.NOT_FOUND);
        }
        assert_true (actor_ref.is_alive ());

        actor_ref.tell ("fail");
        var deadline = get_monotonic_time () + TIMEOUT_MSEC * 1000;
        while (actor_ref.is_alive ()) {
            assert_true (get_monotonic_time () < deadline);
            MainContext.default ().iteration (false);
        }
        assert_cmpstr (actor.log[actor.log.length - 1], CompareOperator.EQ, "failure: cannot fail");
        for (uint i = 0; i < actor.log.length; i++)
            assert_cmpstr (actor.log[i], CompareOperator.NE, "stop");
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_restart_fails () {
    Test.summary ("An actor cannot be started twice");
    var actor = new Counter ();
    try {
        actor.start ().stop_sync (TIMEOUT_MSEC);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    try {
        actor.start ();
        assert_not_reached ();
    } catch (GLib.Error e) {
        assert_error (e, Pykka.ActorError.quark (), Pykka.ActorError.FAILED);
    }
}

async void ask_async () throws GLib.Error {
    var actor_ref = new Counter ().start ();
    var v = yield actor_ref.ask (40).get_async (null);
    assert_cmpint (v.get_int (), CompareOperator.EQ, 40);
    Value? w = yield actor_ref.ask (2).get_async (null);
    assert_cmpint (w.get_int (), CompareOperator.EQ, 42);
    try {
        yield actor_ref.ask ("fail").get_async (null);
        assert_not_reached ();
    } catch (Pykka.ActorError e) {
        assert_true (e is Pykka.ActorError.INVALID_ARGUMENT);
    }
    var stopped = yield actor_ref.stop ().get_async (null);
    assert_true (stopped.get_boolean ());
}

void test_ask_async () {
    Test.summary ("yield future.get_async (null) answers with the value or throws the handler's error");
    var loop = new MainLoop ();
    ask_async.begin ((obj, res) => {
        GLib.Error? failure = null;
        try {
            ask_async.end (res);
        } catch (GLib.Error e) {
            failure = e;
        }
        async_done (loop, failure);
    });
    run_loop (loop);
}

async void async_handler () throws GLib.Error {
    var actor = new Slow ();
    var actor_ref = actor.start ();
    var f1 = actor_ref.ask (1);
    var f2 = actor_ref.ask (2);
    var f3 = actor_ref.ask (-3);
    var v2 = yield f2.get_async (null);
    var v1 = yield f1.get_async (null);
    assert_cmpint (v1.get_int (), CompareOperator.EQ, 2);
    assert_cmpint (v2.get_int (), CompareOperator.EQ, 4);
    try {
        yield f3.get_async (null);
        assert_not_reached ();
    } catch (Pykka.ActorError e) {
        assert_true (e is Pykka.ActorError.INVALID_ARGUMENT);
    }
    assert_cmpstr (joined (actor.events), CompareOperator.EQ, string.joinv (",", { "begin 1", "end 1", "begin 2", "end 2", "begin -3", "end -3" }));
    yield actor_ref.stop ().get_async (null);
}

void test_async_handler () {
    Test.summary ("A handler replying with a future its async method completes suspends the actor until then");
    var loop = new MainLoop ();
    async_handler.begin ((obj, res) => {
        GLib.Error? failure = null;
        try {
            async_handler.end (res);
        } catch (GLib.Error e) {
            failure = e;
        }
        async_done (loop, failure);
    });
    run_loop (loop);
}

void test_object_identity () {
    Test.summary ("A GObject sent as a message comes back as the same object");
    try {
        var actor_ref = new Counter ().start ();
        var box = new Box ("mine");
        var reply = actor_ref.ask (box).get (TIMEOUT_MSEC);
        assert_true (reply.get_object () == box);
        assert_cmpstr (((Box) reply.get_object ()).name, CompareOperator.EQ, "mine");
        actor_ref.stop_sync (TIMEOUT_MSEC);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_own_thread () {
    Test.summary ("A Vala actor with use_own_thread runs on a thread of its own");
    try {
        var actor = (Counter) Object.new (typeof (Counter), use_own_thread: true);
        var actor_ref = actor.start ();
        var v = actor_ref.ask ("thread-is-main").get (TIMEOUT_MSEC);
        assert_false (v.get_boolean ());
        assert_true (actor.handler_thread != null && actor.handler_thread != main_thread);
        assert_true (actor.get_use_own_thread ());
        assert_true (actor.get_context () != MainContext.default ());
        var w = actor_ref.ask (7).get (TIMEOUT_MSEC);
        assert_cmpint (w.get_int (), CompareOperator.EQ, 7);
        assert_true (actor_ref.stop_sync (TIMEOUT_MSEC));

        var here = new Counter ().start ();
        // The value belongs to the future: `var` copies it before the
        // temporary future goes away.
        var on_main = here.ask ("thread-is-main").get (TIMEOUT_MSEC);
        assert_true (on_main.get_boolean ());
        here.stop_sync (TIMEOUT_MSEC);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

/* Asks its peer and waits, on a thread of its own. */
public class Peer : Pykka.Actor {
    public Pykka.ActorRef? other = null;

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        if (message.holds (typeof (Pykka.ActorRef))) {
            other = (Pykka.ActorRef) message.get_object ();
            reply = true;
            return true;
        }
        if (message.holds (typeof (string)) && message.get_string () == "ping" && other != null) {
            try {
                reply = other.ask ("ping").get (TIMEOUT_MSEC);
            } catch (Pykka.ActorError e) {
                reply = e.message;
            }
            return true;
        }
        reply = "pong";
        return true;
    }
}

void test_deadlock_across_threads () {
    Test.summary ("Two own-thread Vala actors that ask each other: the wait that closes the cycle fails at once with DEADLOCK naming both");
    try {
        var a = (Peer) Object.new (typeof (Peer), use_own_thread: true);
        var b = (Peer) Object.new (typeof (Peer), use_own_thread: true);
        var a_ref = a.start ();
        var b_ref = b.start ();
        a_ref.ask (b_ref).get (TIMEOUT_MSEC);
        b_ref.ask (a_ref).get (TIMEOUT_MSEC);
        /* Each passes a ping on to the other. */
        var reply = a_ref.ask ("ping").get (TIMEOUT_MSEC);
        /* a waits for b, which waits for a: b's wait fails, b answers a
         * with the error's text, and a answers us with it. */
        unowned string text = reply.get_string ();
        assert_true (text.has_prefix ("Deadlock: "));
        assert_true (a_ref.get_urn () in text);
        assert_true (b_ref.get_urn () in text);
        a_ref.stop_sync (TIMEOUT_MSEC);
        b_ref.stop_sync (TIMEOUT_MSEC);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_start_race () {
    Test.summary ("Two threads start one Vala actor at once: exactly one gets the ref, the other an error");
    for (int round = 0; round < 200; round++) {
        var actor = new Counter ();
        int started = 0;
        int refused = 0;
        Pykka.ActorRef? winner = null;
        var threads = new Thread<void*>[2];
        for (int t = 0; t < 2; t++) {
            threads[t] = new Thread<void*> ("starter", () => {
                try {
                    var r = actor.start ();
                    AtomicInt.inc (ref started);
                    winner = r;
                } catch (GLib.Error e) {
                    assert_true ("already started" in e.message);
                    AtomicInt.inc (ref refused);
                }
                return null;
            });
        }
        foreach (var thread in threads)
            thread.join ();
        assert_cmpint (started, CompareOperator.EQ, 1);
        assert_cmpint (refused, CompareOperator.EQ, 1);
        try {
            assert_true (winner.stop_sync (TIMEOUT_MSEC));
        } catch (GLib.Error e) {
            GLib.error ("%s", e.message);
        }
        assert_cmpint (actor.log.length, CompareOperator.EQ, 2);  /* start, stop */
    }
}

void test_lifecycle_and_cancel () {
    Test.summary ("Vala sees the start outcome, the alive property and its notify, cancellable asks, and a context's time budget");
    try {
        Pykka.context_set_time_budget (null, 4000);
        assert_cmpuint (Pykka.context_get_time_budget (null), CompareOperator.EQ, 4000);
        Pykka.context_set_time_budget (null, 8000);

        var counter = new Counter ();
        var actor_ref = counter.start ();
        assert_true (actor_ref.get_started ().get (TIMEOUT_MSEC).get_boolean ());
        assert_true (actor_ref.alive);

        var cancellable = new Cancellable ();
        cancellable.cancel ();
        var dropped = actor_ref.ask_cancellable ("never", cancellable);
        try {
            dropped.get (0);
            assert_not_reached ();
        } catch (IOError.CANCELLED e) {
        }

        bool notified = false;
        actor_ref.notify["alive"].connect (() => { notified = true; });
        assert_true (actor_ref.stop_sync (TIMEOUT_MSEC));
        var deadline = get_monotonic_time () + TIMEOUT_MSEC * 1000;
        while (!notified && get_monotonic_time () < deadline)
            MainContext.default ().iteration (false);
        assert_true (notified);
        assert_false (actor_ref.alive);
        assert_true (counter.log.length == 2);  /* start, stop: "never" was never handled */
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

async void events () throws GLib.Error {
    var event = new Pykka.Event ();
    assert_false (event.is_set ());
    assert_false (event.wait (1));
    Timeout.add (5, () => {
        event.set ();
        return Source.REMOVE;
    });
    assert_true (yield event.wait_async (null));
    assert_true (event.is_set ());
    event.clear ();
    assert_false (event.is_set ());
}

void test_events () {
    Test.summary ("Events: set, clear, a blocking wait that times out, yield wait_async");
    var loop = new MainLoop ();
    events.begin ((obj, res) => {
        GLib.Error? failure = null;
        try {
            events.end (res);
        } catch (GLib.Error e) {
            failure = e;
        }
        async_done (loop, failure);
    });
    run_loop (loop);
}

void test_registry () {
    Test.summary ("The registry finds Vala actors by type, type name and urn, broadcasts and stops them all");
    try {
        var a = new Counter ().start ();
        var b = new Counter ().start ();
        var s = new Slow ().start ();
        var counters = Pykka.Registry.get_by_type (typeof (Counter));
        assert_cmpuint (counters.length (), CompareOperator.EQ, 2);
        foreach (var r in counters)
            assert_true (r.get_actor_type () == typeof (Counter));
        assert_cmpuint (Pykka.Registry.get_by_type (typeof (Pykka.Actor)).length (), CompareOperator.EQ, 3);
        assert_cmpuint (Pykka.Registry.get_by_type_name ("Slow").length (), CompareOperator.EQ, 1);
        assert_cmpuint (Pykka.Registry.get_all ().length (), CompareOperator.EQ, 3);
        var found = Pykka.Registry.get_by_urn (a.get_urn ());
        assert_true (found != null && found.get_urn () == a.get_urn ());
        assert_null (Pykka.Registry.get_by_urn ("urn:uuid:none"));
        assert_cmpuint (Pykka.Registry.broadcast (5, typeof (Counter)), CompareOperator.EQ, 2);
        var actor = (Counter) b.dup_actor ();
        var total = b.ask (0).get (TIMEOUT_MSEC);
        assert_cmpint (total.get_int (), CompareOperator.EQ, 5);
        assert_cmpint (actor.total, CompareOperator.EQ, 5);
        assert_true (Pykka.Registry.stop_all (TIMEOUT_MSEC));
        assert_cmpuint (Pykka.Registry.get_all ().length (), CompareOperator.EQ, 0);
        assert_false (a.is_alive () || b.is_alive () || s.is_alive ());
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_futures () {
    Test.summary ("Futures from Vala: for_value, for_error, set twice, map with a lambda, get_all");
    try {
        var f = new Pykka.Future.for_value (20);
        var mapped = f.map ((v, out r) => {
            r = v.get_int () + 1;
            return true;
        });
        assert_cmpint (mapped.get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 21);

        var g = new Pykka.Future ();
        g.set_value ("once");
        try {
            g.set_value ("twice");
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.ALREADY_SET);
        }
        assert_cmpstr (g.get (0).get_string (), CompareOperator.EQ, "once");

        var failed = new Pykka.Future.for_error (new Pykka.ActorError.TIMEOUT ("late"));
        try {
            failed.get (0);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.TIMEOUT);
        }

        var all = Pykka.Future.get_all ({ f, g }, TIMEOUT_MSEC);
        assert_cmpuint (all.length, CompareOperator.EQ, 2);
        assert_cmpint (all[0].get_int (), CompareOperator.EQ, 20);
        assert_cmpstr (all[1].get_string (), CompareOperator.EQ, "once");
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

/* Records the deaths it is told of (death watch). */
public class Monitor : Pykka.Actor {
    public GenericArray<string> told = new GenericArray<string> ();

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = Value (typeof (int));
        if (message.holds (typeof (Pykka.Terminated))) {
            unowned Pykka.Terminated terminated = (Pykka.Terminated) message.get_boxed ();
            unowned GLib.Error? reason = terminated.get_reason ();
            told.add ("%s %s".printf (terminated.get_actor_ref ().get_urn (),
                                      reason == null ? "stopped" : reason.message));
        }
        reply = told.length;
        return true;
    }
}

void test_death_watch () {
    Test.summary ("A Vala watcher is told once per death with the reason; kill jumps the queue; the terminated future");
    try {
        var monitor = new Monitor ();
        var monitor_ref = monitor.start ();
        var stopped = new Counter ().start ();
        var failed = new Counter ().start ();
        var killed = new Counter ().start ();
        monitor.watch (stopped);
        monitor.watch (failed);
        monitor.watch (killed);
        monitor.watch (stopped);
        var terminated = killed.get_terminated ();
        assert_true (stopped.stop_sync (TIMEOUT_MSEC));
        failed.tell ("fail");
        var queued = killed.ask (1);
        assert_true (killed.kill ());
        try {
            queued.get (TIMEOUT_MSEC);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.ACTOR_DEAD);
        }
        var news = (Pykka.Terminated) terminated.get (TIMEOUT_MSEC).get_boxed ();
        assert_true (news.get_actor_ref () == killed);
        for (int i = 0; i < 1000 && monitor_ref.ask (0).get (TIMEOUT_MSEC).get_int () < 3; i++)
            Thread.usleep (1000);
        Thread.usleep (20000);
        assert_cmpint (monitor_ref.ask (0).get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 3);
        var all = joined (monitor.told);
        assert_true (all.contains (stopped.get_urn () + " stopped"));
        assert_true (all.contains (failed.get_urn () + " a told message failed: cannot fail"));
        assert_true (all.contains (killed.get_urn () + " killed"));
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_supervision () {
    Test.summary ("A Vala child made by a factory is restarted behind the same ref; the supervisor stops it");
    try {
        int made = 0;
        var sup = new Pykka.Supervisor (Pykka.RestartStrategy.ONE_FOR_ONE, 3, 60000);
        var sup_ref = sup.start ();
        var child = sup.start_child (() => {
            made++;
            return new Counter ();
        });
        var urn = child.get_urn ();
        assert_cmpint (child.ask (5).get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 5);
        child.tell ("fail");
        /* The new instance starts from 0 again. */
        assert_cmpint (child.ask (1).get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 1);
        assert_cmpint (made, CompareOperator.EQ, 2);
        assert_cmpstr (child.get_urn (), CompareOperator.EQ, urn);
        assert_true (child.is_alive ());
        assert_true (sup_ref.stop_sync (TIMEOUT_MSEC));
        assert_false (child.is_alive ());
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

/* Takes its replies as handles and answers the first two once the second
 * message arrived: a mailbox that waited would deadlock. */
public class Pairing : Pykka.Actor {
    Pykka.Future? first = null;
    int first_value = 0;

    public override bool on_receive (GLib.Value message, out GLib.Value reply) throws GLib.Error {
        reply = Value (typeof (int));
        var handle = defer_reply ();
        int v = message.get_int ();
        if (first == null) {
            first = handle;
            first_value = v;
            return true;
        }
        first.set_value (first_value + v);
        handle.set_value (first_value * v);
        first = null;
        return true;
    }
}

void test_deferred_reply () {
    Test.summary ("A Vala handler defers its reply and answers it from a later message");
    try {
        var pairing = new Pairing ().start ();
        var a = pairing.ask (3);
        var b = pairing.ask (4);
        assert_cmpint (a.get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 7);
        assert_cmpint (b.get (TIMEOUT_MSEC).get_int (), CompareOperator.EQ, 12);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_timers () {
    Test.summary ("A Vala actor's timers on a virtual clock: once, periodic, cancelled, gone with the actor");
    var context = new MainContext ();
    Pykka.context_use_virtual_clock (context);
    context.push_thread_default ();
    try {
        var counter = new Counter ();
        var counter_ref = counter.start ();
        counter.start_timer ("once", 60000, 0, 100);
        var tick = counter.start_timer (null, 10, 10, 1);
        for (int i = 0; i < 3; i++) {
            Pykka.context_advance_clock (context, 10);
            while (context.iteration (false));
        }
        assert_cmpint (counter.total, CompareOperator.EQ, 3);
        assert_true (counter.cancel_timer (tick));
        Pykka.context_advance_clock (context, 60000);
        while (context.iteration (false));
        assert_cmpint (counter.total, CompareOperator.EQ, 103);
        var stopped = counter_ref.stop ();
        while (!stopped.is_done ())
            context.iteration (true);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    context.pop_thread_default ();
}

void test_children_and_dead_letters () {
    Test.summary ("A Vala parent's children stop first; a tell to a dead actor is a counted dead letter");
    try {
        var parent = new Monitor ();
        var parent_ref = parent.start ();
        var child = parent.start_child (new Counter ());
        assert_true (child.is_alive ());
        assert_true (parent_ref.stop_sync (TIMEOUT_MSEC));
        assert_false (child.is_alive ());
        var before = Pykka.debug_get_dead_letters ();
        try {
            child.tell (1);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.ACTOR_DEAD);
        }
        assert_true (Pykka.debug_get_dead_letters () == before + 1);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
}

void test_bounded_mailbox () {
    Test.summary ("A Vala actor's bounded mailbox refuses with MAILBOX_FULL; latest-wins tells replace");
    var context = new MainContext ();
    context.push_thread_default ();
    try {
        var counter = (Counter) Object.new (typeof (Counter), "mailbox-capacity", 2,
                                            "overflow-policy", Pykka.OverflowPolicy.FAIL);
        var counter_ref = counter.start ();
        while (context.iteration (false));
        counter_ref.tell (1);
        counter_ref.tell (2);
        try {
            counter_ref.tell (3);
            assert_not_reached ();
        } catch (Pykka.ActorError e) {
            assert_true (e is Pykka.ActorError.MAILBOX_FULL);
        }
        while (context.iteration (false));
        for (int p = 1; p <= 5; p++)
            counter_ref.tell_latest ("progress", p * 100);
        while (context.iteration (false));
        assert_cmpint (counter.total, CompareOperator.EQ, 503);
        var stopped = counter_ref.stop ();
        while (!stopped.is_done ())
            context.iteration (true);
    } catch (GLib.Error e) {
        GLib.error ("%s", e.message);
    }
    context.pop_thread_default ();
}

int main (string[] args) {
    Test.init (ref args);
    main_thread = Thread.self<void*> ();

    Test.add_func ("/Pykka/Vala/ask-blocking", () => { test_ask_blocking (); stop_all (); });
    Test.add_func ("/Pykka/Vala/tell-and-stop", () => { test_tell_and_stop (); stop_all (); });
    Test.add_func ("/Pykka/Vala/errors", () => { test_errors (); stop_all (); });
    Test.add_func ("/Pykka/Vala/restart-fails", () => { test_restart_fails (); stop_all (); });
    Test.add_func ("/Pykka/Vala/ask-async", () => { test_ask_async (); stop_all (); });
    Test.add_func ("/Pykka/Vala/async-handler", () => { test_async_handler (); stop_all (); });
    Test.add_func ("/Pykka/Vala/object-identity", () => { test_object_identity (); stop_all (); });
    Test.add_func ("/Pykka/Vala/own-thread", () => { test_own_thread (); stop_all (); });
    Test.add_func ("/Pykka/Vala/events", () => { test_events (); stop_all (); });
    Test.add_func ("/Pykka/Vala/registry", () => { test_registry (); stop_all (); });
    Test.add_func ("/Pykka/Vala/futures", () => { test_futures (); stop_all (); });
    Test.add_func ("/Pykka/Vala/deadlock-across-threads", () => { test_deadlock_across_threads (); stop_all (); });
    Test.add_func ("/Pykka/Vala/start-race", () => { test_start_race (); stop_all (); });
    Test.add_func ("/Pykka/Vala/lifecycle-and-cancel", () => { test_lifecycle_and_cancel (); stop_all (); });
    Test.add_func ("/Pykka/Vala/death-watch", () => { test_death_watch (); stop_all (); });
    Test.add_func ("/Pykka/Vala/supervision", () => { test_supervision (); stop_all (); });
    Test.add_func ("/Pykka/Vala/deferred-reply", () => { test_deferred_reply (); stop_all (); });
    Test.add_func ("/Pykka/Vala/timers", () => { test_timers (); stop_all (); });
    Test.add_func ("/Pykka/Vala/bounded-mailbox", () => { test_bounded_mailbox (); stop_all (); });
    Test.add_func ("/Pykka/Vala/children-and-dead-letters", () => { test_children_and_dead_letters (); stop_all (); });

    return Test.run ();
}
