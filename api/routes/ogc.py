"""``/ogc``: the layers as OGC API – Features (Part 1 Core with GeoJSON, OpenAPI 3.0, and Part 2
CRS by reference), for QGIS, ArcGIS and GDAL.

Access is the rest of the API's: a Bearer token or a session, anonymous reading only in demo
mode; a role sees only the collections it may read (``services.access.may_read``) and every
record goes through ``services.access.fit_frame``. Paging happens in SQL
(``Store.read_page``) with the records the viewer may not see left out there as well, so
``numberMatched`` and the pages count only what the viewer sees.

Coordinates are in the axis order of the CRS asked for (Part 2): longitude, latitude for CRS84
(the default), latitude, longitude for EPSG:4326 and northing, easting for SWEREF 99 TM
(EPSG:3006) and its local zones (EPSG:3007–3018). ``bbox`` is CRS84 unless ``bbox-crs`` names
another; records whose stored EPSG:3006 bounding box meets the box's are returned. ``datetime``
filters on the layer's main time field (``TIME_FIELDS``); a time without an offset is Swedish
local time and a bare date stands for that whole day.

Errors keep the app's one shape, ``{"error": ..., "code": ..., "details": [...]}``; an invalid or
unknown query parameter is a 400 as OGC API – Features asks (not the app's usual 422).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from api.access import refuse, viewer_of
from api.deps import RecordId, current_user, get_settings, get_store, role_of
from api.errors import error_body, invalid_request_message, request_problems_sv
from api.paging import (
    MAX_LIMIT, entity_tag, next_offset, not_modified, not_modified_response, page_url,
    prev_offset, viewer_class,
)
from services.access import (
    Viewer, fit_frame, layer_refusal, may_read, refusal, sees_sensitive,
)
from geo.crs import AREA_OF_USE_3006_WGS84, NOWHERE_3006, WORK_CRS
from geo.errors import NotFound
from geo.geojson import json_value
from geo.layers import LAYERS, layer_spec, parse_datetime
from store import Store
from store.queries import TimeWindow
from store.accounts import User
from trygg.settings import Settings

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 100

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
# SWEREF 99 TM, SWEREF 99 12 00 ... 23 15 (the local zones; 3014 = 17 15, Timrå's), WGS84.
EPSG_CODES = (3006, *range(3007, 3019), 4326)
STORAGE_CRS = EPSG_URI.format(3006)
SUPPORTED_CRS = (CRS84, *(EPSG_URI.format(code) for code in EPSG_CODES))

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
)
# Each layer's main time field, the one ``datetime`` filters on (geo/layers.py).
TIME_FIELDS: dict[str, str] = {
    "unsafe_places": "reported_at",
    "patrols": "start",
    "traffic_checks": "start",
    "events": "time",
    "activities": "date",
    "promise_actions": "due",
    "follow_up_reports": "period_from",
}
ITEM_PARAMS = frozenset({"f", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


class OgcRoute(APIRoute):
    """A route whose invalid query parameters answer 400 (OGC API – Features), not 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                details = request_problems_sv(exc.errors())
                return JSONResponse(error_body(invalid_request_message(details), details,
                                               code="invalid_request"), status_code=400)

        return route


router = APIRouter(prefix="/ogc", tags=["ogc"], route_class=OgcRoute)

Format = Annotated[str | None, Query(description="Svarsformat: json (html finns inte)",
                                     pattern="^(json|geojson)$")]
LayerPath = Annotated[str, Path(pattern="^[a-z_]+$", description="Lagrets namn")]


# --- access -----------------------------------------------------------------------------------

def _reader(user: User | None, settings: Settings) -> str | None:
    """The caller's role; anonymous callers only in demo mode (401 otherwise)."""
    refused = refusal(viewer_of(user, settings), "browse")
    if refused is not None:
        refuse(refused)
    return role_of(user)


def _collection_readable(layer: str, role: str | None, user: User | None) -> None:
    layer_spec(layer)  # 404 for unknown layers
    refused = layer_refusal(Viewer(role, demo=True), layer)  # _reader has checked demo mode
    if refused is not None:
        refuse(refused)


