# SPDX-License-Identifier: LGPL-2.1-or-later
"""Types (Pykka 4's typed proxies): mypy --strict passes on the Python
examples and on pykka_glib's stubs and fails on actor code with a type
error; the stubs say what the runtime has; and the typing helpers work at
run time as in Pykka 4.

mypy is Debian's (the mypy package), run twice per module, with caches
in a temporary directory (nothing is written in the source tree): on the
examples and a snippet with errors, which find pykka_glib as an installed
package is found (on sys.path, typed by its py.typed: mypy reports no
error inside such a package); and on a copy of the package's stubs and
typed modules, for errors in them. (Not on the source tree itself: the
directory introspection/ also holds gi/overrides, which mypy would take
for the package gi.)"""

import ast
import dataclasses
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import time
import types
from typing import cast

import gi

gi.require_version('Pykka', '1.0')
from gi.repository import Pykka  # noqa: E402

import pytest  # noqa: E402

import pykka_glib  # noqa: E402
import pykka_glib.asyncio  # noqa: E402
import pykka_glib.compat  # noqa: E402
import pykka_glib.typing  # noqa: E402
from pykka_glib import Actor, ActorProxy, ActorRef, CallableProxy, Future, ThreadingActor  # noqa: E402
from pykka_glib.typing import ActorMemberMixin, proxy_field, proxy_method  # noqa: E402

from conftest import PYTHON, SOURCE_ROOT, TIMEOUT, python_env  # noqa: E402

EXAMPLES = os.path.join(SOURCE_ROOT, 'docs', 'examples', 'python')
MYPY_INI = os.path.join(EXAMPLES, 'mypy.ini')
PACKAGE = os.path.join(SOURCE_ROOT, 'introspection', 'pykka_glib')
# What mypy checks of the package itself: the stubs and the typed modules.
PACKAGE_FILES = ['__init__.pyi', 'asyncio.pyi', 'compat.pyi', 'typing.py', 'messages.py']

# Actor code with type errors: each line marked `# E: CODE` must get an
# error of that code, and no other line any error; `# R: TEXT` lines must
# reveal TEXT. Written out of the source tree for each run.
BAD_ACTOR_CODE = '''\
from typing import cast

from pykka_glib import ActorProxy, Future, ThreadingActor
from pykka_glib.typing import ActorMemberMixin, proxy_field, proxy_method


class Circle(ThreadingActor):
    pi = 3.14

    def area(self, radius: float) -> float:
        return self.pi * radius**2


class CircleProxy(ActorMemberMixin, ActorProxy[Circle]):
    pi = proxy_field(Circle.pi)
    area = proxy_method(Circle.area)


ref = Circle.start()
proxy = cast(CircleProxy, ref.proxy())
reveal_type(proxy.area)  # R: def (radius: builtins.float) -> pykka_glib.Future[builtins.float]
reveal_type(proxy.stop)  # R: def () -> pykka_glib.Future[None]
reveal_type(ref)  # R: pykka_glib.ActorRef[bad_actor.Circle]
n: int = proxy.area(2.0)  # E: assignment
doubled = proxy.area(2.0) * 2  # E: operator
proxy.area('two')  # E: arg-type
name: str = proxy.pi.get()  # E: assignment
stopped: bool = ref.stop(block=False)  # E: assignment
value: int = Future[str]().get()  # E: assignment


class Sloppy(ThreadingActor):
    def on_start(self, extra: int) -> None:  # E: override
        pass
'''

MYPY_LINE = re.compile(r'^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<text>.*?)(?:  \[(?P<code>[\w-]+)\])?$')


def have_mypy():
    return importlib.util.find_spec('mypy') is not None


needs_mypy = pytest.mark.skipif(not have_mypy(), reason="mypy is not installed (Debian's mypy package)")


def mypy(files, cwd, cache):
    """Runs mypy --strict (the examples' configuration) on @files; returns
    its messages, as (absolute path, line, kind, text, code), and output."""
    command = [PYTHON, '-m', 'mypy', '--config-file', MYPY_INI, '--cache-dir', cache,
               '--no-color-output', '--no-error-summary', '--show-error-codes'] + files
    start = time.monotonic()
    result = subprocess.run(command, env=python_env(), cwd=cwd, capture_output=True, text=True,
                            timeout=300)
    print(f'mypy --strict on {len(files)} files: {time.monotonic() - start:.1f} s')
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    messages = []
    for line in result.stdout.splitlines():
        match = MYPY_LINE.match(line)
        assert match, 'unexpected mypy output: %r\n%s' % (line, output)
        messages.append((os.path.abspath(os.path.join(cwd, match['path'])), int(match['line']),
                         match['kind'], match['text'], match['code']))
    return messages, output


