# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python layer works from `meson devenv` (uninstalled): the override
and pykka_glib from the source tree, the C extension and the library from
the build dir. The installed layer, under a prefix of its own, is checked
by tests/install/test-install-prefix.sh (suite 'install'), with the same
tests/install/check-layer.py."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import PYTHON, SOURCE_ROOT

CHECK_LAYER = os.path.join(SOURCE_ROOT, 'tests', 'install', 'check-layer.py')


def build_root():
    # meson's pykka_env puts the build dir's introspection/ first.
    typelib_dir = os.environ['GI_TYPELIB_PATH'].split(os.pathsep)[0]
    return os.path.dirname(typelib_dir)


def clean_env():
    return {k: v for k, v in os.environ.items()
            if k not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH')}


@pytest.mark.skipif(shutil.which('meson') is None, reason='meson not installed')
def test_meson_devenv_loads_the_uninstalled_layer():
    result = subprocess.run(['meson', 'devenv', '-C', build_root(), PYTHON, CHECK_LAYER],
                            env=clean_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.splitlines()[-1])
    assert info['reply'] == 42
    introspection = os.path.join(SOURCE_ROOT, 'introspection')
    assert info['override'] == os.path.join(introspection, 'gi', 'overrides', 'Pykka.py')
    assert info['module'] == os.path.join(introspection, 'pykka_glib', '__init__.py')
    # The C part is built, in the build dir's introspection/pykka_glib.
    assert info['speedups'].startswith(os.path.join(build_root(), 'introspection', 'pykka_glib', '_speedups.'))
    assert info['library'] and all(p.startswith(build_root()) for p in info['library'])
    assert info['actor_class'] == 'pykka_glib._actor'


@pytest.mark.skipif(shutil.which('meson') is None, reason='meson not installed')
def test_everything_installs_under_the_prefix():
    # Nothing goes to the system's dist-packages: the Python layer too is
    # under the prefix this build was configured with.
    options = json.loads(subprocess.run(['meson', 'introspect', '--buildoptions', build_root()],
                                        capture_output=True, text=True, check=True).stdout)
    prefix = next(o['value'] for o in options if o['name'] == 'prefix')
    python_dir = next(o['value'] for o in options if o['name'] == 'python_dir')
    installed = json.loads(subprocess.run(['meson', 'introspect', '--installed', build_root()],
                                          capture_output=True, text=True, check=True).stdout)
    if not os.path.isabs(python_dir):
        assert all(dst.startswith(prefix + '/') for dst in installed.values()), installed
    by_name = {os.path.basename(src): dst for src, dst in installed.items()}
    override = by_name['Pykka.py']
    site_dir = os.path.dirname(os.path.dirname(os.path.dirname(override)))
    assert override == os.path.join(site_dir, 'gi', 'overrides', 'Pykka.py')
    speedups = [dst for src, dst in installed.items() if os.path.basename(src).startswith('_speedups.')]
    # With its types (PEP 561): the marker, the stubs and pykka_glib.typing.
    typed = [by_name[name] for name in ('py.typed', '__init__.pyi', 'asyncio.pyi', 'compat.pyi', 'typing.py')]
    for dst in [by_name['__init__.py'], by_name['_actor.py']] + speedups + typed:
        assert os.path.dirname(dst) == os.path.join(site_dir, 'pykka_glib')
    assert len(speedups) == 1
