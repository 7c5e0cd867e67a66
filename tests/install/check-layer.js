// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m check-layer.js [PYKKA_JS_MODULE]: the GJS override is applied (an
// async handler awaits another actor; get_async() returns a promise)
// without -I, found where GJS looks for overrides; with an argument, the
// ES module pykka.js at that path imports and applies the same additions.
// Exits 0 on success (tests/install/test-install-prefix.sh).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';
import System from 'system';

const Doubler = GObject.registerClass(
class Doubler extends Pykka.Actor {
    vfunc_on_receive(n) {
        return n * 2;
    }
});

const Summer = GObject.registerClass(
class Summer extends Pykka.Actor {
    _init(doubler) {
        super._init();
        this._doubler = doubler;
    }

    async vfunc_on_receive(n) {
        return n + await this._doubler.ask(n).get_async(null);
    }
});

const loop = new GLib.MainLoop(null, false);
let status = 1;

async function main() {
    if (!Pykka[Symbol.for('pykka-glib.js.installed')])
        throw new Error('the GJS override is not applied');
    if (ARGV.length > 0) {
        const {default: Module} = await import(`file://${ARGV[0]}`);
        if (Module !== Pykka)
            throw new Error(`${ARGV[0]} gives another Pykka`);
    }
    const summer = new Summer(new Doubler().start()).start();
    const reply = await summer.ask(14).get_async(null);
    print(`reply: ${reply}`);
    if (reply !== 42)
        throw new Error(`reply ${reply}, not 42`);
    Pykka.Registry.stop_all(5000);
    status = 0;
}

main().catch(e => printerr(`check-layer.js: ${e}\n${e.stack}`)).finally(() => loop.quit());
loop.run();
System.exit(status);
