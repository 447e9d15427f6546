"""``/api/layers``: every layer as GeoJSON (RFC 7946, WGS84), with create, read, update, delete
and file import. Reading follows ``services.access``; sensitive records and planned traffic checks
stay on the server for the council and the public.

Every answer goes through the viewer filter (``services.access.fit_frame``), writes included:
a write to a record the caller may not read answers 404 exactly as a read would, before any
version check, and what a write returns is filtered and scrubbed like a read. ``provenance`` and
``source`` are set by the server: the values a client sends are ignored (like ``id`` and
``version``); records entered through the API are first-hand, provenance ``real``, source
"Inlagd av <account>"."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import geopandas as gpd
import shapely
from fastapi import (
    APIRouter, Body, Depends, File, Form, Header, HTTPException, Query, Request, UploadFile,
)
from fastapi.responses import Response
from pydantic import BaseModel

from api.access import LayerName, layer_reader, layer_writer, require
from api.deps import RecordId, get_settings, get_store
from api.paging import (
    MAX_LIMIT, entity_tag, next_offset, not_modified, not_modified_response, page_url,
    prev_offset, viewer_class,
)
from api.limits import safe_upload_name
from api.responses import download
from geo.crs import WEB_CRS, bbox_window
from geo.errors import Conflict, ImportRejected, NotFound
from geo.geojson import feature_collection, frame_from_geojson, single_feature
from geo.layers import (
    LAYERS, SENSITIVE_CATEGORIES, SYSTEM_COLUMNS, coerce_record, layer_spec,
)
from geo.vocabulary import PROVENANCE_SV
from services import catalogue, exports
from services.access import (
    Viewer, fit_frame, may_write, sees_raw_text, sees_sensitive,
)
from services.imports import API_PROVENANCE, import_upload
from store import Store
from store.accounts import User
from trygg.settings import Settings

router = APIRouter(prefix="/api/layers", tags=["lager"])
GEOJSON = "application/geo+json"
# Set by the server on every API write; what a client sends for them is ignored.
SERVER_SET = ("provenance", "source")
# Layers with records some readers may not see (``geo.privacy.without_sensitive``).
HIDDEN_LAYERS = frozenset({"unsafe_places", "events", "traffic_checks"})
T = TypeVar("T")


class LayerInfo(BaseModel):
    name: str
    title: str
    geometry_types: list[str]
    count: int
    provenance: dict[str, int]
    writable: bool
    fields: list[dict[str, Any]]


class WriteResult(BaseModel):
    ids: list[int]
    count: int


class ImportOut(BaseModel):
    layer: str
    file: str
    inserted: int
    updated: int
    replaced: bool


def _not_found(layer: str, feature_id: int) -> NotFound:
    return NotFound(f"{layer} {feature_id} does not exist")


def _readable_record(layer: str, feature_id: int, role: str | None,
                     store: Store) -> gpd.GeoDataFrame:
    """The stored record if the caller may read it; else the very 404 a read gives (so a write
    cannot tell a hidden record from a missing one)."""
    try:
        current = store.get(layer, feature_id)
    except NotFound:
        raise _not_found(layer, feature_id) from None
    if fit_frame(layer, current, role).empty:
        raise _not_found(layer, feature_id)
    return current


def _check_sensitivity_change(layer: str, feature_id: int, props: dict[str, Any],
                              current: gpd.GeoDataFrame, user: User) -> None:
    """Only roles that read sensitive records may make a record sensitive (its category or its
    flag): anyone else would hide it from themselves (403)."""
    if layer != "unsafe_places" or sees_sensitive(user.role):
        return
    given: dict[str, Any] = {k: props[k] for k in ("category", "sensitive") if k in props}
    coerced, problems = coerce_record(layer_spec(layer), given, where=f"{layer} {feature_id}",
                                      partial=True)
    if problems:
        return  # store.update names them (422)
    was = bool(current["sensitive"].fillna(False).iloc[0])
    if coerced.get("category") in SENSITIVE_CATEGORIES or (
            "sensitive" in coerced and bool(coerced["sensitive"]) != was):
        raise HTTPException(403, f"rollen {user.role!r} får inte göra en plats känslig "
                                 "(kategori eller flaggan sensitive)")


def _provenance_counts(gdf: gpd.GeoDataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in gdf["provenance"].value_counts().items()} \
        if len(gdf) else {}


@router.get("", summary="Lista lagren", response_model=list[LayerInfo])
def list_layers(viewer: Viewer = Depends(require("browse")),
                store: Store = Depends(get_store)) -> list[LayerInfo]:
    """Every layer the caller may read, with its count and provenance."""
    out = []
    for name, counted in catalogue.layer_counts(store, viewer).items():
        spec = LAYERS[name]
        out.append(LayerInfo(
            name=name, title=spec.title_sv, geometry_types=list(spec.geometry_types),
            count=counted.count, provenance=counted.provenance,
            writable=may_write(viewer, name),
            fields=[{"name": f.name, "kind": f.kind, "label": f.label_sv, "required": f.required,
                     "choices": list(f.choices) if f.choices else None} for f in spec.fields],
        ))
    return out


@router.get("/{layer}", summary="Hämta ett lager som GeoJSON",
            responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "Oförändrat"}})
def read_layer(layer: LayerName, request: Request,
               bbox: Annotated[str | None, Query(
                   description="minlon,minlat,maxlon,maxlat (WGS84)",
                   pattern=r"^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$")] = None,
               limit: Annotated[int | None, Query(
                   ge=1, le=MAX_LIMIT, description="Högst så många objekt per sida (utan: "
                                                   "alla)")] = None,
               offset: Annotated[int, Query(ge=0, description="Hoppa över så många")] = 0,
               viewer: Viewer = Depends(layer_reader),
               store: Store = Depends(get_store)) -> Response:
    """The layer's features the caller may see, as an RFC 7946 FeatureCollection.

    With ``limit`` (and ``offset``) one page in id order, paged in SQL, with
    ``numberMatched``/``numberReturned`` and a ``Link: <...>; rel="next"`` header while more
    follow; without, every feature as before. The ``ETag`` names the layer's generation, the
    viewer class and the query: ``If-None-Match`` with it answers 304."""
    window = bbox_window(bbox)  # clipped to EPSG:3006's area, widened to a 1 km grid
    sees_all = viewer.sees_sensitive
    paged = limit is not None or offset > 0

    def render() -> str:
        if paged:
            page, matched = store.read_page(layer, limit=limit, offset=offset, bbox=window,
                                            hide_sensitive=not sees_all,
                                            kommuner=viewer.kommuner)
            gdf = fit_frame(layer, page, viewer)
        else:
            gdf = fit_frame(layer, store.read(layer, bbox=window), viewer)
            matched = len(gdf)
        counts = _provenance_counts(gdf)
        members: dict[str, Any] = {"name": layer, "title": LAYERS[layer].title_sv,
                                   "provenance": counts,
                                   "provenance_sv": {k: PROVENANCE_SV[k] for k in counts}}
        if paged:
            members.update(numberMatched=matched, numberReturned=len(gdf), offset=offset,
                           limit=limit)
        return f"{matched}\n" + feature_collection(gdf, members=members)

    key = ("layer", layer, store.generation(layer), viewer_class(viewer.role, viewer.kommuner),
           window, limit, offset)
    tag = entity_tag(*key)
    if not_modified(request, tag):
        return not_modified_response(tag)
    count, _, body = request.app.state.cache.get_or_make(key, render).partition("\n")
    headers = {"ETag": tag}
    links = []
    if limit is not None:
        following = next_offset(offset=offset, limit=limit, matched=int(count))
        if following is not None:
            links.append(f'<{page_url(request, offset=following, limit=limit)}>; rel="next"')
    before = prev_offset(offset=offset, limit=limit or offset)
    if before is not None:
        links.append(f'<{page_url(request, offset=before, limit=limit)}>; rel="prev"')
    if links:
        headers["Link"] = ", ".join(links)
    return Response(body, media_type=GEOJSON, headers=headers)


def _features_in(body: Any, layer: str) -> gpd.GeoDataFrame:
    gdf = frame_from_geojson(body, origin="request body", crs=WEB_CRS)
    drop = [c for c in (*SYSTEM_COLUMNS, *SERVER_SET) if c in gdf.columns]
    return gdf.drop(columns=drop)


@router.post("/{layer}", summary="Lägg till objekt (GeoJSON, WGS84)", status_code=201,
             response_model=WriteResult)
def create_features(layer: LayerName,
                    body: Annotated[dict[str, Any], Body(
                        description="A GeoJSON Feature or FeatureCollection in WGS84")],
                    writer: User = Depends(layer_writer),
                    store: Store = Depends(get_store)) -> WriteResult:
    """Add features; all of them or none (422 names every problem). ``provenance`` and
    ``source`` are the server's: real, entered by the signed-in account."""
    ids = store.insert(layer, _features_in(body, layer), origin="request body",
                       provenance=API_PROVENANCE, source=f"Inlagd av {writer.name}", actor=writer)
    return WriteResult(ids=ids, count=len(ids))


