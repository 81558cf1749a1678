"""The service report's charts: one spec each ({type, labels, datasets, y_max, y_label}), drawn by Chart.js on screen
(saas/static/js/charts.js) and as SVG by pygal in the PDF, where WeasyPrint draws the inline SVG with the CJK font."""

from flask_babel import gettext as _
from markupsafe import Markup

from saas.satisfaction.evaluation_views import chart_of
from saas.satisfaction.labels import RESPONSE_CLAUSE_LABELS
from saas.satisfaction.report import CLAUSES, category_name

#: The same colours as charts.js, in the same order.
PALETTE = ("#1f5fbf", "#157f3b", "#9a6700", "#b42318", "#6b4fbb", "#0e7c86")
FONT = '"Noto Sans CJK SC", "Noto Sans CJK", "WenQuanYi Micro Hei", sans-serif'


def clause_label(key: str) -> str:
    if key == "resolution":
        return _("Resolution within the target")
    return str(RESPONSE_CLAUSE_LABELS[key])


def compliance_chart(report: dict) -> dict:
    """The share of each clause's deadlines met, per billing period of the range; a period where a clause never
    applied is a gap, never a zero."""

    def series(key):
        return [float(v) if (v := row["clauses"][key]["pct"]) is not None else None for row in report["periods"]]

    return {
        "type": "line",
        "labels": [row["period"].start.isoformat() for row in report["periods"]],
        "y_max": 100,
        "y_label": _("Share met"),
        "datasets": [
            {"label": f"{clause_label(key)} {clause}", "data": series(key)}
            for key, clause in CLAUSES.items()
            if any(row["clauses"][key]["applied"] for row in report["periods"])
        ],
    }


def categories_chart(report: dict) -> dict:
    """The requests received in the range, by category."""
    return {
        "type": "bar",
        "labels": [category_name(row) for row in report["categories"]],
        "y_label": _("Requests"),
        "datasets": [{"label": _("Requests"), "data": [row["count"] for row in report["categories"]]}],
    }


def scores_chart(report: dict) -> dict:
    """The evaluations' scores per period (the evaluations' own chart)."""
    return chart_of([row["evaluation"] for row in report["evaluations"]])


def charts_of(report: dict) -> dict[str, dict]:
    return {
        "compliance": compliance_chart(report),
        "categories": categories_chart(report),
        "scores": scores_chart(report),
    }


def svg_of(spec: dict, width: int = 760, height: int = 300) -> Markup:
    """A chart spec as inline SVG (pygal), without scripts, in the CJK font; empty when it has nothing to draw."""
    import pygal
    from pygal.style import Style

    if not spec["labels"] or not spec["datasets"]:
        return Markup("")
    colours = [d.get("colour") or PALETTE[i % len(PALETTE)] for i, d in enumerate(spec["datasets"])]
    style = Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        foreground="#475467",
        foreground_strong="#1d2430",
        foreground_subtle="#d0d5dd",
        guide_stroke_color="#e4e7ec",
        major_guide_stroke_color="#d0d5dd",
        guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
        colors=tuple(colours),
        label_font_size=10,
        major_label_font_size=10,
        legend_font_size=10,
        title_font_size=11,
        value_font_size=9,
    )
    options = {
        "style": style,
        "width": width,
        "height": height,
        "js": [],
        "disable_xml_declaration": True,
        "show_legend": False,  # the legend is HTML below the chart: it wraps, however many series
        "truncate_label": -1,
        "y_title": spec.get("y_label"),
        "show_x_guides": False,
        "margin": 8,
        "margin_right": 36,  # room for the last x label, centred on the chart's edge
    }
    if spec.get("y_max") is not None:
        options["range"] = (0, spec["y_max"])
    if spec["type"] == "bar":
        chart = pygal.Bar(**options)
        top = max((v for d in spec["datasets"] for v in d["data"] if v is not None), default=0)
        step = max(1, -(-top // 6))
        chart.y_labels = list(range(0, top + step + 1, step))  # counts: whole numbers on the axis
    else:
        chart = pygal.Line(**options, allow_interruptions=True, dots_size=3)
    chart.x_labels = spec["labels"]
    if len(spec["labels"]) > 8:
        chart.x_label_rotation = 30
    for dataset in spec["datasets"]:
        chart.add(dataset["label"], dataset["data"])
    svg = Markup(chart.render(is_unicode=True))  # noqa: S704 (pygal escapes the labels it writes)
    if len(spec["datasets"]) < 2:
        return svg
    legend = Markup("").join(
        Markup('<li><span class="swatch" style="background:{}"></span>{}</li>').format(colour, dataset["label"])
        for colour, dataset in zip(colours, spec["datasets"], strict=True)
    )
    return svg + Markup('<ul class="chart-legend">{}</ul>').format(legend)
