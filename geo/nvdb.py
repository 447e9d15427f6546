"""Trafikverket's NVDB from Lastkajen: a municipality's roads with speed limits, road numbers and
street names, as risk roads (and its speed cameras, ATK, as points).

The data model, as the public nvdb2osm converter reads it (github.com/atorger/nvdb2osm,
``nvdb2osm.py``, ``tag_translations.py``, ``split_nvdb_data.py``): NVDB is a network of
reference links (``Reflinjetillkomst``), each with an id, and every property is a layer of its
own whose features cover a stretch of one link, given by the link's id and the stretch's start
and end as relative positions (0-1) along the link. The same geometry underlies every layer.
Lastkajen has delivered the layers under two generations of names, both read here (field
names in any case):

* Shape files (the ``NVDB_DK…`` layers until 2021): link ``RLID``, stretch ``STARTAVST`` to
  ``SLUTAVST``; ``NVDB_DKHastighetsgrans``: ``HTHAST`` (km/h); ``NVDB_DKVagnummer``:
  ``HUVUDNR``, ``UNDERNR``, ``EUROPAVÄG``; ``NVDB_DKGatunamn``: ``NAMN``;
  ``NVDB_DKReflinjetillkomst``: the reference geometry.
* GeoPackage (``NVDB-…`` layers since): ``ELEMENT_ID``, ``START_MEASURE``, ``END_MEASURE``;
  ``Hogsta_tillatna_hastighet``; ``Huvudnummer``, ``Undernummer``, ``Europavag`` ("Ja"/"Nej");
  ``Namn``.
* Speed cameras: the ATK layer (``ATKATK_Matplats``), points with ``HTHAST``, ``NAMN`` and
  ``VINKEL`` where given.

A layer is recognised by the end of its name (``…Hastighetsgrans``, ``…Vagnummer``,
``…Gatunamn``, ``…Reflinjetillkomst``, ``…Matplats``) after an ``NVDB``/``ATK`` prefix.

The join follows that model, not geometric overlap: every link is cut at every start and end
that any layer gives on it, each piece takes the speed limit, road number and street name of the
features covering it (by link id and position), neighbouring pieces of one link with the same
values are merged again, and each piece's line is cut from the reference link (or, without the
reference layer, from the speed-limit feature it lies on) with a vectorised substring and the
cut lines of a merged run are joined again. The
network is the links with a speed limit: NVDB sets one on every road open to motor traffic and
none on cycle and foot paths. A piece covered by two speed limits (one per direction) takes the
higher and says so in its note; a speed of 1000 or outside 5-130 km/h (NVDB's "varierande") is
left empty with a note.

Lastkajen's homogenised "Vägdata" product (one layer ``TNE_FT_VAGDATA`` whose fields carry
attribute numbers: ``F_Hogst_225``/``B_Hogst_225`` speed forward/backward, ``Namn_130`` street
name, ``Evag_555`` European road, ``Huvnr_556_1`` road number) is read too: it is already cut
into pieces, so nothing is joined. Its ``Vagnr_10370`` is the road number of the state operating
subsidy (private roads, "Driftbidrag statligt"), not a road number, and is not used.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.clip import area_of, clip_lines
from geo.crs import WORK_CRS
from geo.errors import ImportRejected, collect, problem_count
from geo.geojson import MAX_FEATURES
from geo.io.gpkg import check_gpkg
from geo.io.ogr import read_ogr, zip_members

log = logging.getLogger(__name__)

NVDB_SOURCE = "Trafikverket NVDB via Lastkajen (öppna data, CC0)"
# Layer kinds by the end of the layer's (or Shape file's) name, lower case, letters only.
_KIND_SUFFIXES = (("reflinjetillkomst", "reference"), ("hastighetsgrans", "speed"),
                  ("vagnummer", "number"), ("gatunamn", "street"), ("vagdata", "vagdata"),
                  ("matplats", "cameras"), ("atk", "cameras"))
_PREFIXES = ("nvdb", "tneft", "atk")
_ID = ("rlid", "element_id", "route_id")
_START = ("startavst", "start_measure", "from_measure")
_END = ("slutavst", "end_measure", "to_measure")
_SPEED = ("hthast", "hogsta_tillatna_hastighet", "hogst_225")
_MAIN_NUMBER = ("huvudnr", "huvudnummer", "huvnr_556_1")
_SUB_NUMBER = ("undernr", "undernummer")
_EUROPE = ("europaväg", "europavag", "evag_555")
_NAME = ("namn", "namn_130")
_ANGLE = ("vinkel",)
MIN_SPEED_KMH, MAX_SPEED_KMH = 5, 130  # the risk_roads layer's range
_EPS = 1e-9


def _kind(layer_name: str) -> str | None:
    key = re.sub(r"[^a-zäöå]", "", Path(layer_name).stem.lower())
    key = key.replace("ä", "a").replace("ö", "o").replace("å", "a")
    if not key.startswith(_PREFIXES):
        return None
    for suffix, kind in _KIND_SUFFIXES:
        if key.endswith(suffix):
            return kind
    return None


@contextlib.contextmanager
def _layers(path: Path) -> Iterator[dict[str, tuple[str, str | None, str]]]:
    """kind → (GDAL target, layer name, name shown in messages) of a GeoPackage, a zipped
    GeoPackage or a zip of Shape files; a zipped GeoPackage is unpacked to a temporary folder
    (within the zip limits) so that it can be checked for views and triggers first."""
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        yield _gpkg_layers(path, shown=path.name)
        return
    if suffix != ".zip":
        raise ImportRejected(f"{path.name}: NVDB kommer som en GeoPackage (.gpkg) eller en zip "
                             "med Shape-filer eller en GeoPackage")
    members = zip_members(path)
    gpkgs = [m for m in members if m.filename.lower().endswith(".gpkg")]
    if gpkgs:
        with tempfile.TemporaryDirectory(prefix="trygg-nvdb-") as folder, \
                zipfile.ZipFile(path) as archive:
            target = Path(archive.extract(gpkgs[0], folder))
            yield _gpkg_layers(target, shown=f"{path.name}/{gpkgs[0].filename}")
        return
    names = {m.filename.lower() for m in members}
    found: dict[str, tuple[str, str | None, str]] = {}
    for member in members:
        if not member.filename.lower().endswith(".shp"):
            continue
        kind = _kind(member.filename)
        if kind is None or kind in found:
            continue
        stem = member.filename[:-4].lower()
        lacking = [ext for ext in (".shx", ".dbf", ".prj") if stem + ext not in names]
        if lacking:
            raise ImportRejected(f"{path.name}: {member.filename} saknar sin "
                                 f"{' och '.join(lacking)}-fil")
        found[kind] = (f"/vsizip/{path.resolve()}/{member.filename}", None,
                       f"{path.name}/{member.filename}")
    yield found


def _gpkg_layers(path: Path, *, shown: str) -> dict[str, tuple[str, str | None, str]]:
    import pyogrio  # type: ignore[import-untyped]

    check_gpkg(path)
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ImportRejected(f"{shown}: GeoPackage-filen går inte att läsa ({exc})") from None
    found: dict[str, tuple[str, str | None, str]] = {}
    for name in names:
        kind = _kind(name)
        if kind is not None and kind not in found:
            found[kind] = (str(path), name, f"{shown}, layer {name}")
    return found


def _column(frame: pd.DataFrame, names: tuple[str, ...], *, prefix: str = "") -> str | None:
    lower = {str(c).lower(): str(c) for c in frame.columns}
    for name in names:
        if prefix + name in lower:
            return lower[prefix + name]
    return None


def _read(source: tuple[str, str | None, str], crs: str | None) -> gpd.GeoDataFrame:
    target, layer, shown = source
    gdf = read_ogr(target, origin=shown, layer=layer, max_features=MAX_FEATURES)
    if crs is not None:
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None:
        raise ImportRejected(f"{shown}: anger inget koordinatsystem; NVDB är SWEREF 99 TM (ange "
                             "EPSG:3006)")
    return gdf.to_crs(WORK_CRS) if gdf.crs.to_epsg() != 3006 else gdf


def _numbers(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _texts(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].astype(object).where(frame[column].notna(), None)
    return np.array([v.strip() if isinstance(v, str) and v.strip() else None for v in values],
                    dtype=object)


def _linear(gdf: gpd.GeoDataFrame, shown: str, needed: tuple[tuple[str, tuple[str, ...]], ...],
            problems: list[str]) -> pd.DataFrame | None:
    """A linear-reference layer as (rlid, start, end, geometry) plus its ``needed`` fields."""
    columns = {"rlid": _column(gdf, _ID), "start": _column(gdf, _START),
               "end": _column(gdf, _END)}
    columns.update({key: _column(gdf, names) for key, names in needed})
    missing = [f"{'/'.join(n.upper() for n in names)}" for key, names in
               (("rlid", _ID), ("start", _START), ("end", _END), *needed[:1])
               if columns[key] is None]
    if missing:
        problems.append(f"{shown}: kolumnen {' och '.join(missing)} saknas")
        return None
    frame = pd.DataFrame({"rlid": _texts(gdf, columns["rlid"]),
                          "start": _numbers(gdf, columns["start"]),
                          "end": _numbers(gdf, columns["end"])})
    for key, _ in needed:
        frame[key] = gdf[columns[key]].to_numpy() if columns[key] else None
    frame["geometry"] = _single_lines(np.asarray(gdf.geometry.values))
    bad = np.flatnonzero(frame["rlid"].isna() | ~(frame["start"] >= 0) | ~(frame["end"] <= 1)
                         | ~(frame["start"] < frame["end"]))
    for i in bad[:20]:
        problems.append(f"{shown}, objekt {i}: länken {frame['rlid'].iloc[i]!r} från "
                        f"{frame['start'].iloc[i]} till {frame['end'].iloc[i]} är ingen sträcka "
                        "0 ≤ start < slut ≤ 1 av en länk")
    return frame


def _single_lines(geoms: np.ndarray) -> np.ndarray:
    """Multi-part lines (as Shape files store every line) merged into single lines."""
    geoms = np.asarray(geoms, dtype=object).copy()
    multi = shapely.get_type_id(geoms) == 5
    if multi.any():
        geoms[multi] = shapely.line_merge(geoms[multi])
    return geoms


_EUROPE_YES = frozenset({"ja", "-1", "1", "true", "sant"})


def road_refs(main: Any, sub: Any, europe: Any) -> tuple[np.ndarray, np.ndarray]:
    """Road numbers as Trygg writes them ("E4", "331", "331.1"; None where there is none) and
    their sort order (European roads first, then by number), vectorised. ``europe`` is
    "Ja"/"Nej" in the GeoPackages, -1 (yes) / 0 in the old Shape files."""
    number = pd.to_numeric(pd.Series(main), errors="coerce").to_numpy(dtype=float)
    under = pd.to_numeric(pd.Series(sub), errors="coerce").to_numpy(dtype=float)
    is_europe = pd.Series(europe).astype(str).str.strip().str.lower().isin(_EUROPE_YES) \
        .to_numpy()
    valid = number > 0
    whole = np.where(valid, number, 0).astype(np.int64).astype(str).astype(object)
    tail = np.where(under > 0, under, 0).astype(np.int64).astype(str).astype(object)
    text = np.where(under > 0, whole + "." + tail, whole)
    text = np.where(is_europe, "E" + text, text)
    refs = np.empty(len(text), dtype=object)
    refs[valid] = text[valid]
    order = np.where(is_europe, 0.0, 1e6) + np.where(valid, number, np.inf)
    return refs, order


def _cover(pieces: pd.DataFrame, layer: pd.DataFrame) -> pd.DataFrame:
    """Each piece (pid, rlid, mid) with the index (``fid``) of every layer feature covering it."""
    features = layer[["rlid", "start", "end"]].assign(fid=np.arange(len(layer)))
    joined = pieces[["pid", "rlid", "mid"]].merge(features, on="rlid")
    inside = (joined["start"].to_numpy() < joined["mid"].to_numpy()) \
        & (joined["mid"].to_numpy() < joined["end"].to_numpy())
    return joined.loc[inside, ["pid", "fid"]]


def substrings(lines: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The part of each line between the fractions ``start`` and ``end`` (0-1) of its length,
    vectorised: the interpolated ends and the vertices between them."""
    lines = np.asarray(lines, dtype=object)
    length = shapely.length(lines)
    d0, d1 = start * length, end * length
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(len(coords))
    if len(coords) > 1:
        step[1:] = np.hypot(*np.diff(coords, axis=0).T)
        step[1:][owner[1:] != owner[:-1]] = 0.0
    along = np.cumsum(step)
    first = np.searchsorted(owner, np.arange(len(lines)))
    along -= along[np.minimum(first, max(len(along) - 1, 0))][owner] if len(along) else 0.0
    span = float(length.max()) + 1.0 if len(lines) else 1.0
    key = owner * span + along
    row = np.arange(len(lines))
    lo = np.searchsorted(key, row * span + d0, side="right")
    hi = np.searchsorted(key, row * span + d1, side="left")
    inner = np.maximum(hi - lo, 0)
    counts = inner + 2
    piece = np.repeat(row, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    out = np.empty((counts.sum(), 2))
    heads = shapely.get_coordinates(shapely.line_interpolate_point(lines, d0))
    tails = shapely.get_coordinates(shapely.line_interpolate_point(lines, d1))
    is_head, is_tail = offset == 0, offset == counts[piece] - 1
    out[is_head] = heads
    out[is_tail] = tails
    middle = ~(is_head | is_tail)
    out[middle] = coords[(lo[piece] + offset - 1)[middle]]
    return np.asarray(shapely.linestrings(out, indices=piece), dtype=object)


def _speeds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speed limits in the layer's range and whether a value was NVDB's 'varierande' or odd."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    odd = ~np.isnan(numbers) & ((numbers < MIN_SPEED_KMH) | (numbers > MAX_SPEED_KMH))
    return np.where(odd, np.nan, numbers), odd


def _frame(names: np.ndarray, refs: np.ndarray, speed: np.ndarray, notes: list[str],
           sources: list[str], geoms: np.ndarray) -> gpd.GeoDataFrame:
    name = [n if isinstance(n, str) and n else None for n in names]
    ref = [r if isinstance(r, str) and r else None for r in refs]
    shown = [n or (r if r and r.startswith("E") else f"Väg {r}" if r else "Väg utan namn")
             for n, r in zip(name, ref, strict=True)]
    return gpd.GeoDataFrame({
        "name": shown,
        "road_ref": ref,
        "speed_limit_kmh": pd.array([None if np.isnan(s) else int(s) for s in speed],
                                    dtype="Int64"),
        "risk_categories": [[] for _ in shown],
        "risk_weight": 0.0,
        "highway": None,
        "schematic": False,
        "note": notes,
        "provenance": "real",
        "source": sources,
    }, geometry=gpd.GeoSeries(geoms, crs=WORK_CRS), crs=WORK_CRS)


_LINEAR_FIELDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "speed": (("speed", _SPEED),),
    "number": (("main", _MAIN_NUMBER), ("sub", _SUB_NUMBER), ("europe", _EUROPE)),
    "street": (("name", _NAME),),
    "reference": (),
}


