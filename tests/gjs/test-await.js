// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Async handlers in the wait-for graph: an async handler's awaits are
// recorded while its promise is pending, so that awaiting its own actor,
// directly or through a cycle of actors, fails at once with DEADLOCK
// naming the cycle, and this.waitFor() bounds a wait on the clock of the
// actor's context.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, sleep, until} from './harness.js';

// An actor that does what the message says, in an async handler:
// {steps: [...]} runs each step in order and replies with the last result.
//   'sleep'           awaits a 1 ms timer (not a future)
//   ['ask', ref, m]   awaits ref.ask(m).get_async(null)
//   ['helper', ...]   the same from an async helper function
//   ['all', ref, m]   the same through Promise.all() with a timer
//   ['then', ref, m]  this.waitFor(ref.ask(m)) inside a .then callback
//   ['wait', future, ms]  awaits this.waitFor(future, ms) (a function
//                     gives the future when the step runs)
//   'reply'           the actor's name
const Stepper = GObject.registerClass(
class Stepper extends Pykka.Actor {
    _init(name) {
        super._init();
        this.name = name;
    }

    async _helper(ref, message) {
        await sleep(1);
        return await ref.ask(message).get_async(null);
    }

    async vfunc_on_receive(message) {
        let result = null;
        for (const step of message.steps) {
            if (step === 'sleep')
                await sleep(1);
            else if (step === 'reply')
                result = this.name;
            else if (step[0] === 'ask')
                result = await step[1].ask(step[2]).get_async(null);
            else if (step[0] === 'helper')
                result = await this._helper(step[1], step[2]);
            else if (step[0] === 'all')
                [result] = await Promise.all([step[1].ask(step[2]).get_async(null), sleep(1)]);
            else if (step[0] === 'then')
                result = await sleep(1).then(() => this.waitFor(step[1].ask(step[2])));
            else if (step[0] === 'wait')
                result = await this.waitFor(typeof step[1] === 'function' ? step[1]() : step[1], step[2]);
        }
        return result;
    }
});

const reply = {steps: ['reply']};

function deadlockOf(e, ...refs) {
    assert.gerror(e, Pykka.Error, Pykka.Error.DEADLOCK, `${e?.message}`);
    for (const ref of refs)
        assert.ok(e.message.includes(ref.get_urn()), `names ${ref.get_urn()}: ${e.message}`);
}

test('awaiting its own actor before any other await fails with DEADLOCK', async () => {
    const a = new Stepper('a').start();
    const e = await assert.throws(() => a.ask({steps: [['ask', a, reply]]}).get_async(null));
    deadlockOf(e, a);
    assert.ok(e.message.includes('Stepper'), `names the type: ${e.message}`);
    assert.equal(await a.ask(reply).get_async(null), 'a', 'lives on');
});

test('awaiting its own actor after awaiting something else fails with DEADLOCK', async () => {
    const a = new Stepper('a').start();
    const b = new Stepper('b').start();
    const e = await assert.throws(() =>
        a.ask({steps: ['sleep', ['ask', b, reply], 'sleep', ['ask', a, reply]]}).get_async(null));
    deadlockOf(e, a);
    assert.equal(await a.ask(reply).get_async(null), 'a', 'lives on');
});

test('awaiting its own actor from an async helper fails with DEADLOCK', async () => {
    const a = new Stepper('a').start();
    const e = await assert.throws(() => a.ask({steps: ['sleep', ['helper', a, reply]]}).get_async(null));
    deadlockOf(e, a);
});

test('awaiting its own actor after Promise.all() fails with DEADLOCK', async () => {
    const a = new Stepper('a').start();
    const b = new Stepper('b').start();
    const e = await assert.throws(() =>
        a.ask({steps: [['all', b, reply], ['all', a, reply]]}).get_async(null));
    deadlockOf(e, a);
});

test('this.waitFor() in a .then callback sees its own actor too', async () => {
    const a = new Stepper('a').start();
    const e = await assert.throws(() => a.ask({steps: [['then', a, reply]]}).get_async(null));
    deadlockOf(e, a);
});

test('two async handlers awaiting each other fail with DEADLOCK naming the cycle', async () => {
    const a = new Stepper('a').start();
    const b = new Stepper('b').start();
    // a awaits b, whose handler awaits a.
    const e = await assert.throws(() =>
        a.ask({steps: ['sleep', ['ask', b, {steps: ['sleep', ['ask', a, reply]]}]]}).get_async(null));
    deadlockOf(e, a, b);
    print(`# ${e.message}`);
    assert.ok(/waits for .*, which waits for/.test(e.message), `a cycle: ${e.message}`);
    assert.equal(await a.ask(reply).get_async(null), 'a', 'a lives on');
    assert.equal(await b.ask(reply).get_async(null), 'b', 'b lives on');
});

test('a ring of three async handlers fails with DEADLOCK naming all three', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(n => new Stepper(n).start());
    const e = await assert.throws(() =>
        a.ask({steps: [['ask', b, {steps: ['sleep', ['ask', c, {steps: ['sleep', ['ask', a, reply]]}]]}]]})
            .get_async(null));
    deadlockOf(e, a, b, c);
    print(`# ${e.message}`);
});

