// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Leak check (suite 'slow'): 100 000 asks from GJS to a JS actor, each
// handing a JS object back, must not grow the resident set beyond noise.
// Three loops: blocking get(), await get_async(), and an async handler
// (a promise turned into the reply future). Prints the RSS figures.
//
//     gjs -I introspection/js -m tests/gjs/leak-asks.js [N]

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

const N = Number(ARGV[0] ?? 100000);
const WARMUP = Math.min(10000, N);
// A leak of one small GValue or closure per ask (>= 64 bytes) grows RSS
// by >= 6 MB over 100 000 asks; allocator and GC noise stays well under.
const LIMIT_KB = Number(GLib.getenv('PYKKA_LEAK_LIMIT_KB') ?? 4096);

function rssKb() {
    const [, bytes] = GLib.file_get_contents('/proc/self/status');
    const m = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(bytes));
    return Number(m[1]);
}

function settle() {
    for (let i = 0; i < 3; i++) {
        System.gc();
        while (GLib.MainContext.default().iteration(false))
            ;
    }
}

const Echo = GObject.registerClass(
class Echo extends Pykka.Actor {
    vfunc_on_receive(message) {
        return [true, {echo: message.i, text: `reply ${message.i}`}];
    }
});

const AsyncEcho = GObject.registerClass(
class AsyncEcho extends Pykka.Actor {
    async vfunc_on_receive(message) {
        await null;
        return {echo: message.i, text: `reply ${message.i}`};
    }
});

const ref = new Echo().start();
const asyncRef = new AsyncEcho().start();

// GJS does not see the memory that C holds for its wrappers, so a tight
// loop outruns its garbage collector: collect every GC_EVERY asks, as an
// application's idle time would. What survives that is a leak.
const GC_EVERY = 1000;

function syncLoop(n) {
    for (let i = 0; i < n; i++) {
        if (i % GC_EVERY === 0)
            System.gc();
        const r = ref.ask({i, payload: `message ${i}`}).get(10000);
        if (r.echo !== i)
            throw new Error(`wrong reply ${r.echo} for ${i}`);
    }
}

async function asyncLoop(target, n) {
    for (let i = 0; i < n; i++) {
        if (i % GC_EVERY === 0)
            System.gc();
        // eslint-disable-next-line no-await-in-loop
        const r = await target.ask({i, payload: `message ${i}`}).get_async(null);
        if (r.echo !== i)
            throw new Error(`wrong reply ${r.echo} for ${i}`);
    }
}

const results = [];

function measure(name, warm, run) {
    return (async () => {
        await warm();
        settle();
        const before = rssKb();
        const t0 = GLib.get_monotonic_time();
        await run();
        const secs = (GLib.get_monotonic_time() - t0) / 1e6;
        settle();
        const after = rssKb();
        results.push({name, before, after, growth: after - before});
        print(`# ${name}: ${N} asks in ${secs.toFixed(2)} s; RSS before ${before} kB, after ${after} kB, growth ${after - before} kB`);
    })();
}

let status = 0;
const loop = new GLib.MainLoop(null, false);
(async () => {
    // The blocking loop runs from a plain main-loop callback, not a
    // promise job (see tests/gjs/test-actor.js).
    await new Promise((resolve, reject) => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        try {
            syncLoop(WARMUP);
            settle();
            const before = rssKb();
            const t0 = GLib.get_monotonic_time();
            syncLoop(N);
            const secs = (GLib.get_monotonic_time() - t0) / 1e6;
            settle();
            const after = rssKb();
            results.push({name: 'blocking get', before, after, growth: after - before});
            print(`# blocking get: ${N} asks in ${secs.toFixed(2)} s; RSS before ${before} kB, after ${after} kB, growth ${after - before} kB`);
            resolve();
        } catch (e) {
            reject(e);
        }
        return GLib.SOURCE_REMOVE;
    }));
    await measure('await get_async', () => asyncLoop(ref, WARMUP), () => asyncLoop(ref, N));
    await measure('async handler', () => asyncLoop(asyncRef, WARMUP), () => asyncLoop(asyncRef, N));
})().then(() => {
    print(`1..${results.length}`);
    results.forEach((r, i) => {
        const ok = r.growth < LIMIT_KB;
        if (!ok)
            status = 1;
        print(`${ok ? 'ok' : 'not ok'} ${i + 1} ${r.name}: RSS growth ${r.growth} kB (limit ${LIMIT_KB} kB)`);
    });
}, e => {
    logError(e);
    status = 1;
}).finally(() => {
    ref.stop_sync(10000);
    asyncRef.stop_sync(10000);
    loop.quit();
});
loop.run();
System.exit(status);
