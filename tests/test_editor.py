"""The map editor without a browser: the vendored Leaflet-Geoman is the version the vendor README
names, fits the vendored Leaflet and needs nothing the CSP forbids; the layers each role is
offered (``services.editor``) are exactly the ones it may write, with the rules of geo.layers;
the page answers each role as the access table says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import STATIC_DIR, create_app
from services.access import WRITE, Viewer
from geo.layers import layer_spec
from services.editor import EDITOR_LAYERS, SHAPE_GEOMETRIES, editor_layers
from store import Store
from store.accounts import ROLES, add_user
from tests.conftest import SECRET, auth
from trygg.settings import Settings

VENDOR = STATIC_DIR / "vendor"


def _readme_versions() -> dict[str, str]:
    """Folder → version, from the table of api/static/vendor/README.md."""
    rows = re.findall(r"^\| `([\w-]+)/` \| `[^`]+` \| (\d+\.\d+\.\d+)",
                      (VENDOR / "README.md").read_text(encoding="utf-8"), flags=re.M)
    return dict(rows)


def _file_version(path: Path, before: str) -> str:
    """The version a file states right after ``before`` (its build's own constant)."""
    found = re.search(re.escape(before) + r'\s*"(\d+\.\d+\.\d+)"', path.read_text(encoding="utf-8"))
    assert found, path
    return found.group(1)


def test_vendored_leaflet_and_geoman_are_the_versions_the_readme_names() -> None:
    versions = _readme_versions()
    assert _file_version(VENDOR / "leaflet" / "leaflet.js", "t.version=") == versions["leaflet"]
    assert _file_version(VENDOR / "leaflet-geoman" / "leaflet-geoman.min.js",
                         '"@geoman-io/leaflet-geoman-free",version:') == \
        versions["leaflet-geoman"]
    assert (VENDOR / "leaflet-geoman" / "LICENSE").read_text().startswith("MIT License")
    assert (VENDOR / "leaflet-geoman" / "leaflet-geoman.css").stat().st_size > 10_000
    # Geoman 2.x asks for Leaflet ^1.2.0 (its package.json's peerDependencies).
    major, minor, _ = map(int, versions["leaflet"].split("."))
    assert major == 1 and minor >= 2


def test_geoman_needs_no_eval_which_the_csp_forbids() -> None:
    script = (VENDOR / "leaflet-geoman" / "leaflet-geoman.min.js").read_text(encoding="utf-8")
    assert not re.search(r"\beval\(|new Function\(", script)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_is_offered_exactly_the_editor_layers_it_may_write(role: str | None) -> None:
    offered = [layer["name"] for layer in editor_layers(Viewer(role))]
    assert offered == [name for name in EDITOR_LAYERS if role in WRITE[name]]


def test_the_forms_carry_the_rules_and_swedish_choices() -> None:
    layers = {layer["name"]: layer for layer in editor_layers(Viewer("admin"))}
    assert [layer["draw"] for layer in layers.values()] == ["Polygon", "Line", "Marker", "Marker"]
    assert layers["unsafe_places"]["shapes"] == ["Marker", "Polygon"]  # a point or an area
    road = {f["name"]: f for f in layers["risk_roads"]["fields"]}
    assert road["risk_weight"]["minimum"] == 0 and road["risk_weight"]["kind"] == "float"
    assert ["buskorning", "Buskörning"] in road["risk_categories"]["choices"]
    assert ["a_traktor", "A-traktor"] in road["risk_categories"]["choices"]
    assert road["name"]["required"] and road["name"]["label"] == "Namn"
    place = {f["name"]: f for f in layers["unsafe_places"]["fields"]}
    assert ["vald", "Våld"] in place["category"]["choices"]
    json.dumps(list(layers.values()))  # the page's data island


def test_every_shape_the_editor_draws_is_one_its_layer_takes() -> None:
    for layer, (shapes, _) in EDITOR_LAYERS.items():
        allowed = set(layer_spec(layer).geometry_types)
        for shape in shapes:
            assert set(SHAPE_GEOMETRIES[shape]) <= allowed, (layer, shape)


def test_the_page_answers_each_role(settings: Settings, store: Store) -> None:
    tokens = {role: add_user(store, f"ed-{role}", role, secret=SECRET) for role in ROLES}
    with TestClient(create_app(settings, store=store)) as client:
        anonymous = client.get("/kartor/redigera", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/logga-in"
        for role, token in tokens.items():
            page = client.get("/kartor/redigera", headers=auth(token))
            if role in ("planerare", "patrullchef", "admin"):
                assert page.status_code == 200, role
                island = re.search(r'<script type="application/json" id="ed-layers">(.*?)'
                                   r"</script>", page.text, flags=re.S)
                assert island is not None
                assert [layer["name"] for layer in json.loads(island.group(1))] == \
                    [layer["name"] for layer in editor_layers(Viewer(role))]
                assert 'href="/kartor/redigera"' in page.text
            else:
                assert page.status_code == 403, role
                assert "rita och ändra lagren på kartan" in page.text
                nav = re.search(r'<nav class="views-nav".*?</nav>',
                                client.get("/", headers=auth(token)).text, flags=re.S)
                assert nav is None or "/kartor/redigera" not in nav.group(0), role
