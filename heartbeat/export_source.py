"""The library's own NumPy path, copied out as source: :func:`library_source`.

The exported ``heartbeat_model.py`` (:func:`heartbeat.export.export`) goes from a raw
ECG to classified beats with NumPy alone.  It must find the same R peaks and cut the
same beats as :func:`heartbeat.classify`, so its detector and segmentation are not a
second, hand-kept copy: they are the text of the library's functions, collected when
the file is written.  From the names the exported ``classify`` uses (``segment`` and
the reject option), every module-level name a function uses is followed to where it
is defined:

* a function or class of ``heartbeat`` -> its source, as ``inspect.getsource`` gives it;
* a constant of ``heartbeat`` (``RULE``, ``FS_OUT``, ...) -> its assignment's lines;
* a :class:`heartbeat._jit.Kernel` -> ``NAME = Kernel(numpy_twin=twin)``, with the
  twin's source (the Numba loops stay behind: the file runs the NumPy twins, which the
  library tests against the loops);
* the rest of :mod:`heartbeat._jit` -> three small stand-ins without Numba
  (:data:`_NO_NUMBA`);
* NumPy and standard-library names -> the import line of the module that used them.

The copied text is changed in three ways only, each by position in its syntax tree:
``from heartbeat... import`` lines inside functions are dropped (the names are module
globals of the file), a module alias such as ``_k.moving_mean`` becomes the plain name,
and a name two modules both define (``_local_maxima``) is prefixed with the module of
the later one (``_steps_local_maxima``).  :func:`copied_sources` lists every copied
object beside its emitted text, so a test can check that nothing else changed.
Whatever the library's NumPy path is at export time is what the file holds; an object
the collector cannot copy is an :class:`ExportError` naming it, before any writing.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import inspect
import re
import symtable
import sys
import types
from dataclasses import dataclass, field

from heartbeat._jit import Kernel

__all__ = ["ExportError", "copied_sources", "library_source"]


class ExportError(ValueError):
    """A library object the exported file would need cannot be copied as source."""


#: The file has no Numba: every kernel is its NumPy twin (the library tests the two
#: against each other), and every backend resolves to "numpy".
_NO_NUMBA = {
    "resolve_backend": '''\
def resolve_backend(backend):  # no Numba here: every backend runs the NumPy twins
    return "numpy"
''',
    "jit_enabled": '''\
def jit_enabled():  # no Numba here
    return False
''',
    "Kernel": '''\
class Kernel:
    """A kernel of the library, here only its NumPy twin (the library compiles the loop)."""

    def __init__(self, *, numpy_twin):
        self.numpy_twin = numpy_twin

    def get(self, backend):
        return self.numpy_twin
''',
}


@dataclass
class _Item:
    """One top-level definition to copy: where it comes from and what it needs."""

    module: str  # defining module
    name: str  # its name there
    kind: str  # "source", "kernel", "stub" or "code"
    text: str = ""  # the text as written in the library (before the rewrites)
    deps: list[tuple[str, str]] = field(default_factory=list)  # (module, name) used
    now: set[tuple[str, str]] = field(default_factory=set)  # ... when it is defined
    # (byte offsets in text) -> (module, name) whose exported name replaces the span;
    # None drops the span (a local heartbeat import line)
    spans: list[tuple[int, int, tuple[str, str] | None]] = field(default_factory=list)


class _Collector:
    """Walks the library from the exported code's names to every definition they need."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], _Item] = {}
        self.order: list[tuple[str, str]] = []  # dependencies before dependents
        self.imports: dict[str, str] = {}  # bound name -> import line
        self._trees: dict[str, tuple[ast.Module, list[bytes]]] = {}
        self._visiting: set[tuple[str, str]] = set()

    def tree(self, module: str) -> tuple[ast.Module, list[bytes]]:
        if module not in self._trees:
            source = inspect.getsource(importlib.import_module(module))
            self._trees[module] = (ast.parse(source),
                                   source.encode("utf-8").splitlines(keepends=True))
        return self._trees[module]

    # ----------------------------------------------------------------- resolution
    def resolve(self, module: str, name: str) -> tuple[str, str] | None:
        """Return the (module, name) defining `name` as seen in `module`; None: no item.

        Imports of NumPy and the standard library are recorded in :attr:`imports`.
        """
        mod = importlib.import_module(module)
        if module == "heartbeat._jit" and name in _NO_NUMBA:
            return module, name
        if name not in vars(mod):
            if hasattr(builtins, name):
                return None
            raise ExportError(f"{module} uses {name!r}, which it does not define")
        obj = vars(mod)[name]
        tree, _ = self.tree(module)
        for node in tree.body:
            if _binds(node, name):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    return self._imported(module, node, name, obj)
                return module, name
        raise ExportError(f"{module}.{name} is not bound at the top of its module; the "
                          "exported file cannot copy it")

    def _imported(self, module: str, node: ast.stmt, name: str, obj: object
                  ) -> tuple[str, str] | None:
        if isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 sys.modules[module].__package__) \
                if node.level else node.module
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            if source == "heartbeat" or source.startswith("heartbeat."):
                if isinstance(obj, types.ModuleType):
                    return obj.__name__, ""  # a module alias: used as alias.attr
                importlib.import_module(source)
                return self.resolve(source, alias.name)
            self._add_import(name, f"from {source} import {alias.name}"
                             + (f" as {alias.asname}" if alias.asname else ""), obj)
            return None
        alias = next(a for a in node.names if (a.asname or a.name.split(".")[0]) == name)
        if alias.name == "heartbeat" or alias.name.startswith("heartbeat."):
            raise ExportError(f"{module} imports {alias.name}; the exported file can only "
                              "follow 'from heartbeat... import name'")
        self._add_import(name, f"import {alias.name}"
                         + (f" as {alias.asname}" if alias.asname else ""), obj)
        return None

    def _add_import(self, name: str, line: str, obj: object) -> None:
        top = (getattr(obj, "__module__", None) or getattr(obj, "__name__", "")).split(".")[0]
        if top not in ("numpy", "builtins") and top not in sys.stdlib_module_names:
            raise ExportError(f"the exported file would need {line!r}: only NumPy and the "
                              "standard library may be imported there")
        if self.imports.get(name, line) != line:
            raise ExportError(f"two modules bind {name!r} differently: "
                              f"{self.imports[name]!r} and {line!r}")
        self.imports[name] = line

    # ------------------------------------------------------------------- collection
    def add(self, key: tuple[str, str]) -> None:
        """Collect `key` and, before it, everything it needs."""
        if key in self.items or key in self._visiting:
            return
        self._visiting.add(key)
        item = self._item(*key)
        for dep in item.deps:
            self.add(dep)
        self._visiting.discard(key)
        self.items[key] = item
        self.order.append(key)

    def add_code(self, text: str, names: dict[str, str], defined: set[str]) -> _Item:
        """Collect what `text` uses; `names` maps library names to modules.

        `defined`: the names the file defines elsewhere.
        """
        item = _Item("<code>", "<code>", "code", text)

        def resolve(name: str) -> tuple[str, str] | None:
            if name in names:
                return self.resolve(names[name], name)
            if name in defined or hasattr(builtins, name):
                return None
            raise ExportError(f"the exported code uses {name!r}, which neither the library "
                              "names given nor the rest of the file define")
        tree = ast.parse(text)
        self._scan(item, tree, text.encode("utf-8").splitlines(keepends=True), 1, resolve)
        for node in tree.body:  # its own imports (NumPy, standard library)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    bound = a.asname or a.name.split(".")[0]
                    self._imported("builtins", node, bound, importlib.import_module(
                        a.name if isinstance(node, ast.Import) else node.module))
                item.spans.append((*_statement_span(node, item.text), None))
        for dep in item.deps:
            self.add(dep)
        return item

    def _item(self, module: str, name: str) -> _Item:
        if module == "heartbeat._jit" and name in _NO_NUMBA:
            return _Item(module, name, "stub", _NO_NUMBA[name])
        obj = vars(sys.modules[module])[name]
        if isinstance(obj, Kernel):
            twin = obj.numpy_twin
            key = self.resolve(twin.__module__, twin.__name__)
            if key is None:
                raise ExportError(f"the NumPy twin of {module}.{name} is not a heartbeat "
                                  "function")
            deps = [("heartbeat._jit", "Kernel"), key]
            return _Item(module, name, "kernel", deps=deps, now=set(deps))
        tree, lines = self.tree(module)
        node = next(n for n in tree.body if _binds(n, name))
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None)
                 else node.lineno)
        item = _Item(module, name, "source",
                     b"".join(lines[start - 1 : node.end_lineno]).decode("utf-8"))
        self._scan(item, node, lines, start, lambda n: self.resolve(module, n))
        return item

    def _scan(self, item: _Item, node: ast.AST, lines: list[bytes], start: int,
              resolve) -> None:
        """Fill item.deps and item.spans from the syntax tree `node` (lines from `start`)."""
        offsets = _line_offsets(lines, start)
        table = symtable.symtable(item.text, item.name, "exec")
        free, local = _global_names(table)
        plain = _names_outside_annotations(node)
        dropped = _local_heartbeat_imports(node)
        _check_local_imports(item, node, dropped)
        imported = {(a.asname or a.name): (imp.module, a.name)
                    for imp in dropped for a in imp.names}
        item.spans += [(offsets(i.lineno, 0), offsets(i.end_lineno + 1, 0), None)
                       for i in dropped]
        for ref in plain:
            if ref.id in imported:
                key = self.resolve(*imported[ref.id])
            elif ref.id in free:
                if ref.id in local:
                    raise ExportError(f"{item.module}.{item.name} uses {ref.id!r} both as "
                                      "a local and as a module name; rename one")
                key = resolve(ref.id)
            else:
                continue
            if key is None:
                continue
            span_node: ast.AST = ref
            if key[1] == "":  # a module alias: alias.attr names the definition
                parent = getattr(ref, "parent", None)
                if not isinstance(parent, ast.Attribute):
                    raise ExportError(f"{item.module}.{item.name} uses the module "
                                      f"{ref.id} other than as {ref.id}.name")
                key = self.resolve(key[0], parent.attr)
                if key is None:
                    continue
                span_node = parent
            item.deps.append(key)
            if not ref.in_body:  # type: ignore[attr-defined]
                item.now.add(key)
            item.spans.append((offsets(span_node.lineno, span_node.col_offset),
                               offsets(span_node.end_lineno, span_node.end_col_offset), key))
        item.spans += _own_name_span(node, item, lines, offsets)