@router.post("/{layer}/import", summary="Importera en fil", response_model=ImportOut)
def import_file(layer: LayerName, file: UploadFile = File(...),
                crs: Annotated[str | None, Form(pattern=r"^EPSG:\d{4,6}$")] = None,
                provenance: Annotated[str | None, Form()] = None,
                replace: Annotated[bool, Form()] = False,
                writer: User = Depends(layer_writer),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> ImportOut:
    """Import a GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV or OSM file; all or nothing.

    Only admin may state the provenance (the form field, or the file's own provenance and source
    columns); for anyone else the server sets them: real, imported by the signed-in account.
    Replacing a layer that holds records hidden from the caller needs a role that reads them."""
    admin = sees_raw_text(writer.role)
    if provenance is not None and not admin:
        raise HTTPException(403, f"rollen {writer.role!r} får inte ange ursprung (provenance); "
                                 "servern sätter det")
    if replace and layer in HIDDEN_LAYERS and not sees_sensitive(writer.role):
        raise HTTPException(403, f"rollen {writer.role!r} får inte ersätta lagret {layer!r}: "
                                 "det har objekt som rollen inte kan läsa")
    name = safe_upload_name(file.filename)  # 422 for "..", paths, 300 characters
    limit = int(settings.max_upload_mb * 1_000_000)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        size = 0
        with target.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ImportRejected(f"{name}: större än de {settings.max_upload_mb:g} MB "
                                         "en uppladdning får vara; dela upp filen eller "
                                         "importera den med trygg import")
                out.write(chunk)
        result = import_upload(store, layer, target, writer=writer, crs=crs,
                               provenance=provenance, replace=replace, states_origin=admin)
    return ImportOut(**result.__dict__)


ExportFormat = Literal["geojson", "gpkg", "csv", "xlsx", "gpx"]
CsvDialect = Literal["excel", "rfc4180"]


@router.get("/{layer}/export", summary="Exportera ett lager som fil",
            responses={200: {"content": {media.split(";")[0]: {}
                                         for media in exports.EXPORT_MEDIA.values()}}})
def export_layer(layer: LayerName,
                 fmt: Annotated[ExportFormat, Query(
                     alias="format", description="geojson (WGS84), gpkg (EPSG:3006, QGIS-stil), "
                     "csv, xlsx (Excel, svensk tid) eller gpx (punkter)")] = "geojson",
                 dialect: Annotated[CsvDialect, Query(
                     description="CSV: excel (svenska Excel: BOM, semikolon, decimalkomma, svensk "
                                 "tid) eller rfc4180 (UTF-8, komma, UTC)")] = "excel",
                 crs: Annotated[str | None, Query(
                     max_length=40, description="gpkg, csv och xlsx i detta koordinatsystem: "
                     "EPSG:4326, EPSG:3006 eller en lokal SWEREF 99-zon, t.ex. EPSG:3014 "
                     "(geojson och gpx är alltid WGS84)")] = None,
                 viewer: Viewer = Depends(layer_reader),
                 store: Store = Depends(get_store)) -> Response:
    """The layer as a file, holding what a read of the layer answers the caller."""
    content = exports.layer_file(store, viewer, layer, fmt, csv_dialect=dialect, crs=crs)
    return download(content, f"{layer}.{fmt}", fmt)


@router.get("/{layer}/{feature_id}", summary="Hämta ett objekt",
            responses={200: {"content": {GEOJSON: {}}}})
def read_feature(layer: LayerName, feature_id: RecordId,
                 viewer: Viewer = Depends(layer_reader),
                 store: Store = Depends(get_store)) -> Response:
    gdf = fit_frame(layer, _readable_record(layer, feature_id, viewer.role, store), viewer)
    return Response(single_feature(gdf), media_type=GEOJSON)


@router.patch("/{layer}/{feature_id}", summary="Ändra ett objekt",
              responses={200: {"content": {GEOJSON: {}}}})
def update_feature(layer: LayerName, feature_id: RecordId,
                   body: Annotated[dict[str, Any], Body(
                       description="A GeoJSON Feature with the properties (and optionally the "
                                   "geometry, WGS84) to change; 'version' makes it conditional")],
                   if_match: Annotated[str | None, Header()] = None,
                   writer: User = Depends(layer_writer),
                   store: Store = Depends(get_store)) -> Response:
    """Change some properties and/or the geometry. Send the version you read (``If-Match`` or
    ``properties.version``) and a concurrent change gives 409 instead of being overwritten.
    A record the caller may not read answers 404 as a read would, whatever the version; the
    answer is the record as the caller may read it (free text scrubbed but for admin)."""
    current = _readable_record(layer, feature_id, writer.role, store)
    props = dict(body.get("properties") or {})
    version = props.pop("version", None)
    for column in (*SYSTEM_COLUMNS, *SERVER_SET):
        props.pop(column, None)
    _check_sensitivity_change(layer, feature_id, props, current, writer)
    geometry = None
    if body.get("geometry"):
        try:
            geometry = shapely.geometry.shape(body["geometry"])
        except Exception as exc:
            raise ImportRejected(f"geometry: går inte att läsa som GeoJSON-geometri ({exc}); "
                                 "skicka t.ex. {\"type\": \"Point\", \"coordinates\": "
                                 "[17.32, 62.49]}") from None
    expected = _version_asked(if_match, version)
    gdf = fit_frame(layer, _update_checked(layer, feature_id, props, current, writer, store,
                                          geometry=geometry, expected=expected), writer.role)
    if gdf.empty:  # cannot happen with the checks above; never hand out what a read hides
        raise _not_found(layer, feature_id)
    return Response(single_feature(gdf), media_type=GEOJSON)


def _version_asked(if_match: str | None, version: Any = None) -> int | None:
    """The version a conditional write names (``If-Match`` wins over the body's); 422 if it is
    not a whole number."""
    if if_match:
        version = if_match.strip('"W/')
    try:
        return int(version) if version is not None else None
    except (TypeError, ValueError):
        raise ImportRejected(f"version: {str(version)[:20]!r} är inget heltal; ange versionen "
                             "du läste (If-Match eller properties.version)") from None


def _pinned(layer: str, feature_id: int, current: gpd.GeoDataFrame, writer: User,
            store: Store, *, expected: int | None, write: Callable[[int | None], T],
            recheck: Callable[[gpd.GeoDataFrame], None] = lambda current: None) -> T:
    """``write(version)`` of a record whose visibility was checked on ``current``. For a role
    that does not read every record of the layer the write is pinned to the version checked,
    so a record hidden meanwhile (made sensitive by someone else) is never written or deleted:
    the check is repeated and answers 404 then. A conflict with the caller's own version
    (``If-Match``) stays a 409."""
    pinned = layer in HIDDEN_LAYERS and not sees_sensitive(writer.role)
    for attempt in range(3):
        pin = expected if expected is not None or not pinned else int(current["version"].iloc[0])
        try:
            return write(pin)
        except Conflict:
            current = _readable_record(layer, feature_id, writer.role, store)  # 404 if hidden now
            if expected is not None or attempt == 2:
                raise
            recheck(current)
    raise AssertionError("unreachable")  # pragma: no cover


def _update_checked(layer: str, feature_id: int, props: dict[str, Any],
                    current: gpd.GeoDataFrame, writer: User, store: Store, *,
                    geometry: shapely.Geometry | None, expected: int | None
                    ) -> gpd.GeoDataFrame:
    """``store.update`` through ``_pinned``, the sensitivity rule checked again on a retry."""
    return _pinned(
        layer, feature_id, current, writer, store, expected=expected,
        write=lambda pin: store.update(layer, feature_id, props, actor=writer,
                                       geometry=geometry, geometry_crs=WEB_CRS,
                                       expected_version=pin),
        recheck=lambda now: _check_sensitivity_change(layer, feature_id, props, now, writer))


@router.delete("/{layer}/{feature_id}", summary="Ta bort ett objekt", status_code=204)
def delete_feature(layer: LayerName, feature_id: RecordId,
                   if_match: Annotated[str | None, Header()] = None,
                   writer: User = Depends(layer_writer),
                   store: Store = Depends(get_store)) -> Response:
    """Delete one record; one the caller may not read answers 404 as a read would, whatever
    the version. Send the version you read (``If-Match``) and a concurrent change gives 409
    with the current version instead of deleting what you have not seen."""
    current = _readable_record(layer, feature_id, writer.role, store)
    expected = _version_asked(if_match)
    _pinned(layer, feature_id, current, writer, store, expected=expected,
            write=lambda pin: store.delete(layer, feature_id, expected_version=pin,
                                           actor=writer))
    return Response(status_code=204)
