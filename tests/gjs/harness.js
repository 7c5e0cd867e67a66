// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A tiny TAP harness for the GJS tests: test(name, fn) registers a test
// (fn may be async), run() runs them in order on a main loop and prints
// TAP. Every test has a deadline, so nothing hangs.

import GLib from 'gi://GLib';

const tests = [];
export const TIMEOUT_MSEC = 10000;

export function test(name, fn) {
    tests.push({name, fn});
}

export class AssertionError extends Error {}

function show(v) {
    try {
        return typeof v === 'string' ? JSON.stringify(v) : String(v);
    } catch (e) {
        return Object.prototype.toString.call(v);
    }
}

export const assert = {
    ok(v, what = 'expected a true value') {
        if (!v)
            throw new AssertionError(`${what} (got ${show(v)})`);
    },
    equal(a, b, what = '') {
        if (a !== b)
            throw new AssertionError(`${what} expected ${show(b)}, got ${show(a)}`);
    },
    deepEqual(a, b, what = '') {
        if (JSON.stringify(a) !== JSON.stringify(b))
            throw new AssertionError(`${what} expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
    },
    // Runs fn (maybe async) and returns what it threw; fails if nothing.
    async throws(fn, what = 'expected an exception') {
        try {
            await fn();
        } catch (e) {
            return e;
        }
        throw new AssertionError(what);
    },
    gerror(e, domain, code, what = '') {
        if (!(e instanceof GLib.Error) || !e.matches(domain, code))
            throw new AssertionError(`${what} expected GLib.Error ${domain}:${code}, got ${e}`);
    },
};

export function sleep(msec) {
    return new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, msec, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    });
}

// Resolves when cond() holds; rejects after TIMEOUT_MSEC.
export async function until(cond, what = 'condition') {
    const end = GLib.get_monotonic_time() + TIMEOUT_MSEC * 1000;
    while (!cond()) {
        if (GLib.get_monotonic_time() > end)
            throw new AssertionError(`timed out waiting for ${what}`);
        // eslint-disable-next-line no-await-in-loop
        await sleep(1);
    }
}

function withDeadline(promise, name) {
    let id = 0;
    const deadline = new Promise((_, reject) => {
        id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, TIMEOUT_MSEC, () => {
            id = 0;
            reject(new AssertionError(`test "${name}" timed out`));
            return GLib.SOURCE_REMOVE;
        });
    });
    return Promise.race([promise, deadline]).finally(() => {
        if (id)
            GLib.source_remove(id);
    });
}

// Runs every test, prints TAP and exits with a status.
export function run(afterEach = () => {}) {
    const loop = GLib.MainLoop.new(null, false);
    let failed = 0;

    (async () => {
        print(`1..${tests.length}`);
        for (const [i, t] of tests.entries()) {
            try {
                // eslint-disable-next-line no-await-in-loop
                await withDeadline(Promise.resolve().then(() => t.fn()), t.name);
                // eslint-disable-next-line no-await-in-loop
                await afterEach();
                print(`ok ${i + 1} ${t.name}`);
            } catch (e) {
                failed++;
                print(`not ok ${i + 1} ${t.name}`);
                for (const line of `${e}\n${e?.stack ?? ''}`.split('\n'))
                    print(`# ${line}`);
                try {
                    // eslint-disable-next-line no-await-in-loop
                    await afterEach();
                } catch (e2) {
                    print(`# cleanup failed too: ${e2}`);
                }
            }
        }
    })().finally(() => loop.quit());

    loop.run();
    return failed ? 1 : 0;
}