def _statement_span(node: ast.stmt, text: str) -> tuple[int, int]:
    """Byte offsets of the whole lines of the top-level statement `node` in `text`."""
    lines = text.encode("utf-8").splitlines(keepends=True)
    return sum(map(len, lines[: node.lineno - 1])), sum(map(len, lines[: node.end_lineno]))


def _binds(node: ast.stmt, name: str) -> bool:
    """Return True when the top-level statement `node` binds `name`."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
    return False


def _line_offsets(lines: list[bytes], start: int):
    """Return f(lineno, col) -> byte offset in the text made of lines[start - 1:]."""
    cumulative = [0]
    for line in lines[start - 1 :]:
        cumulative.append(cumulative[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return cumulative[min(lineno - start, len(cumulative) - 1)] + col
    return offset


def _global_names(table: symtable.SymbolTable) -> tuple[set[str], set[str]]:
    """Names looked up in the module's globals anywhere in `table`, and names local anywhere."""
    free, local = set(), set()
    stack = [table]
    while stack:
        t = stack.pop()
        for s in t.get_symbols():
            if t.get_type() == "module":
                if s.is_referenced() and not s.is_assigned() and not s.is_imported():
                    free.add(s.get_name())
            elif s.is_global() and s.is_referenced():
                free.add(s.get_name())
            elif s.is_local() and not s.is_imported():
                local.add(s.get_name())
        stack.extend(t.get_children())
    return free, local