@pytest.fixture(scope='module')
def mypy_run(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp('mypy'))
    bad = os.path.join(tmp, 'bad_actor.py')
    with open(bad, 'w') as f:
        f.write(BAD_ACTOR_CODE)
    examples = sorted(os.path.join(EXAMPLES, n) for n in os.listdir(EXAMPLES) if n.endswith('.py'))
    messages, output = mypy(examples + [bad], tmp, os.path.join(tmp, 'cache'))
    # The package's own files, copied alone.
    copy = os.path.join(tmp, 'package', 'pykka_glib')
    os.makedirs(copy)
    for name in PACKAGE_FILES + ['py.typed']:
        shutil.copy(os.path.join(PACKAGE, name), copy)
    package = [os.path.join(copy, name) for name in PACKAGE_FILES]
    package_messages, package_output = mypy(package, tmp, os.path.join(tmp, 'cache-package'))
    return types.SimpleNamespace(messages=messages, output=output, bad=bad, examples=examples,
                                 package=package, package_messages=package_messages,
                                 package_output=package_output)


@needs_mypy
def test_examples_pass_mypy_strict(mypy_run):
    assert os.path.join(EXAMPLES, 'typed_proxy.py') in mypy_run.examples
    problems = [m for m in mypy_run.messages if m[0] in mypy_run.examples]
    assert problems == [], mypy_run.output


@needs_mypy
def test_stubs_pass_mypy_strict(mypy_run):
    assert mypy_run.package_messages == [], mypy_run.package_output


@needs_mypy
def test_type_errors_in_actor_code_are_reported(mypy_run):
    # So the check can fail: a future used as its value, a wrong argument,
    # a wrong override of a hook.
    expected_errors, expected_notes = set(), set()
    for number, line in enumerate(BAD_ACTOR_CODE.splitlines(), 1):
        if '# E: ' in line:
            expected_errors.add((number, line.split('# E: ')[1]))
        if '# R: ' in line:
            expected_notes.add((number, 'Revealed type is "%s"' % line.split('# R: ')[1]))
    mine = [m for m in mypy_run.messages if m[0] == mypy_run.bad]
    errors = {(line, code) for _, line, kind, _, code in mine if kind == 'error'}
    notes = {(line, text) for _, line, kind, text, _ in mine if kind == 'note' and text.startswith('Revealed')}
    assert errors == expected_errors, mypy_run.output
    assert notes == expected_notes, mypy_run.output


# ---------------------------------------------------------------------------
# The stubs against the runtime. (mypy's stubtest does not help here: on
# GObject classes it reports the GObject machinery, metaclass, gi's
# FunctionInfo methods and the C methods' signatures by the dozen.)

STUBS = {
    'pykka_glib': os.path.join(PACKAGE, '__init__.pyi'),
    'pykka_glib.compat': os.path.join(PACKAGE, 'compat.pyi'),
    'pykka_glib.asyncio': os.path.join(PACKAGE, 'asyncio.pyi'),
}

# Stub-only helpers and the runtime class each describes.
PRIVATE_CLASSES = {'_ActorStopped': lambda: sys.modules['gi.overrides.Pykka'].ActorStopped}

# Instances on which attributes set by __init__ are looked for.
SAMPLES = {'Timeout': lambda: pykka_glib.Timeout(), 'ActorDeadError': lambda: pykka_glib.ActorDeadError()}

# Public members that the runtime's Python classes define and the stubs
# leave out, and why.
UNTYPED = {
    'do_on_start': 'the GObject vfunc running on_start',
    'do_on_stop': 'the GObject vfunc running on_stop',
}

# The runtime's Python classes (the override's and pykka_glib's): the
# public members they define must be in the stubs.
RUNTIME_MODULES = ('gi.overrides.Pykka', 'pykka_glib._actor')


def decorators(node):
    return {d.id if isinstance(d, ast.Name) else getattr(d, 'attr', '') for d in node.decorator_list}


def stub_params(node, method):
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if method and 'staticmethod' not in decorators(node):
        names = names[1:]
    return names


