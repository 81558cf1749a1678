"""The core stands beneath the domains and plugins: no module of saas/core imports one of them.

A domain reaches the core through the hooks (saas/core/hookspecs.py); the only place the core names
the domains is saas/core/plugins.py's CORE_PARTS, dotted names loaded as configuration, not imports.
(import-linter will take this over; until then an AST scan.)
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "saas" / "core"
#: What saas/core may import from the saas package besides itself.
ALLOWED = ("saas.core", "saas.extensions", "saas.jobs", "saas.config")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with its line: `import x`, `from x import y`, relative ones,
    and `importlib.import_module("x")` / `__import__("x")` with a literal name."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            # `from saas import contracts` imports the module saas.contracts.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def domain_imports(root: Path) -> list[str]:
    """`file:line module` for each import under `root` of something in saas or plugins outside the core."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        for line, module in imported_modules(path):
            ours = module == "plugins" or module.startswith(("saas.", "plugins."))
            if ours and not module.startswith(ALLOWED):
                bad.append(f"{path.relative_to(ROOT)}:{line} {module}")
    return bad


def test_core_imports_no_domain_and_no_plugin():
    assert len(list(CORE.rglob("*.py"))) > 20, "saas/core not found"
    assert domain_imports(CORE) == []


def test_the_scan_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The scan itself: each way of importing a domain is caught, the core's own imports are not."""
    core = tmp_path / "saas" / "core"
    core.mkdir(parents=True)
    (core / "bad.py").write_text(
        "import saas.contracts.forms\n"
        "from saas.billing import services\n"
        "from saas import tickets\n"
        "from .. import api\n"
        "from plugins.payments_bank import views\n"
        "import importlib\n"
        "importlib.import_module('saas.contracts.plugin')\n"
        "from saas.core import audit\n"
        "from . import clock\n"
        "from saas.extensions import db\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    modules = [line.split(" ")[1] for line in domain_imports(core)]
    assert modules == [
        "saas.contracts.forms",
        "saas.billing.services",
        "saas.tickets",
        "saas.api",
        "plugins.payments_bank.views",
        "saas.contracts.plugin",
    ]