def _names_outside_annotations(node: ast.AST) -> list[ast.Name]:
    """Return the Name nodes read in `node`, annotations left out.

    Each gets a ``.parent`` and ``.in_body``: True when it is read only once a function
    runs (inside a function's body), False when it is read as the definition runs
    (decorators, default values, class bodies, assignments).
    """
    out: list[ast.Name] = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

    def visit(n: ast.AST, parent: ast.AST | None, in_body: bool) -> None:
        n.parent = parent  # type: ignore[attr-defined]
        n.in_body = in_body  # type: ignore[attr-defined]
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out.append(n)
        for name, value in ast.iter_fields(n):
            if name in ("annotation", "returns"):
                continue
            inside = in_body or (isinstance(n, functions) and name == "body")
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    visit(child, n, inside)
    visit(node, None, False)
    return out


def _local_heartbeat_imports(node: ast.AST) -> list[ast.ImportFrom]:
    """``from heartbeat... import`` statements inside functions of `node`."""
    return [n for n in ast.walk(node) if isinstance(n, ast.ImportFrom) and n is not node
            and (n.module or "").split(".")[0] == "heartbeat" and n.col_offset > 0]


def _check_local_imports(item: _Item, node: ast.AST, dropped: list[ast.ImportFrom]
                         ) -> None:
    """Refuse an import inside a copied function of anything but NumPy or the stdlib."""
    for imp in ast.walk(node):
        if imp is node or imp in dropped or not isinstance(imp, (ast.Import, ast.ImportFrom)):
            continue
        modules = [a.name for a in imp.names] if isinstance(imp, ast.Import) \
            else [imp.module or ""]
        for module in modules:
            top = module.split(".")[0]
            if top != "numpy" and top not in sys.stdlib_module_names:
                raise ExportError(f"{item.module}.{item.name} imports {module}: the "
                                  "exported file may import only NumPy and the standard "
                                  "library")


