"""The API's answers to GET lists, kept while the store is unchanged, with an ETag (304 when unchanged).

An answer (the JSON bytes the response model validated and serialised) is kept under the request's
path and query, its token and the local hour, together with the store's change number
(store/db.py :class:`~smartreturn.store.db.ChangeWatch`: SQLite's ``PRAGMA data_version``, which
moves whenever any connection of any process commits). Each request reads the number first (a few
microseconds, on the event loop); if it moved, every kept answer is dropped and the agenda cache is
told to read its fingerprint again, so the next response shows the change: a cached answer is served
only while no commit at all happened since it was read. A kept answer also stands for its token's
check (a revocation is a commit). Where the store cannot tell (PostgreSQL), nothing is kept.

A hit costs no thread hop, no SQL and no validation; what remains is the framework's routing.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from smartreturn.store.db import ChangeWatch

MAX_BYTES = 32 * 1024 * 1024  # kept answers' bodies at most (a page of 50 is 10-40 kB, of 500 up to 0.4 MB)


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    etag: str
    token_id: int  # the token whose check this answer passed

    @classmethod
    def of(cls, body: bytes, token_id: int) -> "Answer":
        return cls(body, '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"', token_id)

    def matches(self, if_none_match: str | None) -> bool:
        """True if the client's ``If-None-Match`` names this answer (weak or strong, or ``*``)."""
        if not if_none_match:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return self.etag in tags or "*" in tags


class Answers:
    """Kept answers of one store (use from the event loop only: no locks)."""

    def __init__(self, watch: ChangeWatch | None, on_change: Callable[[], None]) -> None:
        self._watch = watch
        self._on_change = on_change
        self._version: int | None = None
        self._kept: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0

    def version(self) -> int | None:
        """The store's change number now (None: keep nothing). A new number drops every answer."""
        if self._watch is None:
            return None
        version = self._watch()
        if version != self._version:
            self._kept.clear()
            self._bytes = 0
            self._version = version
            self._on_change()
        return version

    def get(self, version: int | None, key: Hashable) -> Answer | None:
        if version is None or version != self._version:
            return None
        return self._kept.get(key)

    def put(self, version: int | None, key: Hashable, answer: Answer) -> None:
        """Keep ``answer``, read after :meth:`version` returned ``version``, unless the store moved since."""
        if version is None or version != self._version or self._watch is None or self._watch() != version:
            return
        if len(answer.body) > MAX_BYTES // 8:
            return
        old = self._kept.pop(key, None)
        self._bytes += len(answer.body) - (len(old.body) if old is not None else 0)
        self._kept[key] = answer
        while self._bytes > MAX_BYTES:  # the oldest first
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
