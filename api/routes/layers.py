"""``/api/layers``: every layer as GeoJSON (RFC 7946, WGS84), with create, read, update, delete
and file import. Reading follows ``api.permissions``; sensitive records stay on the server for
the council and the public."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import shapely
from fastapi import (
    APIRouter, Body, Depends, File, Form, Header, HTTPException, Query, Request, UploadFile,
)
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import current_user, get_settings, get_store, role_of
from api.permissions import may_read, may_write, sees_sensitive, without_sensitive
from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import ImportRejected, NotFound
from geo.geojson import feature_collection, frame_from_geojson, single_feature
from geo.layers import LAYERS, PROVENANCE_SV, SYSTEM_COLUMNS, layer_spec
from geo.privacy import scrub_frame
from store import Store
from store.accounts import User
from store.imports import import_layer_file
from trygg.settings import Settings

router = APIRouter(prefix="/api/layers", tags=["lager"])
GEOJSON = "application/geo+json"
LayerName = Annotated[str, Field(pattern="^[a-z_]+$")]


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


def _readable(layer: str, user: User | None) -> None:
    layer_spec(layer)  # 404 for unknown layers
    role = role_of(user)
    if not may_read(role, layer):
        raise HTTPException(401 if user is None else 403,
                            f"{'log in to read' if user is None else 'your role may not read'} "
                            f"layer {layer!r}")


def _writable(layer: str, user: User | None) -> User:
    layer_spec(layer)
    if user is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    if not may_write(user.role, layer):
        raise HTTPException(403, f"role {user.role!r} may not change layer {layer!r}")
    return user


def _visible(layer: str, gdf: gpd.GeoDataFrame, user: User | None) -> gpd.GeoDataFrame:
    gdf = gdf if sees_sensitive(role_of(user)) else without_sensitive(layer, gdf)
    return gdf if role_of(user) == "admin" else scrub_frame(layer, gdf)  # free text: admin only


def _anonymous_allowed(user: User | None, settings: Settings) -> None:
    if user is None and not settings.demo:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})


def _provenance_counts(gdf: gpd.GeoDataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in gdf["provenance"].value_counts().items()} \
        if len(gdf) else {}


@router.get("", summary="Lista lagren", response_model=list[LayerInfo])
def list_layers(user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> list[LayerInfo]:
    """Every layer the caller may read, with its count and provenance."""
    _anonymous_allowed(user, settings)
    out = []
    for name, spec in LAYERS.items():
        if not may_read(role_of(user), name):
            continue
        gdf = _visible(name, store.read(name), user)
        out.append(LayerInfo(
            name=name, title=spec.title_sv, geometry_types=list(spec.geometry_types),
            count=len(gdf), provenance=_provenance_counts(gdf),
            writable=may_write(role_of(user), name),
            fields=[{"name": f.name, "kind": f.kind, "label": f.label_sv, "required": f.required,
                     "choices": list(f.choices) if f.choices else None} for f in spec.fields],
        ))
    return out


@router.get("/{layer}", summary="Hämta ett lager som GeoJSON",
            responses={200: {"content": {GEOJSON: {}}}})
def read_layer(layer: LayerName, request: Request,
               bbox: Annotated[str | None, Query(
                   description="minlon,minlat,maxlon,maxlat (WGS84)",
                   pattern=r"^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$")] = None,
               user: User | None = Depends(current_user),
               settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> Response:
    """The layer's features the caller may see, as an RFC 7946 FeatureCollection."""
    _anonymous_allowed(user, settings)
    _readable(layer, user)
    window = None
    if bbox:
        minx, miny, maxx, maxy = (float(v) for v in bbox.split(","))
        if minx > maxx or miny > maxy:
            raise ImportRejected(f"bbox {bbox!r}: min must not exceed max")
        window = tuple(gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=WEB_CRS)
                       .to_crs(WORK_CRS).total_bounds)
    sees_all = sees_sensitive(role_of(user))
    is_admin = role_of(user) == "admin"

    def render() -> str:
        gdf = store.read(layer, bbox=window)
        gdf = gdf if sees_all else without_sensitive(layer, gdf)
        gdf = gdf if is_admin else scrub_frame(layer, gdf)  # free text: admin only
        counts = _provenance_counts(gdf)
        members = {"name": layer, "title": LAYERS[layer].title_sv, "provenance": counts,
                   "provenance_sv": {k: PROVENANCE_SV[k] for k in counts}}
        return feature_collection(gdf, members=members)

    key = ("layer", layer, store.generation(layer), sees_all, is_admin, window)
    return Response(request.app.state.cache.get_or_make(key, render), media_type=GEOJSON)


