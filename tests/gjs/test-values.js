// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a JavaScript value becomes for each receiver (issue 19.3): to an
// actor written in JavaScript (directly or through a Pykka.Router) values
// keep their identity, arrays included; to an actor written in C (a plain
// Pykka.Actor, whose default handler logs the GValue type it got) arrays
// and plain objects become GLib.Variants; a JavaScript handler asked from
// C replies the same way.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, until} from './harness.js';

const Echo = GObject.registerClass(
class Echo extends Pykka.Actor {
    _init() {
        super._init();
        this.got = [];
    }

    vfunc_on_receive(message) {
        this.got.push(message);
        if (message?.async)
            return Promise.resolve(message.async);
        return message;
    }
});

// The type names a C actor's default handler reports ("Unexpected message
// of type T received by actor ..."), through a log writer.
const typesSeen = [];
GLib.log_set_writer_func((level, fields) => {
    const text = new TextDecoder().decode(fields.MESSAGE ?? new Uint8Array());
    const m = /^Unexpected message of type (\S+) received by actor PykkaActor/.exec(text);
    if (m) {
        typesSeen.push(m[1]);
        return GLib.LogWriterOutput.HANDLED;
    }
    printerr(`log (${level}): ${text}`);
    return GLib.LogWriterOutput.HANDLED;
});

async function typeSeenByC(message) {
    const ref = new Pykka.Actor().start();
    const before = typesSeen.length;
    ref.tell(message);
    await until(() => typesSeen.length > before, 'the C actor to get the message');
    ref.stop_sync(5000);
    return typesSeen[before];
}

test('JS to JS: arrays, typed arrays and objects keep their identity', async () => {
    const actor = new Echo();
    const ref = actor.start();
    const list = [1, 'two', {three: 3}];
    const bytes = new Uint8Array([1, 2, 3]);
    const object = {list, bytes};
    assert.equal(ref.ask(list).get(5000), list, 'an array asked');
    assert.equal(await ref.ask(bytes).get_async(null), bytes, 'a Uint8Array asked');
    assert.equal(ref.ask(object).get(5000), object, 'an object asked');
    ref.tell(list);
    ref.tell_latest('k', list);
    await until(() => actor.got.length === 5, 'the tells');
    assert.equal(actor.got[3], list, 'an array told');
    assert.equal(actor.got[4], list, 'an array told, latest wins');
    assert.equal(ref.ask(42).get(5000), 42, 'a number asked');
    assert.equal(ref.ask(null).get(5000), null, 'null asked');
    const map = new Map([[1, 2]]);
    assert.equal(ref.ask(map).get(5000), map, 'an instance of a JavaScript class');
    const bare = Object.create(null);
    assert.equal(ref.ask(bare).get(5000), bare, 'an object without a prototype');
    ref.stop_sync(5000);
});

test('JS to JS: an async reply and a cancellable ask keep the array', async () => {
    const ref = new Echo().start();
    const list = ['a', 'b'];
    assert.equal(await ref.ask({async: list}).get_async(null), list);
    assert.equal(await ref.ask_cancellable(list, new Gio.Cancellable()).get_async(null), list);
    ref.stop_sync(5000);
});

test('JS to JS through a Pykka.Router: the routee gets the very array', async () => {
    const actor = new Echo();
    const routee = actor.start();
    const router = Pykka.Router.new(Pykka.RouterKind.ROUND_ROBIN, [routee]).start();
    const list = [1, 2, 3];
    assert.equal(await router.ask(list).get_async(null), list);
    router.stop_sync(5000);
    routee.stop_sync(5000);
});

test('futures set from JS carry arrays; map sees and returns them', async () => {
    const list = [1, 2];
    const f = new Pykka.Future();
    f.set_value(list);
    assert.equal(f.get(0), list);
    assert.equal(await f.get_async(null), list);
    assert.equal(Pykka.Future.new_for_value(list).get(0), list);
    const mapped = f.map(v => [true, [...v, 3]]);
    assert.deepEqual(await mapped.get_async(null), [1, 2, 3]);
    assert.deepEqual(Pykka.Future.get_all([f, mapped], 5000), [[1, 2], [1, 2, 3]]);
});

test('JS to C: the GValue type a C actor gets', async () => {
    assert.equal(await typeSeenByC(['a', 'b']), 'GVariant', 'an array of strings');
    assert.equal(await typeSeenByC([1, 'a']), 'GVariant', 'a mixed array');
    assert.equal(await typeSeenByC({a: 1}), 'GVariant', 'a plain object');
    assert.equal(await typeSeenByC(new Uint8Array([1])), 'GBytes', 'a Uint8Array');
    assert.equal(await typeSeenByC(7), 'gint', 'an integer within 32 bits');
    assert.equal(await typeSeenByC(2 ** 40), 'gdouble', 'a larger integer');
    assert.equal(await typeSeenByC(0.5), 'gdouble', 'a fraction');
    assert.equal(await typeSeenByC('s'), 'gchararray', 'a string');
    assert.equal(await typeSeenByC(true), 'gboolean', 'a boolean');
    assert.equal(await typeSeenByC(null), 'gpointer', 'null');
    assert.equal(await typeSeenByC(new GLib.Variant('u', 1)), 'GVariant', 'a GLib.Variant');
    assert.equal(await typeSeenByC(new Gio.Cancellable()), 'GCancellable', 'a GObject');
    assert.equal(await typeSeenByC(new Map()), 'PykkaJSCarrier', 'any other object');
    assert.equal(await typeSeenByC(() => 1), 'PykkaJSCarrier', 'a function');
});

