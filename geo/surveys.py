"""Survey figures keyed by area: Polisens trygghetsmätning (the police's local safety survey)
and Brå's Nationella trygghetsundersökningen (NTU), as shares in per cent with their
confidence intervals.

A CSV (Swedish Excel's ``;`` and decimal comma, UTF-8 with or without BOM, or Windows-1252)
with one row per area, year and indicator; the headers in Swedish or English:

* ``område`` (``area``, ``kod``): a DeSO code (2262A0010), a RegSO code (2262R001), a
  kommunkod (2262) or a police area's name ("Medelpad")
* ``undersökning`` (``survey``): "trygghetsmätning" or "NTU" (or given for the whole file)
* ``år`` (``year``); ``indikator`` (``fråga``, ``indicator``)
* ``andel`` (``värde``, ``value``): the share in per cent, 0-100
* ``ki_lag`` and ``ki_hog`` (``nedre``/``övre``, ``lower``/``upper``): the interval's bounds
* ``antal_svar`` (``n``): respondents

Every problem is reported at once, naming the file, the row and the column; nothing is read
half. A missing interval is allowed (shown as "uppgift saknas"), a bound on the wrong side of
the share is not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import ImportRejected, collect, problem_count
from geo.formats import number_sv
from geo.io.table_csv import column, fold, number, read_table_csv
from geo.population_areas import area_kind

SURVEYS = ("trygghetsmatning", "ntu")
SURVEY_SV = {"trygghetsmatning": "Polisens trygghetsmätning",
             "ntu": "Nationella trygghetsundersökningen (NTU)"}
AREA_KINDS = ("deso", "regso", "kommun", "polisomrade")
AREA_KIND_SV = {"deso": "DeSO", "regso": "RegSO", "kommun": "kommun",
                "polisomrade": "polisområde"}
SURVEY_COLUMNS = ("survey", "area_code", "area_kind", "year", "indicator", "value_pct",
                  "ci_low_pct", "ci_high_pct", "respondents")
_AREA = ("område", "omrade", "områdeskod", "area", "area_code", "kod", "code", "region",
         "deso", "regso", "kommunkod", "polisområde", "lokalpolisområde")
_SURVEY = ("undersökning", "undersokning", "survey", "mätning", "källa")
_YEAR = ("år", "ar", "year")
_INDICATOR = ("indikator", "fråga", "fraga", "indicator", "question", "påstående")
_VALUE = ("andel", "andel_procent", "andel_%", "värde", "varde", "value", "value_pct",
          "procent")
_LOW = ("ki_lag", "ki_låg", "ki_nedre", "nedre", "undre", "lower", "ci_low", "ci_low_pct")
_HIGH = ("ki_hog", "ki_hög", "ki_ovre", "ki_övre", "övre", "ovre", "upper", "ci_high",
         "ci_high_pct")
_RESPONDENTS = ("antal_svar", "svar", "n", "respondents", "antal_svarande", "svarande")
_SURVEY_WORDS = {"trygghetsmatning": "trygghetsmatning", "polisens_trygghetsmatning":
                 "trygghetsmatning", "polisen": "trygghetsmatning", "ntu": "ntu",
                 "nationella_trygghetsundersokningen": "ntu", "bra": "ntu"}


def survey_key(text: str) -> str | None:
    """"trygghetsmatning" or "ntu" for the ways a file names them, else None."""
    folded = fold(text)
    if folded in _SURVEY_WORDS:
        return _SURVEY_WORDS[folded]
    if "trygghetsmatning" in folded:
        return "trygghetsmatning"
    if folded.startswith("ntu") or "trygghetsundersokning" in folded:
        return "ntu"
    return None


def area_of_code(text: str) -> tuple[str, str] | None:
    """(the area code as stored, its kind) for a DeSO or RegSO code, a kommunkod or a police
    area's name; None for text that is none of them."""
    code = text.strip()
    kind = area_kind(code.upper())
    if kind:
        return code.upper(), kind
    if re.fullmatch(r"\d{3,4}", code):
        return code.zfill(4), "kommun"
    name = re.sub(r"^(lokalpolisområde|lpo|polisområde)\s+", "", code, flags=re.IGNORECASE)
    if re.search(r"[A-Za-zÅÄÖåäöÉé]", name) and not re.search(r"\d", name):
        return name, "polisomrade"
    return None


