// SPDX-License-Identifier: LGPL-2.1-or-later
//
// An actor written in JavaScript: it keeps a count, answers asks, fails
// an ask with a GLib.Error and is found in the registry.
//
//     gjs -m tour.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

const Greeter = GObject.registerClass(
class Greeter extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.greeted = 0;
    }

    vfunc_on_start() {
        print('greeter: started');
        return true;
    }

    vfunc_on_receive(message) {
        if (!message.name)
            throw new GLib.Error(Pykka.Error, Pykka.Error.INVALID_ARGUMENT, 'no name given');
        this.greeted++;
        return [true, `Hello, ${message.name}! (greeting #${this.greeted})`];
    }

    vfunc_on_stop() {
        print(`greeter: stopping after ${this.greeted} greetings`);
        return true;
    }
});

const greeter = new Greeter().start();

// A blocking ask runs the main context until the answer is there.
print(greeter.ask({name: 'Ada'}).get(5000));

// Tells are handled in order, before anything sent later.
greeter.tell({name: 'Grace'});
print(greeter.ask({name: 'Linus'}).get(5000));

// The handler's error reaches the asker.
try {
    greeter.ask({name: ''}).get(5000);
} catch (e) {
    print(`error: ${e.message} (Pykka.Error.INVALID_ARGUMENT: ${e.matches(Pykka.Error, Pykka.Error.INVALID_ARGUMENT)})`);
}

const found = Pykka.Registry.get_by_type(Greeter.$gtype);
print(`greeters running: ${found.length}`);

greeter.stop_sync(5000);
print(`alive after stop: ${greeter.is_alive()}`);
