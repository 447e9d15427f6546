"""Editing on the map (``/kartor/redigera``): which layers a viewer may draw and edit there, how
each is drawn and the few attributes its form asks for, with the rules the API checks
(``geo.layers``) so the page can say in Swedish what a value must be before it is sent.

The page needs the action ``map.edit`` (``services.access``) and then offers only the layers
among ``EDITOR_LAYERS`` that the viewer may write (``services.access.may_write``); every save
goes through the layers API, which checks the same rights again."""

from __future__ import annotations

from typing import Any

from geo.layers import layer_spec
from geo.vocabulary import (
    CANDIDATE_KIND_SV, RISK_CATEGORY_SV, UNSAFE_CATEGORY_SV, capitalised,
)
from services.access import Viewer, may_write

EDIT_ACTION = "map.edit"
# The layers the editor offers, the shapes a new feature may be drawn as (Leaflet-Geoman's;
# the first is the usual one: an unsafe place is a point or an area) and the fields of its
# form, in the order shown.
EDITOR_LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "patrol_zones": (("Polygon",), ("name",)),
    "risk_roads": (("Line",), ("name", "risk_categories", "risk_weight")),
    "unsafe_places": (("Marker", "Polygon"), ("category", "description")),
    "candidate_sites": (("Marker",), ("name", "kind")),
}
# The GeoJSON geometry types each Leaflet-Geoman shape gives.
SHAPE_GEOMETRIES: dict[str, tuple[str, ...]] = {
    "Polygon": ("Polygon", "MultiPolygon"), "Line": ("LineString", "MultiLineString"),
    "Marker": ("Point",)}
CHOICE_LABELS_SV: dict[str, dict[str, str]] = {
    "risk_categories": capitalised(RISK_CATEGORY_SV),
    "category": capitalised(UNSAFE_CATEGORY_SV),
    "kind": capitalised(CANDIDATE_KIND_SV),
}


def _field(layer: str, name: str) -> dict[str, Any]:
    spec = layer_spec(layer).field_by_name[name]
    labels = CHOICE_LABELS_SV.get(name, {})
    return {"name": name, "kind": spec.kind, "label": spec.label_sv, "required": spec.required,
            "minimum": spec.minimum, "maximum": spec.maximum, "default": spec.default
            if not isinstance(spec.default, tuple) else list(spec.default),
            "choices": [[value, labels.get(value, value)] for value in spec.choices]
            if spec.choices else None}


def editor_layers(viewer: Viewer) -> list[dict[str, Any]]:
    """The layers ``viewer`` may edit on the map, each with its title, the shapes a new
    feature may be drawn as (``draw`` the usual one, ``shapes`` all) and its form's fields
    (label, kind, required, minimum, maximum, choices)."""
    return [{"name": layer, "title": layer_spec(layer).title_sv, "draw": shapes[0],
             "shapes": list(shapes), "fields": [_field(layer, name) for name in fields]}
            for layer, (shapes, fields) in EDITOR_LAYERS.items() if may_write(viewer, layer)]
