"""The API's kept list answers (web/answers.py) against ``smartreturn web`` on the sample mailbox: an
unchanged answer is sent once per ETag, and any commit to the store, by this server or by another
process, shows in the very next answer."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from smartreturn.store.db import open_database
from smartreturn.store.tables import ReturnCase
from tests.web.test_api import all_pages, client, tokens  # noqa: F401  (the tokens fixture)


def test_an_unchanged_answer_is_not_sent_again(web, tokens) -> None:
    with client(web, tokens["reader"]) as api:
        for path in ("/api/v1/returns", "/api/v1/orders", "/api/v1/shipments", "/api/v1/deadlines",
                     "/api/v1/messages", "/api/v1/agenda"):
            first = api.get(path, params={"limit": 5})
            etag = first.headers["etag"]
            assert first.status_code == 200 and etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
            again = api.get(path, params={"limit": 5})
            assert (again.headers["etag"], again.content) == (etag, first.content)
            unchanged = api.get(path, params={"limit": 5}, headers={"If-None-Match": f'"other", W/{etag}'})
            assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
            assert api.get(path, params={"limit": 5}, headers={"If-None-Match": '"other"'}).content == first.content
            next_page = api.get(path, params={"limit": 5, "offset": 5})
            assert next_page.headers["etag"] != etag
    with client(web, "srt_not-a-real-token") as wrong:  # a kept answer is never an answer to another token
        assert wrong.get("/api/v1/returns", params={"limit": 5}).status_code == 401


def test_a_commit_by_another_process_shows_in_the_next_answer(web, tokens) -> None:
    db = open_database(web.db_url, migrate_schema=False)  # another connection, as the daemon or the CLI
    try:
        with client(web, tokens["reader"]) as api:
            agenda = all_pages(api, "/api/v1/agenda")
            late = next(item for item in agenda if item["kind"] == "refund_overdue")
            case_id = late["return_case_id"]
            returns = api.get("/api/v1/returns", params={"limit": 500})
            assert api.get("/api/v1/returns", params={"limit": 500}).content == returns.content  # kept

            with db.session() as session:  # the refund came: recorded elsewhere, between two requests
                case = session.scalars(select(ReturnCase).where(ReturnCase.id == case_id)).one()
                before = (case.status, case.refunded_at, case.refunded_amount)
                case.status, case.refunded_at = "refunded", datetime(2026, 12, 6, 7, tzinfo=timezone.utc)
                case.refunded_amount = case.expected_refund
            changed = api.get("/api/v1/returns", params={"limit": 500}, headers={"If-None-Match": returns.headers["etag"]})
            assert changed.status_code == 200
            assert next(r for r in changed.json()["items"] if r["id"] == f"r{case_id}")["status"] == "refunded"
            assert late["key"] not in {item["key"] for item in all_pages(api, "/api/v1/agenda")}  # the agenda too

            with db.session() as session:
                case = session.scalars(select(ReturnCase).where(ReturnCase.id == case_id)).one()
                case.status, case.refunded_at, case.refunded_amount = before
            assert all_pages(api, "/api/v1/agenda") == agenda
    finally:
        db.dispose()