def _linear_layers(sources: dict[str, tuple[str, str | None, str]], crs: str | None,
                   origin: str) -> dict[str, pd.DataFrame]:
    problems: list[str] = []
    layers: dict[str, pd.DataFrame] = {}
    for kind, needed in _LINEAR_FIELDS.items():
        if kind in sources:
            frame = _linear(_read(sources[kind], crs), sources[kind][2], needed, problems)
            if frame is not None:
                layers[kind] = frame
    collect(problems, f"{origin}: {problem_count(len(problems))} i NVDB-lagren, ingenting "
            "importerat", error=ImportRejected)
    return layers


def _elementary(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every link cut at every start and end any layer gives on it: (pid, rlid, a, b, mid)."""
    marks = pd.concat([pd.DataFrame({"rlid": f["rlid"], "m": f[side]})
                       for f in layers.values() for side in ("start", "end")])
    marks = marks.drop_duplicates().sort_values(["rlid", "m"], kind="stable")
    rlid, m = marks["rlid"].to_numpy(), marks["m"].to_numpy()
    same = rlid[1:] == rlid[:-1]
    pieces = pd.DataFrame({"rlid": rlid[:-1][same], "a": m[:-1][same], "b": m[1:][same]})
    pieces = pieces[pieces["b"] - pieces["a"] > _EPS].reset_index(drop=True)
    pieces["pid"] = np.arange(len(pieces))
    pieces["mid"] = (pieces["a"] + pieces["b"]) / 2
    return pieces


def _with_speed(pieces: pd.DataFrame, layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The pieces with a speed limit (the higher of two), and the feature to cut them from."""
    speed = layers["speed"]
    covered = _cover(pieces, speed)
    limits, odd = _speeds(speed["speed"].to_numpy())
    fid = covered["fid"].to_numpy()
    by_piece = covered.assign(speed=limits[fid], odd=odd[fid]).groupby("pid")
    pieces = pieces[pieces["pid"].isin(covered["pid"])].reset_index(drop=True)
    pid = pieces["pid"].to_numpy()
    pieces["speed"] = by_piece["speed"].max().reindex(pid).to_numpy()
    pieces["two_speeds"] = (by_piece["speed"].nunique().reindex(pid) > 1).to_numpy()
    pieces["odd"] = by_piece["odd"].any().reindex(pid).to_numpy(dtype=bool)
    pieces["source_kind"] = "speed"
    pieces["source_fid"] = by_piece["fid"].min().reindex(pid).to_numpy()
    if "reference" in layers:
        ref_cover = _cover(pieces, layers["reference"]).groupby("pid")["fid"].min()
        has = pieces["pid"].isin(ref_cover.index).to_numpy()
        pieces.loc[has, "source_kind"] = "reference"
        pieces.loc[has, "source_fid"] = ref_cover.reindex(pid[has]).to_numpy()
    return pieces


def _with_texts(pieces: pd.DataFrame, layer: pd.DataFrame | None, texts: np.ndarray,
                order: np.ndarray, first: str, every: str, sep: str) -> pd.DataFrame:
    """Each piece's text from the covering features of ``layer`` (the first by ``order``) and,
    where several differ, all of them joined by ``sep``."""
    pieces[first], pieces[every] = None, ""
    if layer is None:
        return pieces
    pid = pieces["pid"].to_numpy()
    hit = _cover(pieces, layer)
    fid = hit["fid"].to_numpy()
    hit = hit.assign(text=texts[fid], order=order[fid]).dropna(subset=["text"])
    hit = hit.sort_values(["pid", "order"], kind="stable").drop_duplicates(["pid", "text"])
    grouped = hit.groupby("pid")["text"]
    pieces[first] = grouped.first().reindex(pid).to_numpy()
    counts = grouped.size()
    several = hit[hit["pid"].isin(counts.index[counts > 1])]
    joined = several.groupby("pid")["text"].agg(sep.join) if len(several) else pd.Series()
    pieces[every] = joined.reindex(pid).fillna("").to_numpy()
    return pieces


_RUN_KEYS = ["rlid", "speed", "two_speeds", "odd", "ref", "refs", "street", "streets"]


def _piece_geometries(pieces: pd.DataFrame, layers: dict[str, pd.DataFrame]) -> np.ndarray:
    """Each piece's line, cut from its source feature (the reference link or speed limit)."""
    geoms = np.empty(len(pieces), dtype=object)
    for kind in ("speed", "reference"):
        rows = np.flatnonzero(pieces["source_kind"].to_numpy() == kind)
        if not len(rows):
            continue
        layer = layers[kind]
        fid = pieces["source_fid"].to_numpy()[rows].astype(int)
        start, end = layer["start"].to_numpy()[fid], layer["end"].to_numpy()[fid]
        a, b = pieces["a"].to_numpy()[rows], pieces["b"].to_numpy()[rows]
        geoms[rows] = substrings(layer["geometry"].to_numpy()[fid], (a - start) / (end - start),
                                 (b - start) / (end - start))
    return geoms


def _runs(pieces: pd.DataFrame, geoms: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Neighbouring pieces of one link with the same values merged, with their lines."""
    same = np.isclose(pieces["a"].to_numpy()[1:], pieces["b"].to_numpy()[:-1])
    for key in _RUN_KEYS:
        values = pieces[key]
        missing = values.isna().to_numpy()
        column = values.astype(object).to_numpy()
        same &= (column[1:] == column[:-1]) | (missing[1:] & missing[:-1])
    touching = np.r_[False, same]
    run = np.cumsum(~touching) - 1
    runs = pieces.assign(run=run).groupby("run").agg(
        **{c: (c, "first") for c in [*_RUN_KEYS, "a"]}, b=("b", "last"))
    sizes = np.bincount(run)
    lines = np.asarray(geoms, dtype=object)[np.r_[0, np.cumsum(sizes)[:-1]]]
    joined = sizes[run] > 1
    if joined.any():
        several = np.flatnonzero(sizes > 1)
        merged = shapely.multilinestrings(geoms[joined], indices=np.searchsorted(several,
                                                                                 run[joined]))
        lines[several] = shapely.line_merge(merged)
    return runs, lines


def _run_notes(runs: pd.DataFrame) -> list[str]:
    """"NVDB-länk RLID a–b" and what the reader should know about the stretch, vectorised."""
    rlid = runs["rlid"].astype(str)
    notes = "NVDB-länk " + rlid + " " + runs["a"].map("{:.4f}".format) + "–" \
        + runs["b"].map("{:.4f}".format)
    extras = [
        (runs["two_speeds"].to_numpy(dtype=bool), pd.Series(
            "; olika hastighetsgräns i riktningarna: den högre visas", index=runs.index)),
        (runs["odd"].to_numpy(dtype=bool), pd.Series("; varierande hastighetsgräns",
                                                     index=runs.index)),
        (runs["refs"].to_numpy(dtype=str) != "", "; vägnummer " + runs["refs"].astype(str)),
        (runs["streets"].to_numpy(dtype=str) != "", "; gatunamn " + runs["streets"].astype(str)),
    ]
    for where, text in extras:
        notes = notes.where(~where, notes + text)
    return notes.tolist()


def _join_links(sources: dict[str, tuple[str, str | None, str]], crs: str | None,
                origin: str) -> gpd.GeoDataFrame:
    layers = _linear_layers(sources, crs, origin)
    pieces = _with_speed(_elementary(layers), layers)
    numbers = layers.get("number")
    refs, order = road_refs(numbers["main"], numbers["sub"], numbers["europe"]) \
        if numbers is not None else (np.array([], dtype=object), np.array([]))
    pieces = _with_texts(pieces, numbers, refs, order, "ref", "refs", ", ")
    streets = layers.get("street")
    names = _texts(streets, "name") if streets is not None else np.array([], dtype=object)
    pieces = _with_texts(pieces, streets, names, np.arange(len(names), dtype=float),
                         "street", "streets", " / ")
    runs, lines = _runs(pieces, _piece_geometries(pieces, layers))
    notes = _run_notes(runs)
    sources_text = (f"{NVDB_SOURCE}; {origin}; RLID " + runs["rlid"].astype(str)).tolist()
    return _frame(runs["street"].to_numpy(), runs["ref"].to_numpy(),
                  runs["speed"].to_numpy(dtype=float), notes, sources_text, lines)


def _vagdata(source: tuple[str, str | None, str], crs: str | None,
             origin: str) -> gpd.GeoDataFrame:
    gdf = _read(source, crs)
    forward = _column(gdf, _SPEED, prefix="f_") or _column(gdf, _SPEED)
    if forward is None:
        raise ImportRejected(f"{source[2]}: kolumnen F_HOGST_225 saknas")
    backward = _column(gdf, _SPEED, prefix="b_")
    f_speed, f_odd = _speeds(gdf[forward].to_numpy())
    b_speed, b_odd = _speeds(gdf[backward].to_numpy()) if backward else (f_speed, f_odd)
    both = np.vstack([f_speed, b_speed])
    speed = np.where(np.isnan(both).all(axis=0), np.nan, np.nanmax(
        np.where(np.isnan(both), -1.0, both), axis=0))
    keep = ~np.isnan(speed) | f_odd | b_odd
    main, europe = _column(gdf, _MAIN_NUMBER), _column(gdf, _EUROPE)
    refs, _ = road_refs(gdf[main].to_numpy() if main else np.full(len(gdf), np.nan),
                        np.full(len(gdf), np.nan),
                        gdf[europe].to_numpy() if europe else np.full(len(gdf), "nej"))
    notes = [("olika hastighetsgräns i riktningarna: den högre visas" if
              not np.isnan(f) and not np.isnan(b) and f != b else
              "varierande hastighetsgräns" if o1 or o2 else "")
             for f, b, o1, o2 in zip(f_speed, b_speed, f_odd, b_odd, strict=True)]
    rows = np.flatnonzero(keep)
    return _frame(_texts(gdf, _column(gdf, _NAME))[rows], refs[rows], speed[rows],
                  [notes[i] for i in rows], [f"{NVDB_SOURCE}; {origin}"] * len(rows),
                  _single_lines(np.asarray(gdf.geometry.values)[rows]))


def read_nvdb(path: str | Path, *, boundary: Any = None,
              crs: str | None = None) -> gpd.GeoDataFrame:
    """NVDB roads of a Lastkajen delivery as the ``risk_roads`` layer, in EPSG:3006.

    ``path`` is a GeoPackage, a zipped GeoPackage or a zip of Shape files with the layers named
    in the module's docstring (``NVDB_DKHastighetsgrans``, ``NVDB_DKVagnummer``,
    ``NVDB_DKGatunamn``, ``NVDB_DKReflinjetillkomst`` or their GeoPackage names), or the
    homogenised ``TNE_FT_VAGDATA``. ``boundary`` (a GeoDataFrame/GeoSeries with a CRS, or a
    shapely geometry in EPSG:3006) clips the roads to the municipality; ``crs`` overrides the
    files' CRS. Every road has provenance "real", risk weight 0 and no risk categories (the
    police events give those), its street name (else its road number, else "Väg utan namn"),
    the road number, the speed limit, and a note naming the NVDB link and stretch. Raises
    ``ImportRejected`` naming the file, layer and field for anything missing or malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(f"{path}: filen finns inte")
    with _layers(path) as sources:
        if "speed" in sources:
            roads = _join_links(sources, crs, path.name)
        elif "vagdata" in sources:
            roads = _vagdata(sources["vagdata"], crs, path.name)
        else:
            found = ", ".join(sorted(sources)) or "none"
            raise ImportRejected(f"{path.name}: har inget NVDB-lager med hastighetsgränser "
                                 "(NVDB_DKHastighetsgrans eller NVDB-Hastighetsgrans) och ingen "
                                 f"TNE_FT_VAGDATA; NVDB-lager i filen: {found}")
    roads = clip_lines(roads, boundary).reset_index(drop=True)
    if roads.empty:
        raise ImportRejected(f"{path.name}: ingen NVDB-väg med hastighetsgräns ligger inom "
                             "kommunen; kontrollera att filen täcker kommunen")
    log.info("NVDB %s: %s road pieces", path.name, f"{len(roads):,}")
    return roads


