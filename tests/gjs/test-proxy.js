// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Proxies of actors written in JavaScript (ref.proxy()): method calls,
// defer, attribute reads and writes, traversable attributes, identity,
// errors, and that the actor's own handler never sees a proxy message.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

import {test, run, assert, sleep, until} from './harness.js';

// Runs fn from an idle callback: plain code, not a promise job.
function fromPlainCode(fn) {
    return new Promise((resolve, reject) => {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            try {
                resolve(fn());
            } catch (e) {
                reject(e);
            }
            return GLib.SOURCE_REMOVE;
        });
    });
}

class Engine {
    constructor() {
        this.rpm = 0;
        this.calls = [];
    }

    rev(rpm) {
        this.calls.push(this === undefined ? 'no this' : 'this');
        this.rpm = rpm;
        return `revved to ${rpm}`;
    }
}

class Gearbox {
    constructor() {
        this.gear = 1;
    }

    shift(gear) {
        this.gear = gear;
        return this.gear;
    }
}
Pykka.traversable(Gearbox);

const Car = GObject.registerClass(
class Car extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.speed = 0;
        this.name = 'car';
        this.engine = Pykka.traversable(new Engine());
        this.gearbox = new Gearbox();
        this.plain = {notTraversable: true};
        this.received = [];
        this.failures = [];
        this._secret = 'hidden';
    }

    get doubleSpeed() {
        return this.speed * 2;
    }

    drive(speed) {
        this.speed = speed;
        return this.speed;
    }

    echo(value) {
        return value;
    }

    same(a, b) {
        return {a, b, sameThis: this instanceof Car};
    }

    nothing() {}

    fail(message) {
        throw new GLib.Error(Pykka.Error, Pykka.Error.INVALID_ARGUMENT, message);
    }

    failJS() {
        throw new RangeError('out of range');
    }

    async slowDouble(n, delay = 5) {
        await sleep(delay);
        return n * 2;
    }

    async slowFail() {
        await sleep(1);
        throw new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT, 'slow failure');
    }

    list() {
        return [1, 2];
    }

    vfunc_on_failure(error) {
        this.failures.push(error.message);
    }

    vfunc_on_receive(message) {
        this.received.push(message);
        return {ordinary: message};
    }
});

test('a method call returns a future of its return value', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    const f = proxy.drive(50);
    assert.ok(f instanceof Pykka.Future, 'a Pykka.Future');
    assert.equal(f.get(5000), 50);
    assert.equal(proxy.nothing().get(5000), null, 'undefined becomes null');
    assert.equal(await proxy.drive(60).get_async(null), 60, 'await get_async');
    assert.equal(ref.dup_actor().speed, 60);
    ref.stop_sync(5000);
});

test('arguments and return values keep their identity', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    const a = {a: 1};
    const b = {b: [1, 2]};
    assert.equal(proxy.echo(a).get(5000), a);
    const r = await proxy.same(a, b).get_async(null);
    assert.equal(r.a, a);
    assert.equal(r.b, b);
    assert.ok(r.sameThis, 'runs with the actor as this');
    ref.stop_sync(5000);
});

test('an async method answers when its promise settles', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    const slow = proxy.slowDouble(21, 20);
    const next = proxy.drive(5);
    assert.equal(await slow.get_async(null), 42);
    assert.equal(await next.get_async(null), 5);
    const e = await assert.throws(() => proxy.slowFail().get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.TIMEOUT);
    assert.equal(e.message, 'slow failure');
    assert.ok(ref.is_alive(), 'a failed call does not stop the actor');
    ref.stop_sync(5000);
});

test('a method that throws fails the future; the actor lives on', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    const e = await assert.throws(() => proxy.fail('bad').get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.INVALID_ARGUMENT);
    assert.equal(e.message, 'bad');
    const e2 = await assert.throws(() => proxy.failJS().get(5000));
    assert.ok(e2 instanceof RangeError, `a RangeError (${e2})`);
    // An Array travels to a JavaScript asker as itself.
    assert.deepEqual(proxy.list().get(5000), [1, 2]);
    assert.equal(proxy.drive(1).get(5000), 1);
    ref.stop_sync(5000);
});

