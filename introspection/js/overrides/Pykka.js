// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS override of the Pykka namespace: applied by GJS itself when this
// file's folder's parent is on GJS's search path (`gjs -I dir`, `GJS_PATH`,
// or `$XDG_DATA_DIRS/gjs-1.0`, where it is installed). The ES module
// `pykka.js` next to it applies the same code when the override was not
// found, so `import ... from '.../pykka.js'` always works.
//
// What it adds to Pykka:
//
// - Handlers may be async functions (or return any thenable):
//   `async vfunc_on_receive (msg) { ...; return reply; }`. The promise
//   becomes the reply future: the actor takes no other message until it
//   settles, and the ask is answered with its value or error. A plain
//   handler may also return the reply itself instead of `[true, reply]`;
//   `undefined` means no reply (null).
// - An async handler's awaits of futures (`future.get_async(null)`, also
//   after other awaits and in async functions it calls) are recorded in
//   the runtime's wait-for graph while its promise is pending: awaiting
//   its own actor, or a cycle of actors, fails at once with
//   `Pykka.Error.DEADLOCK` naming the cycle. `await this.waitFor(future,
//   timeoutMsec)` does the same anywhere (also in .then callbacks), with
//   a timeout on the clock of the actor's context.
// - `vfunc_on_start` and `vfunc_on_stop` may return nothing (success) or a
//   promise. The actor takes no message until an async on_start settles;
//   if it rejects, the error is logged and the actor stops.
// - `Pykka.Future.prototype.get_async` and `Pykka.Event.prototype.wait_async`
//   return promises when called without a callback (Gio._promisify):
//   `const value = await future.get_async(null);`.
// - `Pykka.Actor.prototype.start` refuses, with a `Pykka.Error.NOT_SUPPORTED`
//   GLib.Error, to start an actor written in JavaScript on a thread of its
//   own or in a context another thread runs: GJS runs JavaScript on the
//   main thread only.
// - `Pykka.ActorRef.prototype.proxy()`: for an actor written in JavaScript,
//   a `Proxy` (Pykka's ActorProxy): `proxy.method(...args)` asks and returns
//   a Pykka.Future of the return value (a returned promise settles it),
//   `proxy.method.defer(...args)` tells, reading a field or getter gives a
//   future of its value, `proxy.attr = v` blocks until set (at most
//   `Pykka.proxySetTimeout` ms; `Pykka.proxySet(proxy, name, v)` is the
//   future form), `Pykka.traversable(obj)` makes an attribute a nested
//   proxy, `proxy.actor_ref` is the ref. One proxy per actor and path, so
//   `===` compares them. `_names` and unknown names throw a TypeError, a
//   dead actor's proxy throws ACTOR_DEAD, an actor not written in
//   JavaScript has none (NOT_SUPPORTED). Proxy messages are answered by the
//   wrapped vfunc_on_receive (every JavaScript actor class gets one) and
//   never reach the user's handler.
// - Values follow the receiver: to an actor written in JavaScript (or a
//   Pykka.Router) every value keeps its identity, arrays and class
//   instances included (in a carrier object that the receiving side
//   unwraps); to one written in C, Vala or Python, arrays and plain
//   objects become GLib.Variants (`as`, `av`, `a{sv}`; `Pykka.toVariant()`)
//   and a Uint8Array a GLib.Bytes. A handler asked from C replies so too.
//   Reading a future unwraps carriers.
// - Helpers: `Pykka.toFuture(valueOrPromise)` (a Pykka.Future completed by
//   the promise), `Pykka.isJSActor(actor)`, `Pykka.Future.joinAsync(futures)`
//   (a promise of an Array of the values).
// - `Pykka.Future.get_all` returns an Array (the C one crashes GJS 1.74),
//   `Pykka.ActorRef.prototype.ask_sync (message, timeout)` returns the reply
//   or throws (the C one hides errors from GJS).

/* exported _init, _install */

const _installed = Symbol.for('pykka-glib.js.installed');
const _jsClass = Symbol.for('pykka-glib.js.class');
const _starting = Symbol.for('pykka-glib.js.starting');
const _proxyAware = Symbol.for('pykka-glib.js.proxy-aware');
const _proxyMessage = Symbol.for('pykka-glib.js.proxy-message');
const _traversable = Symbol.for('pykka-glib.js.traversable');
const _invocation = Symbol.for('pykka-glib.js.invocation');
const _carrier = Symbol.for('pykka-glib.js.carrier');

function _isThenable(v) {
    return v !== null && (typeof v === 'object' || typeof v === 'function') &&
        typeof v.then === 'function';
}

// The reply a C handler expects: [true, GValue-able value].
function _plainReply(r) {
    if (Array.isArray(r) && r.length === 2 && typeof r[0] === 'boolean')
        return r[1] === undefined ? [r[0], null] : r;
    return [true, r === undefined ? null : r];
}

