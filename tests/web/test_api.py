"""The REST API, the intake endpoints and the calendar feed, with httpx against ``smartreturn web``
(a real uvicorn on loopback) on the ingested sample mailbox."""

from __future__ import annotations

import email
import hashlib
import json
from email.policy import default as default_policy

import httpx
import pytest
from icalendar import Calendar
from openapi_spec_validator import validate

from smartreturn.config import load_settings
from smartreturn.parse_mail import read_message
from tests.web.mails import hostile_order_mail

SMS_TEXT = "【顺丰速运】您的快件{number}正在派送中，派送员电话13812345678。"


@pytest.fixture(scope="module")
def tokens(web) -> dict[str, str]:
    made = {}
    for name, scopes in (("all", ["read", "write", "ingest"]), ("reader", ["read"]), ("cal", ["calendar"])):
        result = web.cli("token", "create", name, *[arg for s in scopes for arg in ("--scope", s)])
        assert result.returncode == 0, result.stderr
        made[name] = result.stdout.strip()
    return made


def client(web, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=web.url, headers=headers, timeout=30)


def all_pages(api: httpx.Client, path: str, **params) -> list[dict]:
    items, offset = [], 0
    while offset is not None:
        body = api.get(path, params={**params, "limit": 7, "offset": offset}).raise_for_status().json()
        items.extend(body["items"])
        offset = body["next_offset"]
    return items


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["code"] == code and error["message"]


def test_the_api_refuses_without_a_token_even_on_loopback(web, tokens) -> None:
    with client(web) as anonymous:
        assert_error(anonymous.get("/api/v1/returns"), 401, "unauthorized")
        assert anonymous.get("/api/v1/returns").headers["www-authenticate"].startswith("Bearer")
        assert_error(anonymous.post("/api/v1/sms", json={"from": "x", "text": "y"}), 401, "unauthorized")
    with client(web, "srt_not-a-real-token") as wrong:
        assert_error(wrong.get("/api/v1/orders"), 401, "unauthorized")
    with client(web, tokens["reader"]) as reader:
        assert reader.get("/api/v1/orders").status_code == 200
        assert_error(reader.post("/api/v1/returns", json={"order_number": "X"}), 403, "forbidden")
    with client(web, tokens["cal"]) as calendar_only:
        assert_error(calendar_only.get("/api/v1/orders"), 403, "forbidden")


def _get_routes(web, api: httpx.Client) -> list[str]:
    """Every GET route of /api/v1, with a stored order, return or mail for its ``{ref}``."""
    spec = httpx.get(web.url + "/api/openapi.json").raise_for_status().json()
    refs = {kind: api.get(f"/api/v1/{kind}", params={"limit": 1}).json()["items"][0]["id"]
            for kind in ("orders", "returns", "messages")}
    return [path.replace("{ref}", next((ref for kind, ref in refs.items() if f"/{kind}/" in path), "?"))
            for path, ops in spec["paths"].items() if path.startswith("/api/v1/") and "get" in ops]


def test_revoked_token_stops_working(web) -> None:
    secret = web.cli("token", "create", "short-lived").stdout.strip()
    with client(web, secret) as api:
        routes = _get_routes(web, api)
        assert {"/api/v1/agenda", "/api/v1/returns", "/api/v1/deadlines"} <= set(routes) and "?" not in str(routes)
        assert [api.get(path).status_code for path in routes] == [200] * len(routes)
        assert web.cli("token", "revoke", "short-lived").returncode == 0
        for path in routes:  # every route checks the token on every request: a revocation acts at once
            assert_error(api.get(path), 401, "unauthorized")
    listed = json.loads(web.cli("token", "list", "--json").stdout)
    row = next(t for t in listed if t["name"] == "short-lived")
    assert row["revoked_at"] and "srt_" not in json.dumps(listed)  # secrets are never listed


def test_lists_are_the_cli_json_paged(web, tokens) -> None:
    with client(web, tokens["all"]) as api:
        for what, path in (("orders", "/api/v1/orders"), ("returns", "/api/v1/returns"),
                           ("shipments", "/api/v1/shipments"), ("messages", "/api/v1/messages")):
            pages = all_pages(api, path)
            cli = web.cli("list", what, "--json", "--limit", "100000")
            assert cli.returncode == 0, cli.stderr
            assert pages == json.loads(cli.stdout), what  # same rows, same shapes, no page lost or repeated
            assert len(pages) > 7  # more than one page was needed


