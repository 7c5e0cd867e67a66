# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared fixtures of the Python suite: every test ends with no actor
left, and no test can hang (a watchdog kills the run after WATCHDOG_S)."""

import faulthandler
import os
import sys
import time

import gi

gi.require_version('Pykka', '1.0')

from gi.repository import GLib, Pykka  # noqa: E402

import pytest  # noqa: E402

#: Upper bound of any single wait in the tests, in seconds. Generous: the
#: suite must pass on a slow, loaded machine; no test asserts timings.
TIMEOUT = 20

#: A test that takes longer than this is hung: dump the stacks and exit.
WATCHDOG_S = 240

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


def iterate_until(predicate, timeout=TIMEOUT, context=None):
    """Iterates @context (the default one) until predicate() is true;
    fails the test after @timeout seconds."""
    context = context or GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail('condition not reached after %s s' % timeout)
        context.iteration(False) or time.sleep(0.001)


def drain(context=None):
    """Runs whatever is ready in @context (the default one)."""
    context = context or GLib.MainContext.default()
    for _ in range(100000):
        if not context.iteration(False):
            break


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _no_actor_left():
    yield
    Pykka.ActorRegistry.stop_all(timeout=TIMEOUT)
    drain()
    assert Pykka.ActorRegistry.get_all() == []


def python_env(**extra):
    """The environment of this run (meson's pykka_env) for a child process."""
    env = dict(os.environ)
    env.update(extra)
    return env


PYTHON = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
