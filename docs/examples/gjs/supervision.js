// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A supervisor restarts a failed worker behind the same ref.
//
//     gjs -I introspection/js -m supervision.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

let instances = 0;

const Worker = GObject.registerClass(
class Worker extends Pykka.Actor {
    _init(params = {}) {
        super._init(params);
        this.instance = ++instances;
    }

    vfunc_on_receive(message) {
        if (message === 'crash')
            throw new GLib.Error(Pykka.Error, Pykka.Error.FAILED, 'crashed on purpose');
        return this.instance;
    }
});

const supervisor = new Pykka.Supervisor({
    strategy: Pykka.RestartStrategy.ONE_FOR_ONE, max_restarts: 3, within_msec: 5000,
});
const supervisorRef = supervisor.start();
// The factory makes each instance: the first, and one per restart.
const worker = supervisor.start_child(() => new Worker());
print(worker.ask('who').get(5000));  // 1
worker.tell('crash');
print(worker.ask('who').get(5000));  // 2: the same ref, a new instance
supervisorRef.stop_sync(5000);  // stops its children first
print(worker.is_alive());  // false
