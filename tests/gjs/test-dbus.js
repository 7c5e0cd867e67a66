// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A remote ref from JavaScript (issue 17.2): an actor of the C test
// module in pykka-glib-host, asked through Pykka.RemoteRef and GI alone.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert} from './harness.js';

const MODULE = GLib.getenv('TEST_DBUS_MODULE');

function intValue(n) {
    const value = new GObject.Value();
    value.init(GObject.TYPE_INT);
    value.set_int(n);
    return value;
}

test('a remote ref asks an actor in a helper process', () => {
    const remote = Pykka.subprocess_start_actor(MODULE, 'TestHostActor');
    assert.ok(remote.is_alive());
    assert.equal(remote.ask(intValue(41)).get(10000), 42);
    assert.equal(remote.ask('pid').get(10000), remote.get_subprocess().get_identifier());
    assert.ok(remote.stop().get(10000));
    assert.ok(!remote.is_alive());
});

test('a crash of the helper is the death of the remote ref', async () => {
    const remote = Pykka.subprocess_start_actor(MODULE, 'TestHostActor');
    const e = await assert.throws(() => remote.ask('segv').get(10000));
    assert.gerror(e, Pykka.Error, Pykka.Error.ACTOR_DEAD);
    assert.ok(remote.get_terminated().get(10000).message.includes('process crashed'));
});

System.exit(run(() => {}));
