// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Actors written in JavaScript: subclassing, messages, replies, errors,
// futures, events, the registry and threads. Runs with the override folder
// on GJS's search path (gjs -I introspection/js), as after installation.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, sleep, until} from './harness.js';

const Recorder = GObject.registerClass(
class Recorder extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.log = [];
    }

    vfunc_on_start() {
        this.log.push('start');
        return true;
    }

    vfunc_on_stop() {
        this.log.push('stop');
        return true;
    }

    vfunc_on_failure(error) {
        this.log.push(`failure: ${error.message}`);
    }

    vfunc_on_receive(message) {
        this.log.push(message);
        if (message?.command === 'throw-gerror')
            throw new GLib.Error(Pykka.Error, Pykka.Error.INVALID_ARGUMENT, 'bad argument');
        if (message?.command === 'throw-js')
            throw new TypeError('not a number');
        if (message?.command === 'fail-silently')
            return [false, null];
        if (message?.command === 'none')
            return undefined;
        if (message?.command === 'plain')
            return message.value;
        return [true, message];
    }
});

test('ask replies with the very same JS object', () => {
    const ref = new Recorder().start();
    const message = {hello: 'world', nested: {n: 1}};
    const reply = ref.ask(message).get(5000);
    assert.equal(reply, message, 'identity');
    ref.stop_sync(5000);
});

test('scalars, strings, big numbers and variants travel', () => {
    const ref = new Recorder().start();
    assert.equal(ref.ask(42).get(5000), 42);
    assert.equal(ref.ask('text').get(5000), 'text');
    assert.equal(ref.ask(2 ** 40).get(5000), 2 ** 40);
    assert.equal(ref.ask(true).get(5000), true);
    const v = ref.ask(new GLib.Variant('as', ['a', 'b'])).get(5000);
    assert.deepEqual(v.deepUnpack(), ['a', 'b']);
    const wrapped = ref.ask({items: [1, 2, 3]}).get(5000);
    assert.deepEqual(wrapped.items, [1, 2, 3]);
    // Bare arrays too, to an actor written in JavaScript (test-values.js).
    const list = [1, 2, 3];
    assert.equal(ref.ask(list).get(5000), list);
    ref.stop_sync(5000);
});

test('a handler may return the reply itself, or nothing', () => {
    const ref = new Recorder().start();
    assert.equal(ref.ask({command: 'plain', value: 7}).get(5000), 7);
    assert.equal(ref.ask({command: 'none'}).get(5000), null);
    ref.stop_sync(5000);
});

test('tell is handled in order, on_start first, on_stop last', async () => {
    const actor = new Recorder();
    const ref = actor.start();
    for (let i = 0; i < 5; i++)
        ref.tell(i);
    assert.ok(await ref.stop().get_async(null), 'stop reports it stopped the actor');
    assert.deepEqual(actor.log, ['start', 0, 1, 2, 3, 4, 'stop']);
    assert.ok(!ref.is_alive());
});

test('a thrown GLib.Error reaches the asker with its domain and code', async () => {
    const ref = new Recorder().start();
    const e = await assert.throws(() => ref.ask({command: 'throw-gerror'}).get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.INVALID_ARGUMENT);
    assert.equal(e.message, 'bad argument');
    // The actor lives on after a failed ask.
    assert.ok(ref.is_alive());
    assert.equal(ref.ask(1).get(5000), 1);
    ref.stop_sync(5000);
});

test('a thrown JS Error reaches the asker as an error of the same class', async () => {
    const ref = new Recorder().start();
    const e = await assert.throws(() => ref.ask({command: 'throw-js'}).get_async(null));
    assert.ok(e instanceof TypeError, `a TypeError (${e})`);
    assert.ok(e.message.includes('not a number'));
    const e2 = await assert.throws(() => ref.ask({command: 'throw-js'}).get(5000));
    assert.ok(e2 instanceof TypeError, `blocking get: a TypeError (${e2})`);
    ref.stop_sync(5000);
});

test('[false, null] without an error fails with FAILED naming the actor', () => {
    const ref = new Recorder().start();
    const e = assert.throws(() => ref.ask({command: 'fail-silently'}).get(5000));
    return e.then(err => {
        assert.gerror(err, Pykka.Error, Pykka.Error.FAILED);
        assert.ok(err.message.includes('Recorder'), `names the actor: ${err.message}`);
        assert.ok(err.message.includes(ref.get_urn()), `names the urn: ${err.message}`);
        ref.stop_sync(5000);
    });
});

