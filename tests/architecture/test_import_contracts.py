"""The allowed arrows between the rooms (pyproject.toml's import-linter contracts, docs/architecture.md) hold, and
a contract broken on purpose fails the check."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    command = [str(LINT_IMPORTS), "--no-cache"]
    environment = {"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, cwd=where, capture_output=True, text=True, env=environment, timeout=300)  # noqa: S603


@pytest.fixture
def copy_of_the_code(tmp_path):
    """The product's packages and pyproject.toml, copied where they may be broken."""
    for package in ("saas", "plugins"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "translations", "templates"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("saas/core/money.py", "from saas.billing import models", "Core imports no domain and no plugin"),
        ("saas/contracts/models.py", "from saas.requests import services", "Contracts imports no other domain"),
        (
            "saas/requests/services.py",
            "from plugins.payments_bank import services",
            "The product never imports a plugin",
        ),
        (
            "plugins/payments_cheque/services.py",
            "from saas.billing import views",
            "Plugins use only the public modules",
        ),
        (
            "plugins/payments_cheque/services.py",
            "from plugins.payments_bank import models",
            "Plugins are independent of each other",
        ),
    ],
)
def test_a_contract_broken_on_purpose_fails(copy_of_the_code, module, line, contract):
    path = copy_of_the_code / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(copy_of_the_code)
    assert result.returncode == 1
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
