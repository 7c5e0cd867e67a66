// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The JavaScript side of pykka-glib, as an ES module:
//
//     import Pykka from 'file:///usr/share/pykka-glib/js/pykka.js';
//     // or: const {default: Pykka} = await import(uri);
//
// It returns the `Pykka` GI namespace with the additions described in
// overrides/Pykka.js (async handlers whose awaits the deadlock check sees,
// this.waitFor(), values converted for the receiver (toVariant()),
// promise-returning get_async and
// wait_async, a clear error for JS actors on other threads, toFuture(),
// ref.proxy() with traversable() and proxySet()).
// When GJS already applied overrides/Pykka.js (its folder's parent is on
// the search path, as after installation), this only re-exports it.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Pykka from 'gi://Pykka?version=1.0';

function loadOverride() {
    const dir = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
    const path = GLib.build_filenamev([dir, 'overrides', 'Pykka.js']);
    const [, bytes] = GLib.file_get_contents(path);
    const source = new TextDecoder().decode(bytes);
    // eslint-disable-next-line no-new-func
    return new Function(`${source}\nreturn _install;\n//# sourceURL=${path}`)();
}

if (!Pykka[Symbol.for('pykka-glib.js.installed')])
    loadOverride()(Pykka, GLib, GObject, Gio);

export const toFuture = Pykka.toFuture;
export const toVariant = Pykka.toVariant;
export const isJSActor = Pykka.isJSActor;
export const traversable = Pykka.traversable;
export const proxySet = Pykka.proxySet;
export {Pykka};
export default Pykka;