# --- coordinate reference systems ---------------------------------------------------------------

@functools.cache
def _crs(uri: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input("OGC:CRS84" if uri == CRS84 else
                                      "EPSG:" + uri.rsplit("/", 1)[-1])


@functools.cache
def _north_first(uri: str) -> bool:
    """Whether the CRS's first axis is northing or latitude (EPSG:4326, 3006, 3007–3018)."""
    return _crs(uri).axis_info[0].direction.lower() in ("north", "south")


@functools.cache
def _transformer(source: str, target: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _crs_param(value: str | None, name: str) -> str:
    """A supported CRS URI (CRS84 for none); 400 for any other."""
    if value is None or value == "":
        return CRS84
    uri = value.strip().strip("[]")
    if uri.startswith("EPSG:"):  # the short form, as a courtesy
        uri = EPSG_URI.format(uri[5:])
    if uri not in SUPPORTED_CRS:
        raise HTTPException(400, f"{name} {value[:100]!r} is not supported; use one of "
                                 f"{', '.join(SUPPORTED_CRS)}")
    return uri


def _crs_pyproj(uri: str) -> str:
    return "OGC:CRS84" if uri == CRS84 else "EPSG:" + uri.rsplit("/", 1)[-1]


def _decimals(uri: str) -> int:
    return 7 if _crs(uri).is_geographic else 3  # about 1 cm in degrees; 1 mm in metres


def _to_output(geoms: np.ndarray, uri: str) -> np.ndarray:
    """``geoms`` (EPSG:3006) in the CRS ``uri``, in its axis order, rounded."""
    decimals = _decimals(uri)
    target = _crs_pyproj(uri)
    forward = None if target == WORK_CRS else _transformer(WORK_CRS, target)
    swap = _north_first(uri)

    def move(coords: np.ndarray) -> np.ndarray:
        if forward is not None:
            x, y = forward.transform(coords[:, 0], coords[:, 1])
            coords = np.column_stack([x, y])
        if swap:
            coords = coords[:, ::-1]
        return np.round(coords, decimals)

    return shapely.transform(geoms, move)


def _bbox_window(text: str | None, uri: str) -> tuple[float, float, float, float] | None:
    """The EPSG:3006 window of ``bbox`` given in ``uri`` (axis order of that CRS; 4 or 6
    numbers, the heights ignored); 400 for anything else."""
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6) or not all(re.fullmatch(_NUMBER, p.strip()) for p in parts):
        raise HTTPException(400, f"bbox {text[:100]!r}: skriv fyra tal, "
                                 "minx,miny,maxx,maxy (sex med höjder)")
    values = [float(p) for p in parts]
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    x0, y0, x1, y1 = values
    if _north_first(uri):
        x0, y0, x1, y1 = y0, x0, y1, x1
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x0 > x1 or y0 > y1:
        raise HTTPException(400, f"bbox {text[:100]!r}: ändliga tal, det minsta först")
    source = _crs_pyproj(uri)
    if _crs(uri).is_geographic:  # clip to where EPSG:3006 is defined, as /api/layers does
        a_x0, a_y0, a_x1, a_y1 = AREA_OF_USE_3006_WGS84
        x0, y0, x1, y1 = max(x0, a_x0), max(y0, a_y0), min(x1, a_x1), min(y1, a_y1)
        if x0 > x1 or y0 > y1:
            return NOWHERE_3006
        source = "OGC:CRS84"
    if source == WORK_CRS:
        return (x0, y0, x1, y1)
    e0, n0, e1, n1 = _transformer(source, WORK_CRS).transform_bounds(x0, y0, x1, y1,
                                                                     densify_pts=21)
    if not all(math.isfinite(v) for v in (e0, n0, e1, n1)):
        return NOWHERE_3006
    return (e0, n0, e1, n1)


# --- time ---------------------------------------------------------------------------------------

def _instant(text: str, *, end: bool) -> pd.Timestamp:
    """A bound of ``datetime`` in UTC; a bare date is its whole (Swedish) day."""
    try:
        if _DATE.match(text):
            day = pd.Timestamp(text)
            if end:
                following = (day + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
                return parse_datetime(following) - pd.Timedelta(microseconds=1)
            return parse_datetime(text)
        return parse_datetime(text)
    except (ValueError, OverflowError):
        raise HTTPException(400, f"datetime: {text[:60]!r} är ingen tid enligt RFC 3339; "
                                 "skriv t.ex. 2024-06-01T12:00:00Z eller 2024-06-01/..") from None


def _datetime_range(text: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None] | None:
    """``datetime`` as inclusive UTC bounds (None: open end); None when not given."""
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        return _instant(text, end=False), _instant(text, end=True)
    start_text, _, end_text = text.partition("/")
    start = None if start_text in ("", "..") else _instant(start_text, end=False)
    stop = None if end_text in ("", "..") else _instant(end_text, end=True)
    if start is None and stop is None:
        raise HTTPException(400, "datetime: ett intervall behöver minst en ände, t.ex. "
                                 "2024-06-01/..")
    if start is not None and stop is not None and start > stop:
        raise HTTPException(400, f"datetime {text[:100]!r}: början ligger efter slutet; byt "
                                 "plats på dem")
    return start, stop


def _rfc3339(value: str | None) -> str | None:
    if value is None:
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


# --- documents ----------------------------------------------------------------------------------

def _base(request: Request, settings: Settings) -> str:
    """The address clients use: TRYGG_PUBLIC_URL behind a proxy, else the request's own."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _json(doc: Any, *, media_type: str = JSON, headers: dict[str, str] | None = None
          ) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), media_type=media_type, headers=headers)


def _collection(layer: str, base: str, store: Store, role: str | None,
                kommuner: frozenset[str] | None) -> dict[str, Any]:
    """The description of one collection, its extent from the records the viewer sees (of
    ``kommuner`` only, for an account limited to municipalities)."""
    spec = LAYERS[layer]
    time_field = TIME_FIELDS.get(layer)
    summary = store.count_matching(layer, time_field=time_field,
                                   hide_sensitive=not sees_sensitive(role),
                                   kommuner=kommuner)
    href = f"{base}/ogc/collections/{layer}"
    extent: dict[str, Any] = {}
    if summary.bounds is not None:
        box = _transformer(WORK_CRS, "OGC:CRS84").transform_bounds(*summary.bounds,
                                                                   densify_pts=21)
        extent["spatial"] = {"bbox": [[round(v, 6) for v in box]], "crs": CRS84}
    if time_field is not None:
        extent["temporal"] = {"interval": [[_rfc3339(summary.time_min),
                                            _rfc3339(summary.time_max)]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": layer, "title": spec.title_sv, "description": spec.description,
        "itemType": "feature",
        "links": [_link(href, "self", JSON, spec.title_sv),
                  _link(f"{href}/items", "items", GEOJSON, f"{spec.title_sv} (GeoJSON)")],
        "extent": extent,
        "crs": list(SUPPORTED_CRS),
        "storageCrs": STORAGE_CRS,
        **({"x-trygg-time-field": time_field} if time_field else {}),
    }


def _features(gdf: gpd.GeoDataFrame, uri: str) -> list[str]:
    """Each record as the text of a GeoJSON Feature in the CRS ``uri``."""
    if gdf.empty:
        return []
    geoms = _to_output(np.asarray(gdf.geometry.values, dtype=object), uri)
    texts = shapely.to_geojson(geoms)
    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    return ['{"type":"Feature","id":' + json.dumps(int(fid)) + ',"geometry":'
            + (geom if geom is not None else "null") + ',"properties":'
            + json.dumps({k: json_value(v) for k, v in props.items()}, ensure_ascii=False) + "}"
            for fid, props, geom in zip(gdf.index, records, texts, strict=True)]


# --- routes -------------------------------------------------------------------------------------

@router.get("", summary="OGC API – Features: startsida", responses={200: {"content": {JSON: {}}}})
def landing(request: Request, f: Format = None, user: User | None = Depends(current_user),
            settings: Settings = Depends(get_settings)) -> Response:
    """The landing page: links to the API definition, the conformance classes and the data."""
    _reader(user, settings)
    base = _base(request, settings)
    return _json({
        "title": "Trygg – OGC API – Features",
        "description": "Trygghetslagren (riskvägar, trafikkontroller, otrygga platser, "
                       "polisens händelser ...) som OGC API – Features.",
        "links": [_link(f"{base}/ogc", "self", JSON, "Den här sidan"),
                  _link(f"{base}/openapi.json", "service-desc", OPENAPI, "API-beskrivningen"),
                  _link(f"{base}/docs", "service-doc", "text/html", "API-dokumentationen"),
                  _link(f"{base}/ogc/conformance", "conformance", JSON, "Konformitetsklasser"),
                  _link(f"{base}/ogc/collections", "data", JSON, "Samlingarna (lagren)")],
    })


@router.get("/conformance", summary="OGC API – Features: konformitetsklasser",
            responses={200: {"content": {JSON: {}}}})
def conformance(f: Format = None, user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings)) -> Response:
    """The conformance classes implemented: Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 CRS."""
    _reader(user, settings)
    return _json({"conformsTo": list(CONFORMANCE)})


@router.get("/collections", summary="OGC API – Features: samlingarna",
            responses={200: {"content": {JSON: {}}}})
def collections(request: Request, f: Format = None, user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> Response:
    """The collections (layers) the caller may read."""
    role = _reader(user, settings)
    base = _base(request, settings)
    kommuner = viewer_of(user, settings).kommuner
    return _json({
        "links": [_link(f"{base}/ogc/collections", "self", JSON)],
        "collections": [_collection(layer, base, store, role, kommuner) for layer in LAYERS
                        if may_read(role, layer)],
        "crs": list(SUPPORTED_CRS),
    })


@router.get("/collections/{layer}", summary="OGC API – Features: en samling",
            responses={200: {"content": {JSON: {}}}})
def collection(layer: LayerPath, request: Request, f: Format = None,
               user: User | None = Depends(current_user),
               settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> Response:
    """One collection: extent (WGS84, time), CRS list, storage CRS EPSG:3006."""
    role = _reader(user, settings)
    _collection_readable(layer, role, user)
    return _json(_collection(layer, _base(request, settings), store, role,
                             viewer_of(user, settings).kommuner))


@router.get("/collections/{layer}/items", summary="OGC API – Features: objekten",
            responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "Oförändrat"}})
def items(layer: LayerPath, request: Request, f: Format = None,
          limit: Annotated[int, Query(ge=1, description=f"Högst så många objekt (högst "
                                      f"{MAX_LIMIT}; större tal räknas som {MAX_LIMIT})",
                                      json_schema_extra={"maximum": MAX_LIMIT})] = DEFAULT_LIMIT,
          offset: Annotated[int, Query(ge=0, description="Hoppa över så många")] = 0,
          bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy i bbox-crs "
                                                        "(CRS84: minlon,minlat,maxlon,maxlat)")
                          ] = None,
          bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
          datetime: Annotated[str | None, Query(description="Tidpunkt eller intervall "
                                                            "(a/b, ../b, a/..)")] = None,
          crs: Annotated[str | None, Query(description="Svarets koordinatsystem (URI)")] = None,
          user: User | None = Depends(current_user),
          settings: Settings = Depends(get_settings),
          store: Store = Depends(get_store)) -> Response:
    """A page of the collection's records the caller may see, as a GeoJSON FeatureCollection
    with ``numberMatched``, ``numberReturned`` and ``next``/``prev`` links; ETag and 304."""
    role = _reader(user, settings)
    _collection_readable(layer, role, user)
    unknown = sorted(set(request.query_params) - ITEM_PARAMS)
    if unknown:
        raise HTTPException(400, f"okänd parameter: {', '.join(unknown)}; de som går är "
                                 f"{', '.join(sorted(ITEM_PARAMS))}")
    limit = min(limit, MAX_LIMIT)
    out_crs = _crs_param(crs, "crs")
    window = _bbox_window(bbox, _crs_param(bbox_crs, "bbox-crs"))
    when = _datetime_range(datetime)
    time_field = TIME_FIELDS.get(layer)
    who = viewer_of(user, settings)
    viewer = viewer_class(role, who.kommuner)
    base = _base(request, settings)
    key = ("ogc-items", layer, store.generation(layer), viewer, limit, offset, window,
           when, out_crs, base + request.url.path, str(request.url.query))
    tag = entity_tag(*key, weak=True)  # weak: timeStamp may differ, the records do not
    headers = {"ETag": tag, "Content-Crs": f"<{out_crs}>"}
    if not_modified(request, tag):
        return not_modified_response(tag, headers)

    def render() -> str:
        if when is not None and time_field is None:
            gdf, matched = store.read_page(layer, limit=0)[0], 0  # no time: nothing meets it
        else:
            gdf, matched = store.read_page(
                layer, limit=limit, offset=offset, bbox=window,
                time=None if when is None or time_field is None
                else TimeWindow(time_field, when[0], when[1]),
                hide_sensitive=not sees_sensitive(role), kommuner=who.kommuner)
        gdf = fit_frame(layer, gdf, who)
        links = [_link(_relative(str(request.url), base), "self", GEOJSON, "Den här sidan"),
                 _link(f"{base}/ogc/collections/{layer}", "collection", JSON)]
        following = next_offset(offset=offset, limit=limit, matched=matched)
        if following is not None:
            links.append(_link(_relative(page_url(request, offset=following, limit=limit), base),
                               "next", GEOJSON, "Nästa sida"))
        before = prev_offset(offset=offset, limit=limit)
        if before is not None:
            links.append(_link(_relative(page_url(request, offset=before, limit=limit), base),
                               "prev", GEOJSON, "Föregående sida"))
        head = json.dumps({
            "type": "FeatureCollection",
            "timeStamp": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "numberMatched": matched, "numberReturned": len(gdf), "links": links,
        }, ensure_ascii=False)[:-1]
        return head + ',"features":[' + ",".join(_features(gdf, out_crs)) + "]}"

    body = request.app.state.cache.get_or_make(key, render)
    return Response(body, media_type=GEOJSON, headers=headers)


def _relative(url: str, base: str) -> str:
    """``url`` (the request's own) on ``base`` (TRYGG_PUBLIC_URL when set)."""
    path = url.split("/ogc/", 1)[1]
    return f"{base}/ogc/{path}"


@router.get("/collections/{layer}/items/{feature_id}", summary="OGC API – Features: ett objekt",
            responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "Oförändrat"}})
def item(layer: LayerPath, feature_id: RecordId, request: Request, f: Format = None,
         crs: Annotated[str | None, Query(description="Svarets koordinatsystem (URI)")] = None,
         user: User | None = Depends(current_user),
         settings: Settings = Depends(get_settings),
         store: Store = Depends(get_store)) -> Response:
    """One record, if the caller may see it (else the same 404 as a missing one)."""
    role = _reader(user, settings)
    _collection_readable(layer, role, user)
    out_crs = _crs_param(crs, "crs")
    who = viewer_of(user, settings)
    tag = entity_tag("ogc-item", layer, feature_id, store.generation(layer),
                     viewer_class(role, who.kommuner), out_crs)
    headers = {"ETag": tag, "Content-Crs": f"<{out_crs}>"}
    missing = NotFound(f"{layer} {feature_id} does not exist")
    try:
        gdf = fit_frame(layer, store.get(layer, feature_id), who)
    except NotFound:
        raise missing from None
    if gdf.empty:
        raise missing
    if not_modified(request, tag):
        return not_modified_response(tag, headers)
    base = _base(request, settings)
    feature = json.loads(_features(gdf, out_crs)[0])
    feature["links"] = [
        _link(f"{base}/ogc/collections/{layer}/items/{feature_id}", "self", GEOJSON),
        _link(f"{base}/ogc/collections/{layer}", "collection", JSON)]
    return _json(feature, media_type=GEOJSON, headers=headers)
