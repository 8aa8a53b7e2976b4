"""Local backfill sources: .eml files, folders, Maildir, mbox."""

from __future__ import annotations

import mailbox

from smartreturn.daemon.sources import count_messages, iter_local

from tests.pipeline.mails import order_mail


def test_every_kind_of_local_source_yields_each_mail_once(tmp_path):
    mails = [order_mail(f"O-{n}") for n in range(5)]
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "a.eml").write_bytes(mails[0])
    (tmp_path / "loose" / "notes.txt").write_text("not a mail")
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(mails[1])
    maildir.add(mails[2])
    box = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    box.add(mails[3])
    box.add(mails[4])
    box.flush()
    paths = [tmp_path / "loose", tmp_path / "Maildir", tmp_path / "archive.mbox"]
    found = list(iter_local(paths))
    assert count_messages(paths) == 5
    assert sorted(m.source.kind for m in found) == ["file", "maildir", "maildir", "mbox", "mbox"]
    assert sorted(m.raw.replace(b"\r\n", b"\n") for m in found) == sorted(m.replace(b"\r\n", b"\n") for m in mails)
