"""Rendering the follow-up report: a PNG map and a monthly chart per section (matplotlib, no map
tiles), a standalone HTML page and a PDF (reportlab). All user text is escaped."""

from __future__ import annotations

import base64
import html
import io
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # server-side: no display
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from geo.periods import LOCAL_TZ, local_date_text
from geo.report import Indicator, Report, Section, target_lines
from geo.vocabulary import ACTION_STATUS_SV, OWNER_SV

STYLE = {  # layer → (colour, marker, label)
    "unsafe_places": ("#8856a7", "o", "Otrygga platser (rapporterade under perioden)"),
    "events": ("#fd8d3c", "s", "Polisens händelser (placerade)"),
    "activities": ("#1b9e77", "^", "Insatser och möten"),
    "traffic_checks": ("#31a354", "D", "Trafikkontroller"),
    "actions": ("#000000", "X", "Åtgärder i löftesregistret"),
}


def _draw(ax, gdf: gpd.GeoDataFrame, name: str) -> None:
    colour, marker, _ = STYLE[name]
    points = gdf.geometry.representative_point()
    ax.scatter(points.x, points.y, s=36, c=colour, marker=marker, edgecolors="white",
               linewidths=0.6, zorder=5)


def section_map_png(section: Section, boundaries: gpd.GeoDataFrame, *, width_in: float = 6.4,
                    height_in: float = 4.6, dpi: int = 110) -> bytes:
    """The section's map as PNG: the layers it measures on the municipality, without tiles."""
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    handles = []
    layers = section.map_layers
    focus = []
    if len(boundaries):
        boundaries.boundary.plot(ax=ax, color="#555555", linewidth=0.8, zorder=1)
        handles.append(Line2D([], [], color="#555555", label="Kommungräns"))
    zones = layers.get("patrol_zones")
    if zones is not None and len(zones):
        zones.plot(ax=ax, color="#2b8cbe", alpha=0.25, edgecolor="#2b8cbe", zorder=2)
        handles.append(Line2D([], [], color="#2b8cbe", linewidth=6, alpha=0.4,
                              label="Patrullområden"))
        focus.append(zones.total_bounds)
    roads = layers.get("risk_roads")
    if roads is not None and len(roads):
        roads.plot(ax=ax, color="#d7301f", linewidth=1.6, linestyle="--", zorder=3)
        handles.append(Line2D([], [], color="#d7301f", linestyle="--",
                              label="Riskvägar (schematiska)"))
    for name in STYLE:
        gdf = layers.get(name)
        if gdf is None or gdf.empty:
            continue
        _draw(ax, gdf, name)
        colour, marker, label = STYLE[name]
        handles.append(Line2D([], [], color=colour, marker=marker, linestyle="",
                              label=f"{label}: {len(gdf)}"))
        focus.append(gdf.total_bounds)
    if focus:
        import numpy as np

        box = np.array(focus)
        minx, miny = box[:, 0].min(), box[:, 1].min()
        maxx, maxy = box[:, 2].max(), box[:, 3].max()
        pad = max(maxx - minx, maxy - miny, 1500.0) * 0.15
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    elif len(boundaries):
        minx, miny, maxx, maxy = boundaries.total_bounds
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
    else:
        ax.text(0.5, 0.5, "Inget att visa på kartan", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(section.commitment.short, fontsize=10)
    ax.text(0.01, 0.01, "SWEREF 99 TM. Ingen bakgrundskarta.", transform=ax.transAxes,
            fontsize=7, color="#555555")
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    return _png(fig)


def trend_chart_png(section: Section, *, width_in: float = 6.4, height_in: float = 2.6,
                    dpi: int = 110) -> bytes:
    """The section's monthly series as a line chart (PNG)."""
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    x = list(range(len(section.months)))
    for label, values in section.monthly.items():
        ax.plot(x, values, marker="o", markersize=3, label=label)
    if not section.monthly:
        ax.text(0.5, 0.5, "Ingen månadsserie för detta löfte", ha="center", va="center",
                transform=ax.transAxes)
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(section.months[::step], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("antal per månad", fontsize=8)
    top = max((max(v) for v in section.monthly.values() if len(v)), default=0)
    ax.set_ylim(0, max(1.0, top * 1.15))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if section.monthly:
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _png(fig)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


# --- text pieces ----------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    if value is None:
        return "uppgift saknas"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _change(ind: Indicator) -> str:
    if ind.current is None or ind.previous is None:
        return "–"
    diff = ind.current - ind.previous
    return ("+" if diff > 0 else "") + _fmt(diff) if diff else "±0"


def _action_text(row: dict) -> str:
    due = f", senast {row['due'][:10]}" if row.get("due") else ""
    return (f"{row['what']} ({OWNER_SV.get(row['owner'], row['owner'])}, "
            f"{ACTION_STATUS_SV.get(row['status'], row['status'])}{due})")


def changes_lines(report: Report) -> list[tuple[str, list[str]]]:
    """The "since the last meeting" part as (heading, lines) in plain text."""
    c = report.changes
    since = f" sedan förra rapporten ({c.previous_at[:10]})" if c.previous_at else \
        " (ingen tidigare rapport sparad: alla klara åtgärder visas)"
    out = [(f"Klara åtgärder{since}", [_action_text(r) for r in c.done] or ["inga"])]
    if c.previous_at:
        out.append(("Nya åtgärder", [_action_text(r) for r in c.new] or ["inga"]))
    out.append(("Försenade åtgärder (förfallodag passerad, inte klara)",
                [_action_text(r) for r in c.overdue] or ["inga"]))
    m = report.map_changes
    if m.get("compared"):
        out.append(("Kartans förändring mot förra rapporten", [
            f"Rapporter och händelser i rutor: {m['total_now']} (förra rapporten "
            f"{m['total_before']})",
            f"{len(m['new'])} nya rutor, {len(m['gone'])} rutor utan rapporter nu, "
            f"{len(m['more'])} med fler, {len(m['fewer'])} med färre"]))
    else:
        out.append(("Kartans förändring", ["Ingen tidigare rapport att jämföra med."]))
    return out


def period_text(report: Report) -> str:
    return (f"Period {local_date_text(report.start)} – "
            f"{local_date_text(report.end, end=True)}, jämfört "
            f"med {local_date_text(report.previous_start)} – "
            f"{local_date_text(report.previous_end, end=True)}")


# --- HTML -----------------------------------------------------------------------------------------

def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def report_html(report: Report, boundaries: gpd.GeoDataFrame) -> str:
    """The report as one standalone HTML page (images inline)."""
    e = html.escape
    parts = [f"<h1>{e(report.title)}</h1>", f"<p class='period'>{e(period_text(report))}. "
             f"Skapad {e(report.made_at.tz_convert(LOCAL_TZ).strftime('%Y-%m-%d %H:%M'))}"
             "</p>"]
    for note in report.notes:
        parts.append(f"<p class='nodata'><strong>{e(note)}</strong></p>")
    parts.append("<section class='changes'><h2>Vad har hänt sedan förra mötet</h2>")
    for heading, lines in changes_lines(report):
        parts.append(f"<h3>{e(heading)}</h3><ul>" + "".join(f"<li>{e(t)}</li>" for t in lines)
                     + "</ul>")
    parts.append("</section>")
    for section in report.sections:
        c = section.commitment
        owners = ", ".join(OWNER_SV.get(o, o) for o in c.owners)
        rows = "".join(
            f"<tr><td>{e(i.label)}</td><td class='n'>{e(_fmt(i.current))}</td>"
            f"<td class='n'>{e(_fmt(i.previous))}</td><td class='n'>{e(_change(i))}</td>"
            f"<td class='src'>{e(i.source)}</td></tr>" for i in section.indicators)
        parts.append(
            f"<section class='commitment' id='{e(c.id)}'><h2>{e(c.short)}</h2>"
            f"<blockquote>{e(c.text)}</blockquote><p class='owners'>Ansvariga: {e(owners)}</p>"
            f"<p class='summary'>{e(section.summary)}</p>"
            + (("<h3>Mål</h3><ul class='targets'>" + "".join(
                f"<li class='target {t.status}'>{e(line)}</li>"
                for t, (_, line) in zip(section.targets, target_lines(section), strict=True))
                + "</ul>") if section.targets else "")
            + (f"<table><thead><tr><th>Indikator</th><th>Perioden</th><th>Föregående</th>"
               f"<th>Förändring</th><th>Källa</th></tr></thead><tbody>{rows}</tbody></table>"
               if rows else "")
            + "".join(f"<p class='note'>{e(n)}</p>" for n in section.notes)
            + "<div class='figures'>"
            + _img(section_map_png(section, boundaries), f"Karta: {c.short}")
            + _img(trend_chart_png(section), f"Månadsserie: {c.short}")
            + "</div></section>")
    style = """body{font:14px/1.45 sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
    table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px}
    td.n{text-align:right}td.src{font-size:12px;color:#555}blockquote{font-style:italic;
    border-left:3px solid #2b8cbe;margin:.5em 0;padding-left:.8em}.nodata{background:#fff3cd;
    padding:.5em}.figures img{max-width:100%;display:block;margin:.5em 0}
    .summary{font-weight:bold}section.commitment{border-top:1px solid #999;margin-top:1.5em}
    li.target.met{color:#1a6b34}li.target.not_met{color:#a4161a}"""
    return (f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>"
            f"{e(report.title)} – uppföljning</title><style>{style}</style></head><body>"
            + "".join(parts)
            + "<footer><p>Siffrorna är räknade ur Tryggs lager. Demodata är illustrativa eller "
              "simulerade där lagren säger det; polisens händelser är verkliga.</p></footer>"
              "</body></html>")


# --- PDF ------------------------------------------------------------------------------------------

def _latin(text: str) -> str:
    """Keep to the characters of the base-14 PDF fonts (cp1252)."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


def _pdf_text(text: str) -> str:
    """Escape for reportlab's paragraph markup (user text never becomes markup)."""
    return xml_escape(_latin(text))


def report_pdf(report: Report, boundaries: gpd.GeoDataFrame) -> bytes:
    """The report as a PDF (reportlab; no system libraries needed)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image, ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    story: list = [Paragraph(_pdf_text(report.title), styles["Title"]),
                   Paragraph(_pdf_text(period_text(report)), styles["Normal"])]
    for note in report.notes:
        story.append(Paragraph("<b>" + _pdf_text(note) + "</b>", styles["Normal"]))
    story.append(Paragraph("Vad har hänt sedan förra mötet", styles["Heading2"]))
    for heading, lines in changes_lines(report):
        story.append(Paragraph(_pdf_text(heading), styles["Heading4"]))
        story.append(ListFlowable([ListItem(Paragraph(_pdf_text(t), styles["Normal"]))
                                   for t in lines], bulletType="bullet"))
    for section in report.sections:
        c = section.commitment
        story += [PageBreak(), Paragraph(_pdf_text(c.short), styles["Heading2"]),
                  Paragraph("<i>" + _pdf_text(c.text) + "</i>", styles["Normal"]),
                  Spacer(1, 4), Paragraph("<b>" + _pdf_text(section.summary) + "</b>",
                                          styles["Normal"]), Spacer(1, 6)]
        story += [Paragraph("Mål: " + _pdf_text(line), styles["Normal"])
                  for _, line in target_lines(section)]
        if section.indicators:
            rows = [["Indikator", "Perioden", "Föregående", "Förändring"]] + [
                [Paragraph(_pdf_text(i.label), styles["BodyText"]), _fmt(i.current),
                 _fmt(i.previous), _change(i)] for i in section.indicators]
            rows = [[_latin(cell) if isinstance(cell, str) else cell for cell in row]
                    for row in rows]
            table = Table(rows, colWidths=[8.5 * cm, 2.6 * cm, 2.6 * cm, 2.4 * cm])
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                                       ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story.append(table)
        for note in section.notes:
            story.append(Paragraph(_pdf_text(note), styles["Italic"]))
        story.append(Image(io.BytesIO(section_map_png(section, boundaries)), width=14 * cm,
                           height=10 * cm, kind="proportional"))
        story.append(Image(io.BytesIO(trend_chart_png(section)), width=14 * cm, height=5.5 * cm,
                           kind="proportional"))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=report.title, author="Trygg",
                            leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                            bottomMargin=1.8 * cm)
    doc.build(story)
    return buffer.getvalue()
