"""Every deadline, explained: for ``smartreturn deadlines`` and ``smartreturn show``.

The deadlines of open orders and cases are recomputed first (as the agenda does), then each stored
row is described with its rule's source (article / terms, URL, date checked), its basis (law, policy,
the app's expectation) and its anchor: known, assumed (fixed once, until evidence comes) or stated
by the merchant (the mail is the evidence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from smartreturn.apply.agenda import refresh_deadlines
from smartreturn.rules.deadlines import RuleContext
from smartreturn.rules.return_window import days_left
from smartreturn.snapshot import DeadlineRow, OrderRow
from smartreturn.store.snapshot import load_deadlines, load_orders, load_snapshot, load_stated
from smartreturn.store.tables import Deadline


def describe(row: DeadlineRow, ctx: RuleContext, now: datetime, orders: dict, stated: dict) -> dict[str, Any]:
    order = orders.get(row.order_id)
    rule = ctx.rules.by_id(row.kind, row.rule_id)
    said = stated.get((row.kind, row.order_id, row.return_case_id)) if row.confidence == "stated" else None
    return {
        "kind": row.kind, "due_on": row.due_on, "days_left": days_left(row.due_on, now, ctx.tz),
        "order": f"o{row.order_id}", "case": f"r{row.return_case_id}" if row.return_case_id else None,
        "platform": order.platform if order else None, "order_number": order.order_number if order else None,
        "shop": order.merchant.name if order and order.merchant else None,
        "rule": row.rule_id, "anchor": row.confidence, "anchor_event": row.anchor,
        "anchor_on": row.anchor_on,
        "basis": rule.basis.value if rule else ("policy" if said else None),
        "source": said.quote if said else (rule.source if rule else None),
        "url": rule.url if rule else None, "checked": rule.checked if rule else None,
        "evidence": f"m{row.evidence_message_id}" if row.evidence_message_id else None,
    }


def list_deadlines(session: Session, now: datetime, ctx: RuleContext, *, include_past: bool = False,
                   order_id: int | None = None) -> list[dict[str, Any]]:
    """Open deadlines (of open orders and cases, overdue ones included), soonest first; ``include_past``:
    every stored deadline, also of closed cases and windows long gone."""
    snap, _ = refresh_deadlines(session, load_snapshot(session, now, history=False), now, ctx)
    rows: dict = dict(snap.deadlines)
    if include_past or order_id is not None:
        ids = [order_id] if order_id is not None else session.scalars(select(Deadline.order_id).distinct()).all()
        rows.update(load_deadlines(session, ids))
    if order_id is not None:
        rows = {k: v for k, v in rows.items() if k[1] == order_id}
    elif not include_past:
        open_cases = {case.id for case in snap.open_cases}
        rows = {k: v for k, v in rows.items() if (k[2] is None and k[1] not in snap.orders_with_case
                                                 and v.due_on >= now.astimezone(ctx.tz).date()) or k[2] in open_cases}
    found = describe_rows(session, rows.values(), now, ctx, snap.orders)
    return sorted(found, key=lambda d: (d["due_on"], d["order"], d["kind"]))


def describe_rows(session: Session | Connection, rows: Iterable[DeadlineRow], now: datetime, ctx: RuleContext,
                  orders: Mapping[int, OrderRow] | None = None) -> list[dict[str, Any]]:
    """:func:`describe` for stored rows (the CLI's ``deadlines --json``, the API's ``/deadlines``, the
    calendar feed), reading the orders not in ``orders`` and the merchants' statements (only a
    deadline the merchant stated shows one)."""
    rows = list(rows)
    known = dict(orders or {})
    known.update(load_orders(session, {row.order_id for row in rows} - known.keys()))
    stated = load_stated(session, {row.order_id for row in rows if row.confidence == "stated"})
    return [describe(row, ctx, now, known, stated) for row in rows]


def stored_row(deadline: Deadline) -> DeadlineRow:
    """A Deadline ORM row as the plain row :func:`describe` reads."""
    return DeadlineRow(deadline.kind, deadline.order_id, deadline.return_case_id, deadline.due_on, deadline.rule_id,
                       deadline.anchor, deadline.confidence, deadline.anchor_on, deadline.evidence_message_id,
                       deadline.id)
