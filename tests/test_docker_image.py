"""The Dockerfile cannot be built here (no Docker engine), so a test takes its steps: the frontend stage's build of the
canvas from the lockfile, and the command and user the image runs with."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"


def stages() -> list[list[str]]:
    """The Dockerfile's instructions, stage by stage (each stage starts at its FROM), without comments."""
    instructions = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    found: list[list[str]] = []
    for instruction in instructions:
        if instruction.startswith("FROM "):
            found.append([])
        if instruction and not instruction.startswith("#"):
            found[-1].append(instruction)
    return found


def test_the_frontend_stage_installs_from_the_lockfile_then_builds() -> None:
    frontend_stage = stages()[0]
    assert frontend_stage[0].endswith(" AS frontend")
    # The steps test_the_frontend_stage_builds_the_canvas takes, in this order.
    assert frontend_stage[2:] == [
        "COPY frontend/package.json frontend/package-lock.json ./",
        "RUN npm ci --no-audit --no-fund",
        "COPY frontend/ ./",
        "RUN npm run build",
    ]
    # The checkout's own node_modules/ and dist/ must not overwrite what the stage installs and builds.
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"frontend/node_modules", "frontend/dist"} <= set(ignored)


@pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js/npm is not installed: the frontend stage needs it")
def test_the_frontend_stage_builds_the_canvas(tmp_path: Path) -> None:
    stage = tmp_path / "frontend"
    stage.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(FRONTEND / name, stage)
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=stage, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, f"npm ci failed: the lockfile does not install as it is\n{installed.stderr}"
    shutil.copytree(FRONTEND, stage, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules", "dist"))
    built = subprocess.run(["npm", "run", "build"], cwd=stage, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, f"npm run build failed:\n{built.stdout}\n{built.stderr}"
    assert (stage / "dist" / "index.html").exists()


def test_the_image_serves_the_api_with_threads_as_an_unprivileged_user() -> None:
    image_stage = stages()[-1]
    [command] = [json.loads(instruction.removeprefix("CMD ")) for instruction in image_stage if instruction.startswith("CMD ")]
    assert command[0] == "gunicorn" and command[-1] == "builder_api.wsgi:app"
    # Widget event streams are long responses: threads serve them, sync workers would block on one each.
    assert command[command.index("--worker-class") + 1] == "gthread"
    assert int(command[command.index("--threads") + 1]) >= 64
    [user] = [instruction.removeprefix("USER ") for instruction in image_stage if instruction.startswith("USER ")]
    assert user not in ("root", "0")
