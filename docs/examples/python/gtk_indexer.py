#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""gtk_indexer.py: the GTK file indexer of docs/examples/c/gtk-indexer.c
in Python. A worker on a thread of its own (a ThreadingActor) walks a
directory and hands the files it finds, name and size, in batches to a
view actor in the main context, which owns the Gio.ListStore that a
Gtk.ListView shows, and the progress bar. Start asks the worker with a
Gio.Cancellable, which Cancel cancels; Pykka.application_attach() stops
the actors at shutdown, newest first: the view, whose on_stop cancels the
work in progress, then the worker.

    gtk_indexer.py [DIRECTORY]   index DIRECTORY (default /usr/share/doc)
    gtk_indexer.py --self-test   index 200 files of a temporary directory
                                 to the end, again with Cancel pressed
                                 midway, then a third time, quitting midway

With PYKKA_SCREENSHOT set, the self-test writes a PNG of the window there
once Cancel has stopped the second run. Exits 77 when no display can be
opened (the test suite runs it under xvfb-run).

mypy --strict checks it: the actors' types come from pykka_glib; GTK,
GLib and the rest of gi have no stubs, so mypy sees them as Any (and lets
IndexedFile subclass GObject.Object, hence the flag below)."""
# mypy: allow-subclassing-any

import os
import shutil
import sys
import tempfile
from types import TracebackType
from typing import Any, Callable

import gi

gi.require_version('Gtk', '4.0')
gi.require_version('Pykka', '1.0')
from gi.repository import GLib, GObject, Gio, Gtk, Pykka  # noqa: E402

from pykka_glib import Actor, ActorRef, ActorRegistry, Future, ThreadingActor  # noqa: E402

BATCH_SIZE = 20


class IndexedFile(GObject.Object):
    """One indexed file: made on the worker's thread, shown on the main
    thread, never changed."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__()
        self.name = name
        self.size = size


class Indexer(ThreadingActor):
    """The worker, on a thread of its own: told the view's ref first, then
    each ask with a directory indexes it, answering how many files it
    handed to the view."""

    def __init__(self) -> None:
        super().__init__()
        self.view: 'ActorRef[View] | None' = None

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, ActorRef):
            self.view = message
            return None
        return self.index(message)

    def index(self, root: str) -> int:
        assert self.view is not None
        # The ask's cancellable: Cancel in the window cancels it.
        cancellable = self.get_current_cancellable()
        paths = sorted(os.path.relpath(os.path.join(directory, name), root)
                       for directory, _, names in os.walk(root)
                       for name in names)
        self.view.tell(len(paths))
        batch, sent = [], 0
        for i, path in enumerate(paths):
            if cancellable.is_cancelled():
                break
            try:
                size = os.stat(os.path.join(root, path), follow_symlinks=False).st_size
            except OSError:
                continue
            batch.append(IndexedFile(path, size))
            if len(batch) == BATCH_SIZE or i + 1 == len(paths):
                sent += len(batch)
                # Waits until the view has added them: no flood.
                self.view.ask(batch)
                batch = []
        return sent


class View(Actor):
    """An actor of the main context: its handlers run on the main thread,
    as its widgets' signal handlers do; it alone changes the list and the
    progress bar."""

    def __init__(self, indexer: ActorRef[Indexer], directory: str) -> None:
        super().__init__()
        self.indexer = indexer
        self.directory = directory
        self.files = Gio.ListStore(item_type=IndexedFile)
        self.progress = Gtk.ProgressBar(show_text=True, hexpand=True,
                                        valign=Gtk.Align.CENTER)
        self.button = Gtk.Button(label='Start')
        self.button.connect('clicked', self.clicked)
        self.cancellable: Any = None  # a Gio.Cancellable while a run goes on
        self.total = 0
        self.last_sent = 0
        self.last_cancelled = False
        # Called after each run (the self-test).
        self.run_finished: Callable[[], None] | None = None

    def on_receive(self, message: Any) -> None:
        if isinstance(message, int):
            self.total = message
        else:
            # A batch of files from the worker, added on the main thread.
            self.files.splice(self.files.get_n_items(), 0, message)
        self.show_progress()

    def on_stop(self) -> None:
        # Quitting midway: the worker sees it at its next file.
        if self.cancellable is not None:
            self.cancellable.cancel()

    def show_progress(self) -> None:
        n = self.files.get_n_items()
        prefix = 'Cancelled: ' if self.cancellable is None and self.last_cancelled else ''
        self.progress.set_text(f'{prefix}{n} of {self.total} files')
        self.progress.set_fraction(n / self.total if self.total else 0)

    def clicked(self, button: Any) -> None:
        if self.cancellable is not None:
            self.cancellable.cancel()  # Cancel
            return
        self.files.remove_all()
        self.total = 0
        self.cancellable = Gio.Cancellable()
        button.set_label('Cancel')
        self.show_progress()
        # Start: the worker indexes the directory on its own thread.
        done = self.indexer.ask_cancellable(self.directory, self.cancellable)
        done.get_async(None, self.index_done)

    def index_done(self, future: Future[int], result: Any) -> None:
        try:
            self.last_sent = future.get_finish(result)
        except GLib.Error:
            self.last_sent = 0
        self.last_cancelled = self.cancellable.is_cancelled()
        self.cancellable = None
        self.button.set_label('Start')
        self.show_progress()
        if self.run_finished is not None:
            self.run_finished()


