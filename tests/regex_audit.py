"""Every regular expression SmartReturn applies to mail text, and whether each one stays linear.

Used by tests/test_regex_linear.py (every test run, on 20 KB lines); also a diagnosis tool:
``python -m tests.regex_audit`` prints the patterns that fail and the slowest ones (``... 30``: the 30
slowest; ``--deep``: on the issue's 100 KB lines, a few CPU minutes).

Patterns are collected three ways, so that none is missed and a new parser regex is audited without
anyone listing it:
1. compiled ``re.Pattern`` objects held by any ``smartreturn`` module (globals, class attributes, and the
   lists/tuples/dicts of them), including patterns built at import time from tables;
2. literal patterns passed to ``re.search/sub/...`` calls (read from each module's source with ``ast``);
3. every pattern compiled while the whole fixture corpus is decoded and parsed (inline patterns built
   with f-strings at run time), recorded by wrapping ``re._compile`` in the collecting process only.

Each pattern runs ``findall`` (which does all the work ``search`` does, and goes on to the end) over
long single lines that make backtracking engines explode: runs of spaces, tabs, dashes, digits, CJK,
``<``, grouped thousands ("000 000 ..."), and the pattern's own words (a label repeated, a label
followed by a long run of spaces or digits: the near misses); lines that the pattern's character
classes read alike are timed once, and lines that no unbounded repeat of the pattern can take are not
timed. The rule is relative, not a
wall-clock number: a run is linear when its CPU time on the long line (``QUICK``, 20 KB, in tests) is
at most ``SLOPE`` x 10 x its CPU time on a tenth of the same text (measured in the same run), plus a
floor (1 ms at 20 KB); runs under the floor pass without a baseline. A linear pattern costs 10x on
10x the text, a quadratic one 100x, so the rule holds on short lines as on 100 KB ones: the quadratic
shapes this module was written for cost 100-1000x their floor at 20 KB. Timing is CPU time of the
process doing the work, so a loaded machine does not make a linear pattern look quadratic.

The work runs in child processes that the parent stops as soon as a run uses more CPU than it may
(a cap before a baseline exists, then the run's own bound): a quadratic pattern is a failure found in
a fraction of a second, never a hung test run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import multiprocessing
import os
import pkgutil
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOPE = 3.0     # k: 10x the text may cost at most 30x the time (quadratic costs 100x)
QUICK = 20_000  # characters of the long line in the test run (CI); the short line is a tenth of it
DEEP = 100_000  # ``python -m tests.regex_audit --deep``: the 100 KB lines
_FLOOR_PER_CHAR = 5e-8  # CPU seconds per character of the long line: a run under this passes without a baseline
_CAP_PER_CHAR = 5e-6    # ... that a long run may take before its baseline is measured (at least _CAP_MIN)
_CAP_MIN = 0.25


def floor(size: int) -> float:
    """CPU seconds under which a run over ``size`` characters passes without a baseline (1 ms at 20 KB)."""
    return _FLOOR_PER_CHAR * size


def cap(size: int) -> float:
    """CPU seconds a run over ``size`` characters may take before its baseline is measured."""
    return max(_CAP_MIN, _CAP_PER_CHAR * size)

_SLACK = 0.03   # CPU seconds: the parent reads the child's clock in ticks of 10 ms

Key = tuple[str | bytes, int]  # (pattern source, flags)

_ALPHABET = (" ", "\t", "-", "_", "=", "*", ".", ",", "0", "9", "a", "Z", "<", ">", "@", ":", "：", "#", "/",
             "\n", "\u3000", "订", "号", " \t", "- ", "0 ", "1-", "a ", "a.", "a@", "<a ", "0.", "x ", ": ", "订 ", "a1",
             "000 ", "000,")  # grouped thousands: "\d{1,3}(?:[, ]\d{3})+" read again from every group

_TAILED = (("a", "!"), ("a ", "!"), ("0", "x"), (" ", "x"), ("订", "!"))  # runs ending in a character that breaks them


# --------------------------------------------------------------------------- collecting

def _modules() -> Iterator[object]:
    import smartreturn

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

    for module in list(sys.modules.values()):  # patterns kept by cached functions are compiled again
        if getattr(module, "__name__", "").startswith("smartreturn"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
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


# --------------------------------------------------------------------------- hostile text

def _words(pattern: str | bytes) -> list[str]:
    """The pattern's own words (labels, CJK runs), which make its near misses."""
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    text = re.sub(r"\\[A-Za-z]|\[(?:\\.|[^\]\\])*\]|\(\?P?<\w+>", " ", text)  # \s, [A-Za-z], (?P<name> are no words
    return list(dict.fromkeys(re.findall(r"[^\W\d_]{2,}", text)))[:5]


