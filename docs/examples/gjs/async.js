// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An async handler: the summer awaits the doubler, and the caller awaits
// the summer, while the main loop keeps running. Awaiting its own actor
// fails at once with DEADLOCK; this.waitFor() bounds a wait.
//
//     gjs -I introspection/js -m async.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

const Doubler = GObject.registerClass(
class Doubler extends Pykka.Actor {
    vfunc_on_receive(message) {
        return message * 2;
    }
});

const Summer = GObject.registerClass(
class Summer extends Pykka.Actor {
    _init(doubler) {
        super._init();
        this._doubler = doubler;
    }

    // The actor takes no other message until the promise settles.
    async vfunc_on_receive(message) {
        if (message === 'itself') {
            await this._doubler.ask(1).get_async(null);
            // Its own answer would come after this handler's: DEADLOCK.
            return await this.actor_ref.ask(1).get_async(null);
        }
        if (message === 'late') {
            // At most 100 ms, on the clock of the actor's context.
            return await this.waitFor(new Pykka.Future(), 100);
        }
        const doubled = await this._doubler.ask(message).get_async(null);
        return message + doubled;
    }
});

const doubler = new Doubler().start();
const summer = new Summer(doubler).start();

const loop = new GLib.MainLoop(null, false);
summer.ask(10).get_async(null).then(sum => {
    print(sum);  // 30
    return summer.ask('itself').get_async(null);
}).catch(e => {
    print(e.matches(Pykka.Error, Pykka.Error.DEADLOCK));  // true
    print(e.message);  // Deadlock: Gjs_Summer (urn:uuid:…) waits for a reply from itself
    return summer.ask('late').get_async(null);
}).catch(e => {
    print(e.message);  // Timed out after 100 ms waiting for a future
}).finally(() => loop.quit());
loop.run();

Pykka.Registry.stop_all(5000);
