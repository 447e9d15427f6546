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
# The layers the editor offers, how a new feature is drawn (a Leaflet-Geoman shape) and the
# fields of its form, in the order shown.
EDITOR_LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "patrol_zones": ("Polygon", ("name",)),
    "risk_roads": ("Line", ("name", "risk_categories", "risk_weight")),
    "unsafe_places": ("Marker", ("category", "description")),
    "candidate_sites": ("Marker", ("name", "kind")),
}
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
    """The layers ``viewer`` may edit on the map, each with its title, the shape a new feature
    is drawn as and its form's fields (label, kind, required, minimum, maximum, choices)."""
    return [{"name": layer, "title": layer_spec(layer).title_sv, "draw": draw,
             "fields": [_field(layer, name) for name in fields]}
            for layer, (draw, fields) in EDITOR_LAYERS.items() if may_write(viewer, layer)]
