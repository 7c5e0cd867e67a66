// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JavaScript values held only by the C side while the garbage collector
// runs (issue 18, session 5): messages queued in a JavaScript actor's
// mailbox, replies waiting in their futures, values of futures made from
// JavaScript. GJS 1.74 does not keep a JavaScript object alive that only a
// GValue (its "JSObject" boxed type) holds: a collection in between freed
// it, and reading the message or reply crashed the process. (That the
// carriers are collected afterwards: tests/gjs/leak-asks.js, whose every
// ask and reply travels in one.)

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, until} from './harness.js';

class Point {
    constructor(x, y) {
        this.x = x;
        this.y = y;
    }
}

const Echo = GObject.registerClass(
class Echo extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.seen = [];
    }

    vfunc_on_receive(message) {
        if (message?.command === 'seen')
            return this.seen;
        if (message?.command === 'later')
            return new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                resolve(new Point(7, 8));
                return GLib.SOURCE_REMOVE;
            }));
        this.seen.push(message);
        return message;
    }
});

// Values GJS cannot keep by itself in a GValue, and plain objects large
// enough to be moved by a compacting collection.
function samples() {
    return [
        [1, 2, 3],
        new Point(1, 2),
        new Map([['a', 1]]),
        new Uint8Array([1, 2, 3]),
        {text: 'x'.repeat(200), nested: {n: 1}},
        {[Symbol.for('some.symbol')]: true, value: 1},
    ];
}

function same(a, b) {
    if (a instanceof Map)
        return b instanceof Map && b.get('a') === a.get('a');
    return JSON.stringify(a) === JSON.stringify(b) && a.constructor === b.constructor;
}

test('asks queued while the collector runs reach the handler intact', async () => {
    const ref = new Echo().start();
    const futures = samples().map(s => ref.ask(s));
    System.gc();
    System.gc();
    const expected = samples();
    for (const [i, f] of futures.entries()) {
        // eslint-disable-next-line no-await-in-loop
        const reply = await f.get_async(null);
        assert.ok(same(reply, expected[i]), `sample ${i}: ${JSON.stringify(reply)}`);
    }
    ref.stop_sync(5000);
});

test('tells queued while the collector runs reach the handler intact', () => {
    const ref = new Echo().start();
    for (const s of samples())
        ref.tell(s);
    System.gc();
    const seen = ref.ask({command: 'seen'}).get(5000);
    const expected = samples();
    assert.equal(seen.length, expected.length, 'count');
    for (const [i, s] of seen.entries())
        assert.ok(same(s, expected[i]), `sample ${i}`);
    ref.stop_sync(5000);
});

test('a reply waits in its future while the collector runs', async () => {
    const ref = new Echo().start();
    const future = ref.ask({command: 'later'});
    // Answered from an idle; collections before and after.
    System.gc();
    await until(() => future.is_done(), 'the reply');
    System.gc();
    System.gc();
    const reply = await future.get_async(null);
    assert.ok(reply instanceof Point && reply.x === 7 && reply.y === 8, `reply ${JSON.stringify(reply)}`);
    assert.equal(future.get(0), reply, 'the same object again');
    ref.stop_sync(5000);
});

test('futures made from JavaScript keep their values', () => {
    const made = samples().map(s => Pykka.Future.new_for_value(s));
    const set = samples().map(s => {
        const f = new Pykka.Future();
        f.set_value(s);
        return f;
    });
    System.gc();
    System.gc();
    const expected = samples();
    for (const [i, f] of [...made.entries(), ...set.entries()])
        assert.ok(same(f.get(0), expected[i]), `sample ${i}`);
});

System.exit(run());