test('an error in a told message runs on_failure and stops the actor', async () => {
    const actor = new Recorder();
    const ref = actor.start();
    ref.tell({command: 'throw-gerror'});
    await until(() => !ref.is_alive(), 'the actor to die');
    assert.equal(actor.log.at(-1), 'failure: bad argument');
    assert.ok(!actor.log.includes('stop'), 'no on_stop after a failure');
    const e = await assert.throws(() => ref.ask(1).get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.ACTOR_DEAD);
    assert.gerror(await assert.throws(() => ref.tell(1)), Pykka.Error, Pykka.Error.ACTOR_DEAD);
});

test('an actor cannot be restarted', async () => {
    const actor = new Recorder();
    const ref = actor.start();
    ref.stop_sync(5000);
    const e = await assert.throws(() => actor.start());
    assert.gerror(e, Pykka.Error, Pykka.Error.FAILED);
});

const Slow = GObject.registerClass(
class Slow extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.events = [];
    }

    async vfunc_on_receive(message) {
        this.events.push(`begin ${message.n}`);
        await sleep(message.delay ?? 5);
        this.events.push(`end ${message.n}`);
        if (message.reject === 'gerror')
            throw new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT, `late ${message.n}`);
        if (message.reject === 'js')
            throw new RangeError(`out of range ${message.n}`);
        return {n: message.n, doubled: message.n * 2, original: message};
    }
});

test('an async handler suspends the actor until its promise settles', async () => {
    const actor = new Slow();
    const ref = actor.start();
    const m1 = {n: 1, delay: 30};
    const f1 = ref.ask(m1);
    const f2 = ref.ask({n: 2});
    const [r1, r2] = await Promise.all([f1.get_async(null), f2.get_async(null)]);
    assert.equal(r1.doubled, 2);
    assert.equal(r1.original, m1, 'identity through an async reply');
    assert.equal(r2.doubled, 4);
    assert.deepEqual(actor.events, ['begin 1', 'end 1', 'begin 2', 'end 2']);
    ref.stop_sync(5000);
});

test('an async handler that rejects answers the ask with the error', async () => {
    const ref = new Slow().start();
    const e1 = await assert.throws(() => ref.ask({n: 3, reject: 'gerror'}).get_async(null));
    assert.gerror(e1, Pykka.Error, Pykka.Error.TIMEOUT);
    assert.equal(e1.message, 'late 3');
    const e2 = await assert.throws(() => ref.ask({n: 4, reject: 'js'}).get_async(null));
    assert.ok(e2 instanceof RangeError, `a RangeError (${e2})`);
    assert.ok(e2.message.includes('out of range 4'));
    assert.equal((await ref.ask({n: 5}).get_async(null)).doubled, 10, 'lives on');
    ref.stop_sync(5000);
});

const Narcissus = GObject.registerClass(
class Narcissus extends Pykka.Actor {
    async vfunc_on_receive(message) {
        if (message === 'inner')
            return 'inner';
        return await this.actor_ref.ask('inner').get_async(null);
    }
});

test('an async handler that awaits its own actor fails at once with DEADLOCK', async () => {
    const ref = new Narcissus().start();
    const e = await assert.throws(() => ref.ask('outer').get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.DEADLOCK);
    assert.ok(e.message.includes(ref.get_urn()), `names the actor: ${e.message}`);
    assert.equal(await ref.ask('inner').get_async(null), 'inner', 'lives on');
    ref.stop_sync(5000);
});