def _own_name_span(node: ast.AST, item: _Item, lines: list[bytes], offsets
                   ) -> list[tuple[int, int, tuple[str, str]]]:
    """Return the span of the name a def, class or assignment binds (to rename it)."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        keyword = "def" if isinstance(node, ast.FunctionDef) else "class"
        line = lines[node.lineno - 1]
        m = re.search(rb"\b" + keyword.encode() + rb"\s+(" + node.name.encode() + rb")\b",
                      line)
        return [(offsets(node.lineno, m.start(1)), offsets(node.lineno, m.end(1)),
                 (item.module, item.name))]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        t = next(t for t in targets if isinstance(t, ast.Name) and t.id == item.name)
        return [(offsets(t.lineno, t.col_offset), offsets(t.end_lineno, t.end_col_offset),
                 (item.module, item.name))]
    return []


def _grouped(collector: _Collector) -> list[tuple[str, str]]:
    """Order the items for a reader: module by module, constants first.

    A definition still comes after whatever it needs as it is defined (decorators,
    default values, class bodies); the modules come in the order they are first needed.
    """
    first: dict[str, int] = {}
    for module, _ in collector.order:
        first.setdefault(module, len(first))
    rank = {"stub": 0, "source": 1, "kernel": 2}
    position = {key: i for i, key in enumerate(collector.order)}

    def priority(key: tuple[str, str]) -> tuple:
        item = collector.items[key]
        constant = item.kind == "source" and not re.match(r"(@|def |class )", item.text)
        return (first[key[0]], rank[item.kind], not constant, position[key])

    waiting = {key: set(collector.items[key].now) for key in collector.order}
    out: list[tuple[str, str]] = []
    while waiting:
        ready = [key for key, needs in waiting.items() if needs <= set(out)]
        if not ready:
            raise ExportError(f"definitions need each other as they are defined: "
                              f"{sorted(waiting)}")
        key = min(ready, key=priority)
        out.append(key)
        del waiting[key]
    return out


def _exported_names(order: list[tuple[str, str]], reserved: set[str]
                    ) -> dict[tuple[str, str], str]:
    """One name per item: its own, or prefixed with its module's last part when taken."""
    names, taken = {}, set(reserved)
    for module, name in order:
        new = name
        if new in taken:
            tail = module.rsplit(".", 1)[-1].lstrip("_")
            new = f"_{tail}{name}" if name.startswith("_") else f"{tail}_{name}"
        if new in taken:
            raise ExportError(f"{module}.{name} and another definition would both be "
                              f"called {new!r} in the exported file")
        taken.add(new)
        names[(module, name)] = new
    return names


