"""Rendering the follow-up report: a standalone HTML page with each section's map and monthly
chart as inline SVG, and a PDF (reportlab, the figures drawn by matplotlib). The figures of both
are described once in ``maps.report_charts``. All user text is escaped."""

from __future__ import annotations

import html
import io
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd

from geo.area_comparison import COMPARISON_TITLE_SV
from geo.formats import number_sv
from geo.periods import LOCAL_TZ, local_date_text
from geo.population import CAUTION_SV, MIN_COUNT, rate_text
from geo.population_areas import AREA_KIND_SV
from geo.surveys import AREA_KIND_SV as SURVEY_AREA_SV, interval_text
from geo.report import Indicator, Report, Section, target_lines
from geo.vocabulary import ACTION_STATUS_SV, OWNER_SV
from maps.area_comparison import area_comparison_html, comparison_rows
from maps.report_charts import (
    MAP_NOTE, MapView, map_view, section_map_png, section_map_svg, trend_chart_png,
    trend_chart_svg, trend_data,
)

NOT_COMPARED = "ingen jämförelse"  # the previous period has no data (issue 12)


# --- text pieces ----------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    return "uppgift saknas" if value is None else number_sv(value)


def _previous(ind: Indicator) -> str:
    return _fmt(ind.previous) if ind.compared else "inga uppgifter"


def _change(ind: Indicator) -> str:
    if not ind.compared:
        return NOT_COMPARED
    if ind.current is None or ind.previous is None:
        return "–"
    return number_sv(ind.current - ind.previous, sign=True)


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


POPULATION_HEADING = "Per 1 000 invånare och trygghetsmätningar"
AREA_COLUMNS = ("Område", "Kod", "Folkmängd", "Polisens händelser", "Per 1 000 inv.",
                "Rapporter om otrygghet", "Per 1 000 inv.", "Anmärkning")
FEW_REPORTS_SV = f"färre än {MIN_COUNT} rapporter om otrygghet: slumpen väger tungt"
SURVEY_COLUMNS = ("Undersökning", "Område", "År", "Indikator", "Andel (intervall)",
                  "Antal svar")


def area_rows(report: Report) -> list[tuple[str, ...]]:
    """The report's table per DeSO/RegSO: population, events and reports of unsafe places with
    their rates per 1,000 inhabitants, and the cautions of either, in Swedish."""
    figures = report.population
    if figures is None:
        return []
    places = {r.code: r for r in figures.unsafe_places}
    rows: list[tuple[str, ...]] = []
    for r in figures.events:
        p = places.get(r.code)
        # The population's cautions once; too few records said of the column it concerns.
        cautions = [CAUTION_SV[c] for c in r.cautions]
        if p is not None and "few_records" in p.cautions:
            cautions.append(FEW_REPORTS_SV)
        population = number_sv(r.population) + (f" ({r.population_year})"
                                                 if r.population_year else "")
        rows.append((r.name, r.code, population, number_sv(r.count), rate_text(r.per_1000),
                     number_sv(p.count if p else None),
                     rate_text(p.per_1000 if p else None), "; ".join(cautions)))
    return rows


def survey_rows(report: Report) -> list[tuple[str, ...]]:
    """The survey figures: "62 % (58–66 %)" with the area, year and respondents."""
    figures = report.population
    if figures is None:
        return []
    return [(s["survey_sv"], f"{s['area_code']} ({SURVEY_AREA_SV.get(s['area_kind'], '')})",
             str(s["year"]), s["indicator"],
             interval_text(s["value_pct"], s["ci_low_pct"], s["ci_high_pct"]),
             number_sv(s["respondents"])) for s in figures.surveys]


def population_notes(report: Report) -> list[str]:
    """What the population part rests on, in Swedish."""
    figures = report.population
    if figures is None:
        return []
    notes = []
    if figures.events:
        notes.append(f"Händelser och rapporter i perioden per {AREA_KIND_SV[figures.kind]}-område"
                     ", delat med områdets folkmängd gånger 1 000 (känsliga ärenden räknas "
                     "inte). Områden utan invånare eller utan känd folkmängd får ingen takt; "
                     "små tal är markerade och osäkra.")
    if figures.source:
        notes.append(f"Källa: {figures.source}.")
    if figures.surveys:
        notes.append("Trygghetsmätningarnas andelar visas med sitt konfidensintervall inom "
                     "parentes; skillnader inom intervallen är inte säkra.")
    return notes