test('a cancelled ask still queued fails at once with CANCELLED and is never handled', async () => {
    const actor = new Slow();
    const ref = actor.start();
    const busy = ref.ask({n: 7, delay: 50});
    const cancellable = new Gio.Cancellable();
    const queued = ref.ask_cancellable({n: 8}, cancellable);
    cancellable.cancel();
    const e = await assert.throws(() => queued.get_async(null));
    assert.gerror(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assert.equal((await busy.get_async(null)).doubled, 14);
    assert.deepEqual(actor.events, ['begin 7', 'end 7'], 'the cancelled message never ran');
    ref.stop_sync(5000);
});

test('alive notifies when the actor stops; started tells the start outcome', async () => {
    const ref = new Narcissus().start();
    assert.equal((await ref.get_started().get_async(null)), true);
    assert.equal(ref.alive, true);
    const notified = new Promise(resolve => ref.connect('notify::alive', () => resolve(ref.alive)));
    ref.stop();
    assert.equal(await notified, false);
    assert.equal(ref.dup_death_reason(), null, 'a normal stop is no failure');
});

test('blocking get from plain code waits for an async handler', () => {
    // Not from inside a promise job: there, await get_async instead.
    const ref = new Slow().start();
    return new Promise((resolve, reject) => {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            try {
                assert.equal(ref.ask({n: 6}).get(5000).doubled, 12);
                ref.stop_sync(5000);
                resolve();
            } catch (e) {
                reject(e);
            }
            return GLib.SOURCE_REMOVE;
        });
    });
});

const SlowStart = GObject.registerClass(
class SlowStart extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.ready = false;
    }

    async vfunc_on_start() {
        await sleep(20);
        this.ready = true;
    }

    vfunc_on_receive() {
        return this.ready;
    }
});

test('an async on_start runs before any message', async () => {
    const ref = new SlowStart().start();
    assert.equal(await ref.ask('ready?').get_async(null), true);
    ref.stop_sync(5000);
});

const FailingStart = GObject.registerClass(
class FailingStart extends Pykka.Actor {
    async vfunc_on_start() {
        await sleep(1);
        throw new GLib.Error(Pykka.Error, Pykka.Error.FAILED, 'cannot start');
    }

    vfunc_on_receive() {
        return 'never';
    }
});

test('an async on_start that rejects stops the actor', async () => {
    const ref = new FailingStart().start();
    const e = await assert.throws(() => ref.ask('hello').get_async(null));
    assert.ok(e instanceof GLib.Error, `${e}`);
    await until(() => !ref.is_alive(), 'the actor to stop');
});

// Throws a value that is not an Error, as it is told by `what`.
const OddFailingStart = GObject.registerClass({
    Properties: {what: GObject.ParamSpec.string('what', '', '', GObject.ParamFlags.READWRITE, '')},
}, class OddFailingStart extends Pykka.Actor {
    async vfunc_on_start() {
        await sleep(1);
        throw {undefined, 'null': null, 'number': 42, 'string': 'plain text'}[this.what];
    }

    vfunc_on_stop() {
        this.stopped = true;
    }

    vfunc_on_receive() {
        return 'never';
    }
});

test('an async on_start that rejects with a non-Error (undefined, null, 42, a string) stops the actor', async () => {
    for (const what of ['undefined', 'null', 'number', 'string']) {
        const actor = new OddFailingStart({what});
        const ref = actor.start();
        // eslint-disable-next-line no-await-in-loop
        const e = await assert.throws(() => ref.ask('hello').get_async(null));
        assert.ok(!`${e}`.includes('logError'), `${what}: ${e}`);
        // eslint-disable-next-line no-await-in-loop
        await until(() => !ref.is_alive(), `the actor to stop (${what})`);
    }
});

const OddFailingStop = GObject.registerClass(
class OddFailingStop extends Pykka.Actor {
    async vfunc_on_stop() {
        await null;
        this.ran = true;
        throw 42;
    }
});

test('an async on_stop that rejects with a non-Error is logged, the stop goes on', async () => {
    const actor = new OddFailingStop();
    const ref = actor.start();
    assert.ok(ref.stop_sync(5000), 'stopped');
    await until(() => actor.ran === true, 'on_stop to finish');
    await sleep(5);
});

const Forwarder = GObject.registerClass(
class Forwarder extends Pykka.Actor {
    async vfunc_on_receive(message) {
        const inner = await this._target.ask(message).get_async(null);
        return {via: 'forwarder', inner};
    }
});

test('an async handler awaits another actor', async () => {
    const target = new Slow().start();
    const fwd = new Forwarder();
    fwd._target = target;
    const ref = fwd.start();
    const r = await ref.ask({n: 8}).get_async(null);
    assert.equal(r.via, 'forwarder');
    assert.equal(r.inner.doubled, 16);
    ref.stop_sync(5000);
    target.stop_sync(5000);
});

