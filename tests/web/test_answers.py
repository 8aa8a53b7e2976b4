"""web/answers.py on a real SQLite file: kept answers are dropped by any commit of another
connection, and their bodies stay within the byte budget (the oldest go first)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smartreturn.store.db import ChangeWatch
from smartreturn.web import answers
from smartreturn.web.answers import Answer, Answers


def test_a_commit_elsewhere_drops_every_kept_answer(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
    writer.commit()
    changes: list[int] = []
    kept = Answers(ChangeWatch(path), on_change=lambda: changes.append(1))
    version = kept.version()
    kept.put(version, "a", Answer.of(b"[1]", 1))
    assert kept.get(kept.version(), "a") is not None and len(changes) == 1
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()  # another connection commits: the next request must not see the old answer
    assert kept.get(kept.version(), "a") is None and len(changes) == 2
    kept.put(version, "a", Answer.of(b"[1]", 1))  # read before that commit: not kept
    assert kept.get(kept.version(), "a") is None
    kept.close()
    writer.close()


def test_kept_bodies_stay_within_the_budget(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(answers, "MAX_BYTES", 800)
    sqlite3.connect(tmp_path / "store.db").close()
    kept = Answers(ChangeWatch(tmp_path / "store.db"), on_change=lambda: None)
    version = kept.version()
    for n in range(10):
        kept.put(version, n, Answer.of(b"x" * 100, 1))
    present = [n for n in range(10) if kept.get(version, n) is not None]
    assert present == [2, 3, 4, 5, 6, 7, 8, 9]  # the oldest went first
    kept.put(version, "big", Answer.of(b"x" * 101, 1))  # more than an eighth of the budget: never kept
    assert kept.get(version, "big") is None and kept.get(version, 9) is not None
    kept.close()


def test_answer_etags_match_if_none_match() -> None:
    answer = Answer.of(b"{}", 1)
    assert answer.matches(answer.etag) and answer.matches(f'"a", W/{answer.etag}') and answer.matches("*")
    assert not answer.matches(None) and not answer.matches('"a"') and Answer.of(b"[]", 1).etag != answer.etag