test('defer tells: no future, in order, failures go to on_failure', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    assert.equal(proxy.drive.defer(10), undefined);
    proxy.drive.defer(20);
    assert.equal(await proxy.speed.get_async(null), 20);
    proxy.fail.defer('told failure');
    await until(() => !ref.is_alive(), 'the actor to stop');
    assert.deepEqual(car.failures, ['told failure']);
});

test('reading an attribute gives a future of its value', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    assert.ok(proxy.speed instanceof Pykka.Future);
    assert.equal(proxy.name.get(5000), 'car');
    proxy.drive(7);
    assert.equal(await proxy.doubleSpeed.get_async(null), 14, 'a getter runs in the actor');
    const plain = ref.dup_actor().plain;
    assert.equal(proxy.plain.get(5000), plain, 'an object that is not traversable is a value');
    ref.stop_sync(5000);
});

test('assigning a property sets it on the actor (blocking, in a promise job)', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    const value = {fast: true};
    proxy.speed = 99;
    assert.equal(car.speed, 99, 'set before the assignment returns');
    proxy.speed = value;
    assert.equal(car.speed, value);
    proxy.added = 'new';
    assert.equal(await proxy.added.get_async(null), 'new', 'new attributes may be added');
    ref.stop_sync(5000);
});

test('assigning from plain code waits for an actor busy in an async method', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    const slow = proxy.slowDouble(1, 20);
    await fromPlainCode(() => {
        proxy.speed = 5;
        assert.equal(car.speed, 5);
    });
    assert.ok(slow.is_done(), 'the set waited for the call before it');
    ref.stop_sync(5000);
});

const Gate = GObject.registerClass(
class Gate extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.value = 0;
        this.open = null;
    }

    wait() {
        return new Promise(resolve => {
            this.open = resolve;
        });
    }
});

test('an assignment that times out throws TIMEOUT naming proxySet; proxySet works', async () => {
    const gate = new Gate();
    const ref = gate.start();
    const proxy = ref.proxy();
    const waiting = proxy.wait();
    await until(() => gate.open !== null, 'the actor to wait');
    const saved = Pykka.proxySetTimeout;
    Pykka.proxySetTimeout = 50;
    try {
        const e = await assert.throws(() => {
            proxy.value = 1;
        });
        assert.gerror(e, Pykka.Error, Pykka.Error.TIMEOUT);
        assert.ok(e.message.includes('Pykka.proxySet'), e.message);
    } finally {
        Pykka.proxySetTimeout = saved;
    }
    const set = Pykka.proxySet(proxy, 'value', 2);
    assert.ok(set instanceof Pykka.Future);
    gate.open('opened');
    assert.equal(await waiting.get_async(null), 'opened');
    assert.equal(await set.get_async(null), null);
    assert.equal(gate.value, 2, 'the timed-out set happened, then proxySet');
    ref.stop_sync(5000);
});

test('private and unknown names throw a TypeError', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    for (const name of ['_secret', '_init', 'nope', 'vfunc_on_receive', 'start',
        'connect', 'use_own_thread', 'constructor']) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assert.throws(() => proxy[name], `reading ${name} throws`);
        assert.ok(e instanceof TypeError, `${name}: a TypeError (${e})`);
        assert.ok(e.message.includes(name), e.message);
    }
    const e = await assert.throws(() => {
        proxy._secret = 'x';
    });
    assert.ok(e instanceof TypeError, `${e}`);
    assert.ok(await assert.throws(() => Pykka.proxySet(proxy, '_secret', 1)) instanceof TypeError);
    assert.ok(await assert.throws(() => {
        delete proxy.speed;
    }) instanceof TypeError);
    assert.ok('speed' in proxy && 'drive' in proxy && !('_secret' in proxy) && !('nope' in proxy));
    assert.deepEqual(Pykka.proxyAttributes(proxy),
        ['doubleSpeed', 'drive', 'echo', 'engine', 'fail', 'failJS', 'failures', 'gearbox',
            'list', 'name', 'nothing', 'plain', 'received', 'same', 'slowDouble', 'slowFail',
            'speed']);
    assert.equal(ref.dup_actor()._secret, 'hidden');
    ref.stop_sync(5000);
});