def test_the_agenda_is_paged_like_the_lists(web, tokens) -> None:
    cli = web.cli("agenda", "--json")
    assert cli.returncode == 0, cli.stderr
    whole = json.loads(cli.stdout)
    assert len(whole["items"]) > 7  # more than one page below
    with client(web, tokens["reader"]) as api:
        assert all_pages(api, "/api/v1/agenda") == whole["items"]  # same items, same order, none lost or repeated
        first = api.get("/api/v1/agenda", params={"limit": 3}).json()
        assert (first["limit"], first["offset"], first["next_offset"]) == (3, 0, 3)
        assert first["money_outstanding"] == whole["money_outstanding"]  # the whole agenda's, on every page
        assert first["generated_at"] and first["parser_health"] == whole["parser_health"]
        urgent = all_pages(api, "/api/v1/agenda", urgency="urgent")
        assert urgent == [item for item in whole["items"] if item["urgency"] == "urgent"] and urgent
        late = all_pages(api, "/api/v1/agenda", kind="refund_overdue", platform="taobao")
        assert late == [i for i in whole["items"] if i["kind"] == "refund_overdue" and i["platform"] == "taobao"] and late
        assert_error(api.get("/api/v1/agenda", params={"urgency": "whenever"}), 422, "invalid")
        assert_error(api.get("/api/v1/agenda", params={"limit": 501}), 422, "invalid")


def test_a_snoozed_item_leaves_the_api_agenda_as_it_leaves_the_cli_and_today(web, tokens) -> None:
    from datetime import date, datetime, timezone

    from sqlalchemy import delete

    from smartreturn.apply.snooze import snooze
    from smartreturn.store.db import open_database
    from smartreturn.store.tables import Snooze

    with client(web, tokens["reader"]) as api:
        before = all_pages(api, "/api/v1/agenda")
        key = before[0]["key"]
        db = open_database(web.db_url)
        try:
            with db.session() as session:  # what the Today page's snooze form stores
                snooze(session, key, date(2026, 12, 20), datetime(2026, 12, 6, 8, tzinfo=timezone.utc))
            after = all_pages(api, "/api/v1/agenda")
            cli = json.loads(web.cli("agenda", "--json").stdout)["items"]
            assert key not in {i["key"] for i in after} and after == before[1:] == cli
        finally:
            with db.session() as session:
                session.execute(delete(Snooze))
            db.dispose()
        assert all_pages(api, "/api/v1/agenda") == before


def test_filters_and_errors(web, tokens) -> None:
    with client(web, tokens["all"]) as api:
        received = api.get("/api/v1/returns", params={"status": "received"}).json()["items"]
        assert received and {r["status"] for r in received} == {"received"}
        assert "3456789012349876543" in {r["order_number"] for r in received}
        taobao = api.get("/api/v1/orders", params={"platform": "taobao", "limit": 500}).json()["items"]
        assert taobao and {o["platform"] for o in taobao} == {"taobao"}
        assert_error(api.get("/api/v1/returns", params={"status": "lost"}), 422, "invalid")
        assert_error(api.get("/api/v1/returns", params={"limit": 0}), 422, "invalid")
        assert_error(api.get("/api/v1/returns/r999999"), 404, "not_found")
        assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
        detail = api.get("/api/v1/orders/3456789012349876543").json()
        assert detail["returns"][0]["status"] == "received" and detail["shipments"][0]["tracking_number"] == "SF1412345678901"
        deadlines = api.get("/api/v1/deadlines", params={"kind": "refund_due", "limit": 500}).json()["items"]
        due = next(d for d in deadlines if d["return_case_id"] == f"r{detail['returns'][0]['id']}")
        assert due["due_on"] == "2026-12-01" and due["rule_id"] == "cn.platform.refund_7d"
        agenda = api.get("/api/v1/agenda").json()
        assert agenda["items"][0]["kind"] == "refund_overdue" and agenda["items"][0]["factors"]["urgency"] > 0
        stats = api.get("/api/v1/stats").json()
        assert sum(row["returns"] for row in stats["reasons"]) == len(all_pages(api, "/api/v1/returns"))