test('Pykka.toFuture turns a promise into a future', async () => {
    const f = Pykka.toFuture(sleep(1).then(() => 'later'));
    assert.equal(await f.get_async(null), 'later');
    const g = Pykka.toFuture(Promise.reject(new GLib.Error(Pykka.Error, Pykka.Error.DEADLOCK, 'x')));
    assert.gerror(await assert.throws(() => g.get_async(null)), Pykka.Error, Pykka.Error.DEADLOCK);
});

test('futures made in JS: set_value, set_error, await', async () => {
    const f = new Pykka.Future();
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        f.set_value({from: 'idle'});
        return GLib.SOURCE_REMOVE;
    });
    assert.equal((await f.get_async(null)).from, 'idle');
    assert.gerror(await assert.throws(() => f.set_value(1)), Pykka.Error, Pykka.Error.ALREADY_SET);
    const g = Pykka.Future.new_for_error(new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT, 't'));
    assert.gerror(await assert.throws(() => g.get_async(null)), Pykka.Error, Pykka.Error.TIMEOUT);
    const h = Pykka.Future.new_for_value(3).map(v => [true, v * 10]);
    assert.equal(await h.get_async(null), 30);
});

test('get_all and joinAsync return Arrays of the values', async () => {
    const ref = new Recorder().start();
    const o = {n: 1};
    const futures = [ref.ask(o), ref.ask('two'), Pykka.Future.new_for_value(3)];
    const all = Pykka.Future.get_all(futures, 5000);
    assert.ok(Array.isArray(all));
    assert.equal(all[0], o);
    assert.equal(all[1], 'two');
    assert.equal(all[2], 3);
    const joined = await Pykka.Future.joinAsync([ref.ask(4), ref.ask(o)]);
    assert.equal(joined[0], 4);
    assert.equal(joined[1], o);
    const failing = [Pykka.Future.new_for_value(1),
        Pykka.Future.new_for_error(new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT, 'late'))];
    assert.gerror(await assert.throws(() => Pykka.Future.get_all(failing, 1000)), Pykka.Error, Pykka.Error.TIMEOUT);
    assert.gerror(await assert.throws(() => Pykka.Future.joinAsync(failing)), Pykka.Error, Pykka.Error.TIMEOUT);
    // The C join works with reduce and filter from JS.
    const sum = Pykka.Future.join([Pykka.Future.new_for_value(1), Pykka.Future.new_for_value(5)])
        .reduce((acc, item) => [true, acc + item], 100);
    assert.equal(await sum.get_async(null), 106);
    ref.stop_sync(5000);
});

test('ask_sync returns the reply or throws the error', async () => {
    const ref = new Recorder().start();
    const o = {sync: true};
    assert.equal(ref.ask_sync(o, 5000), o);
    const e = await assert.throws(() => ref.ask_sync({command: 'throw-gerror'}, 5000));
    assert.gerror(e, Pykka.Error, Pykka.Error.INVALID_ARGUMENT);
    ref.stop_sync(5000);
});

test('events: set, clear, await wait_async, blocking wait', async () => {
    const event = new Pykka.Event();
    assert.ok(!event.is_set());
    assert.ok(!event.wait(1), 'a wait times out');
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
        event.set();
        return GLib.SOURCE_REMOVE;
    });
    assert.ok(await event.wait_async(null));
    assert.ok(event.is_set());
    assert.ok(event.wait(0));
    event.clear();
    assert.ok(!event.is_set());
});

test('the registry finds JS actors by type, type name and urn', async () => {
    const a = new Recorder().start();
    const b = new Recorder().start();
    const s = new Slow().start();
    const byType = Pykka.Registry.get_by_type(Recorder.$gtype);
    assert.equal(byType.length, 2, 'two recorders');
    assert.ok(byType.every(r => r.get_actor_type() === Recorder.$gtype));
    assert.equal(Pykka.Registry.get_by_type(Pykka.Actor.$gtype).length, 3, 'subtypes included');
    assert.equal(Pykka.Registry.get_by_type_name(GObject.type_name(Slow.$gtype)).length, 1);
    assert.equal(Pykka.Registry.get_by_urn(a.get_urn()).get_urn(), a.get_urn());
    assert.equal(Pykka.Registry.get_by_urn('urn:uuid:nope'), null);
    assert.equal(Pykka.Registry.get_all().length, 3);
    assert.equal(Pykka.Registry.broadcast('hello everyone', Recorder.$gtype), 2);
    const actor = a.dup_actor();
    await until(() => actor.log.includes('hello everyone'), 'the broadcast');
    assert.ok(Pykka.Registry.stop_all(5000));
    assert.equal(Pykka.Registry.get_all().length, 0);
    assert.ok(!b.is_alive() && !s.is_alive());
});

