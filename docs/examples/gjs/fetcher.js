// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Async JavaScript with actors: an async handler suspends its actor until
// its promise settles, callers await futures, an event signals the end.
// `async vfunc_on_receive` needs the Pykka override (installed with the
// library; in the source tree: gjs -I introspection/js).
//
//     gjs -I introspection/js -m fetcher.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

function sleep(msec) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, msec, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

const Fetcher = GObject.registerClass(
class Fetcher extends Pykka.Actor {
    async vfunc_on_receive(url) {
        print(`fetcher: fetching ${url}`);
        await sleep(10);  // Stands for real I/O.
        if (url.startsWith('bad:'))
            throw new Error(`cannot fetch ${url}`);
        print(`fetcher: done with ${url}`);
        return {url, fetchedAt: GLib.get_monotonic_time()};
    }
});

const done = new Pykka.Event();
const fetcher = new Fetcher().start();

async function main() {
    // Both asks are queued at once; the actor takes one at a time.
    const [a, b] = await Promise.all([
        fetcher.ask('https://example.org/a').get_async(null),
        fetcher.ask('https://example.org/b').get_async(null),
    ]);
    print(`main: got ${a.url} and ${b.url}, one after the other: ${a.fetchedAt < b.fetchedAt}`);

    try {
        await fetcher.ask('bad:url').get_async(null);
    } catch (e) {
        print(`main: ${e.constructor.name}: ${e.message}`);
    }

    print(`main: stopped: ${await fetcher.stop().get_async(null)}`);
    done.set();
}

const loop = new GLib.MainLoop(null, false);
main().catch(logError);
done.wait_async(null).then(() => loop.quit());
loop.run();
print('main: finished');
