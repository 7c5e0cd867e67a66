// SPDX-License-Identifier: LGPL-2.1-or-later
//
// on_receive dispatching by message type, and a clear error for a
// message of a type the actor does not handle.
//
//     gjs -I introspection/js -m dispatch.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

const Calculator = GObject.registerClass(
class Calculator extends Pykka.Actor {
    _init() {
        super._init();
        this._total = 0;
    }

    vfunc_on_receive(message) {
        if (typeof message === 'number') {
            this._total += message;
            return this._total;
        }
        if (message instanceof GLib.Variant && message.get_type_string() === '(sii)') {
            const [op, a, b] = message.deepUnpack();
            return op === '*' ? a * b : a + b;
        }
        throw new GLib.Error(Pykka.error_quark(), Pykka.Error.INVALID_ARGUMENT,
            `${this.constructor.name} (${this.urn}) has no handler for ${typeof message}: it handles numbers and GLib.Variant (sii)`);
    }
});

const calculator = new Calculator().start();
print(calculator.ask(5).get(5000));  // 5
print(calculator.ask(new GLib.Variant('(sii)', ['*', 6, 7])).get(5000));  // 42
try {
    calculator.ask('five').get(5000);
} catch (error) {
    print(error.matches(Pykka.error_quark(), Pykka.Error.INVALID_ARGUMENT));  // true
    print(error.message);  // Calculator (urn:uuid:…) has no handler for string: …
}
print(calculator.is_alive());  // true
calculator.stop_sync(5000);
