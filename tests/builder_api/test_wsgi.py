"""gunicorn's entry point: with real servers it sets up the dispatcher, so runs the API starts go to workers at once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = "import builder_api.wsgi; from workflow_runtime import runtime; print(runtime.configured() is not None)"


def _configured(tmp_path: Path, **environ: str) -> str:
    base = {key: value for key, value in os.environ.items() if not key.startswith("AUTOMAP_")}
    base |= {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.db'}"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=base | environ, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_a_deployment_configures_the_runtime_and_the_embedded_mode_does_not(tmp_path: Path) -> None:
    secrets = {"AUTOMAP_SECRET_KEY": "s", "AUTOMAP_ADMIN_TOKEN": "a", "AUTOMAP_WRITE_KEY": "w"}
    # Redis is only connected to when a job is queued, so an unused address is enough here.
    assert _configured(tmp_path, AUTOMAP_REDIS_URL="redis://127.0.0.1:1/0", **secrets) == "True"
    assert _configured(tmp_path) == "False"
