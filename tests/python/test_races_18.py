# SPDX-License-Identifier: LGPL-2.1-or-later
"""The speed work of issue 18 through the Python binding: a handler's
wait for an actor of its own context is recorded in the wait-for graph
without the graph's lock (a "fast edge"), also when the binding suspends
the handler (a greenlet's resume); a cycle through such an edge and an
actor of another thread must still fail at once with DEADLOCK."""

from gi.repository import GLib, Pykka

from conftest import TIMEOUT


class Hop(Pykka.Actor):
    """Asks the next actor and replies what it answered, or the error."""

    next_ref = None

    def on_receive(self, message):
        if isinstance(message, list):
            self.next_ref = message[0]
            return None
        if self.next_ref is None:
            return None
        try:
            return self.next_ref.ask('hop', timeout=TIMEOUT)
        except GLib.Error as error:
            return [error.code, error.message]


class OwnHop(Hop):
    use_own_thread = True


def test_ring_through_a_fast_edge_fails_with_deadlock():
    # A and C on the main context, B on a thread of its own: A asks C
    # (a fast edge), C asks B, B asks A.
    a = Hop.start()
    c = Hop.start()
    b = OwnHop.start()
    a.ask([c], timeout=TIMEOUT)
    c.ask([b], timeout=TIMEOUT)
    b.ask([a], timeout=TIMEOUT)

    code, message = a.ask('go', timeout=TIMEOUT)
    assert code == Pykka.Error.DEADLOCK
    for ref in (a, b, c):
        assert ref.actor_urn in message
        assert ref.is_alive()

    # The graph is clean afterwards: a chain without a cycle works.
    b.ask([Hop.start()], timeout=TIMEOUT)
    assert b.ask('go', timeout=TIMEOUT) is None
    Pykka.ActorRegistry.stop_all(timeout=TIMEOUT)

