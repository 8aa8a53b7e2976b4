"""Charts of the statistics with matplotlib (headless Agg backend): reasons, months, refund latency."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from smartreturn.stats.report import Stats  # noqa: E402

log = logging.getLogger(__name__)

CHART_SIZE_INCHES = (12.0, 10.0)
CHART_DPI = 100  # -> 1200 x 1000 px

_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Source Han Sans SC",
              "SimHei", "Microsoft YaHei", "PingFang SC")


def _font_family() -> list[str]:
    """Prefer an installed CJK font so Chinese merchant names render; fall back to DejaVu Sans."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK_FONTS if name in installed] + ["DejaVu Sans"]


def render_png(stats: Stats) -> bytes:
    return _render(stats, "png")


def render_svg(stats: Stats) -> bytes:
    """The same charts as SVG, with text drawn as paths: scalable, and no mail-derived string ends
    up as markup inside the file (merchant names are shapes, not text)."""
    return _render(stats, "svg")


def _render(stats: Stats, fmt: str) -> bytes:
    with plt.rc_context({"font.family": _font_family(), "axes.spines.top": False, "axes.spines.right": False,
                         "svg.fonttype": "path", "svg.hashsalt": "smartreturn"}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")  # CJK names without a CJK font
        fig, (ax_reasons, ax_months, ax_latency) = plt.subplots(3, 1, figsize=CHART_SIZE_INCHES, dpi=CHART_DPI,
                                                                layout="constrained")
        reasons = stats.reasons[:10]
        ax_reasons.barh([r["label"] for r in reasons][::-1], [r["returns"] for r in reasons][::-1], color="#4c72b0")
        ax_reasons.set_title("Returns by reason")
        ax_reasons.set_xlabel("returns")

        months = stats.months[-24:]
        labels = [m["month"] for m in months]
        positions = range(len(labels))
        ax_months.bar([p - 0.2 for p in positions], [m["returns"] for m in months], width=0.4, label="returns", color="#dd8452")
        ax_months.bar([p + 0.2 for p in positions], [m["refunds"] for m in months], width=0.4, label="refunds", color="#55a868")
        ax_months.set_xticks(list(positions), labels, rotation=45, ha="right")
        ax_months.set_title("Returns and refunds per month")
        ax_months.legend()

        timed = [m for m in stats.merchants if m["refund_days_median"] is not None][:12]
        names = [m["merchant"] for m in timed][::-1]
        ax_latency.barh(names, [m["refund_days_p90"] for m in timed][::-1], color="#c44e52", alpha=0.35, label="p90")
        ax_latency.barh(names, [m["refund_days_median"] for m in timed][::-1], color="#c44e52", label="median")
        ax_latency.set_title("Refund latency per merchant (days)")
        ax_latency.set_xlabel("days from return received to refund")
        if timed:
            ax_latency.legend()
        for axis in (ax_reasons, ax_months, ax_latency):
            if not axis.has_data():
                axis.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=axis.transAxes)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=CHART_DPI, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return buffer.getvalue()


def write_png(stats: Stats, path: Path) -> None:
    path.write_bytes(render_png(stats))
