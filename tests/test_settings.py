"""The one settings object: documented, overridable from the environment, safe by default."""

from __future__ import annotations

import pytest

from trygg.settings import PROJECT_ROOT, Settings


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"TRYGG_{name.upper()}" for name in Settings.model_fields
               if f"`TRYGG_{name.upper()}`" not in readme]
    assert missing == []


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TRYGG_DB", str(tmp_path / "x.sqlite"))
    monkeypatch.setenv("TRYGG_MAX_UPLOAD_MB", "5")
    settings = Settings()
    assert settings.db == tmp_path / "x.sqlite" and settings.max_upload_mb == 5


def test_demo_secret_is_refused_outside_demo_mode() -> None:
    with pytest.raises(ValueError, match="TRYGG_SECRET"):
        Settings(demo=False).checked_secret()
    assert Settings(demo=True).checked_secret()
    with pytest.raises(ValueError, match="16 characters"):
        Settings(demo=False, secret="short").checked_secret()
