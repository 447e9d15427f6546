"""`trygg roads reweight`: risk weights and categories from the events in the store with the
rule the demo builder used (so the demo's own roads come out unchanged when police checks count,
as the demo counts them), planner categories kept, all-or-nothing writes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import cli
from geo.errors import ImportRejected
from services.roads import reweight
from store import Store


def weights_by_ref(store: Store) -> dict[str, float]:
    roads = store.read("risk_roads")
    return dict(zip(roads["road_ref"].fillna(roads["name"]), roads["risk_weight"], strict=True))


def test_the_demo_rule_reproduces_the_demo_weights(demo_store: Store) -> None:
    before = weights_by_ref(demo_store)
    result = reweight(demo_store, count_checks=True)
    assert not any(w.changed for w in result), [w for w in result if w.changed]
    assert weights_by_ref(demo_store) == before
    assert before["E4"] == 43


def test_without_checks_the_weights_drop_and_planner_categories_stay(demo_store: Store) -> None:
    roads = demo_store.read("risk_roads")
    e4 = int(roads.index[roads["road_ref"] == "E4"][0])
    demo_store.update("risk_roads", e4, {"risk_categories": ["hastighet", "buskorning"]})
    preview = reweight(demo_store, dry_run=True)
    assert weights_by_ref(demo_store)["E4"] == 43  # a dry run saves nothing
    by_ref = {w.road_ref: w for w in preview}
    assert by_ref["E4"].risk_weight == 38 and by_ref["E4"].changed
    assert by_ref["E4"].events_per_km is not None and by_ref["E4"].events_per_km > 0
    reweight(demo_store)
    after = demo_store.read("risk_roads")
    assert weights_by_ref(demo_store)["E4"] == 38
    assert "buskorning" in after.loc[e4, "risk_categories"]
    assert demo_store.audit(layer="risk_roads", limit=1)[0]["action"] == "update"


def test_update_many_is_all_or_nothing(demo_store: Store) -> None:
    roads = demo_store.read("risk_roads")
    first, second = (int(i) for i in roads.index[:2])
    with pytest.raises(ImportRejected, match="risk_weight"):
        demo_store.update_many("risk_roads", {first: {"risk_weight": 5.0},
                                              second: {"risk_weight": -1.0}})
    assert demo_store.read("risk_roads")["risk_weight"].tolist() == roads["risk_weight"].tolist()


def test_trygg_roads_reweight(tmp_path, monkeypatch, demo_store: Store) -> None:
    monkeypatch.setenv("TRYGG_DB", str(demo_store.path))
    runner = CliRunner()
    shown = runner.invoke(cli, ["roads", "reweight", "--dry-run"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "riskvikt 38" in shown.output and "per km" in shown.output
    assert "(inget sparat)" in shown.output
    done = runner.invoke(cli, ["roads", "reweight"], catch_exceptions=False)
    assert done.exit_code == 0 and "ändrade." in done.output
