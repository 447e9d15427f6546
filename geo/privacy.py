"""What counts as sensitive: records that never leave the server as points for the council or
the public (violence in close relationships, sexual offences)."""

from __future__ import annotations

import geopandas as gpd

# Police event types about sexual offences: public on polisen.se as text, but never as points
# outside the police roles.
SENSITIVE_EVENT_PREFIXES = ("Våldtäkt", "Sexualbrott", "Sexuellt ofredande")


def without_sensitive(layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop the records of ``layer`` that are sensitive."""
    if layer == "unsafe_places" and "sensitive" in gdf:
        return gdf[~gdf["sensitive"].fillna(False).astype(bool)]
    if layer == "events" and "type" in gdf:
        return gdf[~gdf["type"].fillna("").str.startswith(SENSITIVE_EVENT_PREFIXES)]
    return gdf
