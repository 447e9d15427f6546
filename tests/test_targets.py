"""Measurable targets: parsing with every problem named, met / not met / unknown (a missing
figure is not zero), edges of each operator, figures per period, Swedish texts."""

from __future__ import annotations

import pytest

from geo.errors import ValidationFailed
from geo.formats import number_sv
from geo.targets import Target, evaluate, parse_target, per_period


def test_parse_a_target_from_the_promise_file() -> None:
    t = parse_target({"indicator": "fotpatrull_minuter_per_vecka", "op": ">=", "value": 600,
                      "per": "vecka"}, where="lofte.yaml, commitment 0")
    assert t == Target("fotpatrull_minuter_per_vecka", ">=", 600.0, "vecka")
    assert t.text_sv() == "minst 600 per vecka"


def test_every_problem_is_named_with_its_field() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_target({"indicator": "nope", "op": "=>", "value": "600", "per": "dygn"},
                     where="f.yaml, commitment 2", indicators=("a", "b"))
    fields = [d.split(": ")[1] for d in info.value.details]
    assert fields == ["target.indicator", "target.op", "target.value", "target.per"]
    assert all(d.startswith("f.yaml, commitment 2") for d in info.value.details)
    for bad in (True, float("inf"), None):
        with pytest.raises(ValidationFailed, match="target.value"):
            parse_target({"indicator": "a", "value": bad}, where="w")
    with pytest.raises(ValidationFailed, match="ska vara en tabell"):
        parse_target([600], where="w")


@pytest.mark.parametrize(("op", "figure", "status"), [
    (">=", 600, "met"), (">=", 599.999, "not_met"), (">", 600, "not_met"), (">", 600.001, "met"),
    ("<=", 600, "met"), ("<", 600, "not_met"), ("==", 600, "met"), ("==", 600.5, "not_met"),
])
def test_operators_at_their_edges(op: str, figure: float, status: str) -> None:
    assert evaluate(Target("x", op, 600.0), figure).status == status


def test_missing_figure_is_unknown_not_zero() -> None:
    target = Target("x", "<=", 10.0)
    assert evaluate(target, None).status == "unknown"
    assert evaluate(target, float("nan")).status == "unknown"
    assert evaluate(target, 0).status == "met"
    assert evaluate(target, None).text_sv() == "okänt: ingen uppgift (mål högst 10 under perioden)"


def test_figures_per_period() -> None:
    assert per_period(1200, days=14, per="vecka") == pytest.approx(600)
    assert per_period(1200, days=14, per="period") == 1200
    assert per_period(365.25, days=365.25, per="ar") == pytest.approx(365.25)
    assert per_period(None, days=7, per="vecka") is None
    with pytest.raises(ValidationFailed, match="days"):
        per_period(1, days=0, per="vecka")
    got = evaluate(Target("m", ">=", 600, "vecka"), per_period(1281, days=14, per="vecka"))
    assert got.text_sv() == "uppnått: 640,5 (mål minst 600 per vecka)"


def test_swedish_numbers() -> None:
    assert number_sv(1234567) == "1\u00a0234\u00a0567"
    assert number_sv(-3.25, digits=1) == "−3,2"  # round half to even, true minus
    assert number_sv(-0.01, digits=1) == "0,0"
    assert number_sv(4.5, unit=" km") == "4,5 km"
    assert number_sv(2, sign=True) == "+2" and number_sv(0, sign=True) == "±0"
    assert number_sv(None) == "–" and number_sv(float("nan")) == "–"


def test_targets_of_a_commitment_as_a_list_or_one_mapping() -> None:
    from geo.targets import parse_targets, target_dict

    one = {"indicator": "checks", "op": ">=", "value": 2, "per": "manad", "note": "exempel"}
    assert parse_targets(None, where="w") == ()
    assert parse_targets(one, where="w") == (Target("checks", ">=", 2.0, "manad", "exempel"),)
    assert target_dict(parse_targets([one], where="w")[0]) == {**one, "value": 2.0}
    with pytest.raises(ValidationFailed) as info:  # every target's problems in one error
        parse_targets([{"indicator": "a", "op": "?", "value": 1}, {"value": "x"}],
                      where="f.yaml, commitment 1")
    assert [d.split(":")[0] for d in info.value.details] == [
        "f.yaml, commitment 1, mål 0", "f.yaml, commitment 1, mål 1",
        "f.yaml, commitment 1, mål 1"]
    with pytest.raises(ValidationFailed, match="list"):
        parse_targets("600", where="w")


def test_results_per_period_for_sums_and_as_they_are_for_levels() -> None:
    from geo.targets import Measured, result_dict, results

    targets = (Target("minutes", ">=", 600, "vecka"), Target("share", ">=", 50, "vecka"),
               Target("missing", "<=", 1), Target("none", "<=", 1))
    got = results(targets, {"minutes": Measured(1200.0), "share": Measured(40.0, level=True),
                            "none": Measured(None)}, days=14)
    assert [(r.status, r.figure) for r in got] == [("met", 600.0), ("not_met", 40.0),
                                                  ("unknown", None), ("unknown", None)]
    shown = result_dict(got[1])
    assert shown["status_sv"] == "inte uppnått" and shown["figure_sv"] == "40"
    assert shown["text_sv"] == "inte uppnått: 40 (mål minst 50 per vecka)"


def test_a_promise_file_with_targets(tmp_path) -> None:
    from geo.promise import load_promise, with_targets

    path = tmp_path / "lofte.yaml"
    path.write_text("commitments:\n  - id: a\n    text: Polisen ska göra.\n    targets:\n"
                    "      - {indicator: checks, op: '>=', value: 4, per: manad}\n"
                    "  - id: b\n    text: Kommunen ska göra.\n    target: {indicator: x, op: '=>',"
                    " value: 1}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_promise(path)
    assert info.value.details == ["lofte.yaml, åtagande 1, mål 0: target.op: '=>' "
                                  "är inte ett av >=, >, <=, <, =="]
    path.write_text(path.read_text(encoding="utf-8").replace("'=>'", "'<'"), encoding="utf-8")
    promise = load_promise(path)
    assert promise.by_id["a"].targets == (Target("checks", ">=", 4.0, "manad"),)
    changed = with_targets(promise, {"b": ()})
    assert changed.by_id["b"].targets == () and changed.by_id["a"] == promise.by_id["a"]