def setup_row(factory: Any, item: Any) -> None:
    item.set_child(Gtk.Label(xalign=0))


def bind_row(factory: Any, item: Any) -> None:
    file = item.get_item()
    item.get_child().set_text(f'{file.name}  ({GLib.format_size(file.size)})')


def build_window(app: Any, directory: str) -> tuple[Any, View]:
    indexer = Indexer.start()
    view = View(indexer, directory)
    # Started after the worker, so stopped before it at shutdown.
    indexer.tell(view.start())

    factory = Gtk.SignalListItemFactory()
    factory.connect('setup', setup_row)
    factory.connect('bind', bind_row)
    # The list shows the view's store, which only the view changes.
    listview = Gtk.ListView(model=Gtk.NoSelection(model=view.files), factory=factory)
    scrolled = Gtk.ScrolledWindow(child=listview, vexpand=True)
    bar = Gtk.Box(spacing=6)
    bar.append(view.progress)
    bar.append(view.button)
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6, margin_start=6,
                  margin_end=6, margin_top=6, margin_bottom=6)
    box.append(bar)
    box.append(scrolled)
    window = Gtk.ApplicationWindow(application=app, title='File indexer', child=box,
                                   default_width=480, default_height=360)
    # Closing the window quits, even midway: the actors hold the application.
    window.connect('close-request', lambda window: app.quit() or False)
    window.present()
    return window, view


def save_screenshot(widget: Any, path: str) -> None:
    # PyGObject 3.42 cannot hold a GskRenderNode (a fundamental type): the
    # node is made, rendered and saved through ctypes.
    import ctypes
    from ctypes import POINTER, byref, c_char_p, c_float, c_void_p, py_object

    class Rect(ctypes.Structure):
        _fields_ = [('x', c_float), ('y', c_float), ('width', c_float), ('height', c_float)]

    def address(obj: Any) -> Any:
        return ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None)

    ctypes.pythonapi.PyCapsule_GetPointer.restype = c_void_p
    ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [py_object, c_char_p]
    gtk = ctypes.CDLL('libgtk-4.so.1')
    gtk.gtk_snapshot_to_node.restype = c_void_p
    gtk.gtk_snapshot_to_node.argtypes = [c_void_p]
    gtk.gsk_renderer_render_texture.restype = c_void_p
    gtk.gsk_renderer_render_texture.argtypes = [c_void_p, c_void_p, POINTER(Rect)]
    gtk.gdk_texture_save_to_png.argtypes = [c_void_p, c_char_p]
    gtk.gsk_render_node_unref.argtypes = [c_void_p]
    gtk.g_object_unref.argtypes = [c_void_p]

    paintable = Gtk.WidgetPaintable.new(widget)
    snapshot = Gtk.Snapshot()
    width, height = widget.get_width(), widget.get_height()
    paintable.snapshot(snapshot, width, height)
    node = gtk.gtk_snapshot_to_node(address(snapshot))
    if not node:
        return
    renderer = widget.get_native().get_renderer()
    texture = gtk.gsk_renderer_render_texture(address(renderer), node,
                                              byref(Rect(0, 0, width, height)))
    saved = gtk.gdk_texture_save_to_png(texture, os.fsencode(path))
    gtk.g_object_unref(texture)
    gtk.gsk_render_node_unref(node)
    if saved:
        print(f'# screenshot written to {path}')
    else:
        print(f'Could not write {path}', file=sys.stderr)