def hostile_pieces(pattern: str | bytes, flags: int = 0) -> list[tuple[str, str, str, str]]:
    """(name, head, piece, tail): a line is ``head``, ``piece`` repeated, ``tail``, of a given size.
    Lines that cannot hurt the pattern (see :func:`can_hurt`) are left out, but every pattern keeps at
    least its first line (spaces), so every pattern is run once."""
    every = _all_pieces(pattern)
    text = lambda p: p if isinstance(pattern, str) else p.encode("utf-8").decode("latin-1")  # noqa: E731
    kept, seen = [], set()
    for piece in every:
        if not can_hurt(pattern, flags, text(piece[2] + piece[3])):
            continue
        signature = tuple(_signature(pattern, flags, text(part)) for part in piece[1:])
        if signature not in seen:
            seen.add(signature)
            kept.append(piece)
    return kept or every[:1]


def _all_pieces(pattern: str | bytes) -> list[tuple[str, str, str, str]]:
    pieces = [(repr(p), "", p, "") for p in _ALPHABET]
    pieces += [(f"{p!r} repeated, then {t!r}", "", p, t) for p, t in _TAILED]
    words = _words(pattern)
    for word in words:
        pieces += [(f"{word!r} repeated", "", word, ""), (f"'{word} ' repeated", "", word + " ", ""),
                   (f"'{word}:' repeated", "", word + ":", ""), (f"'{word}1' repeated", "", word + "1", "")]
    for word in words[:3]:
        pieces += [(f"{word!r} + spaces", word, " ", ""), (f"{word!r} + digits", word, "1", ""),
                   (f"{word!r} + ': ' + spaces", word + ": ", " ", ""), (f"{word!r} + tabs", word, "\t", "")]
    return pieces