test('a JS actor on a thread of its own fails with a clear error', async () => {
    const actor = new Recorder({use_own_thread: true});
    const e = await assert.throws(() => actor.start());
    assert.gerror(e, Pykka.Error, Pykka.Error.NOT_SUPPORTED);
    assert.ok(e.message.includes('Recorder') && e.message.includes('main thread'), e.message);
    assert.equal(Pykka.Registry.get_all().length, 0, 'not registered');
    const ref = new Recorder().start();
    assert.equal(ref.ask(1).get(5000), 1);
    ref.stop_sync(5000);
});

test('a JS actor in a context another thread runs fails with a clear error', async () => {
    // A C actor on its own thread runs the context it was given.
    const context = new GLib.MainContext();
    const hostRef = new Pykka.Actor({use_own_thread: true, context}).start();
    const otherThreadRuns = () => {
        if (!context.acquire())
            return true;
        context.release();
        return false;
    };
    await until(otherThreadRuns, 'the host thread to run the context');
    const e = await assert.throws(() => new Recorder({context}).start());
    assert.gerror(e, Pykka.Error, Pykka.Error.NOT_SUPPORTED);
    assert.ok(hostRef.stop_sync(5000));
});

test('C actors from JS may still use their own thread', () => {
    const ref = new Pykka.Actor({use_own_thread: true}).start();
    assert.ok(ref.is_alive());
    assert.ok(ref.stop_sync(5000));
});

const Monitor = GObject.registerClass(
class Monitor extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.told = [];
    }

    vfunc_on_receive(message) {
        if (message instanceof Pykka.Terminated) {
            const reason = message.get_reason();
            this.told.push([message.get_actor_ref().get_urn(), reason ? reason.message : null]);
        }
        return [true, null];
    }
});

test('death watch: a JS watcher is told once per death, with the reason', async () => {
    const monitor = new Monitor();
    const monitorRef = monitor.start();
    const stopped = new Recorder().start();
    const failed = new Recorder().start();
    const killed = new Recorder().start();
    for (const ref of [stopped, failed, killed, stopped])
        monitor.watch(ref);
    assert.ok(stopped.stop_sync(5000));
    failed.tell({command: 'throw-gerror'});
    assert.ok(killed.kill());
    assert.ok(!killed.kill(), 'a second kill does nothing');
    await until(() => monitor.told.length === 3, 'three deaths told');
    await sleep(20);
    assert.equal(monitor.told.length, 3, 'once each');
    const byUrn = Object.fromEntries(monitor.told);
    assert.equal(byUrn[stopped.get_urn()], null);
    assert.ok(byUrn[failed.get_urn()].includes('bad argument'), byUrn[failed.get_urn()]);
    assert.equal(byUrn[killed.get_urn()], 'killed');
    assert.ok(monitorRef.stop_sync(5000));
});

test('death watch for plain code: the terminated future', async () => {
    const ref = new Recorder().start();
    const terminated = ref.get_terminated();
    assert.ok(!terminated.is_done());
    assert.ok(ref.stop_sync(5000));
    const news = await terminated.get_async(null);
    assert.ok(news instanceof Pykka.Terminated);
    assert.equal(news.get_actor_ref(), ref);
    assert.equal(news.get_reason(), null);
});

const Crashy = GObject.registerClass(
class Crashy extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        Crashy.made = (Crashy.made ?? 0) + 1;
        this.instance = Crashy.made;
    }

    vfunc_on_receive(message) {
        if (message === 'crash')
            throw new GLib.Error(Pykka.Error, Pykka.Error.FAILED, 'crashed on purpose');
        return [true, this.instance];
    }
});

test('supervision: a JS child made by a factory is restarted behind the same ref', async () => {
    Crashy.made = 0;
    const sup = new Pykka.Supervisor({strategy: Pykka.RestartStrategy.ONE_FOR_ONE, max_restarts: 3, within_msec: 60000});
    const supRef = sup.start();
    const child = sup.start_child(() => new Crashy());
    const urn = child.get_urn();
    assert.equal(await child.ask('who').get_async(null), 1);
    child.tell('crash');
    assert.equal(await child.ask('who').get_async(null), 2, 'the new instance answers');
    assert.equal(child.get_urn(), urn);
    assert.ok(child.is_alive());
    assert.equal(sup.get_restarts(), 1);
    assert.ok(supRef.stop_sync(5000));
    assert.ok(!child.is_alive(), 'stopping the supervisor stops its children');
});

