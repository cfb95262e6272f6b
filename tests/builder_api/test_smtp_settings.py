"""AUTOMAP_SMTP_CONNECTIONS and AUTOMAP_SMTP_RATE: parsed with clear errors, and carried into the email settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from builder_api.mail import email_settings
from builder_api.settings import SettingsError, load_settings


def test_unset_means_four_connections_and_no_rate_limit(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_SMTP_URL": "smtp://mail.example:25"})
    assert (settings.smtp_connections, settings.smtp_rate) == (4, None)
    email = email_settings(settings)
    assert (email.connections, email.rate) == (4, None)


def test_connections_and_rate_reach_the_email_settings(tmp_path: Path) -> None:
    settings = load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_SMTP_URL": "smtp://mail.example:25",
                              "AUTOMAP_SMTP_CONNECTIONS": "16", "AUTOMAP_SMTP_RATE": " 12.5 "})
    assert (settings.smtp_connections, settings.smtp_rate) == (16, 12.5)
    email = email_settings(settings)
    assert (email.connections, email.rate) == (16, 12.5)


@pytest.mark.parametrize("raw", ["0", "65", "-1", "four", "2.5"])
def test_a_connection_count_outside_1_to_64_is_refused_by_name(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_SMTP_CONNECTIONS": raw})
    assert str(refused.value) == ("AUTOMAP_SMTP_CONNECTIONS must be a whole number of SMTP connections per worker "
                                  f"from 1 to 64, not {raw!r}")


@pytest.mark.parametrize("raw", ["0", "-5", "fast", "nan", "inf", "1e400"])
def test_a_rate_that_is_not_a_positive_number_is_refused_by_name(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_SMTP_RATE": raw})
    assert str(refused.value) == ("AUTOMAP_SMTP_RATE must be a number of emails per second above 0, such as 50 or 0.5 "
                                  f"(or unset for no limit), not {raw!r}")