test('awaits that close no cycle work', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(n => new Stepper(n).start());
    // a awaits b, which awaits c; then a awaits c and b again.
    const r = await a.ask({steps: [
        'sleep', ['ask', b, {steps: ['sleep', ['ask', c, reply]]}],
        ['helper', c, reply], ['then', b, reply], ['ask', b, reply],
    ]}).get_async(null);
    assert.equal(r, 'b');
    // An actor may await an actor that awaited it before (no longer).
    assert.equal(await c.ask({steps: [['ask', a, reply]]}).get_async(null), 'a');
});

test('this.waitFor() times out with TIMEOUT and the actor goes on', async () => {
    const a = new Stepper('a').start();
    const never = new Pykka.Future();
    const e = await assert.throws(() => a.ask({steps: ['sleep', ['wait', never, 20]]}).get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.TIMEOUT, `${e?.message}`);
    assert.ok(e.message.includes('20 ms'), e.message);
    assert.equal(await a.ask(reply).get_async(null), 'a', 'lives on');
    const done = Pykka.Future.new_for_value(7);
    assert.equal(await a.ask({steps: [['wait', done, 5000]]}).get_async(null), 7);
});

test('this.waitFor() of an ask to the actor itself fails with DEADLOCK, not TIMEOUT', async () => {
    const a = new Stepper('a').start();
    const e = await assert.throws(() =>
        a.ask({steps: ['sleep', ['wait', () => a.ask(reply), 60000]]}).get_async(null));
    deadlockOf(e, a);
});

test('this.waitFor() outside a handler waits plainly, with its timeout', async () => {
    const a = new Stepper('a');
    a.start();
    assert.equal(await a.waitFor(a.actor_ref.ask(reply), 5000), 'a');
    const e = await assert.throws(() => a.waitFor(new Pykka.Future(), 10));
    assert.gerror(e, Pykka.Error, Pykka.Error.TIMEOUT);
});

test('a handler\'s wait times out on the clock of its actor\'s context', async () => {
    const context = new GLib.MainContext();
    Pykka.context_use_virtual_clock(context);
    context.push_thread_default();
    let ref;
    try {
        ref = new Stepper('v').start();
    } finally {
        context.pop_thread_default();
    }
    const asked = ref.ask({steps: [['wait', new Pykka.Future(), 60000]]});
    // The actor's context, run by this thread; a minute passes at once.
    const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, () => {
        while (context.iteration(false))
            ;
        return GLib.SOURCE_CONTINUE;
    });
    try {
        await sleep(10);
        assert.ok(!asked.is_done(), 'waits');
        Pykka.context_advance_clock(context, 60000);
        const e = await assert.throws(() => asked.get_async(null));
        assert.gerror(e, Pykka.Error, Pykka.Error.TIMEOUT, `${e?.message}`);
        const stopped = ref.stop();
        while (!stopped.is_done())
            context.iteration(true);
    } finally {
        GLib.source_remove(id);
    }
});

test('an async on_start that awaits its own actor fails with DEADLOCK and stops it', async () => {
    let failure = null;
    const Starter = GObject.registerClass(
    class Starter extends Pykka.Actor {
        async vfunc_on_start() {
            try {
                await this.actor_ref.ask('hello').get_async(null);
            } catch (e) {
                failure = e;
                throw e;
            }
        }

        vfunc_on_receive(message) {
            return message;
        }
    });
    const ref = new Starter().start();
    await until(() => !ref.is_alive(), 'the actor to stop');
    deadlockOf(failure, ref);
});

test('an async method called through a proxy that awaits its own actor fails with DEADLOCK', async () => {
    const Service = GObject.registerClass(
    class Service extends Pykka.Actor {
        async twice() {
            await sleep(1);
            return await this.actor_ref.proxy().once().get_async(null);
        }

        once() {
            return 1;
        }
    });
    const ref = new Service().start();
    const proxy = ref.proxy();
    const e = await assert.throws(() => proxy.twice().get_async(null));
    deadlockOf(e, ref);
    assert.equal(await proxy.once().get_async(null), 1, 'lives on');
});

test('a task the handler started counts as the handler\'s while the handler is pending', async () => {
    // As the guide says: its await of the actor fails with DEADLOCK,
    // although the actor would answer once the handler settles.
    let task = null;
    const Spawner = GObject.registerClass(
    class Spawner extends Pykka.Actor {
        async vfunc_on_receive(message) {
            if (message === 'inner')
                return 'inner';
            task = (async () => {
                await sleep(1);
                return await this.actor_ref.ask('inner').get_async(null);
            })().catch(e => e);
            await sleep(30);
            return message;
        }
    });
    const ref = new Spawner().start();
    assert.equal(await ref.ask('outer').get_async(null), 'outer');
    deadlockOf(await task, ref);
});

test('awaits after the handler settled are no longer the actor\'s', async () => {
    // A task the handler left running awaits the actor later: no deadlock.
    let late = null;
    const Leaver = GObject.registerClass(
    class Leaver extends Pykka.Actor {
        async vfunc_on_receive(message) {
            if (message === 'leave') {
                late = (async () => {
                    await sleep(20);
                    return await this.actor_ref.ask('inner').get_async(null);
                })();
            }
            return message;
        }
    });
    const ref = new Leaver().start();
    assert.equal(await ref.ask('leave').get_async(null), 'leave');
    assert.equal(await late, 'inner');
});

const status = run(() => {
    Pykka.Registry.stop_all(5000);
});
System.exit(status);
