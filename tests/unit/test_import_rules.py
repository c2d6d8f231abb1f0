"""The walls of DESIGN's package layout, checked on the source.

- The API process never loads driver code: nothing under ``anvil/api``
  imports ``anvil.drivers``, neither itself nor through the modules it
  imports (checked on the source, and by importing every API module in a
  fresh interpreter).
- No import cycle between anvil's packages (api, cmd, common, conductor, db,
  drivers), counting imports inside functions too: a cycle is a wall that
  is not there, whether it bites at import time or later.
"""

import ast
import functools
import itertools
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'anvil'


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _imports(path, module_level_only):
    """The anvil modules ``path`` names in its import statements."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if module_level_only else ast.walk(tree)
    package = _module_name(path) if path.name == '__init__.py' else \
        _module_name(path).rpartition('.')[0]
    found = set()
    for node in _flatten(nodes) if module_level_only else nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1]
                                + ([base] if base else []))
            found.add(base)
            found.update('%s.%s' % (base, alias.name) for alias in node.names)
    return {name for name in found if name == 'anvil' or name.startswith('anvil.')}


def _flatten(statements):
    """Module-level statements, including those inside if/try blocks (run at import)."""
    for node in statements:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            for block in ('body', 'orelse', 'finalbody'):
                yield from _flatten(getattr(node, block, []))
            for handler in getattr(node, 'handlers', []):
                yield from _flatten(handler.body)


@functools.cache
def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob('*.py')}


@functools.cache
def _graph(module_level_only):
    modules = _modules()
    return {name: {m for m in _imports(path, module_level_only) if m in modules}
            for name, path in modules.items()}


def _parents(name):
    parts = name.split('.')
    return ['.'.join(parts[:i]) for i in range(1, len(parts))]


def _reached_from(start, graph):
    """Modules importing ``start`` runs: its imports, their imports, and package __init__s."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph.get(name, ()))
        todo.extend(p for p in _parents(name) if p in graph)
    return seen


def _is_driver_code(name):
    return name == 'anvil.drivers' or name.startswith('anvil.drivers.')


def _api_modules():
    return sorted(name for name in _modules() if name.startswith('anvil.api.'))


def test_no_api_module_names_driver_code():
    """Any import statement in anvil/api, at module level or in a function."""
    offenders = {name: sorted(filter(_is_driver_code, _imports(path, False)))
                 for name, path in _modules().items() if name.startswith('anvil.api')}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize('module', _api_modules())
def test_no_api_module_reaches_driver_code_at_import(module):
    graph = _graph(module_level_only=True)
    reached = _reached_from(module, graph)
    assert sorted(filter(_is_driver_code, reached)) == []


def test_importing_the_api_loads_no_driver_code():
    """Every API module imported in a fresh interpreter: no anvil.drivers module loaded."""
    script = ('import importlib, json, sys\n'
              'for name in %r:\n'
              '    importlib.import_module(name)\n'
              'print(json.dumps(sorted(m for m in sys.modules if m.startswith("anvil."))))'
              % [m for m in _api_modules() if m != 'anvil.api.wsgi'])
    done = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert 'anvil.api.app' in loaded  # the check saw the API
    assert [m for m in loaded if _is_driver_code(m)] == []


def _package_of(name):
    parts = name.split('.')
    return '.'.join(parts[:2]) if len(parts) > 2 else None


def _package_graph():
    edges = {}
    for name, imported in _graph(module_level_only=False).items():
        source = _package_of(name)
        if source is None:
            continue
        for target in map(_package_of, imported):
            if target is not None and target != source:
                edges.setdefault(source, {}).setdefault(target, []).append(name)
    return edges


def _cycle(edges):
    """One package cycle as a list of packages, or None."""
    state = {}

    def visit(node, path):
        state[node] = 'open'
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 'open':
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[node] = 'done'
        return None

    for start in sorted(edges):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_between_packages():
    edges = _package_graph()
    cycle = _cycle(edges)
    detail = cycle and [(a, b, sorted(set(edges[a][b]))) for a, b in itertools.pairwise(cycle)]
    assert cycle is None, 'package cycle %s through %s' % (' -> '.join(cycle), detail)


def test_the_checks_see_the_walls_they_guard():
    """The graph is built from real imports: api uses common and db, cmd uses api."""
    edges = _package_graph()
    assert {'anvil.common', 'anvil.db'} <= set(edges['anvil.api'])
    assert 'anvil.api' in edges['anvil.cmd']
    assert 'anvil.drivers' in edges['anvil.conductor']
    assert _cycle({'a': {'b': []}, 'b': {'c': []}, 'c': {'a': []}}) == ['a', 'b', 'c', 'a']
    assert _cycle({'a': {'b': []}, 'b': {}}) is None