def _rewritten(item: _Item, names: dict[tuple[str, str], str]) -> str:
    """`item`'s text with its spans replaced (dropped lines, aliases, renamed names)."""
    if item.kind == "kernel":
        twin = item.deps[1]
        return f"{names[(item.module, item.name)]} = Kernel(numpy_twin={names[twin]})\n"
    text = item.text.encode("utf-8")
    seen = set()
    for lo, hi, key in sorted(item.spans, key=lambda s: s[0], reverse=True):
        if (lo, hi) in seen:
            continue
        seen.add((lo, hi))
        text = text[:lo] + (b"" if key is None else names[key].encode()) + text[hi:]
    return text.decode("utf-8")


def _collect(code: str, names: dict[str, str], defined: set[str]
             ) -> tuple[_Collector, _Item, dict[tuple[str, str], str]]:
    collector = _Collector()
    own = {n for node in ast.parse(code).body for n in _bound(node)}
    item = collector.add_code(code, names, defined | own)
    return collector, item, _exported_names(collector.order, defined | own)


def _bound(node: ast.stmt) -> list[str]:
    """Return the names a top-level statement binds (defs, classes, assignments)."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, ast.AnnAssign) else []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def library_source(code: str, names: dict[str, str], defined: set[str]) -> tuple[str, str]:
    """Return the library definitions `code` needs as source, and `code` to follow them.

    Parameters
    ----------
    code : str
        Python source written over library functions (the exported ``classify``).
        Its own ``import`` lines (NumPy and the standard library) join the copied ones.
    names : dict
        Each library name `code` uses -> the module it is taken from.
    defined : set of str
        Names the rest of the file defines (the network part): `code` may use them,
        and a copied definition of the same name is renamed.

    Returns
    -------
    (str, str)
        The import lines and every copied definition, module by module, each after
        what it needs as it is defined; and `code` without its imports, with the
        names of the copied definitions it uses.

    Raises
    ------
    ExportError
        If the library's path holds an object that cannot be copied as source.
    """
    collector, item, exported = _collect(code, names, defined)
    parts = ["".join(line + "\n" for line in sorted(set(collector.imports.values())))]
    section = None
    for key in _grouped(collector):
        copied = collector.items[key]
        where = "stub" if copied.kind == "stub" else key[0]
        if where != section:
            section = where
            title = ("heartbeat/_jit.py without Numba: every kernel is its NumPy twin"
                     if where == "stub" else "heartbeat/" + "/".join(
                         key[0].split(".")[1:]) + ".py")
            parts.append(f"\n\n# {'-' * 8} {title} {'-' * max(4, 66 - len(title))}")
        parts.append(f"\n\n{_rewritten(copied, exported)}")
    return "".join(parts), _rewritten(item, exported).strip("\n") + "\n"


def copied_sources(code: str, names: dict[str, str], defined: set[str]
                   ) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
    """Return what :func:`library_source` copies for `code`, and the names it renames.

    Returns
    -------
    list of (module, name, source, emitted)
        Per copied definition: where it is defined, the lines copied from its module
        and its text in the exported file.  Kernels and the Numba stand-ins are left
        out: they are not copies.
    dict
        Name in the exported file -> name in the library, for the renamed ones.
    """
    collector, _, exported = _collect(code, names, defined)
    out = [(*key, collector.items[key].text, _rewritten(collector.items[key], exported))
           for key in collector.order if collector.items[key].kind == "source"]
    return out, {new: key[1] for key, new in exported.items() if new != key[1]}
