// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Proxies: call an actor's methods and read or write its attributes as
// if it were a plain object; every access is a message to the actor.
//
//     gjs -I introspection/js -m proxy.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pykka from 'gi://Pykka?version=1.0';

class Odometer {
    constructor() {
        this.km = 0;
    }

    add(km) {
        this.km += km;
    }
}

const Car = GObject.registerClass(
class Car extends Pykka.Actor {
    _init() {
        super._init();
        this.speed = 0;
        this.odometer = Pykka.traversable(new Odometer());
    }

    accelerate(by) {
        this.speed += by;
        return this.speed;
    }

    async drive(km) {
        await new Promise(resolve => GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            resolve();
            return GLib.SOURCE_REMOVE;
        }));
        this.odometer.add(km);
        return `drove ${km} km`;
    }
});

const ref = new Car().start();
const car = ref.proxy();

print(car.accelerate(30).get(5000));  // 30
car.accelerate.defer(20);             // a tell: no future
print(car.speed.get(5000));           // 50
car.speed = 10;                       // waits until the actor has set it
print(car.speed.get(5000));           // 10

print(car.drive(12).get(5000));       // drove 12 km
car.odometer.add.defer(3);            // runs odometer.add(3) inside the actor
print(car.odometer.km.get(5000));     // 15

print(car === ref.proxy());           // true: one proxy per actor
print(car.actor_ref === ref);         // true

try {
    car.nope;
} catch (e) {
    print(e instanceof TypeError);    // true: no such attribute
}

async function main() {
    // In an async function: await the futures instead of blocking, and
    // use proxySet() instead of an assignment.
    const speed = await car.accelerate(5).get_async(null);
    await Pykka.proxySet(car, 'speed', speed * 2).get_async(null);
    print(await car.speed.get_async(null));  // 30
}

const loop = new GLib.MainLoop(null, false);
main().catch(logError).finally(() => loop.quit());
loop.run();

ref.stop_sync(5000);
try {
    car.speed;
} catch (e) {
    print(e.matches(Pykka.Error, Pykka.Error.ACTOR_DEAD));  // true
}
