"""One home per concept: Swedish labels keyed by the layer enums, one time zone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from geo import layers, periods, vocabulary
from geo.emerging import PATTERNS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("labels", "keys"), [
    (vocabulary.PROVENANCE_SV, layers.PROVENANCES),
    (vocabulary.PROVENANCE_LONG_SV, layers.PROVENANCES),
    (vocabulary.UNSAFE_CATEGORY_SV, layers.UNSAFE_CATEGORIES),
    (vocabulary.RISK_CATEGORY_SV, layers.RISK_CATEGORIES),
    (vocabulary.CHECK_KIND_SV, layers.CHECK_KINDS),
    (vocabulary.CHECK_KIND_PLURAL_SV, layers.CHECK_KINDS),
    (vocabulary.CANDIDATE_KIND_SV, layers.CANDIDATE_KINDS),
    (vocabulary.LOCATION_PRECISION_SV, layers.LOCATION_PRECISIONS),
    (vocabulary.ACTIVITY_SV, layers.ACTIVITY_KINDS),
    (vocabulary.ACTIVITY_PLURAL_SV, layers.ACTIVITY_KINDS),
    (vocabulary.OWNER_SV, layers.ACTION_OWNERS),
    (vocabulary.ACTION_STATUS_SV, layers.ACTION_STATUSES),
    (vocabulary.BAND_SV, periods.BANDS),
    (vocabulary.DAYTYPE_SV, periods.DAYTYPES),
])
def test_every_value_of_an_enum_has_one_label(labels: dict[str, str], keys: tuple[str, ...]
                                              ) -> None:
    assert set(labels) == set(keys)
    assert all(text.strip() for text in labels.values())


def test_choices_of_the_layers_have_labels() -> None:
    for spec_name, field_name, labels in (
            ("traffic_checks", "status", vocabulary.CHECK_STATUS_SV),
            ("patrols", "kind", vocabulary.PATROL_KIND_SV)):
        choices = layers.layer_spec(spec_name).field_by_name[field_name].choices
        assert choices is not None and set(labels) == set(choices)


def test_trend_labels_cover_every_pattern_of_hot_and_cold_spots() -> None:
    expected = {f"{p}_{kind}_spot" for p in PATTERNS for kind in ("hot", "cold")}
    assert set(vocabulary.TREND_SV) == expected | {"no_pattern", "too_few"}


def test_capitalised_labels_are_the_same_words() -> None:
    assert vocabulary.first_upper("dag 06–18") == "Dag 06–18"
    assert vocabulary.first_upper("") == ""
    assert vocabulary.capitalised({"a": "äldre A-traktor"}) == {"a": "Äldre A-traktor"}
    legend = vocabulary.VALUE_LABELS_SV
    assert legend["vald"] == "Våld" and legend["genomford"] == "Genomförd"
    assert legend["municipality"] == "Endast kommun" and legend["installd"] == "Inställd"
    assert vocabulary.HOTSPOT_GROUP_SV[vocabulary.EVENTS_GROUP] == "Polisens händelser"
    assert all(legend[k].casefold() == v.casefold()
               for k, v in vocabulary.UNSAFE_CATEGORY_SV.items())


def test_labels_have_one_home() -> None:
    from geo import emerging, promise, riskprofile
    assert not hasattr(layers, "PROVENANCE_SV") and not hasattr(promise, "OWNER_SV")
    assert not hasattr(promise, "STATUS_SV") and not hasattr(emerging, "CATEGORY_SV")
    assert not hasattr(riskprofile, "WEEKDAYS_SV")
    assert layers.LOCAL_TZ is periods.LOCAL_TZ and str(periods.LOCAL_TZ) == periods.TZ_NAME


def test_the_time_zone_is_named_only_in_periods() -> None:
    found = subprocess.run(
        ["grep", "-rln", "--include=*.py", "Europe/Stockholm", "geo", "maps"],
        cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    # geo.io.xlsx writes the zone's name into an Excel sheet's help text for the reader.
    assert set(found) <= {"geo/periods.py", "geo/io/xlsx.py"}


def test_local_date_text_shows_an_exclusive_end_as_the_last_day() -> None:
    import pandas as pd
    end = pd.Timestamp("2024-09-30 22:00", tz="UTC")  # local midnight starting 1 October
    assert periods.local_date_text(end) == "2024-10-01"
    assert periods.local_date_text(end, end=True) == "2024-09-30"
    assert periods.local_date(end.timestamp()).isoformat() == "2024-10-01"
