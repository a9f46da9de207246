"""The wheel must carry every code folder: an editable install hides a missing one."""
from __future__ import annotations

import tomllib

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # a wheel built and installed


def test_every_code_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_every_data_folder_is_a_listed_package():
    """setuptools warns about (and may one day drop) a data folder that is not a listed package:
    every folder under a package folder that holds files must be in `packages`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    missing = set()
    for name, folder in config["package-dir"].items():
        for sub in (ROOT / folder).rglob("*"):
            if sub.is_dir() and sub.name != "__pycache__" and any(p.is_file() for p in sub.iterdir()):
                missing.add(".".join([name, *sub.relative_to(ROOT / folder).parts]))
    assert missing - listed == set(), "add these to [tool.setuptools] packages (and their files to package-data)"


def test_building_the_wheel_is_quiet_and_ships_every_rule_file(tmp_path):
    import shutil
    import subprocess
    import sys
    import zipfile
    src = tmp_path / "src"  # a copy: setuptools builds in the source folder
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for folder in set(config["package-dir"].values()):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", str(tmp_path),
                           str(src)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "absent from the `packages` configuration" not in proc.stdout + proc.stderr
    wheel = next(tmp_path.glob("syncdoctor-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for f in (ROOT / "rules").rglob("*"):
        if f.is_file() and "__pycache__" not in f.parts:
            assert "syncdoctor/rules/" + f.relative_to(ROOT / "rules").as_posix() in shipped