// A short description of a message for a warning.
function _describe(message) {
    if (message === null || message === undefined)
        return String(message);
    if (typeof message === 'object')
        return `of type ${message.constructor?.name ?? 'Object'}`;
    return `of type ${typeof message}`;
}

// What logError() takes for any thrown value: it throws itself for a
// value that is not an object (`throw 42`, `throw undefined`).
function _loggable(error) {
    if (error !== null && typeof error === 'object')
        return error;
    return new Error(`Non-exception ${error === null ? 'null' : typeof error} value ${String(error)} thrown`);
}

function _install(Pykka, GLib, GObject, Gio) {
    if (Pykka[_installed])
        return Pykka;
    Pykka[_installed] = true;

    Gio._promisify(Pykka.Event.prototype, 'wait_async', 'wait_finish');

    // ---------------------------------------------------------------
    // Values: what a JavaScript value becomes for each receiver.
    //
    // To an actor written in JavaScript (and through a Pykka.Router, which
    // forwards messages as they are), values keep their identity: an ask,
    // and any object GJS cannot put in a GValue (arrays, typed arrays,
    // instances of JavaScript classes), is sent in a carrier object that
    // the receiving wrapper (or the reader of a future) unwraps. The
    // carrier of an ask also tells the handler that its asker reads
    // JavaScript. To an actor written in C or Vala (Python never shares a
    // process with GJS), arrays and plain objects become GLib.Variants
    // (toVariant()) and a Uint8Array a GLib.Bytes; a handler asked by such
    // code replies the same way. Everything else goes as GJS puts it in a
    // GValue.

    // The carrier is a GObject holding the value in a JavaScript property:
    // GJS 1.74 does not keep alive a JavaScript object that only a GValue
    // holds (the "JSObject" boxed type), so a collection while a message
    // waited in a mailbox, or a reply in its future, freed it and reading
    // it crashed. A GObject that C holds keeps its JavaScript wrapper, and
    // so the value, until C lets go of it.
    const Carrier = GObject.registerClass({GTypeName: 'PykkaJSCarrier'},
        class Carrier extends GObject.Object {});

    function carry(value) {
        const carrier = new Carrier();
        carrier[_carrier] = value;
        return carrier;
    }

    function isCarrier(value) {
        return value instanceof Carrier;
    }

    function uncarry(value) {
        return value instanceof Carrier ? value[_carrier] : value;
    }

    function isPlainObject(value) {
        return value !== null && typeof value === 'object' &&
            Object.getPrototypeOf(value) === Object.prototype;
    }

    // What becomes an a{sv}: a plain object, or one without a prototype.
    function isRecord(value) {
        return isPlainObject(value) ||
            (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null);
    }

    // Every JavaScript object but those of GObject types (GObjects, boxed
    // types, GLib.Variants, which C keeps by reference counts) travels in
    // a carrier: arrays, typed arrays, functions, instances of JavaScript
    // classes, and plain objects too (GJS would put those in a GValue as a
    // JSObject that it does not keep alive).
    function carryIfNeeded(value) {
        if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
            return value;
        const gtype = value.constructor?.$gtype;
        // (GJS gives Object itself the $gtype of JSObject.)
        if (gtype !== undefined && gtype !== GObject.TYPE_JSOBJECT)
            return value;
        return carry(value);
    }

    const MAX_DEPTH = 64;

    // A GLib.Variant of @value: booleans 'b', strings 's', integral
    // numbers within 2^53 (and bigints) 'x', other numbers 'd', null and
    // undefined an empty 'mv', a Uint8Array 'ay', an array of strings
    // (not empty) 'as', any other array 'av', a plain object (or one
    // without a prototype) 'a{sv}'
    // (undefined members left out), a GLib.Variant itself. Anything else
    // throws a TypeError naming where it is.
    function toVariant(value, path = 'value', depth = 0) {
        if (value instanceof GLib.Variant)
            return value;
        if (value === null || value === undefined)
            return new GLib.Variant('mv', null);
        switch (typeof value) {
        case 'boolean':
            return new GLib.Variant('b', value);
        case 'string':
            return new GLib.Variant('s', value);
        case 'number':
            return Number.isSafeInteger(value) ? new GLib.Variant('x', value) : new GLib.Variant('d', value);
        case 'bigint':
            if (value >= -(2n ** 63n) && value < 2n ** 63n)
                return new GLib.Variant('x', value);
            break;
        }
        if (depth >= MAX_DEPTH)
            throw new TypeError(`${path} is nested more than ${MAX_DEPTH} deep (a cycle?): it cannot become a GLib.Variant`);
        if (value instanceof Uint8Array)
            return new GLib.Variant('ay', value);
        if (Array.isArray(value)) {
            if (value.length > 0 && value.every(v => typeof v === 'string'))
                return new GLib.Variant('as', value);
            return new GLib.Variant('av', value.map((v, i) => toVariant(v, `${path}[${i}]`, depth + 1)));
        }
        if (isRecord(value)) {
            const dict = {};
            for (const [k, v] of Object.entries(value)) {
                if (v !== undefined)
                    dict[k] = toVariant(v, `${path}.${k}`, depth + 1);
            }
            return new GLib.Variant('a{sv}', dict);
        }
        throw new TypeError(`${path} is ${_describe(value)}, which cannot become a GLib.Variant ` +
            '(only booleans, numbers, strings, null, arrays, plain objects, Uint8Arrays and ' +
            'GLib.Variants can)');
    }

    // @value as an actor written in C or Vala gets it.
    function toNative(value, what) {
        if (value instanceof Uint8Array)
            return new GLib.Bytes(value);
        if (Array.isArray(value) || isRecord(value))
            return toVariant(value, what);
        return value;
    }

    // Whether the actor behind @ref reads JavaScript values (cached per ref).
    const readsJS = new WeakMap();
    function receiverReadsJS(ref) {
        let js = readsJS.get(ref);
        if (js === undefined) {
            const actor = ref.dup_actor();
            if (actor === null)
                return true;  // dead or not started: the send fails anyway
            js = isJSActor(actor) || (Pykka.Router !== undefined && actor instanceof Pykka.Router);
            readsJS.set(ref, js);
        }
        return js;
    }

    // A reply for an asker that may be written in C, Vala or Python; what
    // cannot become a GLib.Variant stays a JavaScript value, as before.
    function nativeReply(value) {
        try {
            return carryIfNeeded(toNative(value, 'the reply'));
        } catch (e) {
            return carryIfNeeded(value);
        }
    }

    function messageFor(ref, message, ask) {
        const scalar = message === null || (typeof message !== 'object' && typeof message !== 'function');
        if (scalar && !ask)
            return message;
        if (receiverReadsJS(ref))
            return ask ? carry(message) : carryIfNeeded(message);
        if (scalar)
            return message;
        return carryIfNeeded(toNative(message, 'the message'));
    }

    const cTell = Pykka.ActorRef.prototype.tell;
    const cTellLatest = Pykka.ActorRef.prototype.tell_latest;
    const cAsk = Pykka.ActorRef.prototype.ask;
    const cAskCancellable = Pykka.ActorRef.prototype.ask_cancellable;
    Pykka.ActorRef.prototype.tell = function (message) {
        return cTell.call(this, messageFor(this, message, false));
    };
    Pykka.ActorRef.prototype.tell_latest = function (key, message) {
        return cTellLatest.call(this, key, messageFor(this, message, false));
    };
    Pykka.ActorRef.prototype.ask = function (message) {
        return cAsk.call(this, messageFor(this, message, true));
    };
    Pykka.ActorRef.prototype.ask_cancellable = function (message, cancellable) {
        return cAskCancellable.call(this, messageFor(this, message, true), cancellable);
    };

    // A broadcast of a value that needs converting tells each actor in
    // turn, converted for it (the count is of those it reached).
    const cBroadcast = Pykka.Registry.broadcast;
    Pykka.Registry.broadcast = function (message, targetType = GObject.TYPE_INVALID) {
        const scalar = message === null || (typeof message !== 'object' && typeof message !== 'function');
        if (scalar || message.constructor?.$gtype !== undefined)
            return cBroadcast.call(this, message, targetType);
        const refs = targetType === GObject.TYPE_INVALID
            ? Pykka.Registry.get_all() : Pykka.Registry.get_by_type(targetType);
        let sent = 0;
        for (const ref of refs) {
            try {
                ref.tell(message);
                sent++;
            } catch (e) {
                if (!(e instanceof GLib.Error && e.matches(Pykka.Error, Pykka.Error.ACTOR_DEAD)))
                    throw e;
            }
        }
        return sent;
    };

    // Reading a future unwraps carriers; setting one from JavaScript
    // carries what needs it (its readers are taken to be JavaScript).
    const cGet = Pykka.Future.prototype.get;
    const cGetFinish = Pykka.Future.prototype.get_finish;
    const cSetValue = Pykka.Future.prototype.set_value;
    const cMap = Pykka.Future.prototype.map;
    const cNewForValue = Pykka.Future.new_for_value;
    Pykka.Future.prototype.get = function (...args) {
        return uncarry(cGet.apply(this, args));
    };
    Pykka.Future.prototype.get_finish = function (result) {
        return uncarry(cGetFinish.call(this, result));
    };
    Pykka.Future.prototype.set_value = function (value) {
        return cSetValue.call(this, carryIfNeeded(value));
    };
    Pykka.Future.new_for_value = function (value) {
        return cNewForValue.call(this, carryIfNeeded(value));
    };
    Pykka.Future.prototype.map = function (func) {
        return cMap.call(this, value => {
            const r = func(uncarry(value));
            return Array.isArray(r) && r.length === 2 && typeof r[0] === 'boolean'
                ? [r[0], carryIfNeeded(r[1])] : r;
        });
    };

    // ---------------------------------------------------------------
    // Handlers that await: the wait-for graph sees JavaScript's awaits.
    //
    // Every call of a JavaScript actor's handler (on_receive, a proxy's
    // call, on_start) is an invocation, made through a function named
    // pykka$handler$<id>. SpiderMonkey keeps the stack of the call of an
    // async function with its continuations (`async*` frames of
    // `new Error().stack`), so a `get_async()` anywhere in the handler's
    // async code, after any await, finds the innermost invocation it
    // belongs to in its stack. While that invocation's promise is pending,
    // the actor waits: its awaits go through Pykka.Actor.await_future(),
    // which records the wait in the runtime's wait-for graph (a wait
    // that closes a cycle fails at once with DEADLOCK) and resumes in a
    // turn of the actor. Promise callbacks (.then) keep no such stack: they
    // belong to no invocation, and `this.waitFor()` names the actor.

    const invocations = new Map();  // id -> invocation, while it lives
    let lastInvocation = 0;
    const invocationFrame = /pykka\$handler\$(\d+)@/;
    const cGetAsync = Pykka.Future.prototype.get_async;

    // The live invocation whose code made the call that captured @stack.
    function invocationOf(stack) {
        if (invocations.size === 0)
            return null;
        const m = invocationFrame.exec(stack);
        return m ? invocations.get(Number(m[1])) ?? null : null;
    }

    // Settles @resolve/@reject with the outcome of @future (the C
    // get_async); an error gets the stack of the code that awaited.
    function settleWith(future, cancellable, resolve, reject, stack) {
        cGetAsync.call(future, cancellable, (source, result) => {
            try {
                resolve(future.get_finish(result));
            } catch (error) {
                reject(withStack(error, stack));
            }
        });
    }

    // @error, with the stack of the code that awaited (as Gio._promisify).
    function withStack(error, stack) {
        if (error instanceof Object) {
            if (error.stack)
                error.stack += `### Promise created here: ###\n${stack}`;
            else
                error.stack = stack;
        }
        return error;
    }

    // Waits for @future as @invocation's actor (see Pykka.Actor.await_future),
    // or plainly; at most @timeoutMsec (-1: forever).
    function waitAs(invocation, future, timeoutMsec, cancellable, resolve, reject, stack) {
        if (invocation === null || !invocation.live) {
            if (timeoutMsec >= 0) {
                const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMsec, () => {
                    reject(new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT,
                        `Timed out after ${timeoutMsec} ms waiting for a future`));
                    return GLib.SOURCE_REMOVE;
                });
                const done = f => v => {
                    GLib.source_remove(id);
                    f(v);
                };
                resolve = done(resolve);
                reject = done(reject);
            }
            settleWith(future, cancellable, resolve, reject, stack);
            return;
        }
        if (!invocation.suspended) {
            // The handler still runs: wait once it returned a promise.
            invocation.pending.push([future, timeoutMsec, cancellable, resolve, reject, stack]);
            return;
        }
        let awaited;
        try {
            awaited = invocation.actor.await_future(future, timeoutMsec);
        } catch (error) {
            reject(withStack(error, stack));
            return;
        }
        settleWith(awaited, cancellable, resolve, reject, stack);
    }

    // `await future.get_async(null)`: a promise of the value, which the
    // wait-for graph sees when an actor's handler awaits it.
    Pykka.Future.prototype.get_async = function (cancellable = null, ...rest) {
        if (rest.length > 0)
            return cGetAsync.call(this, cancellable, ...rest);
        const {stack} = new Error();
        const invocation = cancellable === null ? invocationOf(stack) : null;
        return new Promise((resolve, reject) =>
            waitAs(invocation, this, -1, cancellable, resolve, reject, stack));
    };

    // `await this.waitFor(future, timeoutMsec)` in a handler of this actor:
    // the value of @future, waited for at most @timeoutMsec ms (-1:
    // forever) on the clock of the actor's context; recorded in the
    // wait-for graph while the actor's handler is pending, even where the
    // stack does not tell (a .then callback). Elsewhere a plain wait.
    Pykka.Actor.prototype.waitFor = function (future, timeoutMsec = -1) {
        if (!(future instanceof Pykka.Future))
            throw new TypeError(`waitFor() takes a Pykka.Future, not ${_describe(future)}`);
        const {stack} = new Error();
        const invocation = this[_invocation] ?? null;
        return new Promise((resolve, reject) =>
            waitAs(invocation, future, timeoutMsec, null, resolve, reject, stack));
    };

    // Calls @fn on @actor with @args as a new invocation; returns its
    // result. A promise (or thenable) result keeps the invocation alive,
    // and the actor waiting, until it settles.
    function invoke(actor, fn, args) {
        const id = ++lastInvocation;
        const name = `pykka$handler$${id}`;
        const frame = {[name](f, self, a) {
            return f.apply(self, a);
        }}[name];
        const invocation = {id, actor, live: true, suspended: false, pending: []};
        invocations.set(id, invocation);
        actor[_invocation] = invocation;
        const end = () => {
            invocation.live = false;
            invocations.delete(id);
            if (actor[_invocation] === invocation)
                delete actor[_invocation];
        };
        let r;
        try {
            r = frame(fn, actor, args);
        } finally {
            // The awaits of the handler's synchronous part, recorded now
            // that it is known to be pending (or plain waits if not).
            const pending = invocation.pending;
            invocation.pending = [];
            if (_isThenable(r))
                invocation.suspended = true;
            else
                end();
            for (const p of pending)
                waitAs(invocation.live ? invocation : null, ...p);
        }
        if (invocation.live) {
            r = Promise.resolve(r);
            r.then(end, end);
        }
        return r;
    }

    // A Pykka.Future that completes with the outcome of @promise. A thrown
    // GLib.Error keeps its domain, code and message; any other thrown value
    // is converted by GJS as if a vfunc had thrown it (a JS Error reaches a
    // JS asker as an Error of the same class with the same message).
    // @convert makes the value fit a GValue (for JavaScript readers by
    // default: arrays in a carrier).
    function toFuture(promise, convert = carryIfNeeded) {
        if (promise instanceof Pykka.Future)
            return promise;
        const source = new Pykka.Future();
        let outcome = null;
        const result = source.map(() => {
            if (outcome.error !== undefined)
                throw outcome.error;
            return [true, outcome.value === undefined ? null : convert(outcome.value)];
        });
        Promise.resolve(promise).then(
            value => {
                outcome = {value};
                source.set_value(null);
            },
            error => {
                outcome = {error: error ?? new Error('Promise rejected with no reason')};
                source.set_value(null);
            });
        return result;
    }

    function className(actor) {
        return `${actor.constructor.name} (${actor.get_urn()})`;
    }

    // What an actor written in JavaScript without a vfunc_on_receive does
    // with an ordinary message: what the C default does (a warning), with
    // a null reply.
    function unexpectedMessage(message) {
        GLib.log_structured('Pykka', GLib.LogLevelFlags.LEVEL_WARNING, {
            MESSAGE: `Unexpected message ${_describe(message)} received by actor ${className(this)}`,
        });
        return null;
    }

    // Every vfunc_on_receive of a JavaScript class is wrapped: proxy
    // messages are answered here and never reach the user's handler.
    function wrapReceive(fn) {
        function handle(actor, message) {
            if (message !== null && typeof message === 'object' && message[_proxyMessage] === true)
                return invoke(actor, dispatchProxy, [actor, message]);
            return invoke(actor, fn, [message]);
        }
        const wrapped = function (message) {
            // Sent from JavaScript in a carrier (every ask): the asker
            // reads JavaScript. Otherwise C, Vala or Python may read the
            // reply: arrays and plain objects become GLib.Variants.
            let convert = nativeReply;
            if (isCarrier(message)) {
                message = uncarry(message);
                convert = carryIfNeeded;
            }
            const starting = this[_starting];
            if (starting) {
                // Wait for an async on_start before the first messages.
                return [true, toFuture(starting.then(() => {
                    const r = handle(this, message);
                    return _isThenable(r) ? r : _plainReply(r)[1];
                }), convert)];
            }
            const r = handle(this, message);
            if (_isThenable(r))
                return [true, toFuture(r, convert)];
            const [ok, value] = _plainReply(r);
            return ok ? [ok, convert(value)] : [ok, value];
        };
        wrapped[_proxyAware] = true;
        return wrapped;
    }

    function wrapStart(fn) {
        return function () {
            const r = invoke(this, fn, []);
            if (!_isThenable(r))
                return r === undefined ? true : r;
            const p = Promise.resolve(r).then(
                () => {
                    delete this[_starting];
                },
                error => {
                    this.stop();
                    logError(_loggable(error), `on_start of actor ${className(this)} failed; stopping it`);
                    throw error;
                });
            p.catch(() => {});
            this[_starting] = p;
            return true;
        };
    }

    function wrapStop(fn) {
        return function () {
            const r = fn.call(this);
            if (!_isThenable(r))
                return r === undefined ? true : r;
            // on_stop cannot delay the stop: run it to its end, log failures.
            Promise.resolve(r).catch(error =>
                logError(_loggable(error), `async on_stop of actor ${className(this)} failed`));
            return true;
        };
    }

    const wrappers = {
        vfunc_on_receive: wrapReceive,
        vfunc_on_start: wrapStart,
        vfunc_on_stop: wrapStop,
    };

    // GObject.registerClass() calls the _classInit of the nearest class
    // that has one: wrap the JS hooks before GJS hooks them up.
    const parentClassInit = Pykka.Actor._classInit;
    Pykka.Actor._classInit = function (klass) {
        const proto = klass.prototype;
        for (const [name, wrap] of Object.entries(wrappers)) {
            const descr = Object.getOwnPropertyDescriptor(proto, name);
            if (descr && typeof descr.value === 'function')
                proto[name] = wrap(descr.value);
        }
        // A class with no handler of its own and no JavaScript ancestor
        // with one gets one that answers proxy messages (its nearest
        // ancestor that is not JavaScript must be Pykka.Actor itself: a
        // handler in C must stay in charge).
        if (!Object.prototype.hasOwnProperty.call(proto, 'vfunc_on_receive')) {
            let k = Object.getPrototypeOf(klass);
            while (k && k !== Pykka.Actor && Object.prototype.hasOwnProperty.call(k, _jsClass) &&
                   !Object.prototype.hasOwnProperty.call(k.prototype, 'vfunc_on_receive'))
                k = Object.getPrototypeOf(k);
            if (k === Pykka.Actor)
                proto.vfunc_on_receive = wrapReceive(unexpectedMessage);
        }
        klass[_jsClass] = true;
        return parentClassInit.call(this, klass);
    };

    function isJSActor(actor) {
        for (let k = actor.constructor; k && k !== Pykka.Actor; k = Object.getPrototypeOf(k)) {
            if (Object.prototype.hasOwnProperty.call(k, _jsClass))
                return true;
            const proto = k.prototype;
            if (proto && Object.getOwnPropertyNames(proto).some(n => n.startsWith('vfunc_')))
                return true;
        }
        return false;
    }

    const originalStart = Pykka.Actor.prototype.start;
    Pykka.Actor.prototype.start = function () {
        if (isJSActor(this)) {
            if (this.use_own_thread) {
                throw new GLib.Error(Pykka.Error, Pykka.Error.NOT_SUPPORTED,
                    `Cannot start actor ${className(this)} on a thread of its own ` +
                    '(use-own-thread): it is written in JavaScript and GJS runs ' +
                    'JavaScript on the main thread only. Start it without use-own-thread.');
            }
            const context = this.context;
            if (context) {
                // A context another thread is running cannot be acquired.
                if (!context.acquire()) {
                    throw new GLib.Error(Pykka.Error, Pykka.Error.NOT_SUPPORTED,
                        `Cannot start actor ${className(this)} in a main context that ` +
                        'another thread runs: it is written in JavaScript and GJS runs ' +
                        'JavaScript on the main thread only.');
                }
                context.release();
            }
        }
        return originalStart.call(this);
    };

    // The C get_all returns a GPtrArray of GValue pointers, which GJS 1.74
    // cannot convert (it crashes): the same in JavaScript, returning an
    // Array. Waits at most @timeout_msec in all (-1: forever).
    Pykka.Future.get_all = function (futures, timeoutMsec = -1) {
        const end = timeoutMsec < 0 ? Infinity : GLib.get_monotonic_time() + timeoutMsec * 1000;
        return futures.map(future => {
            const left = end === Infinity ? -1
                : Math.max(0, Math.ceil((end - GLib.get_monotonic_time()) / 1000));
            return future.get(left);
        });
    };

    // Resolves with an Array of the values of @futures, or rejects with the
    // first error: the JavaScript counterpart of Pykka.Future.join, whose
    // list value GJS cannot convert.
    Pykka.Future.joinAsync = function (futures) {
        return Promise.all(futures.map(future => future.get_async(null)));
    };

    // The C ask_sync fills an out caller-allocates GValue, which GJS
    // leaks and through which it loses the error: ask, then get.
    Pykka.ActorRef.prototype.ask_sync = function (message, timeoutMsec = -1) {
        return this.ask(message).get(timeoutMsec);
    };

    // ---------------------------------------------------------------
    // Proxies: ref.proxy() (Pykka's ActorProxy, the JavaScript way)

    // The messages a proxy sends: plain objects (a class instance cannot
    // be put in a GValue) tagged with a symbol, answered by the wrapped
    // vfunc_on_receive on the actor's context.
    function proxyMessage(kind, path, extra = {}) {
        return {[_proxyMessage]: true, kind, path, ...extra};
    }

    function dispatchProxy(actor, message) {
        const {kind, path} = message;
        let parent = actor;
        for (const name of path.slice(0, -1))
            parent = parent[name];
        const name = path[path.length - 1];
        if (kind === 'call') {
            // A promise settles the reply, as an async handler's does; any
            // other value is the reply as it is (never read as [ok, reply]).
            const r = parent[name](...message.args);
            return _isThenable(r) ? r : [true, r === undefined ? null : r];
        }
        if (kind === 'get')
            return [true, parent[name] === undefined ? null : parent[name]];
        parent[name] = message.value;
        return [true, null];
    }

    // Marks @obj (an actor's attribute) as traversable: a proxy gives a
    // nested proxy for it, whose calls run on it inside the actor. A
    // class marks its instances.
    function traversable(obj) {
        const target = typeof obj === 'function' ? obj.prototype : obj;
        Object.defineProperty(target, _traversable, {value: true, configurable: true});
        return obj;
    }

    function isTraversable(value) {
        return value !== null && typeof value === 'object' && value[_traversable] === true;
    }

    // The prototypes whose properties a proxy exposes: for an actor, those
    // of its JavaScript classes (not GObject's or Pykka.Actor's), for
    // anything else all but Object.prototype's.
    function publicPrototypes(obj, isActor) {
        const result = [];
        for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
            if (isActor && !Object.prototype.hasOwnProperty.call(p.constructor ?? {}, _jsClass))
                break;
            result.push(p);
        }
        return result;
    }

    function isPublicName(name, isActor) {
        return typeof name === 'string' && !name.startsWith('_') && name !== 'constructor' &&
            !(isActor && name.startsWith('vfunc_'));
    }

    // 'method', 'traversable', 'attribute' or null (unknown).
    function attributeKind(obj, name, isActor) {
        if (!isPublicName(name, isActor) || obj === null ||
            (typeof obj !== 'object' && typeof obj !== 'function'))
            return null;
        for (const o of [obj, ...publicPrototypes(obj, isActor)]) {
            const descr = Object.getOwnPropertyDescriptor(o, name);
            if (!descr)
                continue;
            if (!('value' in descr))
                return 'attribute';  // an accessor, run in the actor
            if (typeof descr.value === 'function')
                return 'method';
            return isTraversable(descr.value) ? 'traversable' : 'attribute';
        }
        return null;
    }

    function publicNames(obj, isActor) {
        const names = new Set();
        for (const o of [obj, ...publicPrototypes(obj, isActor)]) {
            for (const name of Object.getOwnPropertyNames(o)) {
                if (isPublicName(name, isActor))
                    names.add(name);
            }
        }
        return [...names].sort();
    }

    // The error a tell to the dead actor would get: the same text.
    function deadError(ref) {
        try {
            ref.check_alive();
        } catch (e) {
            return e;
        }
        return new GLib.Error(Pykka.Error, Pykka.Error.ACTOR_DEAD,
            `Actor ${ref.get_urn()} is dead: it has no proxy`);
    }

    // One proxy per actor and path, so proxies compare with ===.
    const proxyCache = new WeakMap();  // actor -> Map(path key -> proxy)
    const proxyState = new WeakMap();  // proxy -> {ref, actor, path}

    function cacheFor(actor) {
        let cache = proxyCache.get(actor);
        if (!cache) {
            cache = new Map();
            proxyCache.set(actor, cache);
        }
        return cache;
    }

    function pathKey(path, suffix = '') {
        return JSON.stringify(path) + suffix;
    }

    function describeProxy(state) {
        const at = state.path.length ? ` at ${state.path.join('.')}` : '';
        return `[Pykka.ActorProxy for ${className(state.actor)}${at}]`;
    }

    function checkAlive(state) {
        if (!state.ref.is_alive())
            throw deadError(state.ref);
    }

    function objectAt(state) {
        let obj = state.actor;
        for (const name of state.path)
            obj = obj[name];
        return obj;
    }

    // Reads, calls and writes on the actor go through messages.
    class ActorProxy {}

    function methodFor(state, path) {
        const cache = cacheFor(state.actor);
        const key = pathKey(path, '()');
        let method = cache.get(key);
        if (method)
            return method;
        const ref = state.ref;
        method = (...args) => {
            checkAlive(state);
            return ref.ask(proxyMessage('call', path, {args}));
        };
        // Tell semantics: no future; a failure goes to on_failure.
        method.defer = (...args) => {
            checkAlive(state);
            ref.tell(proxyMessage('call', path, {args}));
        };
        cache.set(key, method);
        return method;
    }

    function proxyFor(ref, actor, path) {
        const cache = cacheFor(actor);
        const key = pathKey(path);
        let proxy = cache.get(key);
        if (proxy)
            return proxy;
        const state = {ref, actor, path};
        const where = () => describeProxy(state);
        proxy = new Proxy(new ActorProxy(), {
            get(target, name) {
                if (typeof name === 'symbol')
                    return name === Symbol.toStringTag ? 'Pykka.ActorProxy' : undefined;
                switch (name) {
                case 'actor_ref':
                    return ref;
                case 'then':  // not a thenable: `await proxy` gives the proxy
                case 'toJSON':
                    return undefined;
                case 'toString':
                    return where;
                case 'valueOf':
                    return () => proxy;
                }
                if (name.startsWith('_')) {
                    throw new TypeError(`${where()} has no attribute '${name}': ` +
                        'names starting with _ are private to the actor');
                }
                checkAlive(state);
                const kind = attributeKind(objectAt(state), name, path.length === 0);
                const sub = [...path, name];
                switch (kind) {
                case 'method':
                    return methodFor(state, sub);
                case 'traversable':
                    return proxyFor(ref, actor, sub);
                case 'attribute':
                    return ref.ask(proxyMessage('get', sub));
                }
                throw new TypeError(`${where()} has no attribute '${name}'`);
            },
            set(target, name, value) {
                if (typeof name === 'symbol' || name.startsWith('_') || name === 'actor_ref') {
                    throw new TypeError(`Cannot set '${String(name)}' through ${where()}: ` +
                        'names starting with _ are private to the actor');
                }
                checkAlive(state);
                const future = ref.ask(proxyMessage('set', [...path, name], {value}));
                try {
                    future.get(Pykka.proxySetTimeout);
                } catch (e) {
                    if (e instanceof GLib.Error && e.matches(Pykka.Error, Pykka.Error.TIMEOUT)) {
                        throw new GLib.Error(Pykka.Error, Pykka.Error.TIMEOUT,
                            `Setting '${name}' through ${where()} timed out after ` +
                            `${Pykka.proxySetTimeout} ms (the set still happens when the actor ` +
                            'gets to it). An assignment blocks; it cannot wait for an actor ' +
                            'busy in an async handler from inside a promise job (an async ' +
                            `function): there, use await Pykka.proxySet(proxy, '${name}', value)` +
                            '.get_async(null)');
                    }
                    throw e;
                }
                return true;
            },
            has(target, name) {
                if (typeof name !== 'string')
                    return false;
                if (name === 'actor_ref')
                    return true;
                return attributeKind(objectAt(state), name, path.length === 0) !== null;
            },
            deleteProperty(target, name) {
                throw new TypeError(`Cannot delete '${String(name)}' through ${where()}`);
            },
            defineProperty(target, name) {
                throw new TypeError(`Cannot define '${String(name)}' on ${where()}`);
            },
        });
        proxyState.set(proxy, state);
        cache.set(key, proxy);
        return proxy;
    }

    Pykka.ActorRef.prototype.proxy = function () {
        const actor = this.dup_actor();
        if (!actor)
            throw deadError(this);
        if (actor.vfunc_on_receive?.[_proxyAware] !== true) {
            throw new GLib.Error(Pykka.Error, Pykka.Error.NOT_SUPPORTED,
                `Actor ${className(actor)} has no JavaScript proxy: only actors written in ` +
                'JavaScript (registered with GObject.registerClass, subclassing Pykka.Actor) ' +
                'can be proxied from JavaScript');
        }
        return proxyFor(this, actor, []);
    };

    // The Pykka.Future of setting @name to @value through @proxy: the
    // non-blocking counterpart of `proxy[name] = value`.
    function proxySet(proxy, name, value) {
        const state = proxyState.get(proxy);
        if (!state)
            throw new TypeError(`${proxy} is not a Pykka.ActorProxy`);
        if (typeof name !== 'string' || name.startsWith('_'))
            throw new TypeError(`Cannot set '${String(name)}' through ${describeProxy(state)}`);
        checkAlive(state);
        return state.ref.ask(proxyMessage('set', [...state.path, name], {value}));
    }

    // The public attribute names a proxy exposes (for debugging).
    function proxyAttributes(proxy) {
        const state = proxyState.get(proxy);
        if (!state)
            throw new TypeError(`${proxy} is not a Pykka.ActorProxy`);
        return publicNames(objectAt(state), state.path.length === 0);
    }

    Pykka.ActorProxy = ActorProxy;
    Pykka.traversable = traversable;
    Pykka.proxySet = proxySet;
    Pykka.proxyAttributes = proxyAttributes;
    // How long `proxy.attr = value` waits for the actor, in milliseconds.
    Pykka.proxySetTimeout = 10000;

    Pykka.toFuture = promise => toFuture(promise);
    Pykka.toVariant = value => toVariant(value);
    Pykka.isJSActor = isJSActor;
    return Pykka;
}

function _init() {
    _install(this, imports.gi.GLib, imports.gi.GObject, imports.gi.Gio);
}
