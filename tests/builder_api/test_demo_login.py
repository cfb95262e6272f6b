"""`automap serve` on an embedded instance makes one demo user, so `make run` can print a login."""
from __future__ import annotations

import dataclasses
import json

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder_api import accounts
from builder_api.cli import DEMO_EMAIL, demo_login
from workflow_runtime.storage.models import User


def test_the_demo_user_is_made_once_and_its_password_kept_with_the_secrets(app: Flask, session: Session) -> None:
    embedded = dataclasses.replace(app.config["AUTOMAP"], redis_url=None)
    email, password = demo_login(embedded)
    assert email == DEMO_EMAIL
    assert json.loads((embedded.instance_path / "secrets.json").read_text())["demo_password"] == password
    assert accounts.authenticate(session, email, password) is not None
    assert demo_login(embedded) == (email, password)
    assert session.scalars(select(User.email)).all() == [DEMO_EMAIL]


def test_no_demo_user_where_people_already_log_in_or_on_a_real_deployment(app: Flask, session: Session) -> None:
    settings = app.config["AUTOMAP"]
    assert demo_login(dataclasses.replace(settings, redis_url="redis://127.0.0.1:6379/1")) is None
    accounts.create_user(session, "owner@example.com", "a long passphrase")
    session.commit()
    assert demo_login(dataclasses.replace(settings, redis_url=None)) is None
    assert session.scalars(select(User.email)).all() == ["owner@example.com"]
