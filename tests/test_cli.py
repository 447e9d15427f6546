"""The ``trygg`` command through click's runner and as an installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from store import Store
from tests.conftest import SECRET, SHARED_DATA
from cli import cli

VIVSTA = [17.32583, 62.48694]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    invoke.db = db
    return invoke


def test_demo_loads_once_and_lists_layers(run) -> None:
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "Polisens händelser" in first.output
    again = run("demo", "--if-empty")
    assert again.exit_code == 0 and "finns redan" in again.output
    listing = run("layers")
    assert "events" in listing.output and "159" in listing.output


def test_import_error_exits_non_zero_and_writes_nothing(run, tmp_path: Path) -> None:
    bad = tmp_path / "swapped.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "LineString", "coordinates": [VIVSTA[::-1], [62.5, 17.35]]}}]}))
    result = run("import", "risk_roads", str(bad))
    assert result.exit_code == 1
    assert "swapped.geojson, objekt 0: geometri" in result.stderr
    assert Store.open(run.db).count("risk_roads") == 0


def test_import_export_round_trip(run, tmp_path: Path) -> None:
    good = tmp_path / "zoner.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Vivsta centrum", "priority": 1},
         "geometry": {"type": "Polygon", "coordinates": [[[17.32, 62.484], [17.332, 62.484],
                                                          [17.332, 62.49], [17.32, 62.484]]]}}]}))
    assert run("import", "patrol_zones", str(good), "--provenance", "illustrative").exit_code == 0
    out = tmp_path / "zoner.gpkg"
    result = run("export", "patrol_zones", str(out))
    assert result.exit_code == 0 and out.exists()


def test_events_ingest_is_idempotent(run) -> None:
    run("demo")
    source = str(SHARED_DATA / "polisen_events_timra_2023_2024.json")
    result = run("events", "ingest", source)
    assert result.exit_code == 0
    assert "0 nya händelser, 0 uppdaterade" in result.output
    assert Store.open(run.db).count("events") == 159


def test_events_geocode_prints_feature_collection(run) -> None:
    result = run("events", "geocode", str(SHARED_DATA / "polisen_events_timra_2023_2024.json"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert len(doc["features"]) == 159
    by_id = {f["properties"]["id"]: f["properties"] for f in doc["features"]}
    assert by_id[413487]["place"] == "Sörberge" and by_id[413487]["road"] == "E4"
    assert by_id[411948]["precision"] == "municipality"


def test_users_add_prints_a_working_token(run) -> None:
    result = run("users", "add", "Anna", "--role", "planerare")
    token = result.output.strip()
    assert result.exit_code == 0 and len(token) > 30
    from store.accounts import user_for_token

    user = user_for_token(Store.open(run.db), token, secret=SECRET)
    assert user is not None and user.role == "planerare"
    assert run("users", "add", "Anna", "--role", "admin").exit_code == 1


def test_users_add_refuses_demo_secret_outside_demo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRYGG_DB", str(tmp_path / "x.sqlite"))
    monkeypatch.delenv("TRYGG_SECRET", raising=False)
    monkeypatch.delenv("TRYGG_DEMO", raising=False)
    result = CliRunner().invoke(cli, ["users", "add", "Bo", "--role", "rad"])
    assert result.exit_code != 0 and "TRYGG_SECRET" in result.output


def test_console_script_exit_code(tmp_path: Path) -> None:
    trygg = shutil.which("trygg", path=str(Path(os.sys.executable).parent))
    assert trygg, "the trygg console script is installed with the package"
    env = {**os.environ, "TRYGG_DB": str(tmp_path / "x.sqlite")}
    empty = tmp_path / "tom.geojson"
    empty.write_text("")
    proc = subprocess.run([trygg, "import", "risk_roads", str(empty)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "filen är tom" in proc.stderr


def test_every_command_lives_where_command_homes_says() -> None:
    """A command is imported lazily from its home: a command module whose command is missing
    from ``COMMAND_HOMES`` (or listed under another module) would never be found."""
    import importlib

    from cli.base import COMMAND_HOMES

    cli_dir = Path(__file__).parents[1] / "cli"
    modules = {f"cli.{p.stem}" for p in cli_dir.glob("*.py")} - {"cli.__init__", "cli.__main__",
                                                                  "cli.base"}
    for module in sorted(modules | set(COMMAND_HOMES.values())):
        importlib.import_module(module)
    homes = {name: command.callback.__module__ for name, command in cli.commands.items()
             if command.callback is not None}
    assert homes == {name: COMMAND_HOMES[name] for name in homes}
    assert set(cli.commands) == set(COMMAND_HOMES)


def test_a_light_command_does_not_import_the_heavy_ones() -> None:
    code = ("import sys; from cli import cli; "
            "cli(['layers', '--help'], prog_name='trygg', standalone_mode=False); "
            "print(sorted(m for m in ('cli.report', 'cli.coverage', 'matplotlib', 'folium')"
            " if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip().endswith("[]"), proc.stdout
