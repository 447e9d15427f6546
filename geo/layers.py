"""The data model: every layer, its geometry types and fields, and the rules values must follow.

One declarative table (``LAYERS``) drives the store's schema, the importers' validation, the API's
GeoJSON and the exports, so a field is described once. Every layer also carries the common columns
``id``, ``geometry``, ``created_at``, ``updated_at``, ``version``, ``provenance`` and ``source``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from geo.errors import UnknownLayer, collect, problem_count
from geo.periods import LOCAL_TZ as LOCAL_TZ  # its home is geo.periods

PROVENANCES = ("real", "derived", "illustrative", "simulated")

RISK_CATEGORIES = ("hastighet", "rattfylleri", "buskorning", "a_traktor")
UNSAFE_CATEGORIES = (
    "belysning", "narkotika", "ungdomar", "vald", "vald_i_nara_relation", "sexualbrott",
    "trafik", "skadegorelse", "annat",
)
# Categories whose records are sensitive: never shown as points outside the police roles.
SENSITIVE_CATEGORIES = frozenset({"vald_i_nara_relation", "sexualbrott"})
REPORT_SOURCES = ("trygghetsvandring", "medborgardialog", "medborgare", "kommun", "polisen",
                  "samverkan")  # samverkan: partner reporters (EST), through Tyck till
CHECK_KINDS = ("hastighet", "nykterhet", "a_traktor", "allman")
CANDIDATE_KINDS = ("rastficka", "parkering", "busshallplats", "annan")
# "street": on a named street or at a crossing; "lan": only the county is known; "several":
# the text names several places it does not tell apart (see geo.geocode).
LOCATION_PRECISIONS = ("place", "street", "locality", "municipality", "lan", "several")
# Precisions whose point is not the event's location (maps and hotspots leave them out).
UNPLACED_PRECISIONS = ("municipality", "lan", "several")
ACTIVITY_KINDS = ("narkotikainsats", "informationstraff", "utbildning", "trafikinsats",
                  "a_traktor_buskorning", "trygghetsvandring", "annat")
ACTION_OWNERS = ("polisen", "kommunen", "timrabor")
ACTION_STATUSES = ("planerad", "pagaende", "klar", "installd")
# SCB's DeSO ("2262A0010") and RegSO ("2262R001") areas (geo.population_areas).
POPULATION_AREA_KINDS = ("deso", "regso")
POPULATION_AREA_CODE = r"^(\d{4}[A-C]\d{4}|\d{4}R\d{3})$"

FieldKind = Literal["text", "int", "float", "bool", "datetime", "list", "json"]


@dataclass(frozen=True)
class Field:
    """One attribute of a layer. ``choices`` restrict text values (or each item of a list)."""

    name: str
    kind: FieldKind
    label_sv: str
    required: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    pattern: str | None = None


@dataclass(frozen=True)
class LayerSpec:
    """A layer of the data model."""

    name: str
    title_sv: str
    geometry_types: tuple[str, ...]
    fields: tuple[Field, ...]
    unique_field: str | None = None  # a one-field natural key, e.g. the gazetteer's name
    description: str = ""
    # The natural key: the fields that together name a record once (the store's unique key and
    # what upserts match on), e.g. ("event_id", "part"). Given ``unique_field`` alone, it is
    # (unique_field,); empty: the layer has no natural key.
    unique_fields: tuple[str, ...] = ()
    field_by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_by_name", {f.name: f for f in self.fields})
        if not self.unique_fields and self.unique_field:
            object.__setattr__(self, "unique_fields", (self.unique_field,))
        elif len(self.unique_fields) == 1 and self.unique_field is None:
            object.__setattr__(self, "unique_field", self.unique_fields[0])

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


COMMON_FIELDS: tuple[Field, ...] = (
    Field("provenance", "text", "Ursprung", required=True, choices=PROVENANCES, default="real"),
    Field("source", "text", "Källa", default=""),
)
# The municipality a record belongs to (its four-digit kommunkod; migration 0008): on every
# layer, filled by the store from the geometry when not given (``store.store.Store.insert``).
KOMMUN_FIELD = Field("kommunkod", "text", "Kommunkod", pattern=r"^\d{4}$")
# Columns the store maintains itself; read-only through the API.
SYSTEM_COLUMNS = ("id", "created_at", "updated_at", "version")

_HOURS = r"^([01]?\d|2[0-4])-([01]?\d|2[0-4])(,([01]?\d|2[0-4])-([01]?\d|2[0-4]))*$"

_SPECS = (
    LayerSpec(
        "risk_roads", "Riskvägar", ("LineString", "MultiLineString"),
        (
            Field("name", "text", "Namn", required=True),
            Field("road_ref", "text", "Vägnummer"),
            Field("speed_limit_kmh", "int", "Hastighetsgräns (km/h)", minimum=5, maximum=130),
            Field("risk_categories", "list", "Riskkategorier", choices=RISK_CATEGORIES, default=()),
            Field("risk_weight", "float", "Riskvikt", minimum=0, default=1.0),
            Field("highway", "text", "Vägtyp (OSM highway)"),
            Field("schematic", "bool", "Schematisk geometri", default=False),
            Field("note", "text", "Anteckning", default=""),
        ),
        description="Vägar med identifierad trafikrisk: grunden för kontrollplatser och "
                    "kontrolltäckning.",
    ),
    LayerSpec(
        "patrol_zones", "Patrullområden", ("Polygon", "MultiPolygon"),
        (
            Field("name", "text", "Namn", required=True),
            Field("priority", "int", "Prioritet (1 högst)", minimum=1, maximum=9, default=1),
            Field("target_minutes_per_week", "float", "Mål fotpatrull (min/vecka)", minimum=0,
                  default=0.0),
            Field("active_hours", "text", "Aktiva timmar", default="0-24", pattern=_HOURS),
        ),
        description="Områden där löftet lovar fotpatrullering (oftast centrala orten).",
    ),
    LayerSpec(
        "unsafe_places", "Otrygga platser", ("Point", "Polygon", "MultiPolygon"),
        (
            Field("category", "text", "Kategori", required=True, choices=UNSAFE_CATEGORIES),
            Field("description", "text", "Beskrivning", default=""),
            Field("report_source", "text", "Rapporterad via", choices=REPORT_SOURCES,
                  default="medborgare"),
            Field("reported_at", "datetime", "Rapporterad", required=True),
            Field("status", "text", "Status", choices=("oppen", "atgardad"), default="oppen"),
            Field("resolved_at", "datetime", "Åtgärdad"),
            Field("sensitive", "bool", "Känslig", default=False),
        ),
        description="Platser där människor känner sig otrygga, från trygghetsvandringar, "
                    "dialoger och invånarnas tips.",
    ),
    LayerSpec(
        "patrols", "Patruller", ("LineString", "MultiLineString", "Point", "MultiPoint"),
        (
            Field("unit", "text", "Enhet", default=""),
            Field("kind", "text", "Typ", choices=("fot", "bil"), default="fot"),
            Field("start", "datetime", "Start"),
            Field("end", "datetime", "Slut"),
            Field("times", "list", "Tid per punkt"),
        ),
        description="Patrullernas spår; 'times' har en tidpunkt per brytpunkt där den är "
                    "känd.",
    ),
    LayerSpec(
        "traffic_checks", "Trafikkontroller", ("Point",),
        (
            Field("status", "text", "Status", choices=("planerad", "genomford"),
                  default="planerad"),
            Field("start", "datetime", "Start"),
            Field("end", "datetime", "Slut"),
            Field("kinds", "list", "Typ av kontroll", choices=CHECK_KINDS, default=()),
            Field("place", "text", "Plats", default=""),
            Field("checked", "int", "Kontrollerade", minimum=0),
            Field("breath_tests", "int", "Utandningsprov", minimum=0),
            Field("suspected_dui", "int", "Misstänkt rattfylleri", minimum=0),
            Field("speeding", "int", "Hastighetsöverträdelser", minimum=0),
            Field("other_offences", "int", "Övriga överträdelser", minimum=0),
            Field("event_id", "int", "Polisens händelse-id"),
            Field("precision_m", "float", "Lägesosäkerhet (m)", minimum=0),
            # The suggested candidate site a planned check follows (services.siting.plan_check)
            Field("candidate_id", "int", "Föreslagen kandidatplats", minimum=1),
        ),
        description="Planerade och genomförda trafikkontroller (planerade syns bara för "
                    "polisen).",
    ),
    LayerSpec(
        "events", "Polisens händelser", ("Point",),
        (
            Field("event_id", "int", "Händelse-id", required=True),
            Field("type", "text", "Typ", required=True),
            Field("time", "datetime", "Tid", required=True),
            Field("name", "text", "Rubrik", default=""),
            Field("summary", "text", "Sammanfattning", default=""),
            Field("url", "text", "Länk", default=""),
            Field("place", "text", "Plats", default=""),
            Field("precision", "text", "Lägesprecision", choices=LOCATION_PRECISIONS,
                  default="municipality"),
            Field("precision_m", "float", "Lägesosäkerhet (m)", minimum=0),
            Field("road", "text", "Väg"),
            Field("municipality", "text", "Kommun", default=""),
            # 0: the whole event; 1, 2, ...: the sentences of a summary ("Sammanfattning natt")
            # that name a place each (geo.geocode.geocode_events(split_summaries=True)).
            Field("part", "int", "Del av sammanfattning", minimum=0, default=0),
            # Set by the store (geo.privacy.sensitive_events): a sensitive type, or a summary
            # telling of a sexual offence or violence in a close relationship.
            Field("sensitive", "bool", "Känslig (bara polisen)", default=False),
        ),
        unique_fields=("event_id", "part"),
        description="Polisens händelser från polisens öppna API, placerade utifrån texten. "
                    "En sammanfattning som nämner platser i olika meningar blir en post per "
                    "mening (del 1, 2, …; 0 för en hel händelse), var och en en händelse på "
                    "sin plats: kartor och brottskoncentrationer räknar poster, rapporten och "
                    "jämförelsen mellan kommuner räknar polisens händelser (en uppdelad "
                    "sammanfattning en gång).",
    ),
    LayerSpec(
        "gazetteer", "Ortnamn", ("Point", "MultiPoint", "LineString", "MultiLineString"),
        (
            Field("name", "text", "Namn", required=True),
            Field("aliases", "list", "Andra namn", default=()),
            Field("kind", "text", "Typ", default=""),
            Field("precision_m", "float", "Lägesosäkerhet (m)", minimum=0, default=0.0),
            Field("basis", "text", "Grund", choices=("stated", "estimated"), default="stated"),
            Field("inside_municipality", "bool", "I kommunen", default=True),
            Field("roads", "list", "Vägar", default=()),
        ),
        unique_field="name",
        description="Ortnamn, gator och platser som polisens händelser placeras efter.",
    ),
    LayerSpec(
        "boundaries", "Kommungräns", ("Polygon", "MultiPolygon"),
        (
            Field("name", "text", "Namn", required=True),
            Field("kommunkod", "text", "Kommunkod", pattern=r"^\d{4}$"),
        ),
        description="Kommungränser.",
    ),
    LayerSpec(
        "activities", "Insatser och möten", ("Point", "Polygon", "MultiPolygon"),
        (
            Field("kind", "text", "Typ", required=True, choices=ACTIVITY_KINDS),
            Field("date", "datetime", "Datum", required=True),
            Field("place", "text", "Plats", default=""),
            Field("audience", "text", "Målgrupp", default=""),
            Field("commitment", "text", "Löfte", default=""),
            Field("participants", "int", "Deltagare", minimum=0),
            Field("description", "text", "Beskrivning", default=""),
        ),
        description="Insatser och informationsmöten som hållits för medborgarlöftet.",
    ),
    LayerSpec(
        "promise_actions", "Åtgärder i löftesregistret", ("Point", "Polygon", "MultiPolygon"),
        (
            Field("commitment", "text", "Löfte", required=True),
            Field("what", "text", "Åtgärd", required=True),
            Field("owner", "text", "Ansvarig", required=True, choices=ACTION_OWNERS),
            Field("due", "datetime", "Klart senast"),
            Field("status", "text", "Status", choices=ACTION_STATUSES, default="planerad"),
            Field("done_at", "datetime", "Klar"),
            Field("place", "text", "Plats eller område", default=""),
            Field("note", "text", "Anteckning", default=""),
        ),
        description="Löftesregistret: åtgärder per åtagande, på en plats eller i ett "
                    "område.",
    ),
    LayerSpec(
        "follow_up_reports", "Uppföljningsrapporter", ("Polygon", "MultiPolygon"),
        (
            Field("period_from", "datetime", "Från", required=True),
            Field("period_to", "datetime", "Till", required=True),
            Field("title", "text", "Rubrik", default=""),
            Field("figures", "json", "Siffror"),
            Field("actions", "json", "Åtgärder vid mötet"),
            Field("cells", "json", "Rapporter per ruta"),
        ),
        description="Uppföljningsrapporter sparade per rådsmöte (siffror, åtgärder, "
                    "kartceller); geometrin är området rapporten gäller.",
    ),
    LayerSpec(
        "candidate_sites", "Möjliga kontrollplatser", ("Point",),
        (
            Field("name", "text", "Namn", required=True),
            Field("kind", "text", "Typ", choices=CANDIDATE_KINDS, default="annan"),
            Field("note", "text", "Anteckning", default=""),
        ),
        description="Planerarens egna platser för trafikkontroller: rastfickor, "
                    "parkeringar, busshållplatser.",
    ),
    LayerSpec(
        "speed_cameras", "Trafiksäkerhetskameror (ATK)", ("Point",),
        (
            Field("name", "text", "Namn", default=""),
            Field("speed_limit_kmh", "int", "Hastighetsgräns (km/h)", minimum=5, maximum=130),
            Field("bearing_deg", "float", "Riktning (grader)", minimum=0, maximum=360),
        ),
        description="Trafikverkets trafiksäkerhetskameror (ATK-mätplatser) från en "
                    "NVDB-leverans: där hastigheten redan kontrolleras, för planerarens karta.",
    ),
    LayerSpec(
        "population_areas", "Befolkningsområden (DeSO, RegSO)", ("Polygon", "MultiPolygon"),
        (
            Field("code", "text", "Områdeskod", required=True, pattern=POPULATION_AREA_CODE),
            Field("name", "text", "Namn", default=""),
            Field("kind", "text", "Indelning", required=True, choices=POPULATION_AREA_KINDS),
            Field("kommun_name", "text", "Kommun", default=""),
            Field("population", "int", "Folkmängd", minimum=0),
            Field("population_year", "int", "Folkmängd år", minimum=1900, maximum=2100),
        ),
        unique_field="code",
        description="SCB:s statistikområden (DeSO, RegSO; öppna geodata, CC BY 4.0) med "
                    "sin folkmängd: nämnarna i tal per 1 000 invånare.",
    ),
)

LAYERS: dict[str, LayerSpec] = {
    s.name: LayerSpec(s.name, s.title_sv, s.geometry_types, s.fields + COMMON_FIELDS
                      + ((KOMMUN_FIELD,) if "kommunkod" not in s.field_by_name else ()),
                      s.unique_field, s.description, s.unique_fields)
    for s in _SPECS
}


def layer_spec(name: str) -> LayerSpec:
    """The spec of layer ``name``; raises ``UnknownLayer`` listing the valid names."""
    try:
        return LAYERS[name]
    except KeyError:
        raise UnknownLayer(f"okänt lager {name!r}; välj ett av: {', '.join(LAYERS)}") from None


# --- value coercion -------------------------------------------------------------------------------

def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and empty strings: the value was not given."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_datetime(value: Any) -> pd.Timestamp:
    """Parse an ISO 8601 text or datetime to a UTC timestamp; naive ones are Swedish local time."""
    if isinstance(value, str):
        text = value.strip()
        # The Police API writes hours without a leading zero: "2023-03-22 7:28:40 +01:00".
        text = re.sub(r"(\d{4}-\d{2}-\d{2})[ T](\d):", r"\1 0\2:", text)
        ts = pd.Timestamp(text)
    elif isinstance(value, (datetime, pd.Timestamp)):
        ts = pd.Timestamp(value)
    else:
        raise ValueError(f"{value!r} är ingen tidpunkt; skriv till exempel 2024-05-01 18:30")
    if pd.isna(ts):
        raise ValueError(f"{value!r} är ingen tidpunkt; skriv till exempel 2024-05-01 18:30")
    if ts.tzinfo is None:
        # The repeated autumn hour is read as its first occurrence: the rule of geo.periods.
        ts = ts.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward")
    return ts.tz_convert("UTC")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):
        return list(value.tolist())
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = json.loads(text)
            if not isinstance(parsed, list):
                raise ValueError("ska vara en lista")
            return parsed
        return [part.strip() for part in re.split(r"[,;|]", text) if part.strip()]
    raise ValueError(f"ska vara en lista eller text med kommatecken emellan, inte {value!r}")


def _coerce_text(f: Field, value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(f"ska vara text, inte {type(value).__name__}")
    out = str(value).strip()
    if f.choices and out not in f.choices:
        raise ValueError(f"{out!r} är inte ett av de tillåtna värdena; välj ett av: "
                         f"{', '.join(f.choices)}")
    if f.pattern and not re.fullmatch(f.pattern, out):
        raise ValueError(_wrong_form(f, out))
    return out


def _wrong_form(f: Field, out: str) -> str:
    if f.pattern == _HOURS:
        return (f"{out!r} har fel form; skriv timmar som 0-24, 18-02 eller flera med komma "
                "emellan: 7-9,15-18")
    return f"{out!r} har fel form"


def _number(value: Any, kind: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"ska vara {kind}, inte {value!r}") from None


def _coerce_int(_f: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"ska vara ett heltal, inte {value!r}")
    number = _number(value, "ett heltal")
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"ska vara ett heltal, inte {value!r}")
    return int(number)


def _coerce_float(_f: Field, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"ska vara ett tal, inte {value!r}")
    out = _number(str(value).replace(",", ".") if isinstance(value, str) else value, "ett tal")
    if not math.isfinite(out):
        raise ValueError(f"ska vara ett ändligt tal, inte {value!r}")
    return out


_TRUE_WORDS = frozenset({"1", "true", "ja", "yes", "sant", "t", "y"})
_FALSE_WORDS = frozenset({"0", "false", "nej", "no", "falskt", "f", "n"})


def _coerce_bool(_f: Field, value: Any) -> bool:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_WORDS:
            return True
        if text in _FALSE_WORDS:
            return False
    elif isinstance(value, (bool, int, float)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"ska vara ja eller nej, inte {value!r}")


def _coerce_list(f: Field, value: Any) -> list[Any]:
    items = _as_list(value)
    out = [str(item).strip() if not isinstance(item, (int, float)) else item for item in items]
    if f.choices:
        bad = [item for item in out if item not in f.choices]
        if bad:
            raise ValueError(f"{', '.join(map(str, bad))} finns inte bland de tillåtna "
                             f"värdena; välj bland: {', '.join(f.choices)}")
    return out


def _coerce_json(_f: Field, value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_COERCERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _coerce_text, "int": _coerce_int, "float": _coerce_float, "bool": _coerce_bool,
    "datetime": lambda _f, value: parse_datetime(value), "list": _coerce_list,
    "json": _coerce_json,
}


def coerce_value(f: Field, value: Any) -> Any:
    """Return ``value`` converted to the canonical Python type of field ``f``; raise ValueError."""
    if is_missing(value):
        if f.required and f.default is None:
            raise ValueError("saknas; fyll i det")
        default = f.default
        return list(default) if isinstance(default, tuple) else default
    out = _COERCERS[f.kind](f, value)
    if f.kind in ("int", "float"):
        if f.minimum is not None and out < f.minimum:
            raise ValueError(f"{out} är under det minsta tillåtna, {f.minimum:g}")
        if f.maximum is not None and out > f.maximum:
            raise ValueError(f"{out} är över det största tillåtna, {f.maximum:g}")
    return out


def coerce_record(spec: LayerSpec, values: dict[str, Any], *, where: str,
                  partial: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Coerce a mapping of field values for ``spec``; return (values, problems).

    With ``partial`` (a PATCH) only the given fields are coerced and required ones may be absent.
    Unknown keys are reported as problems so that typos do not vanish silently.
    """
    out: dict[str, Any] = {}
    problems: list[str] = []
    for key in values:
        if key not in spec.field_by_name and key not in SYSTEM_COLUMNS and key != "geometry":
            problems.append(f"{where}: lagret {spec.name} har ingen egenskap {key!r}; ta bort den "
                            "eller rätta namnet")
    for f in spec.fields:
        if partial and f.name not in values:
            continue
        try:
            out[f.name] = coerce_value(f, values.get(f.name))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            problems.append(f"{where}: {f.label_sv} ({f.name}): {exc}")
    if spec.name == "unsafe_places" and out.get("category") in SENSITIVE_CATEGORIES:
        out["sensitive"] = True
    return out, problems


def coerce_frame(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, origin: str,
                 ignore_unknown: bool = True) -> gpd.GeoDataFrame:
    """Coerce every row of ``gdf`` to the layer's fields; raise ``ValidationFailed`` listing all
    problems as "origin, objekt i: Etikett (x): ..." (feature indexes count from 0)."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    records = gdf[columns].to_dict("records") if columns else [{} for _ in range(len(gdf))]
    for i, raw in enumerate(records):
        given = {k: v for k, v in raw.items() if k in spec.field_by_name}
        if not ignore_unknown:
            given.update({k: v for k, v in raw.items() if k not in spec.field_by_name})
        values, errs = coerce_record(spec, given, where=f"{origin}, objekt {i}")
        rows.append(values)
        problems.extend(errs)
    collect(problems, f"{problem_count(len(problems))} i {origin}")
    frame = pd.DataFrame(rows, columns=spec.field_names, index=range(len(gdf)))
    return gpd.GeoDataFrame(frame, geometry=gdf.geometry.values, crs=gdf.crs)