test('a proxy of a dead actor throws ACTOR_DEAD', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    const drive = proxy.drive;
    ref.stop_sync(5000);
    const dead = e => assert.gerror(e, Pykka.Error, Pykka.Error.ACTOR_DEAD);
    // The same text as the ref's own error (issue 19.4).
    const refError = await assert.throws(() => ref.tell(1));
    const proxyError = await assert.throws(() => ref.proxy());
    dead(proxyError);
    assert.equal(proxyError.message, refError.message);
    assert.equal(proxyError.message, `Actor ${GObject.type_name(ref.get_actor_type())} (${ref.get_urn()}) is dead`);
    dead(await assert.throws(() => proxy.speed));
    dead(await assert.throws(() => proxy.drive));
    dead(await assert.throws(() => drive(1)));
    dead(await assert.throws(() => drive.defer(1)));
    dead(await assert.throws(() => {
        proxy.speed = 1;
    }));
    assert.equal(proxy.actor_ref, ref, 'actor_ref still answers');
});

test('proxy.actor_ref is the ref', () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    assert.equal(proxy.actor_ref, ref);
    assert.equal(proxy.actor_ref.get_urn(), car.get_urn());
    assert.equal(proxy.engine.actor_ref, ref);
    ref.stop_sync(5000);
});

test('traversable attributes give nested proxies running on the object', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    const engine = proxy.engine;
    assert.ok(!(engine instanceof Pykka.Future), 'not a future');
    assert.equal(await engine.rev(3000).get_async(null), 'revved to 3000');
    assert.deepEqual(car.engine.calls, ['this'], 'called with the engine as this');
    assert.equal(await engine.rpm.get_async(null), 3000);
    engine.rpm = 10;
    assert.equal(car.engine.rpm, 10);
    engine.rev.defer(20);
    assert.equal(await engine.rpm.get_async(null), 20);
    // A class marked traversable marks its instances.
    assert.equal(await proxy.gearbox.shift(4).get_async(null), 4);
    assert.equal(car.gearbox.gear, 4);
    assert.ok(String(engine).includes('at engine'), String(engine));
    const e = await assert.throws(() => engine.nope);
    assert.ok(e instanceof TypeError);
    ref.stop_sync(5000);
});

test('the same actor and path give the same proxy (===)', () => {
    const ref = new Car().start();
    const other = new Car().start();
    const proxy = ref.proxy();
    assert.ok(proxy === ref.proxy(), 'ref.proxy() twice');
    assert.ok(proxy === Pykka.Registry.get_by_urn(ref.get_urn()).proxy(), 'through the registry');
    assert.ok(proxy !== other.proxy(), 'another actor');
    assert.ok(proxy.engine === proxy.engine, 'nested');
    assert.ok(proxy.engine !== other.proxy().engine);
    assert.ok(proxy.drive === proxy.drive, 'methods');
    assert.ok(proxy.engine.rev === ref.proxy().engine.rev);
    assert.ok(proxy.speed !== proxy.speed, 'each read is a new future');
    ref.stop_sync(5000);
    other.stop_sync(5000);
});

test('the actor\'s handler never sees proxy messages; ordinary ones still work', async () => {
    const car = new Car();
    const ref = car.start();
    const proxy = ref.proxy();
    const m = {hello: 1};
    ref.tell('first');
    proxy.drive(1);
    const r = ref.ask(m);
    proxy.speed = 2;
    proxy.drive.defer(3);
    const speed = proxy.speed;
    ref.tell('last');
    assert.equal((await r.get_async(null)).ordinary, m);
    assert.equal(await speed.get_async(null), 3, 'in order with ordinary messages');
    assert.equal(await ref.ask('sync').get_async(null).then(x => x.ordinary), 'sync');
    assert.deepEqual(car.received.map(x => typeof x === 'string' ? x : 'object'),
        ['first', 'object', 'last', 'sync']);
    assert.equal(car.received[1], m);
    ref.stop_sync(5000);
});

