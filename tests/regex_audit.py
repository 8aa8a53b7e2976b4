"""Every regular expression SmartReturn applies to mail text, and how long each takes on hostile input.

Used by tests/test_regex_linear.py; also a diagnosis tool: ``python -m tests.regex_audit`` prints the
slowest pattern/input pairs.

Patterns are collected three ways, so that none is missed:
1. compiled ``re.Pattern`` objects held by any ``smartreturn`` module (globals, class attributes, and the
   lists/tuples/dicts of them), including patterns built at import time from tables;
2. literal patterns passed to ``re.search/sub/...`` calls (read from each module's source with ``ast``);
3. every pattern compiled while the whole fixture corpus is decoded and parsed (inline patterns built
   with f-strings at run time), recorded by wrapping ``re._compile`` in the collecting process only.

Each pattern is timed with ``search`` and ``findall`` over 100 KB single lines of characters that make
backtracking engines explode (runs of spaces, tabs, dashes, digits, ``<``, label words the pattern
itself contains, a label followed by 100 KB of spaces...). The timing runs in a child process that is
killed when one pattern takes too long: a super-linear pattern is a failure, not a hung test run.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import multiprocessing
import pkgutil
import re
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import smartreturn

ROOT = Path(__file__).resolve().parent.parent
SIZE = 100_000
LIMIT = 0.2            # seconds per pattern, input and operation (search or findall)
KILL_AFTER = 5.0       # seconds for all inputs of one pattern before the child is killed

Key = tuple[str | bytes, int]  # (pattern source, flags)

_ALPHABET = (" ", "\t", "-", "_", "=", "*", ".", ",", "0", "9", "a", "Z", "<", ">", "@", ":", "：", "#", "/",
             "\u3000", "订", " \t", "- ", "0 ", "1-", "a ", "a.", "a@", "<a ", "0.", "x ", ": ")


def _modules() -> Iterator[object]:
    for info in pkgutil.walk_packages(smartreturn.__path__, "smartreturn."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def _walk(obj: object, where: str, found: dict[Key, str], seen: set[int], depth: int = 0) -> None:
    if id(obj) in seen or depth > 5:
        return
    seen.add(id(obj))
    if isinstance(obj, re.Pattern):
        found.setdefault((obj.pattern, obj.flags), where)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            _walk(item, where, found, seen, depth + 1)
    elif isinstance(obj, dict):
        for item in obj.values():
            _walk(item, where, found, seen, depth + 1)
    elif inspect.isclass(obj) and obj.__module__.startswith("smartreturn"):
        for name, value in vars(obj).items():
            _walk(value, f"{where}.{name}", found, seen, depth + 1)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("smartreturn") and not inspect.isroutine(obj):
        for name, value in vars(obj).items():
            _walk(value, f"{where}.{name}", found, seen, depth + 1)


_FLAGS_AT = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3, "sub": 4,
             "subn": 4}


def _literals(module: object, found: dict[Key, str]) -> None:
    source = Path(module.__file__).read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in _FLAGS_AT and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, (str, bytes))):
            continue
        at = _FLAGS_AT[node.func.attr]
        flags_node = node.args[at] if len(node.args) > at else next(
            (k.value for k in node.keywords if k.arg == "flags"), None)
        flags = eval(compile(ast.Expression(flags_node), "<flags>", "eval"), {"re": re}) if flags_node else 0  # noqa: S307
        compiled = re.compile(node.args[0].value, flags)
        found.setdefault((compiled.pattern, compiled.flags), f"{module.__name__}:{node.lineno}")


def _from_corpus(found: dict[Key, str]) -> None:
    """Record the patterns compiled while the fixture corpus is decoded and parsed."""
    from smartreturn.mail.decode import parse_email
    from smartreturn.parsers import registry

    original = re._compile  # type: ignore[attr-defined]

    def recording(pattern, flags):  # noqa: ANN001, ANN202
        compiled = original(pattern, flags)
        caller = sys._getframe(2).f_globals.get("__name__", "")
        if caller.startswith("smartreturn"):
            found.setdefault((compiled.pattern, compiled.flags), f"{caller} (run time)")
        return compiled

    re._compile = recording  # type: ignore[attr-defined]
    try:
        for eml in sorted((ROOT / "fixtures").rglob("*.eml")):
            try:
                email = parse_email(eml.read_bytes())
                registry.extract(email)
                registry.known_sender(email)
            except Exception:  # noqa: BLE001 - some fixtures are negative cases; the patterns were still used
                pass
    finally:
        re._compile = original  # type: ignore[attr-defined]


def collect() -> dict[Key, str]:
    """Every pattern, with where it was found."""
    found: dict[Key, str] = {}
    seen: set[int] = set()
    for module in _modules():
        for name, value in vars(module).items():
            if inspect.ismodule(value) or (inspect.isclass(value) and value.__module__ != module.__name__):
                continue
            _walk(value, f"{module.__name__}.{name}", found, seen)
        _literals(module, found)
    _from_corpus(found)
    return found


def hostile_inputs(pattern: str | bytes) -> Iterator[tuple[str, str | bytes]]:
    """(name, 100 KB line) pairs for one pattern: the alphabet, plus the pattern's own words repeated."""
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    words = list(dict.fromkeys(w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in ("d", "s", "w")))[:5]
    pieces = [(repr(p), p) for p in _ALPHABET]
    for word in words:
        pieces += [(f"{word!r} repeated", word), (f"'{word} ' repeated", word + " "), (f"'{word}:' repeated", word + ":"),
                   (f"'{word}1' repeated", word + "1")]
    for name, piece in pieces:
        line = (piece * (SIZE // len(piece) + 1))[:SIZE]
        yield name, line.encode("utf-8") if isinstance(pattern, bytes) else line
    for word in words[:3]:
        for name, line in ((f"{word!r} + 100 KB spaces", word + " " * SIZE), (f"100 KB spaces + {word!r}", " " * SIZE + word),
                           (f"{word!r} + 100 KB digits", word + "1" * SIZE)):
            yield name, line.encode("utf-8") if isinstance(pattern, bytes) else line


def time_pattern(pattern: str | bytes, flags: int) -> tuple[float, str]:
    """(slowest seconds, input name) of ``search`` and ``findall`` over every hostile input."""
    compiled = re.compile(pattern, flags)
    worst, worst_name = 0.0, ""
    for name, line in hostile_inputs(pattern):
        for operation in (compiled.search, compiled.findall):
            start = time.perf_counter()
            operation(line)
            took = time.perf_counter() - start
            if took > worst:
                worst, worst_name = took, f"{operation.__name__} on {name}"
    return worst, worst_name


def _child(conn: Connection) -> None:
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(time_pattern(*job))


def time_all(patterns: list[Key]) -> dict[Key, tuple[float, str]]:
    """Time every pattern in a child process; a pattern that hangs gets (inf, ...) and a fresh child."""
    context = multiprocessing.get_context("spawn")
    results: dict[Key, tuple[float, str]] = {}
    pending = list(patterns)
    while pending:
        parent, child = context.Pipe()
        process = context.Process(target=_child, args=(child,), daemon=True)
        process.start()
        try:
            while pending:
                key = pending.pop(0)
                parent.send(key)
                if not parent.poll(KILL_AFTER):
                    results[key] = (float("inf"), f"still running after {KILL_AFTER:.0f} s: killed")
                    break
                results[key] = parent.recv()
            else:
                parent.send(None)
        finally:
            process.kill()
            process.join()
    return results


if __name__ == "__main__":
    patterns = collect()
    print(f"{len(patterns)} patterns", file=sys.stderr)
    timings = time_all(list(patterns))
    for key, (seconds, what) in sorted(timings.items(), key=lambda kv: -kv[1][0])[: int(sys.argv[1]) if len(sys.argv) > 1 else 40]:
        print(f"{seconds:8.3f} s  {patterns[key]}  {key[0]!r:.120}  ({what})")
