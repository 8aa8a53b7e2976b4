"""html_to_text: what a parser's regex sees of an HTML mail."""

from __future__ import annotations

from smartreturn.mail.html import html_to_text


def test_blocks_rows_and_cells() -> None:
    html = """<html><head><title>Your order</title><style>.x{color:red}</style>
    <script>document.write('tracking pixel')</script></head><body>
    <h1>Order   confirmed</h1><p>Hello&nbsp;Anna &amp; Tom,<br>thanks!</p>
    <table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>
    <tr><td> Kindle <b>Paperwhite</b> </td><td>1</td><td>&euro;149.99</td></tr></table>
    <div>Order&#160;#<span>304-1234567-7654321</span></div><!-- a comment --></body></html>"""
    assert html_to_text(html) == (
        "Order confirmed\nHello Anna & Tom,\nthanks!\nItem\tQty\tPrice\nKindle Paperwhite\t1\t€149.99\n"
        "Order #304-1234567-7654321"
    )


def test_nothing_hidden_leaks_in() -> None:
    text = html_to_text("<style>p{}</style><noscript>enable JS</noscript><p>Visible</p><script>var a=1</script>")
    assert text == "Visible"


def test_images_give_their_alt_text() -> None:
    assert html_to_text('<p>Shipped by <img src="http://127.0.0.1:9/track.gif" alt="UPS"></p>') == "Shipped by UPS"


def test_zero_width_and_odd_spaces_go() -> None:
    assert html_to_text("<p>JD\u200bX01\u00ad23\u3000快递\u00a0\u00a0 到了</p>") == "JDX0123 快递 到了"


def test_empty_and_broken_html() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert html_to_text("<table><tr><td>unclosed<td>cells") == "unclosed\tcells"


def test_fast_and_soup_renderings_agree_on_real_mails() -> None:
    from pathlib import Path

    from smartreturn.mail.decode import _decode_message, _parse_mime
    from smartreturn.mail.html import parse_html, soup_to_text

    root = Path(__file__).resolve().parents[2]
    mails = sorted((root / "tests" / "mail" / "data").glob("*.eml")) + sorted((root / "fixtures").rglob("*.eml"))
    checked = 0
    for path in mails:
        html = _decode_message(_parse_mime(path.read_bytes()), b"").html
        if html:
            assert html_to_text(html) == soup_to_text(parse_html(html)), path
            checked += 1
    assert checked >= 10


def test_many_siblings_and_deep_nesting_stay_linear() -> None:
    """Ten times the input may take about ten times as long, never a hundred: the bound is relative to
    the same run's time for a tenth of the input, so a loaded machine does not make it flaky."""
    import time

    from smartreturn.mail.html import parse_html, soup_to_text

    def wide(n: int) -> str:
        return "<p>Zeile</p>" * n

    def deep(n: int) -> str:
        return "<div>" * n + "tief" + "</div>" * n

    def timed(html: str, expect: str, count: int) -> float:
        started = time.process_time()  # CPU time: other processes on a busy machine do not count
        assert html_to_text(html).count(expect) == count
        assert soup_to_text(parse_html(html)).count(expect) == count
        return time.process_time() - started

    for make, n, expect in ((wide, 6_000, "Zeile"), (deep, 500, "tief")):
        small = min(timed(make(n), expect, n if expect == "Zeile" else 1) for _ in range(3))
        large = min(timed(make(n * 10), expect, n * 10 if expect == "Zeile" else 1) for _ in range(2))
        assert large < 30 * small + 0.5, (make.__name__, small, large)  # quadratic would be ~100x
