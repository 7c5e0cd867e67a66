// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An async handler: the summer awaits the doubler, and the caller awaits
// the summer, while the main loop keeps running.
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
        const doubled = await this._doubler.ask(message).get_async(null);
        return message + doubled;
    }
});

const doubler = new Doubler().start();
const summer = new Summer(doubler).start();

const loop = new GLib.MainLoop(null, false);
summer.ask(10).get_async(null).then(sum => {
    print(sum);  // 30
    loop.quit();
}).catch(e => {
    logError(e);
    loop.quit();
});
loop.run();

Pykka.Registry.stop_all(5000);
