"""The grammar and the trial library reach an installed package.

A wheel carries grammar/ and rules/ inside the package (screener/_bundled);
an editable install finds them at the top of the repository. Both are checked
from a throwaway virtualenv, run from a directory outside the repository.

The throwaway venvs see the running interpreter's packages (through a .pth
file), so only the build backend (hatchling) is fetched from the index.
"""

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[1]
SEED_FILES = sorted(path.name for path in (REPO / "rules").glob("*.yaml"))
SHOW_DIRS = (
    "from screener.resources import bundled_dir; "
    "print(bundled_dir('rules')); print(bundled_dir('grammar'))"
)
UNREACHABLE = re.compile(
    r"No matching distribution found for hatchling|Could not find a version that satisfies "
    r"the requirement hatchling"
)


def run(command: list[str | Path], cwd: Path, timeout: float = 180) -> str:
    """Run outside the repository, without PYTHONPATH or the test's own venv leaking in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if result.returncode != 0:
        log = result.stdout + result.stderr
        if UNREACHABLE.search(log):
            pytest.skip("cannot build: the build backend hatchling cannot be obtained")
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{log}")
    return result.stdout


def make_venv(path: Path) -> Path:
    """A venv that also sees this interpreter's packages; returns its python."""
    run([sys.executable, "-m", "venv", "--system-site-packages", path], cwd=path.parent)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    cwd=path.parent).strip())
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    # named to sort after an editable install's .pth, so the install under test comes first
    (site / "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


def installed_dirs(python: Path, cwd: Path) -> tuple[Path, Path]:
    rules, grammar = run([python, "-c", SHOW_DIRS], cwd=cwd).split()
    return Path(rules), Path(grammar)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, REPO], cwd=out)
    (built,) = out.glob("screener-*.whl")
    return built


def test_the_wheel_carries_the_grammar_and_the_library(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "screener/_bundled/grammar/rule.lark" in names
    assert SEED_FILES
    for name in SEED_FILES:
        assert f"screener/_bundled/rules/{name}" in names


def test_an_installed_wheel_finds_its_bundled_folders(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("wheel-venv")
    python = make_venv(home / "venv")
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], cwd=home)
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    cwd=home).strip()).resolve()
    rules, grammar = installed_dirs(python, cwd=home)
    assert rules.resolve() == site / "screener" / "_bundled" / "rules"
    assert sorted(path.name for path in rules.glob("*.yaml")) == SEED_FILES
    assert (grammar / "rule.lark").is_file()
    assert grammar.resolve() == site / "screener" / "_bundled" / "grammar"


def test_an_editable_install_finds_the_repository_folders(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("editable-venv")
    python = make_venv(home / "venv")
    run([python, "-m", "pip", "install", "--no-deps", "-q", "-e", REPO], cwd=home)
    rules, grammar = installed_dirs(python, cwd=home)
    assert rules.resolve() == REPO / "rules"
    assert grammar.resolve() == REPO / "grammar"
