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

function _install(Pykka, GLib, GObject, Gio) {
    if (Pykka[_installed])
        return Pykka;
    Pykka[_installed] = true;

    Gio._promisify(Pykka.Future.prototype, 'get_async', 'get_finish');
    Gio._promisify(Pykka.Event.prototype, 'wait_async', 'wait_finish');

    // A Pykka.Future that completes with the outcome of @promise. A thrown
    // GLib.Error keeps its domain, code and message; any other thrown value
    // is converted by GJS as if a vfunc had thrown it (a JS Error reaches a
    // JS asker as an Error of the same class with the same message).
    function toFuture(promise) {
        if (promise instanceof Pykka.Future)
            return promise;
        const source = new Pykka.Future();
        let outcome = null;
        const result = source.map(() => {
            if (outcome.error !== undefined)
                throw outcome.error;
            return [true, outcome.value === undefined ? null : outcome.value];
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

    function wrapReceive(fn) {
        return function (message) {
            const starting = this[_starting];
            if (starting) {
                // Wait for an async on_start before the first messages.
                return [true, toFuture(starting.then(() => {
                    const r = fn.call(this, message);
                    return _isThenable(r) ? r : _plainReply(r)[1];
                }))];
            }
            const r = fn.call(this, message);
            if (_isThenable(r))
                return [true, toFuture(r)];
            return _plainReply(r);
        };
    }

    function wrapStart(fn) {
        return function () {
            const r = fn.call(this);
            if (!_isThenable(r))
                return r === undefined ? true : r;
            const p = Promise.resolve(r).then(
                () => {
                    delete this[_starting];
                },
                error => {
                    logError(error, `on_start of actor ${className(this)} failed; stopping it`);
                    this.stop();
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
                logError(error, `async on_stop of actor ${className(this)} failed`));
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

    Pykka.toFuture = toFuture;
    Pykka.isJSActor = isJSActor;
    return Pykka;
}

function _init() {
    _install(this, imports.gi.GLib, imports.gi.GObject, imports.gi.Gio);
}