def hostile_line(head: str, piece: str, tail: str, size: int, as_bytes: bool) -> str | bytes:
    line = head + (piece * (size // len(piece) + 1))[: size - len(head) - len(tail)] + tail
    return line.encode("utf-8") if as_bytes else line


# --------------------------------------------------------------------------- which texts can hurt a pattern

_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
               "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _accepts(op: object, av: object, char: str, flags: int) -> bool:
    """Whether one character test of a parsed pattern accepts ``char`` (True when unsure)."""
    name = str(op)
    fold = bool(flags & re.IGNORECASE)
    variants = {c for c in (char, char.lower(), char.upper()) if len(c) == 1} if fold else {char}
    if name == "LITERAL":
        return any(ord(c) == av for c in variants)
    if name == "NOT_LITERAL":
        return any(ord(c) != av for c in variants)
    if name == "ANY":
        return char != "\n" or bool(flags & re.DOTALL)
    if name == "RANGE":
        return any(av[0] <= ord(c) <= av[1] for c in variants)
    if name == "CATEGORY":
        test = _CATEGORIES.get(str(av))
        return test is None or re.match(test, char, flags & (re.ASCII | re.UNICODE)) is not None
    if name == "IN":
        negate = bool(av) and str(av[0][0]) == "NEGATE"
        hit = any(_accepts(o, a, char, flags) for o, a in (av[1:] if negate else av))
        return not hit if negate else hit
    return True


def _unbounded_tests(items: object, inside: bool, out: list[tuple[object, object]]) -> bool:
    """Collect the character tests under repeats that have no small bound; False when there are none
    and the pattern has nothing else that could take unbounded work (a back-reference)."""
    from re._constants import MAXREPEAT

    found = False
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            found |= _unbounded_tests(sub, inside or high is MAXREPEAT or high > _SMALL_BOUND, out)
            found |= inside or high is MAXREPEAT or high > _SMALL_BOUND
        elif name == "SUBPATTERN":
            found |= _unbounded_tests(av[-1], inside, out)
        elif name == "BRANCH":
            for branch in av[1]:
                found |= _unbounded_tests(branch, inside, out)
        elif name in ("ASSERT", "ASSERT_NOT"):
            found |= _unbounded_tests(av[1], inside, out)
        elif name == "ATOMIC_GROUP":
            found |= _unbounded_tests(av, inside, out)
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            return True
        elif inside:
            out.append((op, _freeze(av)))
    return found


def _freeze(value: object) -> object:
    return tuple(_freeze(v) for v in value) if isinstance(value, (list, tuple)) else value


_SMALL_BOUND = 60   # a repeat of at most this many takes bounded work at each start position


@functools.lru_cache(maxsize=8192)
def _char_tests(pattern: str | bytes, flags: int) -> tuple[bool, tuple[tuple[object, object], ...], tuple[tuple[object, object], ...]]:
    """(has a repeat without a small bound, the character tests under such repeats, every character
    test of the pattern) for one pattern, parsed once."""
    from re import _parser

    source = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    parsed = _parser.parse(source, flags & ~re.DEBUG)
    under: list[tuple[object, object]] = []
    unbounded = _unbounded_tests(parsed, False, under)
    every: list[tuple[object, object]] = []
    _unbounded_tests(parsed, True, every)  # inside=True from the top: every test of the pattern
    every += [(_CAT, "CATEGORY_WORD"), (_CAT, "CATEGORY_SPACE"), (_CAT, "CATEGORY_DIGIT"), (_LIT, ord("\n"))]
    return unbounded, tuple(dict.fromkeys(under)), tuple(dict.fromkeys(every))


_CAT, _LIT = "CATEGORY", "LITERAL"


def can_hurt(pattern: str | bytes, flags: int, text: str) -> bool:
    """Whether a line made of ``text``'s characters can make ``pattern`` do more than a bounded amount
    of work at one start position: some repeat without a small bound must be able to take one of them.
    Other lines are linear by construction (every start does bounded work) and need no timing."""
    unbounded, under, _ = _char_tests(pattern, flags)
    if not unbounded:
        return False
    return not under or any(_hurts(pattern, flags, char) for char in set(text))


@functools.lru_cache(maxsize=1 << 16)
def _hurts(pattern: str | bytes, flags: int, char: str) -> bool:
    _, under, _ = _char_tests(pattern, flags)
    return any(_accepts(op, av, char, flags) for op, av in under)


@functools.lru_cache(maxsize=1 << 16)
def _seen_as(pattern: str | bytes, flags: int, char: str) -> tuple[bool, ...]:
    """Which of the pattern's character tests accept ``char`` (asked once per pattern and character:
    the pieces share most of their characters)."""
    _, _, every = _char_tests(pattern, flags)
    return tuple(_accepts(op, av, char, flags) for op, av in every)


def _signature(pattern: str | bytes, flags: int, text: str) -> tuple[tuple[tuple[bool, ...], int], ...]:
    """How the pattern sees ``text``: for each character, which of its character tests accept it.
    Two lines with one signature are the same line to the engine (it reads characters only through
    these tests), so only one of them needs timing."""
    seen = [_seen_as(pattern, flags, char) for char in text]
    # "  " is " " repeated, but "000 " is not "0 " (counted repeats such as \d{3} tell them apart)
    out: list[tuple[tuple[bool, ...], int]] = []
    for s in seen:
        if out and out[-1][0] == s:
            out[-1] = (s, min(out[-1][1] + 1, 3))
        else:
            out.append((s, 1))
    return tuple(out)


def _shape(items: object, under_repeat: bool = False) -> tuple[object, ...]:
    """A parsed pattern with its literal text (outside repeats) left out: patterns built from one
    template with different words (carrier names, lexicon phrases) share a shape."""
    out: list[object] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL" and not under_repeat:
            if not out or out[-1] != "L":
                out.append("L")
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            out.append((name, av[0], av[1], _shape(av[2], True)))
        elif name == "SUBPATTERN":
            out.append(("G", _shape(av[-1], under_repeat)))
        elif name == "BRANCH":
            out.append(("B", tuple(sorted({_shape(b, under_repeat) for b in av[1]}, key=repr))))
        elif name in ("ASSERT", "ASSERT_NOT"):
            out.append((name, av[0], _shape(av[1], under_repeat)))
        elif name == "ATOMIC_GROUP":
            out.append(("A", _shape(av, under_repeat)))
        else:
            out.append((name, repr(av)))
    return tuple(out)


def one_per_shape(patterns: list[Key]) -> list[Key]:
    """One pattern of each shape (the first), in order. A branch of words counts once whatever the
    words, so ``coupon|deals`` and ``sale|gift|promo`` share a shape: their cost per start does not
    grow with the text either way."""
    from re import _parser

    seen: set[object] = set()
    kept: list[Key] = []
    for pattern, flags in patterns:
        source = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
        shape = (_shape(_parser.parse(source, flags)), flags, isinstance(pattern, bytes))
        if shape not in seen:
            seen.add(shape)
            kept.append((pattern, flags))
    return kept


# --------------------------------------------------------------------------- timing, in a child process

@dataclass(frozen=True, slots=True)
class Run:
    """One pattern on one hostile text: CPU seconds on the short line (None: not needed) and on the
    long line of ``size`` characters."""

    text: str
    small: float | None
    big: float
    size: int
    stopped: bool = False   # the long run was stopped when it passed its bound (big is that bound)

    @property
    def bound(self) -> float:
        return cap(self.size) if self.small is None else SLOPE * 10 * self.small + floor(self.size)

    @property
    def linear(self) -> bool:
        return not self.stopped and (self.big <= floor(self.size) or self.big <= self.bound)

    def __str__(self) -> str:
        small = "-" if self.small is None else f"{self.small * 1000:.2f} ms"
        big = f"> {self.big * 1000:.0f} ms (stopped)" if self.stopped else f"{self.big * 1000:.2f} ms"
        return f"{self.text}: {self.size // 10_000} KB {small}, {self.size // 1000} KB {big}"


def _cpu_run(operation: Callable[[str | bytes], object], text: str | bytes, deadline: Synchronized,
             allowed: float) -> float:
    start = time.process_time()
    deadline.value = start + allowed
    operation(text)
    took = time.process_time() - start
    deadline.value = 0.0
    return took


def _pattern_runs(pattern: str | bytes, flags: int, first: int, size: int, deadline: Synchronized,
                  current: Synchronized, conn: Connection, retry: bool) -> None:
    """Time every hostile text from index ``first`` on lines of ``size`` characters (and a tenth of
    it); send each finished Run, stop at the first that is not linear. ``retry``: the long run of
    text ``first`` was stopped at its cap; measure its baseline, and run it again only when the
    baseline allows more than the cap."""
    findall = re.compile(pattern, flags).findall
    as_bytes = isinstance(pattern, bytes)
    limit, least = cap(size), floor(size)

    def baseline(text: str | bytes, big: float) -> float:
        small = _cpu_run(findall, text, deadline, limit)
        if big > SLOPE * 10 * small + least:  # not linear at first sight: the lowest of three counts
            small = min(small, *(_cpu_run(findall, text, deadline, limit) for _ in range(2)))
        return small

    for index, (name, head, piece, tail) in enumerate(hostile_pieces(pattern, flags)[first:], first):
        current.value = index
        big_text = hostile_line(head, piece, tail, size, as_bytes)
        small_text = hostile_line(head, piece, tail, size // 10, as_bytes)
        if retry:
            retry = False
            small = baseline(small_text, limit)
            bound = SLOPE * 10 * small + least
            if bound <= limit or _grows_too_fast(findall, hostile_line(head, piece, tail, size // 100, as_bytes),
                                                 small, size // 10, deadline):
                run = Run(name, small, limit, size, stopped=True)
            else:
                run = Run(name, small, _cpu_run(findall, big_text, deadline, bound), size)
        else:
            big = _cpu_run(findall, big_text, deadline, limit)
            run = Run(name, None, big, size)
            if big > least:
                small = baseline(small_text, big)
                if big > SLOPE * 10 * small + least:  # once more: the lower of two runs counts
                    big = min(big, _cpu_run(findall, big_text, deadline, limit))
                run = Run(name, small, big, size)
        conn.send(run)
        if not run.linear:
            break
    conn.send(None)


def _grows_too_fast(findall: Callable[[str | bytes], object], tiny_text: str | bytes, small: float, size: int,
                    deadline: Synchronized) -> bool:
    """Whether the run over ``size`` characters (CPU seconds ``small``) already breaks the rule against
    a tenth of its text: then the long run, stopped at its cap, need not be run again up to its own
    bound (SLOPE x 10 x ``small``, seconds for a quadratic pattern) to be known super-linear."""
    tiny = min(_cpu_run(findall, tiny_text, deadline, cap(size)) for _ in range(3))
    return small > SLOPE * 10 * tiny + floor(size)


def _child(conn: Connection, deadline: Synchronized, current: Synchronized) -> None:
    while True:
        job = conn.recv()
        if job is None:
            return
        _pattern_runs(*job[:4], deadline, current, conn, job[4])


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


class _Worker:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.deadline = context.Value("d", 0.0, lock=False)
        self.current = context.Value("i", 0, lock=False)
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_child, args=(child, self.deadline, self.current), daemon=True)
        self.process.start()

    def runs(self, key: Key, first: int, size: int, baseline_first: bool) -> Iterator[Run | int]:
        """Runs of ``key`` from text ``first``; an int is the index of a text whose run was stopped
        (the worker is then dead)."""
        self.conn.send((key[0], key[1], first, size, baseline_first))
        while True:
            if self.conn.poll(0.01):
                run = self.conn.recv()
                if run is None:
                    return
                yield run
                continue
            deadline = self.deadline.value
            if deadline and _cpu_of(self.process.pid) > deadline + _SLACK:
                index = self.current.value
                self.close()
                yield index
                return
            if not self.process.is_alive():
                raise RuntimeError(f"regex audit worker died on {key[0]!r}")

    def close(self) -> None:
        if self.process.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.kill()
        self.process.join()


def audit(patterns: list[Key], size: int = QUICK, *, workers: int = 1, most: int | None = None) -> dict[Key, list[Run]]:
    """The hostile runs of every pattern on lines of ``size`` characters, up to its first run that is
    not linear. ``workers`` child processes share the patterns (CPU time is counted per process, so
    they do not disturb each other's rule); after ``most`` super-linear patterns the rest are left
    out (a failing run stays short; the report names the first ones)."""
    if workers <= 1:
        return _audit(patterns, size, most, [0])
    found = [0]  # super-linear patterns so far, across the workers
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda i: _audit(patterns[i::workers], size, most, found), range(workers)))
    merged = {key: runs for part in parts for key, runs in part.items()}
    return {key: merged[key] for key in patterns if key in merged}


def _audit(patterns: list[Key], size: int, most: int | None, found: list[int]) -> dict[Key, list[Run]]:
    results: dict[Key, list[Run]] = {}
    worker = _Worker()
    try:
        for key in patterns:
            if most is not None and found[0] >= most:
                break
            runs: list[Run] = []
            first, retry = 0, False
            while True:
                stopped = None
                for run in worker.runs(key, first, size, retry):
                    if isinstance(run, int):
                        stopped = run
                    else:
                        runs.append(run)
                if stopped is None:
                    break
                worker = _Worker()
                if retry:  # stopped again, at the bound its own baseline gives: not linear
                    name = hostile_pieces(*key)[stopped][0]
                    runs.append(Run(name, None, cap(size), size, stopped=True))  # big: > the cap
                    break
                first, retry = stopped, True
            results[key] = runs
            if runs and not runs[-1].linear:
                found[0] += 1
    finally:
        worker.close()
    return results


def failures(results: dict[Key, list[Run]]) -> dict[Key, list[Run]]:
    return {key: bad for key, runs in results.items() if (bad := [r for r in runs if not r.linear])}


if __name__ == "__main__":
    deep = "--deep" in sys.argv
    sys.argv = [a for a in sys.argv if a != "--deep"]
    found = collect()
    print(f"{len(found)} patterns", file=sys.stderr)
    began = time.perf_counter()
    results = audit(list(found), DEEP if deep else QUICK, workers=os.cpu_count() or 1)
    print(f"audited in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    bad = failures(results)
    for key, runs in bad.items():
        print(f"SUPER-LINEAR  {found[key]}  {key[0]!r:.150}")
        for run in runs[:3]:
            print(f"    {run}")
    print(f"{len(bad)} of {len(found)} patterns super-linear")
    slowest = sorted(((max(r.big for r in runs), key) for key, runs in results.items() if runs), reverse=True)
    for seconds, key in slowest[: int(sys.argv[1]) if len(sys.argv) > 1 else 10]:
        run = max(results[key], key=lambda r: r.big)
        print(f"{seconds * 1000:8.1f} ms  {found[key]}  {key[0]!r:.100}  ({run})")
