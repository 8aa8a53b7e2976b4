"""A standalone HTML report: the stats tables and the charts inline. Everything from mail is escaped."""

from __future__ import annotations

import base64
from datetime import datetime

from jinja2 import select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from smartreturn.stats.charts import render_png
from smartreturn.stats.report import Stats

_TEMPLATE = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}img{max-width:100%}</style>
</head><body>
<h1>{{ title }}</h1>
<p>Generated {{ generated }}{% if since %}; returns since {{ since }}{% endif %}.</p>
{% if chart %}<img alt="charts: returns by reason, per month, refund latency" src="data:image/png;base64,{{ chart }}">
{% else %}<p>The charts are attached (returns.png).</p>{% endif %}
{% for name, rows in tables.items() %}
<h2>{{ name|capitalize }}</h2>
{% if rows %}<table><tr>{% for key in rows[0].keys() %}<th>{{ key }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for value in row.values() %}<td>{{ "" if value is none else value }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p>none</p>{% endif %}
{% endfor %}
</body></html>
"""


_ENV = SandboxedEnvironment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(stats: Stats, *, now: datetime, language: str = "en") -> str:
    """The standalone report: tables and the charts inline (a data: URI)."""
    chart = base64.b64encode(render_png(stats)).decode("ascii")
    return _render(stats, now, language, chart, "SmartReturn statistics")


def render_tables(stats: Stats, *, now: datetime, language: str = "en", title: str = "SmartReturn statistics") -> str:
    """The same page without the inline image (for mail, where the chart is attached)."""
    return _render(stats, now, language, None, title)


def _render(stats: Stats, now: datetime, language: str, chart: str | None, title: str) -> str:
    return _ENV.from_string(_TEMPLATE).render(
        tables=stats.tables(), chart=chart, generated=now.isoformat(timespec="minutes"), title=title,
        since=stats.since.date().isoformat() if stats.since else None, language=language)