def runtime_params(func):
    """(names, required names, takes any) of @func, or None if it has no
    signature (a C or GObject method)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    names, required, variadic = [], [], False
    for i, p in enumerate(signature.parameters.values()):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            variadic = True
        elif not (i == 0 and p.name in ('self', 'cls')):
            names.append(p.name)
            if p.default is p.empty:
                required.append(p.name)
    return names, required, variadic


def check_signature(where, overloads, func, method, problems):
    params = runtime_params(func)
    if params is None:
        return
    names, required, variadic = params
    stub = set()
    for node in overloads:
        stub.update(stub_params(node, method))
    if not variadic:
        problems += ['%s: stub parameter %r is not at run time' % (where, n) for n in sorted(stub - set(names))]
    problems += ['%s: runtime parameter %r is not in the stub' % (where, n) for n in required if n not in stub]


def group(body):
    """The public statements of a stub body by name (overloads together)."""
    names = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname == alias.name:  # an explicit re-export
                    names.setdefault(alias.name, []).append(node)
    return names


def check_class(where, node, runtime, problems):
    if not isinstance(runtime, type):
        problems.append('%s is a class in the stub, %r at run time' % (where, runtime))
        return
    sample = SAMPLES.get(node.name, lambda: None)()
    members = group(node.body)
    for name, nodes in members.items():
        here = '%s.%s' % (where, name)
        first = nodes[0]
        static = inspect.getattr_static(runtime, name, None)
        if isinstance(first, ast.FunctionDef):
            kinds = decorators(first)
            if not hasattr(runtime, name):
                problems.append('%s is not at run time' % here)
            elif 'property' in kinds:
                if not isinstance(static, property):
                    problems.append('%s is a property in the stub, %r at run time' % (here, static))
            elif 'staticmethod' in kinds:
                if not isinstance(static, staticmethod):
                    problems.append('%s is a staticmethod in the stub, %r at run time' % (here, static))
                check_signature(here, nodes, getattr(runtime, name), False, problems)
            elif isinstance(static, property) or not callable(getattr(runtime, name)):
                problems.append('%s is a method in the stub, %r at run time' % (here, static))
            else:
                check_signature(here, nodes, getattr(runtime, name), True, problems)
        elif not hasattr(runtime, name) and not hasattr(sample, name):
            problems.append('%s is not at run time' % here)
    # The other way: what the runtime's Python classes define.
    for cls in runtime.__mro__:
        if cls.__module__ not in RUNTIME_MODULES:
            continue
        for name in vars(cls):
            if not name.startswith('_') and name not in UNTYPED and not any(
                    name in group(c.body) for c in [node] + stub_bases(node)):
                problems.append('%s.%s is at run time (%s), not in the stub' % (where, name, cls.__qualname__))


_STUB_CLASSES = {}


def stub_bases(node):
    return [_STUB_CLASSES[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in _STUB_CLASSES]


def check_stub(module_name, path):
    module = sys.modules[module_name]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    problems = []
    names = group(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            _STUB_CLASSES[node.name] = node
    for name, nodes in names.items():
        where = '%s.%s' % (module_name, name)
        node = nodes[0]
        if name.startswith('_') and not name.startswith('__'):
            if isinstance(node, ast.ClassDef) and name in PRIVATE_CLASSES:
                check_class(where, node, PRIVATE_CLASSES[name](), problems)
            continue
        if not hasattr(module, name):
            problems.append('%s is not at run time' % where)
            continue
        runtime = getattr(module, name)
        if isinstance(node, ast.ClassDef):
            check_class(where, node, runtime, problems)
        elif isinstance(node, ast.FunctionDef):
            if isinstance(runtime, type) or not callable(runtime):
                problems.append('%s is a function in the stub, %r at run time' % (where, runtime))
            else:
                check_signature(where, nodes, runtime, False, problems)
        elif isinstance(node, ast.AnnAssign):
            kind = ast.unparse(node.annotation)
            if kind == 'ModuleType' and not isinstance(runtime, types.ModuleType) or \
                    kind == 'str' and not isinstance(runtime, str):
                problems.append('%s is a %s in the stub, %r at run time' % (where, kind, runtime))
        elif isinstance(node, ast.Assign):
            if name == '__all__' and ast.literal_eval(node.value) != runtime:
                problems.append('%s differs: %r at run time' % (where, runtime))
            # An alias: the same object at run time.
            if isinstance(node.value, ast.Name) and runtime is not getattr(module, node.value.id, None):
                problems.append('%s is %s in the stub, not at run time' % (where, node.value.id))
        elif isinstance(node, ast.ImportFrom):
            source = importlib.import_module(node.module)
            if runtime is not getattr(source, name):
                problems.append('%s is %s.%s in the stub, not at run time' % (where, node.module, name))
    # Every public name of the module is in its stub.
    public = list(getattr(module, '__all__', [])) + list(getattr(module, '_COMPAT_EXTRA', []))
    if module_name == 'pykka_glib.compat':
        public += ['Event', 'messages', 'debug', 'typing', '__version__']
    problems += ['%s.%s is at run time, not in the stub' % (module_name, n) for n in public if n not in names]
    return problems


@pytest.mark.parametrize('module_name', sorted(STUBS))
def test_stubs_match_the_runtime(module_name):
    assert check_stub(module_name, STUBS[module_name]) == []


def test_the_package_is_typed():
    # PEP 561: the marker next to the stubs, which meson installs (test_install).
    assert os.path.isfile(os.path.join(PACKAGE, 'py.typed'))
    assert os.path.dirname(pykka_glib.__file__) == PACKAGE


# ---------------------------------------------------------------------------
# The typing helpers at run time (Pykka 4's tests/proxy/test_typed_proxy.py)


def test_generic_classes_are_subscriptable():
    for cls in (Future, ActorRef, ActorProxy, CallableProxy):
        alias = cls[Actor]
        assert isinstance(alias, types.GenericAlias)
        assert alias.__origin__ is cls and alias.__args__ == (Actor,)
    assert Pykka.Future[int].__origin__ is Pykka.Future is Future
    assert Pykka.ActorProxy is ActorProxy


def test_a_future_made_through_its_alias_is_a_future():
    future = Future[int]()
    assert isinstance(future, Future)
    future.set(3)
    assert future.get() == 3


def test_helpers_return_their_argument():
    def area(self, radius):
        return radius

    assert proxy_field(3.14) == 3.14
    assert proxy_method(area) is area
    assert ActorMemberMixin.stop is Actor.stop
    assert pykka_glib.typing.__all__ == ['ActorMemberMixin', 'proxy_field', 'proxy_method']


def test_compat_offers_the_typing_module():
    assert pykka_glib.compat.typing is pykka_glib.typing
    assert pykka_glib.typing is sys.modules['pykka_glib.typing']
    from pykka_glib.compat.typing import proxy_method as from_compat
    assert from_compat is proxy_method
    assert pykka_glib.Event is pykka_glib.compat.Event is Pykka.Event


@dataclasses.dataclass
class Constants:
    pi: float


class CircleActor(Actor):
    constants = pykka_glib.traversable(Constants(pi=3.14))
    text: str = 'The fox crossed the road.'

    def area(self, radius: float) -> float:
        return self.constants.pi * radius**2


class ConstantsProxy:
    pi = proxy_field(CircleActor.constants.pi)


class CircleProxy(ActorMemberMixin, ActorProxy[CircleActor]):
    constants: ConstantsProxy
    text = proxy_field(CircleActor.text)
    area = proxy_method(CircleActor.area)


class ThreadingCircleActor(CircleActor, ThreadingActor):
    pass


@pytest.fixture(params=[CircleActor, ThreadingCircleActor], ids=['Actor', 'ThreadingActor'])
def proxy(request):
    proxy = cast(CircleProxy, request.param.start().proxy())
    yield proxy
    proxy.actor_ref.stop(timeout=TIMEOUT)


def test_typed_proxy_is_the_plain_proxy(proxy):
    assert type(proxy) is ActorProxy
    assert issubclass(CircleProxy, ActorProxy)


def test_typed_proxy_field(proxy):
    assert proxy.text.get(TIMEOUT) == 'The fox crossed the road.'


def test_typed_proxy_traversable_field(proxy):
    assert proxy.constants.pi.get(TIMEOUT) == 3.14


def test_typed_proxy_method(proxy):
    assert proxy.area(2.0).get(TIMEOUT) == 12.56


def test_typed_proxy_actor_members(proxy):
    assert proxy.stop().get(TIMEOUT) is None
    assert proxy.actor_ref.actor_stopped.wait(TIMEOUT)