test('proxies work through the promise of await (the proxy is no thenable)', async () => {
    const ref = new Car().start();
    const proxy = ref.proxy();
    const same = await proxy;
    assert.equal(same, proxy);
    const fromAsync = await (async () => ref.proxy())();
    assert.equal(fromAsync, proxy);
    assert.equal(Object.prototype.toString.call(proxy), '[object Pykka.ActorProxy]');
    assert.ok(proxy instanceof Pykka.ActorProxy);
    ref.stop_sync(5000);
});

const Driver = GObject.registerClass(
class Driver extends Pykka.Actor {
    setSpeed(carProxy, speed) {
        carProxy.speed = speed;
        return 'set';
    }

    setOwn() {
        this.actor_ref.proxy().mood = 'happy';
    }
});

test('a handler may assign through another actor\'s proxy, not its own (DEADLOCK)', async () => {
    const car = new Car();
    const carRef = car.start();
    const driver = new Driver().start().proxy();
    assert.equal(await driver.setSpeed(carRef.proxy(), 33).get_async(null), 'set');
    assert.equal(car.speed, 33);
    const e = await assert.throws(() => driver.setOwn().get_async(null));
    assert.gerror(e, Pykka.Error, Pykka.Error.DEADLOCK);
    assert.ok(driver.actor_ref.is_alive());
    Pykka.Registry.stop_all(5000);
});

const Bare = GObject.registerClass(
class Bare extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.count = 0;
    }

    add(n) {
        this.count += n;
        return this.count;
    }
});

const BareChild = GObject.registerClass(
class BareChild extends Bare {
    twice(n) {
        this.add(n);
        return this.add(n);
    }
});

const Handled = GObject.registerClass(
class Handled extends Bare {
    vfunc_on_receive(message) {
        return `handled ${message}`;
    }
});

test('actors without a handler, and subclasses, can be proxied', async () => {
    const bare = new Bare().start();
    assert.equal(await bare.proxy().add(2).get_async(null), 2);
    // An ordinary message to an actor without a handler is unexpected:
    // a warning, a null reply, and the actor lives on.
    assert.equal(await bare.ask('unexpected').get_async(null), null);
    bare.tell('unexpected too');
    assert.equal(await bare.proxy().add(1).get_async(null), 3);
    assert.ok(bare.is_alive());
    const child = new BareChild().start();
    assert.equal(await child.proxy().twice(5).get_async(null), 10);
    assert.equal(await child.proxy().count.get_async(null), 10);
    const handled = new Handled().start();
    assert.equal(await handled.ask('x').get_async(null), 'handled x');
    assert.equal(await handled.proxy().add(4).get_async(null), 4);
    Pykka.Registry.stop_all(5000);
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

    isReady() {
        return this.ready;
    }
});

test('proxy calls wait for an async on_start', async () => {
    const ref = new SlowStart().start();
    assert.equal(await ref.proxy().isReady().get_async(null), true);
    ref.stop_sync(5000);
});

test('a ref to an actor not written in JavaScript has no proxy: NOT_SUPPORTED', async () => {
    const refs = [new Pykka.Actor().start(), new Pykka.Actor({use_own_thread: true}).start()];
    for (const ref of refs) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assert.throws(() => ref.proxy());
        assert.gerror(e, Pykka.Error, Pykka.Error.NOT_SUPPORTED);
        assert.ok(e.message.includes('JavaScript'), e.message);
        assert.ok(ref.stop_sync(5000));
    }
});

const status = run(() => {
    Pykka.Registry.stop_all(5000);
});
System.exit(status);
