# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python layer works the same from `meson devenv` (uninstalled) and
from an installed tree (meson install --destdir)."""

import json
import os
import shutil
import subprocess
import tempfile
import textwrap

import pytest

from conftest import PYTHON, SOURCE_ROOT

CHECK = textwrap.dedent('''
    import gi, json, sys
    gi.require_version("Pykka", "1.0")
    from gi.repository import Pykka
    import gi.overrides.Pykka, pykka_glib, pykka_glib._speedups

    class Inner(Pykka.Actor):
        def on_receive(self, message):
            return message + 1

    class Outer(Pykka.Actor):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def on_receive(self, message):
            return self.inner.ask(message) * 2    # suspends this actor

    reply = Outer.start(Inner.start()).ask(20, timeout=20)
    Pykka.ActorRegistry.stop_all()
    maps = open("/proc/self/maps").read().split()
    print(json.dumps({
        "reply": reply,
        "override": gi.overrides.Pykka.__file__,
        "module": pykka_glib.__file__,
        "speedups": pykka_glib._speedups.__file__,
        "library": sorted(set(p for p in maps if "libpykka-glib" in p)),
        "actor_class": Pykka.Actor.__module__,
    }))
''')


def build_root():
    # meson's pykka_env puts the build dir's introspection/ first.
    typelib_dir = os.environ['GI_TYPELIB_PATH'].split(os.pathsep)[0]
    return os.path.dirname(typelib_dir)


def run_check(command, env):
    result = subprocess.run(command + [PYTHON, '-c', CHECK], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH')}
    return env


@pytest.mark.skipif(shutil.which('meson') is None, reason='meson not installed')
def test_meson_devenv_loads_the_uninstalled_layer():
    info = run_check(['meson', 'devenv', '-C', build_root()], clean_env())
    assert info['reply'] == 42
    introspection = os.path.join(SOURCE_ROOT, 'introspection')
    assert info['override'] == os.path.join(introspection, 'gi', 'overrides', 'Pykka.py')
    assert info['module'] == os.path.join(introspection, 'pykka_glib', '__init__.py')
    # The C part is built, in the build dir's introspection/pykka_glib.
    assert info['speedups'].startswith(os.path.join(build_root(), 'introspection', 'pykka_glib', '_speedups.'))
    assert info['library'] and all(p.startswith(build_root()) for p in info['library'])
    assert info['actor_class'] == 'pykka_glib._actor'


@pytest.mark.skipif(shutil.which('meson') is None, reason='meson not installed')
def test_installed_tree_works_the_same():
    installed = json.loads(subprocess.run(['meson', 'introspect', '--installed', build_root()],
                                          capture_output=True, text=True, check=True).stdout)
    by_name = {os.path.basename(src): dst for src, dst in installed.items()}
    for name in ('Pykka.py', '__init__.py', '_actor.py', 'Pykka-1.0.typelib'):
        assert name in by_name, '%s is not installed' % name
    speedups = [dst for src, dst in installed.items() if os.path.basename(src).startswith('_speedups.')]
    assert len(speedups) == 1, 'pykka_glib._speedups is not installed'
    assert os.path.dirname(speedups[0]) == os.path.dirname(by_name['_actor.py'])

    with tempfile.TemporaryDirectory(prefix='pykka-install-') as destdir:
        subprocess.run(['meson', 'install', '-C', build_root(), '--no-rebuild', '--quiet',
                        '--destdir', destdir],
                       capture_output=True, text=True, check=True, timeout=300)

        def staged(path):
            return destdir + path

        override = by_name['Pykka.py']
        site_dir = os.path.dirname(os.path.dirname(os.path.dirname(override)))
        assert os.path.dirname(os.path.dirname(by_name['_actor.py'])) == site_dir
        library = [dst for src, dst in installed.items() if 'libpykka-glib-1.0.so' in dst][0]
        env = clean_env()
        env['PYTHONPATH'] = staged(site_dir)
        env['GI_TYPELIB_PATH'] = staged(os.path.dirname(by_name['Pykka-1.0.typelib']))
        env['LD_LIBRARY_PATH'] = staged(os.path.dirname(library))
        info = run_check([], env)
        assert info['reply'] == 42
        assert info['override'] == staged(override)
        assert info['module'] == staged(by_name['__init__.py'])
        assert info['speedups'] == staged(speedups[0])
        assert info['library'] and all(p.startswith(destdir) for p in info['library'])
        assert info['actor_class'] == 'pykka_glib._actor'
