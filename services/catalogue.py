"""The catalogue: which layers a viewer may read, and how many records of each it may see
(counted per provenance in the store, without reading the records), for ``/`` and
``/api/layers``."""

from __future__ import annotations

from geo.layers import LAYERS
from services.access import Viewer, layer_refusal
from store import Store
from store.store import LayerCounts


def readable_layers(viewer: Viewer) -> list[str]:
    """The layers ``viewer`` may read, in the catalogue's order."""
    return [name for name in LAYERS if layer_refusal(viewer, name) is None]


def layer_counts(store: Store, viewer: Viewer) -> dict[str, LayerCounts]:
    """For each layer ``viewer`` may read: how many records it sees (sensitive records and
    planned checks left out unless it sees them), per provenance, in one snapshot."""
    return store.layer_counts(readable_layers(viewer), hide_sensitive=not viewer.sees_sensitive,
                              kommuner=viewer.kommuner)
