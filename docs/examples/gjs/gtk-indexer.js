// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The GTK file indexer of docs/examples/c/gtk-indexer.c in JavaScript.
// GJS runs JavaScript on the main thread only, so the worker here is an
// actor of the main context whose async handler walks the directory with
// GIO's asynchronous calls (their I/O runs on GIO's threads), and hands
// the files it finds, name and size, in batches to the view actor, which
// owns the Gio.ListStore that a Gtk.ListView shows, and the progress bar.
// Start asks the worker with a Gio.Cancellable, which Cancel cancels;
// Pykka.application_attach() stops the actors at shutdown, newest first:
// the view, whose vfunc_on_stop cancels the work in progress, then the
// worker.
//
//     gjs -I introspection/js -m gtk-indexer.js [DIRECTORY]
//     gjs -I introspection/js -m gtk-indexer.js --self-test
//
// The self-test indexes 200 files of a temporary directory to the end,
// again with Cancel pressed midway, then a third time, quitting midway;
// with PYKKA_SCREENSHOT set, it writes a PNG of the window there once
// Cancel has stopped the second run. Exits 77 when no display can be
// opened (the test suite runs it under xvfb-run).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Graphene from 'gi://Graphene';
import Gtk from 'gi://Gtk?version=4.0';
import Pykka from 'gi://Pykka?version=1.0';
import system from 'system';

Gio._promisify(Gio.File.prototype, 'enumerate_children_async');
Gio._promisify(Gio.FileEnumerator.prototype, 'next_files_async');

const BATCH_SIZE = 20;

// One indexed file, never changed once made.
const IndexedFile = GObject.registerClass(
class IndexedFile extends GObject.Object {
    _init(name, size) {
        super._init();
        this.name = name;
        this.size = size;
    }
});

// The regular files under dir, as [relative path, size], read with GIO's
// asynchronous calls.
async function collectFiles(root, dir, files, cancellable) {
    const enumerator = await dir.enumerate_children_async('standard::name,standard::type,standard::size',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, GLib.PRIORITY_DEFAULT, cancellable);
    for (;;) {
        const infos = await enumerator.next_files_async(100, GLib.PRIORITY_DEFAULT, cancellable);
        if (infos.length === 0)
            break;
        for (const info of infos) {
            const child = dir.get_child(info.get_name());
            if (info.get_file_type() === Gio.FileType.DIRECTORY)
                await collectFiles(root, child, files, cancellable);
            else if (info.get_file_type() === Gio.FileType.REGULAR)
                files.push([root.get_relative_path(child), info.get_size()]);
        }
    }
}

// The worker: told the view's ref first; then each ask with a directory
// indexes it, answering how many files it handed to the view.
const Indexer = GObject.registerClass(
class Indexer extends Pykka.Actor {
    async vfunc_on_receive(message) {
        if (message instanceof Pykka.ActorRef) {
            this._view = message;
            return null;
        }
        // The ask's cancellable, taken before the first await.
        const cancellable = this.get_current_cancellable();
        const found = [];
        await collectFiles(Gio.File.new_for_path(message), Gio.File.new_for_path(message),
            found, cancellable);
        found.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
        this._view.tell(found.length);
        let batch = [], sent = 0;
        for (const [i, [name, size]] of found.entries()) {
            if (cancellable.is_cancelled())
                break;
            batch.push(new IndexedFile(name, size));
            if (batch.length === BATCH_SIZE || i + 1 === found.length) {
                sent += batch.length;
                // Arrays travel wrapped; waits until the view has added them.
                await this._view.ask({files: batch}).get_async(null);
                batch = [];
            }
        }
        return sent;
    }
});