class SelfTest:
    """Three runs over a temporary directory of 200 files: to the end,
    Cancel midway, quit midway."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # A failed check in a callback fails the test instead of hanging it.
        sys.excepthook = self.fail
        self.root = tempfile.mkdtemp(prefix='gtk-indexer-')
        self.n_files = 0
        for d in range(10):
            os.mkdir(os.path.join(self.root, f'dir-{d:02}'))
            for f in range(20):
                n = d * 20 + f
                with open(os.path.join(self.root, f'dir-{d:02}', f'note-{n:03}.txt'), 'w') as out:
                    out.write('x' * 37 * n)
                self.n_files += 1
        self.run = 0
        self.ticks = 0
        # Set by start().
        self.view: View
        self.window: Any

    @staticmethod
    def fail(kind: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        sys.__excepthook__(kind, value, traceback)
        os._exit(1)

    def start(self, window: Any, view: View) -> None:
        self.window, self.view = window, view
        view.files.connect('items-changed', self.items_changed)
        view.run_finished = self.run_finished
        self.run = 1
        print(f'# run 1: indexing {self.n_files} files to the end')
        view.button.emit('clicked')

    def items_changed(self, files: Any, position: int, removed: int, added: int) -> None:
        n = files.get_n_items()
        # In a batch handler of the view: the worker waits for its answer,
        # so it sees the Cancel (or the quit) before its next batch.
        if self.run == 2 and n >= self.n_files // 4 and self.view.cancellable is not None \
                and not self.view.cancellable.is_cancelled():
            self.view.button.emit('clicked')
        elif self.run == 3 and n >= self.n_files // 4:
            self.app.quit()

    def run_finished(self) -> None:
        view = self.view
        n = view.files.get_n_items()
        state = 'cancelled' if view.last_cancelled else 'finished'
        print(f'# run {self.run}: {n} files indexed of {view.total}, {state}')
        assert n == view.last_sent, (n, view.last_sent)
        if self.run == 1:
            assert not view.last_cancelled
            assert n == view.total == self.n_files, (n, view.total)
            self.run = 2
            print('# run 2: pressing Cancel midway')
            view.button.emit('clicked')
        elif self.run == 2:
            assert view.last_cancelled
            assert self.n_files // 4 <= n < self.n_files, n
            self.window.add_tick_callback(self.screenshot_tick)

    def screenshot_tick(self, widget: Any, clock: Any) -> Any:
        # Two frames after the Cancel, the window is laid out and drawn.
        self.ticks += 1
        if self.ticks < 3:
            return GLib.SOURCE_CONTINUE
        if os.environ.get('PYKKA_SCREENSHOT'):
            save_screenshot(self.window, os.environ['PYKKA_SCREENSHOT'])
        self.run = 3
        print('# run 3: quitting midway')
        self.view.button.emit('clicked')
        return GLib.SOURCE_REMOVE

    def check_end(self) -> None:
        assert self.run == 3, self.run
        n = self.view.files.get_n_items()
        cancelled = self.view.cancellable is not None and self.view.cancellable.is_cancelled()
        # The view's on_stop cancelled run 3 at the shutdown, unless the
        # worker had finished before it: when the worker stops depends on
        # the timing, that it stops does not.
        state = 'cancelled at shutdown' if cancelled else 'finished before the shutdown'
        print(f'# run 3: quit after {n} of {self.n_files} files, {state}')
        assert n <= self.n_files, n
        shutil.rmtree(self.root)
        print('# self-test passed')


def main(argv: list[str]) -> int:
    if not Gtk.init_check():
        print('SKIP: no display could be opened (run under xvfb-run)')
        return 77

    app = Gtk.Application(application_id='org.example.Indexer',
                          flags=Gio.ApplicationFlags.NON_UNIQUE)
    # At shutdown, stops the actors newest first: the view, then the worker.
    Pykka.application_attach(app, 5000)
    test = SelfTest(app) if argv[1:2] == ['--self-test'] else None
    directory = test.root if test else (argv[1] if len(argv) > 1 else '/usr/share/doc')

    def activate(app: Any) -> None:
        window, view = build_window(app, directory)
        if test is not None:
            test.start(window, view)

    app.connect('activate', activate)
    status: int = app.run(argv[:1])

    # Every actor has stopped, even when the application quit midway.
    assert ActorRegistry.get_all() == []
    if test is not None:
        test.check_end()
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