def _features_in(body: Any, layer: str) -> gpd.GeoDataFrame:
    gdf = frame_from_geojson(body, origin="request body", crs=WEB_CRS)
    drop = [c for c in SYSTEM_COLUMNS if c in gdf.columns]
    return gdf.drop(columns=drop)


@router.post("/{layer}", summary="Lägg till objekt (GeoJSON, WGS84)", status_code=201,
             response_model=WriteResult)
def create_features(layer: LayerName,
                    body: Annotated[dict[str, Any], Body(
                        description="A GeoJSON Feature or FeatureCollection in WGS84")],
                    user: User | None = Depends(current_user),
                    store: Store = Depends(get_store)) -> WriteResult:
    """Add features; all of them or none (422 names every problem)."""
    _writable(layer, user)
    ids = store.insert(layer, _features_in(body, layer), origin="request body",
                       source=f"Inlagd av {user.name}" if user else None)
    return WriteResult(ids=ids, count=len(ids))


@router.post("/{layer}/import", summary="Importera en fil", response_model=ImportOut)
def import_file(layer: LayerName, file: UploadFile = File(...),
                crs: Annotated[str | None, Form(pattern=r"^EPSG:\d{4,6}$")] = None,
                provenance: Annotated[str | None, Form()] = None,
                replace: Annotated[bool, Form()] = False,
                user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> ImportOut:
    """Import a GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV or OSM file; all or nothing."""
    _writable(layer, user)
    name = Path(file.filename or "upload").name
    limit = int(settings.max_upload_mb * 1_000_000)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        size = 0
        with target.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ImportRejected(f"{name}: larger than the {settings.max_upload_mb:g} MB "
                                         "an upload may be")
                out.write(chunk)
        result = import_layer_file(store, layer, target, crs=crs, provenance=provenance,
                                   replace=replace)
    return ImportOut(**result.__dict__)


@router.get("/{layer}/{feature_id}", summary="Hämta ett objekt",
            responses={200: {"content": {GEOJSON: {}}}})
def read_feature(layer: LayerName, feature_id: int,
                 user: User | None = Depends(current_user),
                 settings: Settings = Depends(get_settings),
                 store: Store = Depends(get_store)) -> Response:
    _anonymous_allowed(user, settings)
    _readable(layer, user)
    gdf = _visible(layer, store.get(layer, feature_id), user)
    if gdf.empty:
        raise NotFound(f"{layer} {feature_id} does not exist")
    return Response(single_feature(gdf), media_type=GEOJSON)


@router.patch("/{layer}/{feature_id}", summary="Ändra ett objekt",
              responses={200: {"content": {GEOJSON: {}}}})
def update_feature(layer: LayerName, feature_id: int,
                   body: Annotated[dict[str, Any], Body(
                       description="A GeoJSON Feature with the properties (and optionally the "
                                   "geometry, WGS84) to change; 'version' makes it conditional")],
                   if_match: Annotated[str | None, Header()] = None,
                   user: User | None = Depends(current_user),
                   store: Store = Depends(get_store)) -> Response:
    """Change some properties and/or the geometry. Send the version you read (``If-Match`` or
    ``properties.version``) and a concurrent change gives 409 instead of being overwritten."""
    _writable(layer, user)
    props = dict(body.get("properties") or {})
    version = props.pop("version", None)
    if if_match:
        version = if_match.strip('"W/')
    for column in SYSTEM_COLUMNS:
        props.pop(column, None)
    geometry = None
    if body.get("geometry"):
        try:
            geometry = shapely.geometry.shape(body["geometry"])
        except Exception as exc:
            raise ImportRejected(f"request body: field 'geometry': malformed ({exc})") from None
    try:
        expected = int(version) if version is not None else None
    except (TypeError, ValueError):
        raise ImportRejected(f"version {version!r} is not a whole number") from None
    gdf = store.update(layer, feature_id, props, geometry=geometry, geometry_crs=WEB_CRS,
                       expected_version=expected)
    return Response(single_feature(gdf), media_type=GEOJSON)


@router.delete("/{layer}/{feature_id}", summary="Ta bort ett objekt", status_code=204)
def delete_feature(layer: LayerName, feature_id: int,
                   user: User | None = Depends(current_user),
                   store: Store = Depends(get_store)) -> Response:
    _writable(layer, user)
    store.delete(layer, feature_id)
    return Response(status_code=204)
