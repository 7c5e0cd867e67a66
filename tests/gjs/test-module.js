// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The ES module pykka.js, imported by path when GJS did not find the
// override on its search path (run without -I): it applies the same
// additions.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import System from 'system';

// A static import: the harness runs a main loop, which must not happen
// inside a promise job (a top-level await would make it one).
import Pykka, {toFuture, toVariant, isJSActor, traversable, proxySet} from '../../introspection/js/pykka.js';
import {test, run, assert, sleep} from './harness.js';

const jsDir = GLib.getenv('PYKKA_GLIB_JS_DIR');

const Doubler = GObject.registerClass(
class Doubler extends Pykka.Actor {
    async vfunc_on_receive(n) {
        await sleep(1);
        return n * 2;
    }
});

test('the module applies the additions once', () => {
    assert.ok(Pykka[Symbol.for('pykka-glib.js.installed')]);
    assert.equal(typeof toFuture, 'function');
    assert.equal(toVariant(['a']).get_type_string(), 'as');
    assert.ok(isJSActor(new Doubler()));
    assert.ok(!isJSActor(new Pykka.Actor()));
});

test('async handlers and promisified get_async work through the module', async () => {
    const ref = new Doubler().start();
    assert.equal(await ref.ask(21).get_async(null), 42);
    assert.ok(await ref.stop().get_async(null));
});

test('proxies work through the module', async () => {
    assert.equal(traversable, Pykka.traversable);
    assert.equal(proxySet, Pykka.proxySet);
    const ref = new Doubler().start();
    const proxy = ref.proxy();
    assert.equal(proxy, ref.proxy());
    assert.ok(await assert.throws(() => proxy.vfunc_on_receive) instanceof TypeError);
    assert.equal(await ref.ask(4).get_async(null), 8, 'ordinary messages still work');
    const child = GObject.registerClass(class Child extends Doubler {
        triple(n) {
            return n * 3;
        }
    });
    const childRef = new child().start();
    assert.equal(await childRef.proxy().triple(3).get_async(null), 9);
    assert.equal(await childRef.ask(3).get_async(null), 6);
    await proxySet(childRef.proxy(), 'n', 1).get_async(null);
    assert.equal(childRef.dup_actor().n, 1);
    ref.stop_sync(5000);
    childRef.stop_sync(5000);
});

test('a JS actor on its own thread is refused', async () => {
    const e = await assert.throws(() => new Doubler({use_own_thread: true}).start());
    assert.gerror(e, Pykka.Error, Pykka.Error.NOT_SUPPORTED);
});

test('importing the module again changes nothing', async () => {
    const again = await import(GLib.filename_to_uri(GLib.build_filenamev([jsDir, 'pykka.js']), null));
    assert.equal(again.default, Pykka);
    const ref = new Doubler().start();
    assert.equal(await ref.ask(2).get_async(null), 4);
    ref.stop_sync(5000);
});

System.exit(run(() => Pykka.Registry.stop_all(5000)));
