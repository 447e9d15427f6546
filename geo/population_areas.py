"""SCB's small statistical areas, DeSO and RegSO, with their population: the denominators of
rates per 1,000 inhabitants (``geo.population``).

SCB publishes the boundaries as open geodata (CC BY 4.0, "Källa: SCB") in SWEREF 99 TM as a
GeoPackage (scb.se, "Öppna geodata för DeSO – Demografiska statistikområden" and the same for
RegSO): layer ``DeSO_2018`` with the fields ``deso`` (the nine-character code, "2262A0010":
kommunkod, category A/B/C, a running number), ``kommun`` (kommunkod), ``kommunnamn``, ``lan``
and ``lannamn``; layer ``RegSO_2018`` with ``regsokod`` ("2262R001"), ``regso`` (its name),
``kommun`` and ``kommunnamn``. Later vintages (``DeSO_2025``, ``desokod``) are read the same
way: any layer named ``DeSO_*`` or ``RegSO_*`` and the fields in any case.

The population comes from SCB's statistical database as a CSV export (table "Folkmängd efter
region", DeSO or RegSO): a region column ("2262A0010" or "2262A0010 Timrå"), a year column and
the population ("Folkmängd", "Antal"), or one column per year ("2022", "Folkmängd 2023"); the
latest year is used. Rows broken down by age or sex are summed unless a total row is there. A
population already in the GeoPackage (a field ``folkmangd``, ``befolkning`` or ``population``)
is used when no CSV is given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]
import shapely

from geo.crs import WORK_CRS
from geo.errors import ImportRejected, collect, problem_count
from geo.geojson import MAX_FEATURES
from geo.io.gpkg import check_gpkg
from geo.io.ogr import read_ogr
from geo.io.table_csv import column, fold, number, read_table_csv

SCB_SOURCE = "SCB, öppna geodata (CC BY 4.0, Källa: SCB)"
SCB_POPULATION_SOURCE = "SCB:s statistikdatabas, folkmängd"
AREA_KINDS = ("deso", "regso")
AREA_KIND_SV = {"deso": "DeSO", "regso": "RegSO"}
DESO_CODE = re.compile(r"^\d{4}[A-C]\d{4}$")
REGSO_CODE = re.compile(r"^\d{4}R\d{3}$")
CODE_PATTERN = r"^(\d{4}[A-C]\d{4}|\d{4}R\d{3})$"  # the layer's ``code`` field
_LAYER_PREFIX = {"deso": "deso_", "regso": "regso_"}
_CODE_FIELDS = {"deso": ("deso", "desokod", "deso_kod"), "regso": ("regsokod", "regso_kod")}
_NAME_FIELDS = {"deso": ("desonamn", "namn", "name"), "regso": ("regso", "regsonamn", "namn")}
_KOMMUN_FIELDS = ("kommun", "kommunkod", "kn", "kommun_kod")
_KOMMUN_NAME_FIELDS = ("kommunnamn", "kommun_namn", "knnamn")
_POPULATION_FIELDS = ("folkmangd", "befolkning", "population", "bef_tot", "totalt", "antal",
                      "invanare")
_POPULATION_YEAR_FIELDS = ("population_year", "folkmangd_ar", "ar", "year", "referensar")
# The statistical database's CSV export.
_REGION_COLUMNS = ("region", "deso", "regso", "regsokod", "desokod", "omrade", "kod",
                   "code")
_YEAR_COLUMNS = ("ar", "year", "tid")
_VALUE_COLUMNS = ("folkmangd", "antal", "befolkning", "population", "invanare", "varde")
_BREAKDOWN_COLUMNS = ("alder", "kon", "sex", "age")
_YEAR_HEADER = re.compile(r"(?:^|\D)((?:19|20)\d{2})$")


def area_kind(code: str) -> str | None:
    """"deso" or "regso" for a code of that form, else None."""
    if DESO_CODE.match(code):
        return "deso"
    if REGSO_CODE.match(code):
        return "regso"
    return None


def _pick_layer(path: Path, layer: str | None) -> tuple[str, str]:
    """(the GeoPackage layer to read, its kind): ``layer`` if named, else the one ``DeSO_*`` or
    ``RegSO_*`` layer (the file's only layer when it has one)."""
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ImportRejected(f"{path.name}: GeoPackage-filen går inte att läsa ({exc})") from None
    if layer is not None:
        if layer not in names:
            raise ImportRejected(f"{path.name}: har inget lager {layer!r}; lagren är "
                                 f"{', '.join(names)}")
        candidates = [layer]
    else:
        candidates = [n for n in names if any(n.lower().startswith(p)
                                               for p in _LAYER_PREFIX.values())]
        if not candidates and len(names) == 1:
            candidates = names
    if len(candidates) != 1:
        raise ImportRejected(
            f"{path.name}: " + (f"har flera områdeslager ({', '.join(candidates)}); ange vilket "
                                "med --source-layer" if candidates else
                                f"har inget DeSO- eller RegSO-lager (lagren är "
                                f"{', '.join(names)}); SCB:s fil har lagret DeSO_2018 "
                                "eller RegSO_2018"))
    chosen = candidates[0]
    for kind, prefix in _LAYER_PREFIX.items():
        if chosen.lower().startswith(prefix):
            return chosen, kind
    return chosen, ""


def is_scb_file(path: str | Path) -> bool:
    """Whether ``path`` is a GeoPackage with an SCB ``DeSO_*`` or ``RegSO_*`` layer (a file
    Trygg exported itself has a ``population_areas`` layer and is read like any layer)."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    try:
        names = [str(name).lower() for name, _ in pyogrio.list_layers(path)]
    except Exception:  # not readable: the ordinary import says why
        return False
    return any(n.startswith(p) for n in names for p in _LAYER_PREFIX.values())


def _field(gdf: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return column(gdf.drop(columns=[gdf.geometry.name]) if isinstance(gdf, gpd.GeoDataFrame)
                  else gdf, names)


def read_population_areas(path: str | Path, *, layer: str | None = None,
                          kommunkoder: frozenset[str] | None = None,
                          population: pd.DataFrame | None = None,
                          crs: str | None = None) -> gpd.GeoDataFrame:
    """The DeSO or RegSO areas of SCB's GeoPackage ``path`` as rows of ``population_areas``
    (EPSG:3006): ``code``, ``name``, ``kind``, ``kommunkod``, ``kommun_name``, ``population``,
    ``population_year``, provenance "real" and the source naming SCB.

    ``kommunkoder`` keeps the areas of those municipalities (by the file's ``kommun`` field; the
    areas follow municipal boundaries); ``population`` is ``read_population_csv``'s table, joined
    by code (an area it does not name has no population). Every problem is reported at once in
    Swedish, naming the file, the feature and the field; nothing is returned half-read."""
    path = Path(path)
    origin = path.name
    if not path.is_file():
        raise ImportRejected(f"{path}: filen finns inte")
    if path.suffix.lower() != ".gpkg":
        raise ImportRejected(f"{origin}: SCB:s DeSO- och RegSO-gränser läses från en GeoPackage "
                             "(.gpkg) som SCB levererar dem; packa upp zip-filen först")
    check_gpkg(path)
    layer_name, kind = _pick_layer(path, layer)
    gdf = read_ogr(str(path), origin=origin, layer=layer_name, max_features=MAX_FEATURES)
    if crs is not None:
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None:
        raise ImportRejected(f"{origin}: lagret {layer_name} anger inget koordinatsystem; SCB:s "
                             "fil är i SWEREF 99 TM (ange --crs EPSG:3006)")
    kind = kind or _kind_from_fields(gdf, origin, layer_name)
    code_field = _field(gdf, _CODE_FIELDS[kind])
    kommun_field = _field(gdf, _KOMMUN_FIELDS)
    missing = [f"{'/'.join(_CODE_FIELDS[kind])} (områdeskoden)"] if code_field is None else []
    if kommun_field is None:
        missing.append("kommun (kommunkoden)")
    if missing:
        raise ImportRejected(f"{origin}, lager {layer_name}: fältet {' och '.join(missing)} "
                             f"saknas; SCB:s {AREA_KIND_SV[kind]}-fil har fälten "
                             + ("deso, kommun, kommunnamn, lan och lannamn" if kind == "deso"
                                else "regsokod, regso, kommun och kommunnamn"))
    assert code_field is not None and kommun_field is not None
    codes = gdf[code_field].astype("string").str.strip()
    kommuner = gdf[kommun_field].astype("string").str.strip().str.zfill(4)
    problems = _area_problems(gdf, codes, kommuner, origin=origin, kind=kind,
                              code_field=code_field, kommun_field=kommun_field)
    collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    keep = np.ones(len(gdf), dtype=bool) if kommunkoder is None else \
        kommuner.isin(sorted(kommunkoder)).to_numpy(dtype=bool)
    if not keep.any():
        raise ImportRejected(f"{origin}: inga {AREA_KIND_SV[kind]}-områden i kommun "
                             f"{', '.join(sorted(kommunkoder or ()))}; filen har kommunerna "
                             f"{', '.join(sorted(set(kommuner.dropna()))[:10])}")
    name_field = _field(gdf, _NAME_FIELDS[kind])
    kommun_name_field = _field(gdf, _KOMMUN_NAME_FIELDS)
    kommun_names = (gdf[kommun_name_field].astype("string").fillna("").str.strip()
                    if kommun_name_field else pd.Series("", index=gdf.index, dtype="string"))
    # DeSO areas have no names: the municipality's stands in (the code tells them apart).
    names = gdf[name_field].astype("string").fillna("").str.strip() if name_field \
        else kommun_names
    out = gpd.GeoDataFrame({
        "code": codes.to_numpy(dtype=object),
        "name": names.where(names != "", codes).to_numpy(dtype=object),
        "kind": kind,
        "kommunkod": kommuner.to_numpy(dtype=object),
        "kommun_name": kommun_names.to_numpy(dtype=object),
        "provenance": "real",
        "source": f"{SCB_SOURCE}; {origin}, lager {layer_name}",
    }, geometry=shapely.make_valid(np.asarray(gdf.geometry.values)), crs=gdf.crs)
    out = out[keep].to_crs(WORK_CRS).reset_index(drop=True)
    return with_population(out, population, own=_own_population(gdf[keep], origin))


def _kind_from_fields(gdf: gpd.GeoDataFrame, origin: str, layer: str) -> str:
    for kind in ("regso", "deso"):  # RegSO files carry "regso" (the name) and "regsokod"
        if _field(gdf, _CODE_FIELDS[kind]):
            return kind
    raise ImportRejected(f"{origin}, lager {layer}: varken fältet deso (DeSO-koden) eller "
                         "regsokod (RegSO-koden) finns; är det SCB:s DeSO- eller RegSO-fil?")


def _area_problems(gdf: gpd.GeoDataFrame, codes: pd.Series, kommuner: pd.Series, *,
                   origin: str, kind: str, code_field: str, kommun_field: str) -> list[str]:
    problems = []
    pattern = DESO_CODE if kind == "deso" else REGSO_CODE
    example = "2262A0010" if kind == "deso" else "2262R001"
    types = gdf.geom_type.to_numpy()
    seen: set[str] = set()
    for i, (code, kommun) in enumerate(zip(codes, kommuner, strict=True)):
        where = f"{origin}, objekt {i}"
        if pd.isna(code) or not pattern.match(str(code)):
            problems.append(f"{where}: fältet {code_field}: {code!r} är ingen "
                            f"{AREA_KIND_SV[kind]}-kod (som {example})")
        elif code in seen:
            problems.append(f"{where}: fältet {code_field}: koden {code} finns två gånger")
        else:
            seen.add(str(code))
            if not pd.isna(kommun) and not str(code).startswith(str(kommun)):
                problems.append(f"{where}: fältet {kommun_field}: {kommun} stämmer inte med "
                                f"koden {code} (de fyra första tecknen är kommunkoden)")
        if pd.isna(kommun) or not re.fullmatch(r"\d{4}", str(kommun)):
            problems.append(f"{where}: fältet {kommun_field}: {kommun!r} är ingen kommunkod "
                            "(fyra siffror)")
        if types[i] not in ("Polygon", "MultiPolygon"):
            problems.append(f"{where}: geometrin är {types[i] or 'tom'}, inte en yta")
    return problems


def _own_population(gdf: gpd.GeoDataFrame, origin: str) -> pd.DataFrame | None:
    """A population the GeoPackage itself carries (code → population, year), or None."""
    field = _field(gdf, _POPULATION_FIELDS)
    if field is None:
        return None
    year_field = _field(gdf, _POPULATION_YEAR_FIELDS)
    problems: list[str] = []
    values = [_counted(raw, f"{origin}, objekt {i}: fältet {field}", problems)
              for i, raw in enumerate(gdf[field])]
    collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    years = [None if year_field is None else _year(v) for v in
             (gdf[year_field] if year_field else [None] * len(gdf))]
    return pd.DataFrame({"population": values, "population_year": years})


def _count(raw: Any) -> int | None:
    """A count of inhabitants (a whole number, 0 or more) or None for a missing mark."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return None
    value = number(str(raw))
    if value is None:
        return None
    if value < 0 or value != int(value):
        raise ValueError(raw)
    return int(value)


def _counted(raw: Any, where: str, problems: list[str]) -> int | None:
    """``_count`` of ``raw``, or None with a problem naming ``where`` when it is no count."""
    try:
        return _count(raw)
    except ValueError:
        problems.append(f"{where}: {raw!r} är inget antal invånare")
        return None


def _year(raw: Any) -> int | None:
    try:
        value = None if raw is None or (not isinstance(raw, str) and pd.isna(raw)) \
            else number(str(raw))
    except ValueError:
        return None
    return int(value) if value is not None and 1900 <= value <= 2100 else None


def with_population(areas: gpd.GeoDataFrame, population: pd.DataFrame | None, *,
                    own: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """``areas`` with ``population`` and ``population_year``: from ``population`` (indexed by
    code) where given, else the file's ``own`` (row by row), else unknown (None)."""
    out = areas.copy()
    if population is not None:
        joined = population.reindex(out["code"])
        out["population"] = pd.array(joined["population"].to_numpy(), dtype="Int64")
        out["population_year"] = pd.array(joined["population_year"].to_numpy(), dtype="Int64")
    elif own is not None:
        out["population"] = pd.array(own["population"].to_numpy(), dtype="Int64")
        out["population_year"] = pd.array(own["population_year"].to_numpy(), dtype="Int64")
    else:
        out["population"] = pd.array([None] * len(out), dtype="Int64")
        out["population_year"] = pd.array([None] * len(out), dtype="Int64")
    return out


def read_population_csv(path: str | Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """SCB's population per DeSO or RegSO from a statistical-database CSV export, indexed by
    area code: ``population`` (inhabitants) and ``population_year``, the latest year the file
    gives. Raises ``ImportRejected`` naming the file, the row and the column."""
    path = Path(path)
    origin = path.name
    frame = read_table_csv(path, max_bytes=max_bytes)
    region = column(frame, _REGION_COLUMNS)
    if region is None:
        raise ImportRejected(f"{origin}: ingen kolumn med områdeskoden; SCB:s export har "
                             f"kolumnen 'region' (som 2262A0010 Timrå); kolumnerna är "
                             f"{', '.join(frame.columns)}")
    long_value = column(frame, _VALUE_COLUMNS)
    if long_value is None:
        long_value = next((c for c in frame.columns if fold(c).startswith("folkmangd")
                           and not _YEAR_HEADER.search(c)), None)
    year_column = column(frame, _YEAR_COLUMNS)
    problems: list[str] = []
    codes = [_code_of(text) for text in frame[region]]
    for i, (text, code) in enumerate(zip(frame[region], codes, strict=True)):
        if code is None:
            problems.append(f"{origin}, rad {i + 2}: kolumnen {region!r}: {text!r} börjar inte "
                            "med en DeSO-kod (2262A0010) eller RegSO-kod (2262R001)")
    if long_value is not None and year_column is not None:
        rows = pd.DataFrame({"code": codes, "year": frame[year_column],
                             "raw": frame[long_value]})
        value_column = long_value
    else:
        year_columns = {c: int(m.group(1)) for c in frame.columns
                        if c != region and (m := _YEAR_HEADER.search(c.strip()))}
        if not year_columns and long_value is not None:
            raise ImportRejected(f"{origin}: kolumnen {long_value!r} har folkmängden men ingen "
                                 "kolumn säger vilket år ('år')")
        if not year_columns:
            raise ImportRejected(f"{origin}: ingen kolumn med folkmängden; SCB:s export har "
                                 "'Folkmängd' och 'år', eller en kolumn per år ('2023')")
        latest = max(year_columns, key=lambda c: year_columns[c])
        rows = pd.DataFrame({"code": codes, "year": str(year_columns[latest]),
                             "raw": frame[latest]})
        value_column = latest
    values: list[int | None] = []
    years: list[int | None] = []
    for i, (raw, year) in enumerate(zip(rows["raw"], rows["year"], strict=True)):
        values.append(_counted(raw, f"{origin}, rad {i + 2}: kolumnen {value_column!r}",
                               problems))
        parsed = _year(year)
        if parsed is None:
            problems.append(f"{origin}, rad {i + 2}: kolumnen {year_column!r}: {year!r} är "
                            "inget år")
        years.append(parsed)
    collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    rows = rows.assign(population=pd.array(values, dtype="Int64"),
                       population_year=pd.array(years, dtype="Int64"))
    rows = _totals_only(rows, frame, origin)
    latest_year = rows.groupby("code")["population_year"].transform("max")
    rows = rows[rows["population_year"] == latest_year]
    grouped = rows.groupby("code").agg(
        population=("population", lambda s: None if s.isna().any() else int(s.sum())),
        population_year=("population_year", "first"))
    return grouped


def _totals_only(rows: pd.DataFrame, frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """The rows of the totals where the export is broken down by age or sex ("totalt",
    "män och kvinnor"); without such rows the breakdown is summed per code and year."""
    for name in _BREAKDOWN_COLUMNS:
        breakdown = column(frame, (name,))
        if breakdown is None:
            continue
        values = frame[breakdown].str.lower()
        total = values.str.startswith("total") | (values == "män och kvinnor")
        if total.any():
            rows = rows[total.to_numpy()]
            frame = frame[total.to_numpy()]
    duplicated = rows.duplicated(["code", "population_year"], keep=False)
    if duplicated.any():
        rows = rows.groupby(["code", "population_year"], as_index=False).agg(
            population=("population", lambda s: None if s.isna().any() else int(s.sum())))
    return rows


def _code_of(text: str) -> str | None:
    """The DeSO or RegSO code a region text opens with ("2262A0010 Timrå" → "2262A0010")."""
    first = str(text).strip().split(" ", 1)[0].strip()
    return first if area_kind(first) else None
