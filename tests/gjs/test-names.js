// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Names of actors from JavaScript (issue 15.5): Pykka.Registry's
// register_name, lookup_name, unregister_name and dup_names, through GI
// alone (the override adds nothing).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, until} from './harness.js';

const Echo = GObject.registerClass(
class Echo extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.seenInStop = undefined;
    }

    vfunc_on_stop() {
        this.seenInStop = Pykka.Registry.lookup_name('echo');
        return true;
    }

    vfunc_on_receive(message) {
        if (message === 'fail')
            throw new GLib.Error(Pykka.Error, Pykka.Error.FAILED, 'failed on purpose');
        return [true, message];
    }
});

test('a name finds its actor; again is fine; several names', () => {
    const ref = new Echo().start();
    assert.equal(Pykka.Registry.lookup_name('echo'), null, 'free at first');
    assert.ok(Pykka.Registry.register_name('echo', ref));
    assert.equal(Pykka.Registry.lookup_name('echo').get_urn(), ref.get_urn());
    assert.equal(Pykka.Registry.lookup_name('echo').ask('hi').get(5000), 'hi');
    assert.ok(Pykka.Registry.register_name('echo', ref), 'again for the same actor');
    assert.ok(Pykka.Registry.register_name('écho', ref));
    assert.deepEqual(Pykka.Registry.dup_names(ref), ['echo', 'écho']);
    assert.ok(Pykka.Registry.unregister_name('écho'));
    assert.ok(!Pykka.Registry.unregister_name('écho'), 'already free');
    assert.deepEqual(Pykka.Registry.dup_names(ref), ['echo']);
});

test('a name taken by another actor throws NAME_TAKEN naming the holder', async () => {
    const first = new Echo().start();
    const second = new Echo().start();
    Pykka.Registry.register_name('echo', first);
    const e = await assert.throws(() => Pykka.Registry.register_name('echo', second));
    assert.gerror(e, Pykka.Error, Pykka.Error.NAME_TAKEN);
    assert.ok(e.message.includes('echo') && e.message.includes(first.get_urn()), e.message);
    assert.equal(Pykka.Registry.lookup_name('echo').get_urn(), first.get_urn());
});

test('the name is free when the actor stops (in on_stop already), fails or is killed', async () => {
    const ref = new Echo().start();
    const actor = ref.dup_actor();
    Pykka.Registry.register_name('echo', ref);
    assert.ok(ref.stop_sync(5000));
    assert.equal(actor.seenInStop, null, 'free in on_stop');
    assert.equal(Pykka.Registry.lookup_name('echo'), null);

    const failing = new Echo().start();
    Pykka.Registry.register_name('failing', failing);
    failing.tell('fail');
    await until(() => !failing.is_alive(), 'the failure');
    assert.equal(Pykka.Registry.lookup_name('failing'), null);

    const killed = new Echo().start();
    Pykka.Registry.register_name('killed', killed);
    assert.ok(killed.kill());
    assert.equal(Pykka.Registry.lookup_name('killed'), null);
});

test('a dead actor or an empty name cannot take a name', async () => {
    const ref = new Echo().start();
    let e = await assert.throws(() => Pykka.Registry.register_name('', ref));
    assert.gerror(e, Pykka.Error, Pykka.Error.INVALID_ARGUMENT);
    ref.stop_sync(5000);
    e = await assert.throws(() => Pykka.Registry.register_name('late', ref));
    assert.gerror(e, Pykka.Error, Pykka.Error.ACTOR_DEAD);
    assert.deepEqual(Pykka.Registry.dup_names(ref), []);
});

const status = run(() => {
    Pykka.Registry.stop_all(5000);
});
System.exit(status);