test('parent and children: children stop first, newest first', async () => {
    const order = [];
    const Child = GObject.registerClass(
    class Child extends Pykka.Actor {
        vfunc_on_stop() {
            order.push(this.name);
            return true;
        }
    });
    const parent = new Monitor();
    const parentRef = parent.start();
    const kids = ['a', 'b', 'c'].map(name => {
        const kid = new Child();
        kid.name = name;
        return parent.start_child(kid);
    });
    assert.ok(parentRef.stop_sync(5000));
    assert.equal(order.join(','), 'c,b,a');
    assert.ok(kids.every(k => !k.is_alive()));
});

test('deferred replies: a JS router answers later and takes the next message meanwhile', async () => {
    const Echo = GObject.registerClass(
    class Echo extends Pykka.Actor {
        vfunc_on_receive(message) {
            return [true, message * 10];
        }
    });
    const held = [];
    const Router = GObject.registerClass(
    class Router extends Pykka.Actor {
        vfunc_on_receive(message) {
            const handle = this.defer_reply();
            held.push([handle, message]);
            if (held.length === 3) {
                // Answered only once three asks were taken: the mailbox
                // did not wait for the first answer.
                for (const [h, m] of held)
                    h.set_value(m * 10);
            }
            return [true, null];
        }
    });
    const router = new Router().start();
    const futures = [1, 2, 3].map(m => router.ask(m));
    const answers = await Promise.all(futures.map(f => f.get_async(null)));
    assert.equal(answers.join(','), '10,20,30');
    assert.ok(router.stop_sync(5000));
});

test('timers owned by a JS actor run on a virtual clock', () => {
    const context = new GLib.MainContext();
    Pykka.context_use_virtual_clock(context);
    context.push_thread_default();
    const actor = new Recorder();
    const ref = actor.start();
    const idle = () => {
        for (let i = 0; i < 1000 && context.iteration(false); i++)
            ;
    };
    idle();
    actor.log.length = 0;
    actor.start_timer('once', 60000, 0, 'a minute');
    const tick = actor.start_timer(null, 100, 100, 'tick');
    Pykka.context_advance_clock(context, 100);
    idle();
    Pykka.context_advance_clock(context, 100);
    idle();
    assert.equal(actor.log.join(','), 'tick,tick');
    assert.ok(actor.cancel_timer(tick));
    Pykka.context_advance_clock(context, 60000);
    idle();
    assert.equal(actor.log.join(','), 'tick,tick,a minute');
    const stopped = ref.stop();
    while (!stopped.is_done())
        context.iteration(true);
    context.pop_thread_default();
});

test('dead letters are counted', async () => {
    const ref = new Recorder().start();
    assert.ok(ref.stop_sync(5000));
    const before = Pykka.debug_get_dead_letters();
    const e = await assert.throws(() => ref.tell('nobody reads this'));
    assert.gerror(e, Pykka.Error, Pykka.Error.ACTOR_DEAD);
    assert.equal(Pykka.debug_get_dead_letters(), before + 1);
});

test('bounded mailbox and latest-wins tells from JS', async () => {
    const context = new GLib.MainContext();
    context.push_thread_default();
    const actor = new Recorder({mailbox_capacity: 2, overflow_policy: Pykka.OverflowPolicy.FAIL});
    const ref = actor.start();
    const idle = () => {
        for (let i = 0; i < 1000 && context.iteration(false); i++)
            ;
    };
    idle();
    actor.log.length = 0;
    ref.tell(1);
    ref.tell(2);
    const e = await assert.throws(() => ref.tell(3));
    assert.gerror(e, Pykka.Error, Pykka.Error.MAILBOX_FULL);
    idle();
    for (let p = 0; p < 5; p++)
        ref.tell_latest('progress', p);
    idle();
    assert.equal(actor.log.join(','), '1,2,4');
    const stopped = ref.stop();
    while (!stopped.is_done())
        context.iteration(true);
    context.pop_thread_default();
});

const status = run(() => {
    Pykka.Registry.stop_all(5000);
});
System.exit(status);
