"""meshlens works from an installed wheel, not only from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests_paths import REPO


def _declared_packages() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_directory_is_declared() -> None:
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("collectors", "dashboard")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found | {"dashboard.assets"} == _declared_packages()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("meshlens-*.whl")
    return built


def test_wheel_carries_code_assets_and_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "dashboard/assets/meshlens.css" in names
    assert "collectors/py.typed" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "meshlens = dashboard.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_exports_the_demo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # -S skips site-packages' .pth files, so the editable install of the checkout is invisible;
    # the dependencies come from this environment's site-packages, the code from the wheel.
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import dashboard, dashboard.cli; assert dashboard.__file__.startswith(sys.argv[1]);"
        "from importlib import resources;"
        "assert (resources.files('dashboard.assets') / 'meshlens.css').is_file();"
        "sys.argv = ['meshlens', 'export', '--format', 'json']; dashboard.cli.main()"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(target), sysconfig.get_paths()["purelib"]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert sum(1 for n in doc["nodes"] if n["kind"] == "workload") >= 30
