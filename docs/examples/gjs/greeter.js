// SPDX-License-Identifier: LGPL-2.1-or-later
// greeter.js: the smallest actor in JavaScript, asked once and stopped.
// Run: gjs -I "$PYKKA_GLIB_JS_DIR" -m greeter.js
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