test('JS to C: a C actor asked an array gets it too (GVariant)', async () => {
    const ref = new Pykka.Actor().start();
    const before = typesSeen.length;
    ref.ask(['x']);
    await until(() => typesSeen.length > before, 'the C actor to get the message');
    assert.equal(typesSeen[before], 'GVariant');
    ref.stop_sync(5000);
});

test('C to JS: GValues arrive as GJS reads them', async () => {
    // A GObject.Value is sent as the GValue it holds, as C sends one.
    const actor = new Echo();
    const ref = actor.start();
    const int64 = new GObject.Value();
    int64.init(GObject.TYPE_INT64);
    int64.set_int64(-(2 ** 50));
    ref.tell(int64);
    ref.tell(new GLib.Variant('as', ['a', 'b']));
    ref.tell(new GLib.Bytes(new Uint8Array([5])));
    await until(() => actor.got.length === 3, 'the tells');
    assert.equal(actor.got[0], -(2 ** 50));
    assert.ok(actor.got[1] instanceof GLib.Variant, `a GLib.Variant (${actor.got[1]})`);
    assert.deepEqual(actor.got[1].deepUnpack(), ['a', 'b']);
    assert.ok(actor.got[2] instanceof GLib.Bytes, `a GLib.Bytes (${actor.got[2]})`);
    ref.stop_sync(5000);
});

test('a broadcast converts for each receiver', async () => {
    const actor = new Echo();
    const ref = actor.start();
    const c = new Pykka.Actor().start();
    const before = typesSeen.length;
    const list = ['a'];
    assert.equal(Pykka.Registry.broadcast(list, GObject.TYPE_INVALID), 2);
    await until(() => actor.got.length === 1 && typesSeen.length > before, 'both to get it');
    assert.equal(actor.got[0], list, 'the JS actor gets the array');
    assert.equal(typesSeen[before], 'GVariant', 'the C actor a GVariant');
    assert.equal(Pykka.Registry.broadcast(3, Echo.$gtype), 1, 'a scalar, by type');
    ref.stop_sync(5000);
    c.stop_sync(5000);
});

test('Pykka.toVariant: the variant types of the conversion table', () => {
    const v = Pykka.toVariant({
        names: ['a', 'b'], mixed: [1, 'x', true], empty: [], n: 3, big: 2 ** 40, x: 0.5,
        s: 'text', b: false, nothing: null, skipped: undefined, bytes: new Uint8Array([7]),
        nested: {deep: [[1]]}, variant: new GLib.Variant('u', 9),
    });
    assert.equal(v.get_type_string(), 'a{sv}');
    const d = v.deepUnpack();
    const types = Object.fromEntries(Object.keys(d).sort().map(k => [k, d[k].get_type_string()]));
    assert.deepEqual(types, {
        b: 'b', big: 'x', bytes: 'ay', empty: 'av', mixed: 'av', n: 'x', names: 'as', nested: 'a{sv}',
        nothing: 'mv', s: 's', variant: 'u', x: 'd',
    });
    assert.equal('skipped' in d, false, 'undefined members are left out');
    assert.deepEqual(Pykka.toVariant([1, 'x']).recursiveUnpack(), [1, 'x']);
    assert.equal(Pykka.toVariant(['a']).get_type_string(), 'as');
    assert.equal(Pykka.toVariant(2n ** 62n + 1n).print(false), '4611686018427387905', 'a bigint, exactly');
    const bare = Object.create(null);
    bare.k = 'v';
    assert.equal(Pykka.toVariant(bare).get_type_string(), 'a{sv}', 'an object without a prototype');
    const e = assert.throws(() => Pykka.toVariant({ok: 1, bad: [new Gio.Cancellable()]}));
    return e.then(err => {
        assert.ok(err instanceof TypeError, `${err}`);
        assert.ok(err.message.includes('value.bad[0]'), err.message);
    });
});

test('an array with what cannot become a variant fails the send to a C actor with a TypeError', async () => {
    const ref = new Pykka.Actor().start();
    const e = await assert.throws(() => ref.tell([new Gio.Cancellable()]));
    assert.ok(e instanceof TypeError, `${e}`);
    assert.ok(e.message.includes('the message[0]'), e.message);
    ref.stop_sync(5000);
});

test('C to JS: a JS handler asked from C replies with GLib.Variants', async () => {
    // The runtime calls the handler so when C, Vala or Python asks.
    const actor = new Echo();
    actor.start();
    const [ok, reply] = actor.vfunc_on_receive(['a', 'b']);
    assert.ok(ok);
    assert.ok(reply instanceof GLib.Variant, `a variant (${reply})`);
    assert.equal(reply.get_type_string(), 'as');
    const [, objectReply] = actor.vfunc_on_receive({n: 1});
    assert.equal(objectReply.get_type_string(), 'a{sv}');
    const [, future] = actor.vfunc_on_receive({async: [1, 2]});
    const asyncReply = await future.get_async(null);
    assert.ok(asyncReply instanceof GLib.Variant, `an async reply is a variant too (${asyncReply})`);
    assert.equal(asyncReply.get_type_string(), 'av');
    // What cannot become a variant stays a JavaScript value (a PykkaJSCarrier).
    const [okOdd, odd] = actor.vfunc_on_receive(new Map());
    assert.ok(okOdd && !(odd instanceof GLib.Variant), `not a variant (${odd})`);
    const [, bytes] = actor.vfunc_on_receive(new Uint8Array([1]));
    assert.ok(bytes instanceof GLib.Bytes, `a Uint8Array replies GLib.Bytes (${bytes})`);
    actor.actor_ref.stop_sync(5000);
});

const status = run(() => {
    Pykka.Registry.stop_all(5000);
});
System.exit(status);
