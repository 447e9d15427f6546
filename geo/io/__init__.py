"""Reading and writing layer files: GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV and OSM.

``read_layer_file`` returns raw features (with their CRS) for ``geo.validate.prepare_features``;
``write_layer_file`` writes a layer for QGIS, ArcGIS, spreadsheets (CSV for Swedish Excel or
RFC 4180, .xlsx) or a GPS; ``write_layers_file`` writes several layers into one GeoPackage (with
QGIS styles) or Excel workbook. One module per concept: ``formats`` (which format a path names),
``layer_files`` (reading and writing by format), ``ogr`` (GDAL reading with guards), one per
format (``delimited`` for CSV, ``gpkg``, ``gpx``, ``osm``, ``xlsx``) and ``columns`` (attributes
typed for export).
"""

from geo.io.columns import neutralise_formula
from geo.io.delimited import CSV_DIALECTS
from geo.io.formats import EXPORT_FORMATS, FORMATS, MULTI_LAYER_FORMATS, file_format
from geo.io.gpkg import check_gpkg
from geo.io.layer_files import read_layer_file, write_layer_file, write_layers_file
from geo.io.ogr import read_ogr, zip_members
from geo.io.osm import MOTOR_HIGHWAYS, parse_maxspeed, parse_other_tags

__all__ = [
    "CSV_DIALECTS", "EXPORT_FORMATS", "FORMATS", "MOTOR_HIGHWAYS", "MULTI_LAYER_FORMATS",
    "check_gpkg", "file_format", "neutralise_formula", "parse_maxspeed", "parse_other_tags",
    "read_layer_file", "read_ogr", "write_layer_file", "write_layers_file", "zip_members",
]