// An actor of the main context, as every JavaScript actor is: it alone
// changes the list and the progress bar.
const View = GObject.registerClass(
class View extends Pykka.Actor {
    _init(indexer, directory) {
        super._init();
        this.indexer = indexer;
        this.directory = directory;
        this.files = new Gio.ListStore({item_type: IndexedFile});
        this.progress = new Gtk.ProgressBar({show_text: true, hexpand: true, valign: Gtk.Align.CENTER});
        this.button = new Gtk.Button({label: 'Start'});
        this.button.connect('clicked', () => this.clicked());
        this.cancellable = null;
        this.total = 0;
        this.lastSent = 0;
        this.lastCancelled = false;
        this.runFinished = null;  // called after each run (the self-test)
    }

    vfunc_on_receive(message) {
        if (typeof message === 'number')
            this.total = message;
        else  // A batch of files from the worker.
            this.files.splice(this.files.get_n_items(), 0, message.files);
        this.showProgress();
        return null;
    }

    vfunc_on_stop() {
        // Quitting midway: the worker sees it at its next file.
        this.cancellable?.cancel();
    }

    showProgress() {
        const n = this.files.get_n_items();
        const prefix = this.cancellable === null && this.lastCancelled ? 'Cancelled: ' : '';
        this.progress.set_text(`${prefix}${n} of ${this.total} files`);
        this.progress.set_fraction(this.total ? n / this.total : 0);
    }

    clicked() {
        if (this.cancellable !== null) {
            this.cancellable.cancel();  // Cancel
            return;
        }
        this.files.remove_all();
        this.total = 0;
        this.cancellable = new Gio.Cancellable();
        this.button.set_label('Cancel');
        this.showProgress();
        // Start: the worker indexes the directory.
        this.indexer.ask_cancellable(this.directory, this.cancellable).get_async(null)
            .then(sent => {
                this.lastSent = sent;
            }, () => {
                this.lastSent = 0;
            }).then(() => this.indexDone());
    }

    indexDone() {
        this.lastCancelled = this.cancellable.is_cancelled();
        this.cancellable = null;
        this.button.set_label('Start');
        this.showProgress();
        this.runFinished?.();
    }
});

function buildWindow(app, directory) {
    const indexer = new Indexer().start();
    const view = new View(indexer, directory);
    // Started after the worker, so stopped before it at shutdown.
    indexer.tell(view.start());

    const factory = new Gtk.SignalListItemFactory();
    factory.connect('setup', (f, item) => item.set_child(new Gtk.Label({xalign: 0})));
    factory.connect('bind', (f, item) => {
        const file = item.get_item();
        item.get_child().set_text(`${file.name}  (${GLib.format_size(file.size)})`);
    });
    // The list shows the view's store, which only the view changes.
    const list = new Gtk.ListView({model: new Gtk.NoSelection({model: view.files}), factory});
    const scrolled = new Gtk.ScrolledWindow({child: list, vexpand: true});
    const bar = new Gtk.Box({spacing: 6});
    bar.append(view.progress);
    bar.append(view.button);
    const box = new Gtk.Box({
        orientation: Gtk.Orientation.VERTICAL, spacing: 6,
        margin_start: 6, margin_end: 6, margin_top: 6, margin_bottom: 6,
    });
    box.append(bar);
    box.append(scrolled);
    const window = new Gtk.ApplicationWindow({
        application: app, title: 'File indexer', child: box,
        default_width: 480, default_height: 360,
    });
    // Closing the window quits, even midway: the actors hold the application.
    window.connect('close-request', () => {
        app.quit();
        return false;
    });
    window.present();
    return [window, view];
}

function saveScreenshot(widget, path) {
    const paintable = Gtk.WidgetPaintable.new(widget);
    const snapshot = new Gtk.Snapshot();
    const [width, height] = [widget.get_width(), widget.get_height()];
    paintable.snapshot(snapshot, width, height);
    const node = snapshot.to_node();
    if (node === null)
        return;
    const rect = new Graphene.Rect().init(0, 0, width, height);
    const texture = widget.get_native().get_renderer().render_texture(node, rect);
    if (texture.save_to_png(path))
        print(`# screenshot written to ${path}`);
    else
        printerr(`Could not write ${path}`);
}

// Three runs over a temporary directory of 200 files: to the end, Cancel
// midway, quit midway.
class SelfTest {
    constructor(app) {
        this.app = app;
        this.root = GLib.dir_make_tmp('gtk-indexer-XXXXXX');
        this.paths = [];
        for (let d = 0; d < 10; d++) {
            const dir = `${this.root}/dir-${String(d).padStart(2, '0')}`;
            GLib.mkdir_with_parents(dir, 0o700);
            for (let f = 0; f < 20; f++) {
                const n = d * 20 + f;
                const path = `${dir}/note-${String(n).padStart(3, '0')}.txt`;
                GLib.file_set_contents(path, 'x'.repeat(37 * n));
                this.paths.push(path);
            }
        }
        this.nFiles = this.paths.length;
        this.run = 0;
        this.ticks = 0;
    }

