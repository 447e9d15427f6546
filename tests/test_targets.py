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
    fields = [d.split("field ")[1].split(":")[0] for d in info.value.details]
    assert fields == ["'target.indicator'", "'target.op'", "'target.value'", "'target.per'"]
    assert all(d.startswith("f.yaml, commitment 2") for d in info.value.details)
    for bad in (True, float("inf"), None):
        with pytest.raises(ValidationFailed, match="target.value"):
            parse_target({"indicator": "a", "value": bad}, where="w")
    with pytest.raises(ValidationFailed, match="mapping"):
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
