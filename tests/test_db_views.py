"""Read-only views per role on PostGIS (issue 15), for QGIS users who connect to the database:
``trygg db views --create-roles`` against the throwaway PostGIS server of ``tests/pg.py``, then a
login of each role connects itself and reads what the API would answer it, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from click.testing import CliRunner
from psycopg import errors, sql
from sqlalchemy import text

from cli import cli
from geo.layers import LAYERS
from geo.municipalities import municipality
from geo.privacy import scrub_text
from services.access import READ, fit_frame
from services.db_views import make_role_views, role_view_plans
from services.municipality import init_area
from store import Store
from store.migrations.runner import head_revision, store_engine, upgrade
from store.views import MAY_HOLD_PERSONAL_DATA, WITHHELD, make_views
from tests import pg
from tests.conftest import SECRET
from tests.test_ogc import VIVSTA, _add_hidden


@pytest.fixture
def views_store(pg_cluster: pg.Cluster) -> Iterator[tuple[Store, str]]:
    """A new PostGIS store holding visible records and one hidden record of each kind."""
    url = pg_cluster.new_database()
    s = Store.open(url)
    visible = {
        "unsafe_places": {"category": "belysning", "reported_at": "2024-06-03T12:00:00Z",
                          "description": "mörkt, ring 070-765 43 21"},
        "traffic_checks": {"status": "genomford", "start": "2024-05-14T21:00:00+02:00",
                           "end": "2024-05-14T23:00:00+02:00", "kinds": ["nykterhet"]},
        "events": {"event_id": 99_000_002, "type": "Trafikolycka",
                   "time": "2024-06-01T02:00:00Z"},
    }
    for layer, record in visible.items():
        s.insert(layer, gpd.GeoDataFrame([record], geometry=gpd.points_from_xy(
            [VIVSTA[0]], [VIVSTA[1]]), crs="EPSG:4326"))
    _add_hidden(s)
    yield s, url
    s.close()


def _login(cluster: pg.Cluster, url: str, name: str, group: str
           ) -> psycopg.Connection[tuple[object, ...]]:
    """A new login role ``name``, member of ``group``, connected to the store's database."""
    database = url.split("/")[3].split("?")[0]
    with cluster.connect(database) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
            sql.Identifier(name), sql.Identifier(group)))
    return psycopg.connect(host=str(cluster.folder), port=cluster.port, user=name,
                           dbname=database, autocommit=True)


def _ids(conn: psycopg.Connection[tuple[object, ...]], schema: str, layer: str) -> set[int]:
    rows = conn.execute(sql.SQL("SELECT id FROM {}.{}").format(
        sql.Identifier(schema), sql.Identifier(layer))).fetchall()
    return {int(r[0]) for r in rows}  # type: ignore[call-overload]