    // A failed check fails the test at once instead of hanging it.
    check(condition, what) {
        if (!condition) {
            printerr(`self-test failed: ${what}`);
            system.exit(1);
        }
    }

    start(window, view) {
        this.window = window;
        this.view = view;
        view.files.connect('items-changed', files => this.itemsChanged(files));
        view.runFinished = () => this.runFinished();
        this.run = 1;
        print(`# run 1: indexing ${this.nFiles} files to the end`);
        view.button.emit('clicked');
    }

    itemsChanged(files) {
        const n = files.get_n_items();
        // In a batch handler of the view: the worker waits for its answer,
        // so it sees the Cancel (or the quit) before its next batch.
        if (this.run === 2 && n >= this.nFiles / 4 && this.view.cancellable !== null &&
            !this.view.cancellable.is_cancelled())
            this.view.button.emit('clicked');
        else if (this.run === 3 && n >= this.nFiles / 4)
            this.app.quit();
    }

    runFinished() {
        const view = this.view;
        const n = view.files.get_n_items();
        print(`# run ${this.run}: ${n} files indexed of ${view.total}, ${view.lastCancelled ? 'cancelled' : 'finished'}`);
        this.check(n === view.lastSent, `${n} files shown, ${view.lastSent} sent`);
        if (this.run === 1) {
            this.check(!view.lastCancelled && n === this.nFiles && view.total === this.nFiles,
                'run 1 indexes every file');
            this.run = 2;
            print('# run 2: pressing Cancel midway');
            view.button.emit('clicked');
        } else if (this.run === 2) {
            this.check(view.lastCancelled && n >= this.nFiles / 4 && n < this.nFiles,
                'Cancel stops run 2 early');
            // Two frames after the Cancel, the window is laid out and drawn.
            this.window.add_tick_callback(() => {
                if (++this.ticks < 3)
                    return GLib.SOURCE_CONTINUE;
                const path = GLib.getenv('PYKKA_SCREENSHOT');
                if (path)
                    saveScreenshot(this.window, path);
                this.run = 3;
                print('# run 3: quitting midway');
                this.view.button.emit('clicked');
                return GLib.SOURCE_REMOVE;
            });
        }
    }

    checkEnd() {
        this.check(this.run === 3, 'three runs');
        const n = this.view.files.get_n_items();
        const cancelled = this.view.cancellable?.is_cancelled() ?? false;
        // The view's vfunc_on_stop cancelled run 3 at the shutdown, unless
        // the worker had finished before it: when the worker stops depends
        // on the timing, that it stops does not.
        print(`# run 3: quit after ${n} of ${this.nFiles} files, ${cancelled ? 'cancelled at shutdown' : 'finished before the shutdown'}`);
        this.check(n <= this.nFiles, 'run 3 shows no more files than there are');
        for (const path of this.paths)
            GLib.unlink(path);
        for (let d = 0; d < 10; d++)
            GLib.rmdir(`${this.root}/dir-${String(d).padStart(2, '0')}`);
        GLib.rmdir(this.root);
        print('# self-test passed');
    }
}

if (!Gtk.init_check()) {
    print('SKIP: no display could be opened (run under xvfb-run)');
    system.exit(77);
}

const app = new Gtk.Application({
    application_id: 'org.example.Indexer',
    flags: Gio.ApplicationFlags.NON_UNIQUE,
});
// At shutdown, stops the actors newest first: the view, then the worker.
Pykka.application_attach(app, 5000);
const args = system.programArgs;
const test = args[0] === '--self-test' ? new SelfTest(app) : null;
const directory = test ? test.root : args[0] ?? '/usr/share/doc';
app.connect('activate', () => {
    const [window, view] = buildWindow(app, directory);
    test?.start(window, view);
});
const status = app.run([system.programInvocationName]);

// Every actor has stopped, even when the application quit midway.
if (test) {
    test.check(Pykka.Registry.get_all().length === 0, 'every actor stopped');
    test.checkEnd();
}
system.exit(status);
