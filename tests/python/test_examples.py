# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every Python port of Pykka's documentation examples runs, with the
expected output (docs/examples/python)."""

import os
import re
import subprocess

import pytest

from conftest import PYTHON, SOURCE_ROOT, python_env

EXAMPLES = os.path.join(SOURCE_ROOT, 'docs', 'examples', 'python')


def run(name, *args):
    result = subprocess.run([PYTHON, os.path.join(EXAMPLES, name)] + list(args),
                            env=python_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_plain_actor():
    assert run('plain_actor.py') == ["[{'no': 'Norway', 'se': 'Sweden'}, {'a': 3, 'b': 4, 'c': 5}]"]


def test_dispatch():
    lines = run('dispatch.py')
    assert lines[0] == '5'
    assert re.fullmatch(r'Calculator \(urn:uuid:[0-9a-f-]+\) has no handler for a float: it handles Add and Reset',
                        lines[1])
    assert lines[2:] == ['True']


def test_names():
    assert run('names.py') == ['blue', 'True', 'True']


def test_counter_via_proxy():
    assert run('calculator.py') == ['4', '4', '2', '17']


def test_actor_with_proxy():
    lines = run('typed_actor.py')
    assert len(lines) == 3 * 11 + 0
    assert lines.count('AnActor: this was printed by AnActor.proc()') == 3
    assert lines.count('MainThread: this was returned by AnActor.func() after a delay') == 3
    assert lines.count('MainThread: this is the value of AnActor.field') == 1
    assert lines.count('MainThread: new value') == 5


def test_typed_proxy():
    # Pykka 4's typed proxy (pykka_glib.typing); test_typing runs mypy on it.
    assert run('typed_proxy.py') == ['pi is 3.14', 'area of radius 2: 12.56', 'total area: 43.96',
                                     'doubled: 6.28', 'stopped: True']


def test_cooperating_actors():
    lines = run('counter.py')
    urn = r'\(urn:uuid:[0-9a-f-]{36}\)'
    assert len(lines) == 20
    for i in range(10):
        assert re.fullmatch(r'Adder %s is increasing %d' % (urn, i), lines[2 * i]), lines[2 * i]
        assert re.fullmatch(r'Bookkeeper %s got %d back' % (urn, i + 1), lines[2 * i + 1]), lines[2 * i + 1]


def test_worker_pool():
    assert run('worker_pool.py', '4') == ['primes below 20000: 2262', 'jobs per worker: [5, 5, 5, 5]']


def test_resolver_fan_out():
    lines = run('resolver.py')
    # The resolvers print from their threads; the table comes last.
    start = max(i for i, line in enumerate(lines) if line.startswith('[('))
    pairs = eval('\n'.join(lines[start:]))
    assert pairs == [('192.0.2.%d' % i, None if i % 7 == 0 else 'host%d.example.net' % i) for i in range(1, 16)]
    log = '\n'.join(lines[:start])
    assert log.count('Finished resolving') == 13
    assert log.count('Failed resolving') == 2


def test_resolver_with_arguments():
    lines = run('resolver.py', '2', '192.0.2.1', '192.0.2.7')
    assert "[('192.0.2.1', 'host1.example.net'), ('192.0.2.7', None)]" in lines


def test_main_loop_application():
    assert run('main_loop.py') == [
        'delivered to 3 members',
        "ann heard ['ann: hello']",
        "bob heard ['ann: hello']",
        "cid heard ['ann: hello']",
    ]


def test_asyncio_server():
    assert run('asyncio_server.py') == [
        'APPLE PEAR',
        'PEAR FIG',
        'APPLE PEAR PLUM',
        "[('apple', 2), ('fig', 1), ('pear', 3), ('plum', 1)]",
    ]


def test_supervision():
    assert run('supervision.py') == ['1', '2', 'None']


# The GTK examples need a display: the docs suite runs them under xvfb-run.
@pytest.mark.parametrize('name', sorted(n for n in os.listdir(EXAMPLES)
                                        if n.endswith('.py') and not n.startswith('gtk_')))
def test_every_example_runs(name):
    run(name)