def _table_html(columns: tuple[str, ...], rows: list[tuple[str, ...]], css: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def population_html(report: Report) -> str:
    """The report's section on population areas and surveys ('' without any)."""
    if report.population is None:
        return ""
    e = html.escape
    parts = [f"<section class='population' id='per-1000'><h2>{e(POPULATION_HEADING)}</h2>"]
    if report.population.events:
        parts.append(_table_html(AREA_COLUMNS, area_rows(report), "per-1000"))
    if report.population.surveys:
        parts.append("<h3>Trygghetsmätningar</h3>"
                     + _table_html(SURVEY_COLUMNS, survey_rows(report), "surveys"))
    parts += [f"<p class='note'>{e(n)}</p>" for n in population_notes(report)]
    return "".join(parts) + "</section>"


# The police area's comparison in the report: the most frequent types, the rest summed.
COMPARISON_TYPES = 12


def comparison_html(report: Report) -> str:
    """The report's comparison across the police area's municipalities ('' for one)."""
    if report.comparison is None:
        return ""
    return area_comparison_html(report.comparison, most_types=COMPARISON_TYPES)


def _comparison_pdf(report: Report, styles: dict) -> list:
    """The comparison as PDF flowables: a heading, its note and the table (none for one
    municipality)."""
    from reportlab.lib import colors
    from reportlab.platypus import PageBreak, Paragraph, Table, TableStyle

    made = report.comparison
    if made is None:
        return []
    rows, foot = comparison_rows(made, most_types=COMPARISON_TYPES)
    cell = styles["BodyText"].clone("comparison", fontSize=8, leading=10)
    head = ["Typ", *(name for _, name in made.kommuner), "Totalt"]
    body = [[row["type"], *row["cells"], row["total"]] for row in [*rows, *foot]]
    table = Table([[Paragraph(_pdf_text(str(v)), cell) for v in line] for line in [head, *body]],
                  repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    period = f"{made.first.isoformat()} – {made.last.isoformat()}"
    return [PageBreak(), Paragraph(_pdf_text(COMPARISON_TITLE_SV), styles["Heading2"]),
            Paragraph(_pdf_text(f"Polisens händelser {period} per typ och kommun (händelser om "
                                "våld i nära relation och sexualbrott ingår inte)."),
                      styles["Normal"]), table]


# --- HTML -----------------------------------------------------------------------------------------

STYLE = """body{font:14px/1.45 sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
    table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px}
    td.n{text-align:right}td.src{font-size:12px;color:#555}blockquote{font-style:italic;
    border-left:3px solid #2b8cbe;margin:.5em 0;padding-left:.8em}.nodata{background:#fff3cd;
    padding:.5em}.figures svg{max-width:100%;height:auto}.figures figure{margin:.5em 0}
    figure.map{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:flex-start}
    figure.map figcaption{flex-basis:100%;font-size:12px;color:#555}
    ul.legend{list-style:none;padding:0;margin:0;font-size:13px;flex:1 1 14em}
    ul.legend li{display:flex;gap:.4em;align-items:center;margin:.15em 0}
    .summary{font-weight:bold}section.commitment{border-top:1px solid #999;margin-top:1.5em}
    li.target.met{color:#1a6b34}li.target.not_met{color:#a4161a}
    section.area-comparison{overflow-x:auto}td.num{text-align:right}"""


def report_html(report: Report, boundaries: gpd.GeoDataFrame) -> str:
    """The report as one standalone HTML page (maps and charts inline SVG)."""
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
            f"<td class='n'>{e(_previous(i))}</td><td class='n'>{e(_change(i))}</td>"
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
            + section_map_svg(map_view(section, boundaries))
            + f"<figure class='chart'>{trend_chart_svg(section)}</figure>"
            + "</div></section>")
    parts.append(population_html(report))
    parts.append(comparison_html(report))
    return (f"<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>"
            f"{e(report.title)} – uppföljning</title><style>{STYLE}</style></head><body>"
            + "".join(parts)
            + "<footer><p>Siffrorna är räknade ur Tryggs lager. Demodata är illustrativa eller "
              "simulerade där lagren säger det; polisens händelser är verkliga.</p></footer>"
              "</body></html>")


# --- PDF ------------------------------------------------------------------------------------------

PDF_MAP_CM = (12.0, 15.0)  # width, height: at least half the A4 page's height
PDF_LEGEND_CM = 5.0  # the legend's column beside the map
PDF_CHART_CM = (16.0, 6.0)


def _latin(text: str) -> str:
    """Keep to the characters of the base-14 PDF fonts (cp1252)."""
    return text.replace("\u2212", "-").encode("cp1252", errors="replace").decode("cp1252")


def _pdf_text(text: str) -> str:
    """Escape for reportlab's paragraph markup (user text never becomes markup)."""
    return xml_escape(_latin(text))


def series_lines(section: Section) -> list[str]:
    """The monthly chart's figures as text, one line per series ("Namn: 2024-09 2 462,5; …")."""
    labels, series = trend_data(section)
    return [f"{name}: " + "; ".join(f"{m} {number_sv(v)}" for m, v in zip(labels, values,
                                                                          strict=True))
            for name, values in series.items()]


def _map_block(view: MapView, styles: dict) -> list:
    """The map at its PDF size with its legend in a column beside it (never over it)."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, Paragraph, Table, TableStyle

    width, height = PDF_MAP_CM
    picture = Image(io.BytesIO(section_map_png(view, width_in=width / 2.54,
                                               height_in=height / 2.54)),
                    width=width * cm, height=height * cm)
    legend = [Paragraph("<b>Teckenförklaring</b>", styles["BodyText"])]
    legend += [Paragraph(f"<font color='{i.colour}'>{_LEGEND_MARK[i.symbol]}</font> "
                         + _pdf_text(i.label), styles["BodyText"]) for i in view.legend]
    legend.append(Paragraph(_pdf_text(MAP_NOTE), styles["Italic"]))
    table = Table([[picture, legend]], colWidths=[width * cm, PDF_LEGEND_CM * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return [Paragraph(_pdf_text(f"Karta: {view.title}"), styles["Heading4"]), table]


# The legend's symbols in the PDF: lines in the text font, markers from ZapfDingbats (the
# base-14 fonts hold no geometric shapes): ● ■ ▲ ◆ ✖.
_LEGEND_MARK = {"line": "\u2014", "dashed": "- -", **{
    symbol: f"<font name='ZapfDingbats'>{char}</font>"
    for symbol, char in (("area", "n"), ("o", "l"), ("s", "n"), ("^", "s"), ("D", "u"),
                         ("X", "6"))}}


def _population_pdf(report: Report, styles: dict) -> list:
    """The population part as PDF flowables (none without it)."""
    from reportlab.lib import colors
    from reportlab.platypus import PageBreak, Paragraph, Table, TableStyle

    if report.population is None:
        return []
    story: list = [PageBreak(), Paragraph(_pdf_text(POPULATION_HEADING), styles["Heading2"])]
    cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9)
    for columns, rows in ((AREA_COLUMNS, area_rows(report)),
                          (SURVEY_COLUMNS, survey_rows(report))):
        if not rows:
            continue
        table = Table([[Paragraph(_pdf_text(v), cell) for v in row]
                       for row in [columns, *rows]], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    story += [Paragraph(_pdf_text(n), styles["Italic"]) for n in population_notes(report)]
    return story


def report_pdf(report: Report, boundaries: gpd.GeoDataFrame) -> bytes:
    """The report as a PDF (reportlab; no system libraries needed). Each section opens a page
    with its text and table; its monthly chart (with the chart's figures as text) and its map
    (at least half a page high, the legend beside it) follow together on one page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image, KeepTogether, ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate,
        Spacer, Table, TableStyle,
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
                 _previous(i), _change(i)] for i in section.indicators]
            rows = [[_latin(cell) if isinstance(cell, str) else cell for cell in row]
                    for row in rows]
            table = Table(rows, colWidths=[8.5 * cm, 2.6 * cm, 2.6 * cm, 2.9 * cm])
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                                       ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            story.append(table)
        story += [Paragraph(_pdf_text(note), styles["Italic"]) for note in section.notes]
        width, height = PDF_CHART_CM
        figures = [Paragraph(_pdf_text(f"Månadsserie: {c.short}"), styles["Heading4"]),
                    Image(io.BytesIO(trend_chart_png(section, width_in=width / 2.54,
                                                     height_in=height / 2.54)),
                          width=width * cm, height=height * cm, kind="proportional")]
        figures += [Paragraph(_pdf_text(line), styles["BodyText"])
                    for line in series_lines(section)]
        # The chart with its figures as text and the map with its legend share a page (they
        # fit one together): a chart never stands alone on a page.
        story.append(KeepTogether(figures + _map_block(map_view(section, boundaries), styles)))
    story += _population_pdf(report, styles)
    story += _comparison_pdf(report, styles)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=report.title, author="Trygg",
                            leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                            bottomMargin=1.8 * cm)
    doc.build(story)
    return buffer.getvalue()
