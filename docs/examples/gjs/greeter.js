// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The smallest actor in JavaScript.
//
//     gjs -I introspection/js -m greeter.js

import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

const Greeter = GObject.registerClass(
class Greeter extends Pykka.Actor {
    vfunc_on_receive(message) {
        return `Hi there, ${message}!`;
    }
});

const ref = new Greeter().start();
print(ref.ask('Alice').get(5000));  // Hi there, Alice!
ref.stop_sync(5000);
