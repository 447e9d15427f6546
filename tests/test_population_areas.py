"""Population areas (issue 14): SCB's DeSO and RegSO GeoPackages (the real layer and field names:
``DeSO_2018`` with deso, kommun, kommunnamn, lan, lannamn; ``RegSO_2018`` with regsokod, regso,
kommun, kommunnamn) with the population of a statistical-database CSV, clipped to the
municipality, all or nothing; rates per 1,000 inhabitants exact against hand counts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio  # type: ignore[import-untyped]
import pytest
import shapely
from click.testing import CliRunner

from cli import cli
from geo.crs import WORK_CRS
from geo.errors import ImportRejected
from geo.municipalities import municipality
from geo.population import rates_per_1000
from geo.population_areas import read_population_csv
from services.population import import_population_areas
from store import Store

# Boxes inside Timrå (2262), SWEREF 99 TM metres, and one in Sundsvall (2281).
BOXES = {
    "2262A0010": (612_000, 6_944_000, 614_000, 6_946_000),
    "2262C1010": (616_000, 6_944_000, 618_000, 6_946_000),
    "2262C1020": (616_000, 6_947_000, 618_000, 6_949_000),
    "2281C1010": (580_000, 6_920_000, 582_000, 6_922_000),
}


def deso_gpkg(path: Path, codes: list[str] | None = None, *, layer: str = "DeSO_2018",
              extra: dict[str, list[object]] | None = None) -> Path:
    """A GeoPackage in the shape SCB ships DeSO in."""
    codes = codes or list(BOXES)
    gdf = gpd.GeoDataFrame({
        "deso": codes,
        "kommun": [c[:4] for c in codes],
        "kommunnamn": ["Timrå" if c.startswith("2262") else "Sundsvall" for c in codes],
        "lan": ["22"] * len(codes),
        "lannamn": ["Västernorrlands län"] * len(codes),
        **(extra or {}),
    }, geometry=[shapely.box(*BOXES[c]) for c in codes], crs=WORK_CRS)
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")
    return path


def regso_gpkg(path: Path) -> Path:
    gdf = gpd.GeoDataFrame({
        "regso": ["Timrå centrum", "Sörberge"], "regsokod": ["2262R001", "2262R002"],
        "kommun": ["2262", "2262"], "kommunnamn": ["Timrå", "Timrå"],
    }, geometry=[shapely.box(612_000, 6_944_000, 615_000, 6_946_000),
                 shapely.box(616_000, 6_944_000, 618_000, 6_949_000)], crs=WORK_CRS)
    pyogrio.write_dataframe(gdf, path, layer="RegSO_2018", driver="GPKG")
    return path


# SCB's statistical database as Swedish Excel writes the export: a title line, ";" and the
# region as code and name.
POPULATION_CSV = ('"Folkmängd efter region och år"\n'
                  '"region";"år";"Folkmängd"\n'
                  '"2262A0010 Timrå";"2022";"1 580"\n'
                  '"2262A0010 Timrå";"2023";"1 620"\n'
                  '"2262C1010 Timrå";"2023";"0"\n'
                  '"2262C1020 Timrå";"2023";"40"\n'
                  '"2281C1010 Sundsvall";"2023";"2 100"\n')


def population_csv(path: Path, text: str = POPULATION_CSV, *, encoding: str = "cp1252") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def timra_store(store: Store) -> Store:
    store.insert("boundaries", municipality("2262").boundary_layer(), origin="test")
    return store


def test_deso_with_population_through_the_cli_clipped_to_the_municipality(
        tmp_path: Path, timra_store: Store) -> None:
    gpkg = deso_gpkg(tmp_path / "DeSO_2018_v2.gpkg")
    csv = population_csv(tmp_path / "folkmangd.csv")
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "population_areas",
                                   str(gpkg), "--population", str(csv)])
    assert out.exit_code == 0, out.output
    assert "3 DeSO-områden" in out.output
    areas = timra_store.read("population_areas").set_index("code")
    assert sorted(areas.index) == ["2262A0010", "2262C1010", "2262C1020"]  # no Sundsvall area
    row = areas.loc["2262A0010"]
    assert (row["kind"], row["kommunkod"], row["population"], row["population_year"]) == \
        ("deso", "2262", 1620, 2023)  # the latest year of the export
    assert row["provenance"] == "real"
    assert "SCB" in row["source"] and "CC BY 4.0" in row["source"]
    assert "folkmangd.csv" in row["source"]
    assert areas.loc["2262C1010", "population"] == 0
    assert (row["name"], row["kommun_name"]) == ("Timrå", "Timrå")  # DeSO areas have no names

    # Again with a new year: updated by code, not doubled.
    population_csv(csv, POPULATION_CSV.replace('"2023";"1 620"', '"2024";"1 700"'))
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "population_areas",
                                   str(gpkg), "--population", str(csv)])
    assert out.exit_code == 0, out.output
    areas = timra_store.read("population_areas").set_index("code")
    assert len(areas) == 3
    assert (areas.loc["2262A0010", "population"], areas.loc["2262A0010", "population_year"]) \
        == (1700, 2024)


def test_regso_and_a_population_in_the_file(tmp_path: Path, timra_store: Store) -> None:
    result = import_population_areas(timra_store, regso_gpkg(tmp_path / "RegSO_2018.gpkg"))
    assert (result.kind, result.inserted, result.with_population) == ("regso", 2, 0)
    areas = timra_store.read("population_areas").set_index("code")
    assert areas.loc["2262R002", "name"] == "Sörberge"
    assert areas["population"].isna().all()  # unknown, never invented

    own = deso_gpkg(tmp_path / "DeSO_2025.gpkg", ["2262A0010", "2262C1010"], layer="DeSO_2025",
                    extra={"folkmangd": [1234, 876]})
    import_population_areas(timra_store, own)
    areas = timra_store.read("population_areas").set_index("code")
    assert areas.loc["2262C1010", "population"] == 876


def test_population_csv_by_year_columns_and_breakdowns(tmp_path: Path) -> None:
    wide = population_csv(tmp_path / "bred.csv", "region,Folkmängd 2022,Folkmängd 2023\n"
                                                  "2262A0010 Timrå,1580,1620\n", encoding="utf-8")
    table = read_population_csv(wide)
    assert table.loc["2262A0010"].tolist() == [1620, 2023]
    by_sex = population_csv(tmp_path / "kon.csv", "\ufeffregion;kön;år;Antal\n"
                                                   "2262A0010;män;2023;800\n"
                                                   "2262A0010;kvinnor;2023;820\n",
                            encoding="utf-8")
    assert read_population_csv(by_sex).loc["2262A0010"].tolist() == [1620, 2023]
    with_total = population_csv(tmp_path / "totalt.csv", "region;kön;år;Antal\n"
                                                         "2262A0010;män;2023;800\n"
                                                         "2262A0010;totalt;2023;1620\n")
    assert read_population_csv(with_total).loc["2262A0010"].tolist() == [1620, 2023]


@pytest.mark.parametrize(("name", "gpkg_kw", "csv_text", "message"), [
    ("bad_code", {"codes": ["2262A0010"], "bad": "Timrå1"}, None,
     r"objekt 0: fältet deso: 'Timrå1' är ingen DeSO-kod"),
    ("no_kommun", {"codes": ["2262A0010"], "drop": "kommun"}, None,
     r"fältet kommun \(kommunkoden\) saknas"),
    ("csv_value", {}, "region;år;Folkmängd\n2262A0010 Timrå;2023;många\n",
     r"folkmangd.csv, rad 2: kolumnen 'Folkmängd': 'många' är inget antal invånare"),
    ("csv_code", {}, "region;år;Folkmängd\nTimrå;2023;100\n",
     r"rad 2: kolumnen 'region': 'Timrå' börjar inte med en DeSO-kod"),
    ("other_kommun", {"codes": ["2281C1010"]}, None, r"inga DeSO-områden i kommun 2262"),
])
def test_bad_input_is_refused_in_swedish_and_changes_nothing(
        tmp_path: Path, timra_store: Store, name: str, gpkg_kw: dict[str, object],
        csv_text: str | None, message: str) -> None:
    import_population_areas(timra_store, deso_gpkg(tmp_path / "first.gpkg", ["2262A0010"]))
    before = timra_store.read("population_areas").drop(columns=["updated_at"])
    codes = gpkg_kw.get("codes")
    path = deso_gpkg(tmp_path / f"{name}.gpkg", codes)  # type: ignore[arg-type]
    if "bad" in gpkg_kw or "drop" in gpkg_kw:
        gdf = pyogrio.read_dataframe(path)
        if "bad" in gpkg_kw:
            gdf["deso"] = [gpkg_kw["bad"]]
        if "drop" in gpkg_kw:
            gdf = gdf.drop(columns=[str(gpkg_kw["drop"])])
        path.unlink()
        pyogrio.write_dataframe(gdf, path, layer="DeSO_2018", driver="GPKG")
    csv = population_csv(tmp_path / "folkmangd.csv", csv_text) if csv_text else None
    with pytest.raises(ImportRejected, match=message):
        import_population_areas(timra_store, path, population=csv)
    after = timra_store.read("population_areas").drop(columns=["updated_at"])
    assert after.equals(before)


def test_rates_per_1000_exact_with_population_zero_and_unknown() -> None:
    areas = gpd.GeoDataFrame({
        "code": ["2262A0010", "2262C1010", "2262C1020", "2262C1030"],
        "name": ["a", "b", "c", "d"], "kind": "deso", "kommunkod": "2262",
        "population": [1620, 0, 40, None], "population_year": [2023, 2023, 2023, None],
    }, geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10),
                 shapely.box(20, 0, 30, 10), shapely.box(30, 0, 40, 10)], crs=WORK_CRS)
    xs = [1.0] * 7 + [15.0] * 2 + [25.0] * 3 + [35.0] + [10.0] + [99.0]
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, [5.0] * len(xs)), crs=WORK_CRS)
    rates = {r.code: r for r in rates_per_1000(areas, points)}
    # 7 in a, plus the one on the a|b border (counted once, for the first area): 8 / 1 620
    assert rates["2262A0010"].count == 8
    assert rates["2262A0010"].per_1000 == pytest.approx(8 * 1000 / 1620)
    assert rates["2262A0010"].cautions == ()
    assert (rates["2262C1010"].count, rates["2262C1010"].per_1000) == (2, None)
    assert rates["2262C1010"].cautions == ("zero_population",)
    assert rates["2262C1020"].per_1000 == pytest.approx(3 * 1000 / 40)  # 75 per 1 000
    assert rates["2262C1020"].cautions == ("small_population", "few_records")
    assert rates["2262C1030"].per_1000 is None
    assert rates["2262C1030"].caution_sv == "folkmängd saknas: ingen takt"
    assert [r.code for r in rates_per_1000(areas, points)][:2] == ["2262C1020", "2262A0010"]


def test_population_areas_and_survey_figures_on_postgis(pg_cluster, tmp_path: Path) -> None:
    """The same import on PostGIS: a geometry(Geometry, 3006) column with its GiST index,
    queryable in SQL, and the survey table."""
    from sqlalchemy import text

    from services.population import import_survey_figures
    from store.surveys import read_figures

    store = Store.open(pg_cluster.fresh_store())
    try:
        store.insert("boundaries", municipality("2262").boundary_layer(), origin="test")
        result = import_population_areas(store, deso_gpkg(tmp_path / "DeSO_2018.gpkg"),
                                         population=population_csv(tmp_path / "f.csv"))
        assert (result.inserted, result.with_population) == (3, 3)
        with store.engine.connect() as conn:
            found = conn.execute(text(
                "SELECT code, round(ST_Area(geometry)) FROM population_areas WHERE geometry && "
                "ST_MakeEnvelope(611000, 6943000, 615000, 6947000, 3006)")).all()
            indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = "
                                        "'population_areas'")).scalars().all()
        assert [(code, float(area)) for code, area in found] == [("2262A0010", 4_000_000.0)]
        assert any("USING gist (geometry)" in d for d in indexes)
        csv = tmp_path / "tm.csv"
        csv.write_text("område;år;indikator;andel;ki_lag;ki_hog;antal_svar\n"
                       "2262A0010;2023;Trygg;62;58;66;412\n", encoding="utf-8")
        import_survey_figures(store, csv, survey="trygghetsmatning")
        assert read_figures(store)[["area_code", "value_pct", "respondents"]].values.tolist() \
            == [["2262A0010", 62.0, 412]]
    finally:
        store.close()


def test_an_admin_uploads_scb_s_file_through_the_api(tmp_path: Path, timra_store: Store,
                                                     client, tokens: dict[str, str]) -> None:
    """The API's layer upload reads SCB's GeoPackage as the CLI does (clipped to Timrå), and
    every role and anonymous visitors in demo mode read the areas back."""
    from tests.conftest import auth

    gpkg = deso_gpkg(tmp_path / "DeSO_2018.gpkg")
    with gpkg.open("rb") as f:
        answer = client.post("/api/layers/population_areas/import",
                             files={"file": ("DeSO_2018.gpkg", f)},
                             headers=auth(tokens["admin"]))
    assert answer.status_code == 200, answer.text
    assert sorted(timra_store.read("population_areas")["code"]) == \
        ["2262A0010", "2262C1010", "2262C1020"]
    read = client.get("/api/layers/population_areas", headers=auth(tokens["rad"]))
    assert read.status_code == 200
    assert {f["properties"]["code"] for f in read.json()["features"]} == \
        {"2262A0010", "2262C1010", "2262C1020"}
    with gpkg.open("rb") as f:
        refused = client.post("/api/layers/population_areas/import",
                              files={"file": ("DeSO_2018.gpkg", f)},
                              headers=auth(tokens["planerare"]))
    assert refused.status_code == 403