def test_create_and_patch_a_return(web, tokens) -> None:
    with client(web, tokens["all"]) as api:
        created = api.post("/api/v1/returns", json={
            "order_number": "API-7781", "platform": "amazon", "merchant": "Amazon.de", "items": ["Kettle"],
            "reason": "arrived broken", "expected_refund": "34.99", "currency": "eur",
            "requested_at": "2026-12-04T10:00:00"})
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["status"] == "requested" and case["reason"] == "defective" and case["expected_refund"] == "34.99"
        assert case["currency"] == "EUR" and case["requested_at"].startswith("2026-12-04T09:00")  # Berlin -> UTC
        patched = api.patch(f"/api/v1/returns/{case['id']}", json={"status": "refunded", "refunded": "34.99",
                                                                     "note": "paid to card"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["status"] == "refunded" and patched.json()["refunded"] == "34.99"
        assert api.get(f"/api/v1/returns/{case['id']}").json() == patched.json()
        bad = api.post("/api/v1/returns", json={"order_number": "", "expected_refund": "-1", "currency": "EURO"})
        assert_error(bad, 422, "invalid")
        wheres = {d["where"] for d in bad.json()["error"]["details"]}
        assert {"body.order_number", "body.expected_refund", "body.currency"} <= wheres
        assert_error(api.patch("/api/v1/returns/r999999", json={"note": "x"}), 404, "not_found")


def test_raw_mail_download(web, tokens) -> None:
    with client(web, tokens["reader"]) as api:
        meta = api.get("/api/v1/messages", params={"status": "parsed", "limit": 1}).json()["items"][0]
        raw = api.get(f"/api/v1/messages/{meta['id']}/raw")
        assert raw.headers["content-type"] == "message/rfc822"
        assert raw.headers["content-disposition"] == f'attachment; filename="{meta["id"]}.eml"'
        parsed = email.message_from_bytes(raw.content, policy=default_policy)
        assert str(parsed["subject"]) == meta["subject"]
        assert api.get(f"/api/v1/messages/{meta['id']}").json() == meta


def test_openapi_document_validates_and_docs_are_served(web) -> None:
    spec = httpx.get(web.url + "/api/openapi.json").raise_for_status().json()
    validate(spec)
    assert {"/api/v1/returns", "/api/v1/ingest", "/api/v1/sms", "/calendar.ics", "/hooks/17track"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    docs = httpx.get(web.url + "/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text and "<script>" not in docs.text
    assert httpx.get(web.url + "/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_ingest_applies_the_same_allow_list_as_imap(web, tokens) -> None:
    settings = load_settings(web.config, env={})
    stranger = hostile_order_mail("http://127.0.0.1:9")
    own = stranger.replace(b"From: Evil Shop <orders@evil-shop.example>", b"From: Me <me@example.com>") \
                  .replace(b"evil-20261201@", b"own-20261201@")
    with client(web, tokens["all"]) as api:
        for raw in (stranger, own):
            response = api.post("/api/v1/ingest", content=raw, headers={"Content-Type": "message/rfc822"})
            assert response.status_code == 201, response.text
            outcome = response.json()
            assert outcome["status"] == read_message(raw, "imap", settings, "test").status.value  # IMAP's verdict
        assert response.json()["status"] == "parsed" and response.json()["parser"] == "schema_org"
        again = api.post("/api/v1/ingest", files={"file": ("own.eml", own, "message/rfc822")})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        message = api.get(f"/api/v1/messages/{response.json()['message']}").json()
        assert message["source"] == "api"
        stored = api.get(f"/api/v1/messages/{response.json()['message']}/raw").content
        assert hashlib.sha256(stored).digest() == hashlib.sha256(own).digest()  # kept byte for byte
        assert_error(api.post("/api/v1/ingest", content=b"", headers={"Content-Type": "message/rfc822"}), 422, "invalid")


@pytest.mark.parametrize(("shape", "number"), [
    ("plain", "SF1402345678918"), ("incoming_sms_to_url", "SF1402345678925"), ("smsforwarder_json", "SF1402345678932"),
    ("smsforwarder_form", "SF1402345678949"), ("sms_gateway_android", "SF1402345678956")])
def test_sms_forwarder_shapes(web, tokens, shape, number) -> None:
    text = SMS_TEXT.format(number=number)
    bodies = {
        "plain": {"json": {"from": "95338", "text": text, "time": "2026-12-05T18:30:00+08:00"}},
        "incoming_sms_to_url": {"json": {"from": "95338", "text": text, "sentStamp": 1796466600000,
                                         "receivedStamp": "1796466601000", "sim": "sim1"}},
        "smsforwarder_json": {"json": {"from": "95338", "content": text, "timestamp": "1796466600000",
                                       "receive_time": "2026-12-05 18:30:00", "device_mark": "phone"}},
        "smsforwarder_form": {"data": {"from": "95338", "content": text, "timestamp": "1796466600000"}},
        "sms_gateway_android": {"json": {"event": "sms:received", "deviceId": "d1", "id": "x", "webhookId": "w",
                                         "payload": {"messageId": "m", "message": text, "phoneNumber": "95338",
                                                     "simNumber": 1, "receivedAt": "2026-12-05T18:30:00.000+08:00"}}},
    }
    with client(web, tokens["all"]) as api:
        response = api.post("/api/v1/sms", **bodies[shape])
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "parsed" and response.json()["parser"] == "sf_express"
        again = api.post("/api/v1/sms", **bodies[shape])
        assert again.json()["duplicate"] is True  # the phone app retried: nothing new
        parcels = all_pages(api, "/api/v1/shipments", carrier="sf")
        assert any(p["tracking_number"] == number and p["status"] == "out_for_delivery" for p in parcels)


def test_sms_without_text_is_refused(web, tokens) -> None:
    with client(web, tokens["all"]) as api:
        assert_error(api.post("/api/v1/sms", json={"from": "95338"}), 422, "invalid")
        assert_error(api.post("/api/v1/sms", content=b"not json", headers={"Content-Type": "application/json"}),
                     422, "invalid")


def _push(number: str) -> bytes:
    return json.dumps({"event": "TRACKING_UPDATED", "data": {"number": number, "carrier": 100003, "tag": None,
        "track_info": {"latest_status": {"status": "Delivered", "sub_status": "Delivered_Other"},
                       "tracking": {"providers": [{"events": [
                           {"time_iso": "2026-12-05T14:02:00+01:00", "description": "Zugestellt", "location": "Berlin",
                            "stage": "Delivered", "sub_status": "Delivered_Other"}]}]}}}}).encode()


def test_17track_push_needs_its_signature_and_updates_the_parcel(web, tokens) -> None:
    number = "3864712095"  # a DHL parcel of the sample mailbox, stuck in transit
    body = _push(number)
    good = hashlib.sha256(body + b"/test-17track-key").hexdigest()
    with client(web, tokens["reader"]) as api:
        def status() -> str:
            return next(p for p in all_pages(api, "/api/v1/shipments") if p["tracking_number"] == number)["status"]
        before = status()
        assert before != "delivered"
        forged = httpx.post(web.url + "/hooks/17track", content=body, headers={"sign": "0" * 64})
        assert_error(forged, 401, "unauthorized")
        unsigned = httpx.post(web.url + "/hooks/17track", content=body)
        assert_error(unsigned, 401, "unauthorized")
        assert status() == before
        accepted = httpx.post(web.url + "/hooks/17track", content=body, headers={"sign": good})
        assert accepted.status_code == 200 and accepted.json() == {"status": "updated", "shipments": 1}
        assert status() == "delivered"
        stopped = json.dumps({"event": "TRACKING_STOPPED", "data": {"number": number}}).encode()
        ignored = httpx.post(web.url + "/hooks/17track", content=stopped,
                             headers={"sign": hashlib.sha256(stopped + b"/test-17track-key").hexdigest()})
        assert ignored.json() == {"status": "ignored"}


def test_calendar_feed_has_every_open_deadline_with_alarms(web, tokens) -> None:
    assert_error(httpx.get(web.url + "/calendar.ics", params={"token": "srt_wrong"}), 401, "unauthorized")
    response = httpx.get(web.url + "/calendar.ics", params={"token": tokens["cal"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    window = next(e for s, e in events.items() if "4127730951" in s)
    assert str(window["summary"]).startswith("Return window ends")
    assert window.decoded("dtstart").isoformat() == "2026-12-09"  # all-day
    assert len(window.walk("VALARM")) == 2
    late = next(e for s, e in events.items() if "3456789012349876543" in s)  # r14: refund overdue, still open
    assert str(late["summary"]).startswith("Refund due") and late.decoded("dtstart").isoformat() == "2026-12-01"
    assert "cn.platform.refund_7d" in str(late["description"])
    with client(web, tokens["reader"]) as api:
        explained = next(d for d in all_pages(api, "/api/v1/deadlines", kind="refund_due")
                         if d["due_on"] == "2026-12-01" and d["rule_id"] == "cn.platform.refund_7d")
    # the event carries what `smartreturn deadlines` shows: anchor, source with its check date, where to read it
    description = str(late["description"])
    assert f"counted from {explained['anchor'].replace('_', ' ')} ({explained['anchor_on']})" in description
    assert f"source: {explained['source']} (checked {explained['checked']})" in description
    assert explained["url"] and str(late["url"]) == explained["url"] and explained["url"] in description
    with client(web, tokens["reader"]) as api:
        returns = all_pages(api, "/api/v1/returns")
    closed = {r["order_number"] for r in returns if r["status"] == "refunded"}
    still_open = {r["order_number"] for r in returns if r["status"] != "refunded"}
    assert closed - still_open  # the sample has refunded returns ...
    assert not [s for s in events for number in closed - still_open if number in s]  # ... and they are not in the feed


def test_deadlines_carry_anchor_source_and_evidence_as_the_cli_shows_them(web, tokens) -> None:
    cli = web.cli("deadlines", "--all", "--json")
    assert cli.returncode == 0, cli.stderr
    shown = {(d["kind"], d["order"], d["case"]): d for d in json.loads(cli.stdout)}
    with client(web, tokens["reader"]) as api:
        listed = all_pages(api, "/api/v1/deadlines")
    assert listed and len(listed) == len(shown)
    same = ("due_on", "days_left", "anchor_on", "basis", "source", "url", "checked", "evidence", "platform",
            "order_number", "shop")
    for item in listed:
        row = shown[(item["kind"], item["order_id"], item["return_case_id"])]
        assert {k: item[k] for k in same} == {k: row[k] for k in same}, item
        assert (item["rule_id"], item["anchor"], item["confidence"]) == (row["rule"], row["anchor_event"], row["anchor"])
    assert all(d["source"] and d["basis"] for d in listed if d["confidence"] != "stated")
    assert any(d["url"] and d["checked"] for d in listed)
    stated = [d for d in listed if d["confidence"] == "stated"]
    assert all(d["evidence"] and d["evidence"].startswith("m") for d in stated)


def test_an_unconfirmed_tracking_number_is_marked_in_the_api_and_its_document(web, tokens) -> None:
    """The sample UPS mail labels 1ZV2E8470368123455, whose check digit fails: listed with verified false."""
    spec = httpx.get(web.url + "/api/openapi.json").raise_for_status().json()
    validate(spec)
    schemas = spec["components"]["schemas"]
    for name in ("ShipmentOut", "ParcelOut"):
        verified = schemas[name]["properties"]["verified"]
        assert "check digit" in verified["description"] and "verified" in schemas[name]["required"]
    with client(web, tokens["reader"]) as api:
        parcels = {p["tracking_number"]: p for p in all_pages(api, "/api/v1/shipments")}
        assert parcels["1ZV2E8470368123455"]["verified"] is False
        assert parcels["1ZV2E8470368123454"]["verified"] is True
        assert {p["verified"] for p in parcels.values()} == {True, False}  # every parcel of the mailbox was recorded
        detail = api.get("/api/v1/orders/1ZV2E8470368123455").raise_for_status().json()
        assert [(s["tracking_number"], s["verified"]) for s in detail["shipments"]] == [("1ZV2E8470368123455", False)]