def read_street_names(path: str | Path, *, crs: str | None = None) -> gpd.GeoDataFrame | None:
    """The street-name layer (``NVDB_DKGatunamn`` / ``NVDB-Gatunamn``) of an NVDB delivery as
    read, or None if it has none (``geo.gazetteer_sources.streets_from_nvdb`` makes the
    gazetteer's streets of it)."""
    with _layers(Path(path)) as sources:
        return _read(sources["street"], crs) if "street" in sources else None


def read_speed_cameras(path: str | Path, *, boundary: Any = None,
                       crs: str | None = None) -> gpd.GeoDataFrame | None:
    """The speed cameras (ATK measuring places) of an NVDB delivery, or None if it has none:
    points in EPSG:3006 with ``name``, ``speed_limit_kmh``, ``bearing_deg`` (NVDB's VINKEL),
    provenance "real" and the source, clipped to ``boundary`` like ``read_nvdb``."""
    path = Path(path)
    with _layers(path) as sources:
        if "cameras" not in sources:
            return None
        gdf = _read(sources["cameras"], crs)
    speed, _ = _speeds(_numbers(gdf, _column(gdf, _SPEED)))
    points = gpd.GeoDataFrame({
        "name": _texts(gdf, _column(gdf, _NAME)),
        "speed_limit_kmh": pd.array([None if np.isnan(s) else int(s) for s in speed],
                                    dtype="Int64"),
        "bearing_deg": _numbers(gdf, _column(gdf, _ANGLE)),
        "provenance": "real",
        "source": f"{NVDB_SOURCE}; {path.name}; ATK mätplats",
    }, geometry=np.asarray(gdf.geometry.values), crs=WORK_CRS)
    if boundary is not None:
        points = points[shapely.intersects(np.asarray(points.geometry.values),
                                           area_of(boundary))]
    return points.reset_index(drop=True)
