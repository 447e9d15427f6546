"""One request's reads of the store: each layer read once, however many figures need it."""

from __future__ import annotations

from typing import Protocol

import geopandas as gpd

from store import Store


class LayerReads(Protocol):
    """What a use-case reads layers from: the store itself or a request's ``Snapshot``."""

    def read(self, layer: str) -> gpd.GeoDataFrame: ...


class Snapshot:
    """Layers of ``store`` read on first use and kept for the rest of the request (a use-case
    that computes several figures from the same layers reads each once)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._frames: dict[str, gpd.GeoDataFrame] = {}

    def read(self, layer: str) -> gpd.GeoDataFrame:
        if layer not in self._frames:
            self._frames[layer] = self.store.read(layer)
        return self._frames[layer]