def _columns(conn: psycopg.Connection[tuple[object, ...]], schema: str, layer: str
             ) -> dict[str, str]:
    return dict(conn.execute(  # type: ignore[arg-type]
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s", (schema, layer)).fetchall())


def test_the_council_login_reads_what_the_api_answers_and_nothing_else(
        pg_cluster: pg.Cluster, views_store: tuple[Store, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, url = views_store
    monkeypatch.setenv("TRYGG_DB", url)
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    done = CliRunner().invoke(cli, ["db", "views", "--create-roles"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "trygg_rad: " in done.output and "nya databasroller: trygg_planerare" in done.output

    with _login(pg_cluster, url, "anna", "trygg_rad") as anna:
        for layer in LAYERS:
            listed = anna.execute("SELECT count(*) FROM information_schema.views WHERE "
                                  "table_schema = 'trygg_rad' AND table_name = %s",
                                  (layer,)).fetchone()
            assert listed == ((1,) if "rad" in READ[layer] else (0,)), layer
            if "rad" in READ[layer]:  # the very records a read through the API answers
                assert _ids(anna, "trygg_rad", layer) == set(
                    fit_frame(layer, store.read(layer), "rad").index), layer
        places = anna.execute("SELECT category FROM trygg_rad.unsafe_places").fetchall()
        assert places == [("belysning",)]  # the sexualbrott place and the sensitive one left out
        assert anna.execute("SELECT type FROM trygg_rad.events").fetchall() == [("Trafikolycka",)]
        assert anna.execute("SELECT status FROM trygg_rad.traffic_checks").fetchall() == [
            ("genomford",)]
        # Free text: shown where scrubbing changes nothing, withheld where it would.
        assert anna.execute("SELECT description FROM trygg_rad.unsafe_places").fetchall() == [
            (WITHHELD,)]
        columns = _columns(anna, "trygg_rad", "unsafe_places")
        assert columns["reported_at"] == "timestamp with time zone"
        assert columns["geometry"] == "USER-DEFINED"  # PostGIS geometry, for QGIS
        srid = anna.execute("SELECT ST_SRID(geometry) FROM trygg_rad.events").fetchone()
        assert srid == (3006,)
        for statement in ("SELECT count(*) FROM public.unsafe_places",
                          "SELECT count(*) FROM public.users",
                          "SELECT count(*) FROM trygg_planerare.unsafe_places",
                          "UPDATE trygg_rad.unsafe_places SET status = 'atgardad'",
                          "DELETE FROM trygg_rad.events",
                          "INSERT INTO trygg_rad.traffic_checks (status) VALUES ('planerad')",
                          "DELETE FROM public.events",
                          "CREATE VIEW trygg_rad.mine AS SELECT 1"):
            with pytest.raises(errors.InsufficientPrivilege):
                anna.execute(statement)

    with _login(pg_cluster, url, "pelle", "trygg_planerare") as pelle:  # police: every record
        assert len(_ids(pelle, "trygg_planerare", "unsafe_places")) == 3
        assert pelle.execute("SELECT count(*) FROM trygg_planerare.unsafe_places WHERE "
                             "description = %s", (WITHHELD,)).fetchone() == (2,)
        assert pelle.execute("SELECT count(*) FROM trygg_planerare.traffic_checks "
                             "WHERE status = 'planerad'").fetchone() == (1,)
    with _login(pg_cluster, url, "ada", "trygg_admin") as ada:  # free text as stored
        texts = {r[0] for r in ada.execute("SELECT description FROM trygg_admin.unsafe_places")}
        assert "mörkt, ring 070-765 43 21" in texts
    store.delete("unsafe_places", min(fit_frame("unsafe_places", store.read("unsafe_places"),
                                                "rad").index))
    with store.engine.connect() as conn:  # a deleted record leaves the views at once
        assert conn.execute(text("SELECT count(*) FROM trygg_rad.unsafe_places")
                            ).scalar_one() == 0


def test_views_are_made_again_by_a_second_run_and_after_a_migration(
        pg_cluster: pg.Cluster) -> None:
    """Idempotent, and a migration that changes the tables under the views (0004 turns the
    geometry column into PostGIS geometry) drops and makes them again, grants included."""
    url = pg_cluster.empty_database()
    database = url.split("/")[3].split("?")[0]
    with pg_cluster.connect(database) as conn:
        conn.execute("CREATE EXTENSION postgis")
    assert upgrade(url, to_revision="0003").to_revision == "0003"
    engine = store_engine(url)
    # A layer whose columns 0003 already has (later revisions add columns to others).
    plans = [replace(p, layers=("unsafe_places",)) for p in role_view_plans()]
    with engine.begin() as conn:
        made = make_views(conn, plans, create_roles=True)
        again = make_views(conn, plans, create_roles=True)
    engine.dispose()
    assert made.views == again.views and again.created_roles == ()
    done = upgrade(url)
    assert (done.from_revision, done.to_revision) == ("0003", head_revision())
    s = Store.open(url)
    try:
        point = gpd.GeoSeries.from_xy([VIVSTA[0]], [VIVSTA[1]], crs="EPSG:4326")
        s.insert("unsafe_places", gpd.GeoDataFrame(
            {"category": ["belysning"], "reported_at": ["2024-06-03T12:00:00Z"]}, geometry=point))
        with _login(pg_cluster, url, "bo", "trygg_rad") as bo:
            assert len(_ids(bo, "trygg_rad", "unsafe_places")) == 1
            assert bo.execute("SELECT GeometryType(geometry) FROM trygg_rad.unsafe_places"
                              ).fetchone() == ("POINT",)
        with s.engine.connect() as conn:  # made again from the plans in the schema comments
            assert conn.execute(text("SELECT count(*) FROM information_schema.views WHERE "
                                     "table_schema LIKE 'trygg\\_%'")).scalar_one() == len(plans)
        assert make_role_views(s).missing_roles == ()
    finally:
        s.close()


def test_sqlite_store_says_views_need_postgis(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_DB", str(tmp_path / "views.sqlite"))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    done = CliRunner().invoke(cli, ["db", "views"])
    assert done.exit_code == 1
    assert "kräver PostGIS" in done.output and "trygg export --all" in done.output


# Texts scrubbing changes, in every disguise geo.privacy knows, and texts it leaves alone.
TEXTS = ["ring 070-123 45 67", "anna@example.se", "19850101-1234", "850101\u20131234",
         "+46 (0)70\u2011123 45 67", "0\u200b7\u200b0\u200b1\u200b2\u200b3\u200b4\u200b5",
         "\u0660\u0667\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
         "070\n123\n45\n67", "Trafikolycka, singel", "Rån väpnat", "E4 vid Vivsta 2024-06-01",
         "kl. 08.00-10.00", "", "Väg 331, 90 km/h", "Stöld/inbrott, Sörberge"]


def test_a_view_shows_a_text_only_where_scrubbing_changes_nothing(
        pg_cluster: pg.Cluster) -> None:
    with pg_cluster.connect() as conn:
        withheld = {value: conn.execute("SELECT %s ~ %s", (value, MAY_HOLD_PERSONAL_DATA)
                                        ).fetchone() == (True,) for value in TEXTS}
    for value in TEXTS:
        assert withheld[value] or scrub_text(value) == value, value
    shown = {value for value, hidden in withheld.items() if not hidden}
    assert {"Trafikolycka, singel", "Rån väpnat", "Stöld/inbrott, Sörberge", ""} <= shown


def test_a_schema_per_municipality_holds_only_its_records(
        pg_cluster: pg.Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``trygg db views --kommun 2281`` in a police area's store: trygg_rad_2281 holds the
    Sundsvall records the council reads and no Timrå record; later runs keep it; a kommunkod
    outside the area is refused by name."""
    url = pg_cluster.new_database()
    s = Store.open(url)
    try:
        init_area(s, ["2262", "2281"], folder=tmp_path / "kommuner")
        centres = [shapely.centroid(municipality(k).boundary_3006) for k in ("2262", "2281")]
        s.insert("unsafe_places", gpd.GeoDataFrame(
            {"category": ["belysning", "belysning", "sexualbrott"],
             "reported_at": ["2024-06-03T12:00:00Z"] * 3},
            geometry=[centres[0], centres[1], centres[1]], crs="EPSG:3006"))
        monkeypatch.setenv("TRYGG_DB", url)
        monkeypatch.setenv("TRYGG_SECRET", SECRET)
        refused = CliRunner().invoke(cli, ["db", "views", "--kommun", "2280"])
        assert refused.exit_code != 0 and "2280" in refused.output and "2262" in refused.output
        done = CliRunner().invoke(cli, ["db", "views", "--create-roles", "--kommun", "2281,"],
                                  catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert "trygg_rad_2281: " in done.output and "trygg_rad: " in done.output
        places = s.read("unsafe_places")
        sundsvall = set(fit_frame("unsafe_places", places[places["kommunkod"] == "2281"],
                                  "rad").index)
        assert len(sundsvall) == 1
        with _login(pg_cluster, url, "sara", "trygg_rad_2281") as sara:
            assert _ids(sara, "trygg_rad_2281", "unsafe_places") == sundsvall
            assert sara.execute("SELECT DISTINCT kommunkod FROM trygg_rad_2281.events"
                                ).fetchall() in ([], [("2281",)])
            with pytest.raises(errors.InsufficientPrivilege):
                sara.execute("SELECT count(*) FROM trygg_rad.unsafe_places")
        again = CliRunner().invoke(cli, ["db", "views"], catch_exceptions=False)
        assert again.exit_code == 0 and "trygg_rad_2281: " in again.output
        with s.engine.connect() as conn:
            comment = conn.execute(text("SELECT obj_description('trygg_rad_2281'::regnamespace, "
                                        "'pg_namespace')")).scalar_one()
        assert "2281" in comment
    finally:
        s.close()