def read_survey_csv(path: str | Path, *, survey: str | None = None,
                    max_bytes: int | None = None) -> pd.DataFrame:
    """The figures of a survey CSV as rows of ``SURVEY_COLUMNS``; ``survey`` names the
    survey of a file without that column. Raises ``ImportRejected`` listing every problem."""
    path = Path(path)
    origin = path.name
    frame = read_table_csv(path, max_bytes=max_bytes)
    columns = {key: column(frame, names) for key, names in (
        ("area", _AREA), ("survey", _SURVEY), ("year", _YEAR), ("indicator", _INDICATOR),
        ("value", _VALUE), ("low", _LOW), ("high", _HIGH), ("respondents", _RESPONDENTS))}
    needed = {"area": "område", "year": "år", "indicator": "indikator", "value": "andel"}
    missing = [sv for key, sv in needed.items() if columns[key] is None]
    if columns["survey"] is None and survey is None:
        missing.append("undersökning (eller --survey trygghetsmatning/ntu)")
    if missing:
        raise ImportRejected(f"{origin}: kolumnen {', '.join(missing)} saknas; rubrikraden "
                             "ska vara till exempel område;år;indikator;andel;ki_lag;ki_hog;"
                             f"antal_svar (filen har {', '.join(frame.columns)})")
    fixed = survey_key(survey) if survey is not None else None
    if survey is not None and fixed is None:
        raise ImportRejected(f"--survey: {survey!r} är varken trygghetsmatning (Polisens "
                             "trygghetsmätning) eller ntu")
    problems: list[str] = []
    rows = []
    for i, raw in enumerate(frame.astype(str).to_dict("records")):
        row = _row(raw, columns, fixed, where=f"{origin}, rad {i + 2}", problems=problems)
        if row is not None:
            rows.append(row)
    keys = pd.DataFrame(rows, columns=SURVEY_COLUMNS)
    twice = keys.duplicated(["survey", "area_code", "year", "indicator"], keep="first")
    for i in twice[twice].index:
        r = keys.loc[i]
        problems.append(f"{origin}: {r['area_code']}, {r['year']}, {r['indicator']!r} finns "
                        "på två rader; behåll en")
    collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    out = keys.astype({"year": "int64"})
    for name in ("respondents",):
        out[name] = pd.array(out[name].to_numpy(), dtype="Int64")
    return out


class _Row:
    """One row's values read by column key, each problem added to ``problems``."""

    def __init__(self, raw: dict[Any, str], columns: dict[str, str | None], *, where: str,
                 problems: list[str]) -> None:
        self.raw, self.columns, self.where, self.problems = raw, columns, where, problems

    def text(self, key: str) -> str:
        name = self.columns[key]
        return "" if name is None else str(self.raw[name]).strip()

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}: kolumnen {self.columns[key]!r}: {message}")

    def share(self, key: str, *, required: bool) -> float | None:
        if self.columns[key] is None:
            return None
        try:
            value = number(self.text(key))
        except ValueError:
            self.problem(key, f"{self.text(key)!r} är inget tal (skriv andelen i procent, till "
                              "exempel 62,5)")
            return None
        if value is None:
            if required:
                self.problem(key, "saknas; fyll i andelen i procent")
            return None
        if not 0 <= value <= 100:
            self.problem(key, f"{number_sv(value)} ligger inte mellan 0 och 100 (procent)")
            return None
        return value

    def interval(self, value: float | None) -> tuple[float | None, float | None]:
        low, high = self.share("low", required=False), self.share("high", required=False)
        if value is not None and low is not None and low > value:
            self.problem("low", f"{number_sv(low)} är större än andelen {number_sv(value)}; den "
                                "nedre gränsen ska vara lägst")
        if value is not None and high is not None and high < value:
            self.problem("high", f"{number_sv(high)} är mindre än andelen {number_sv(value)}; "
                                 "den övre gränsen ska vara högst")
        return low, high

    def respondents(self) -> int | None:
        if self.columns["respondents"] is None or not self.text("respondents"):
            return None
        try:
            n = number(self.text("respondents"))
        except ValueError:
            n = -1.0
        if n is not None and (n < 0 or n != int(n)):
            self.problem("respondents", f"{self.text('respondents')!r} är inget antal svar (ett "
                                        "heltal)")
            return None
        return None if n is None else int(n)


def _row(raw: dict[Any, str], columns: dict[str, str | None], fixed: str | None, *,
         where: str, problems: list[str]) -> dict[str, object] | None:
    before = len(problems)
    row = _Row(raw, columns, where=where, problems=problems)
    area = area_of_code(row.text("area"))
    if area is None:
        row.problem("area", f"{row.text('area')!r} är varken en DeSO-kod (2262A0010), en "
                            "RegSO-kod (2262R001), en kommunkod (2262) eller ett polisområdes "
                            "namn")
    key = fixed if columns["survey"] is None else survey_key(row.text("survey")) or fixed
    if key is None:
        row.problem("survey", f"{row.text('survey')!r} är varken Polisens trygghetsmätning "
                              "eller NTU")
    if re.fullmatch(r"(19|20)\d{2}", row.text("year")) is None:
        row.problem("year", f"{row.text('year')!r} är inget år (fyra siffror)")
    indicator = row.text("indicator")
    if not indicator:
        row.problem("indicator", "saknas; skriv frågan eller indikatorn")
    value = row.share("value", required=True)
    low, high = row.interval(value)
    respondents = row.respondents()
    if len(problems) > before or area is None:
        return None
    return {"survey": key, "area_code": area[0], "area_kind": area[1],
            "year": int(row.text("year")), "indicator": indicator, "value_pct": value,
            "ci_low_pct": low, "ci_high_pct": high, "respondents": respondents}


def percent_text(value: float | None) -> str:
    """A share in Swedish: "62 %", "62,5 %"; "uppgift saknas" when unknown."""
    return "uppgift saknas" if value is None else f"{number_sv(value)}\u00a0%"


def interval_text(value: float | None, low: float | None, high: float | None) -> str:
    """A share with its interval as the report writes it: "62 % (58–66 %)"; the share alone
    when the file gives no interval."""
    if value is None:
        return "uppgift saknas"
    if low is None or high is None:
        return f"{percent_text(value)} (intervall saknas)"
    return f"{percent_text(value)} ({number_sv(low)}–{number_sv(high)}\u00a0%)"
