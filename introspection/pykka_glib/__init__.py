# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python layer of pykka-glib.

Use it through PyGObject::

    import gi
    gi.require_version("Pykka", "1.0")
    from gi.repository import Pykka

    class Greeter(Pykka.Actor):
        def on_receive(self, message):
            return "Hi there!"

The PyGObject override (``gi/overrides/Pykka.py``) holds the API; this
package holds the actor base classes (``pykka_glib._actor``), which
register GTypes of their own and therefore cannot be defined in the
override module. ``pykka_glib.Actor`` is ``Pykka.Actor``.

``import pykka_glib as pykka`` (or ``import pykka_glib.compat as
pykka``) gives Pykka's public names, so that a Pykka program runs by
changing only its import: see ``pykka_glib.compat``.

The package is typed (``py.typed``, with stubs next to the modules):
typed code imports its actors, refs, proxies and futures from here, and
types its proxies with ``pykka_glib.typing``.
"""

import pkgutil

# Uninstalled, the compiled pykka_glib._speedups is in the build dir's
# introspection/pykka_glib, another entry of sys.path.
__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ['Actor', 'ThreadingActor', 'ActorDeadError', 'ActorProxy', 'ActorRef',
           'ActorRegistry', 'CallableProxy', 'Future', 'ThreadingFuture', 'Timeout',
           'get_all', 'traversable']

# Also there, not in __all__ (``from pykka_glib import *`` leaves them).
# ``typing`` is a submodule too (Pykka 4's ``pykka.typing``).
_COMPAT_EXTRA = ('messages', 'debug', 'typing', 'Event', '__version__')


def __getattr__(name):
    # Lazy, so that the override (which imports pykka_glib._actor while it
    # loads) and this package can be imported in either order.
    if name in __all__ or name in _COMPAT_EXTRA:
        from pykka_glib import compat
        return getattr(compat, name)
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
