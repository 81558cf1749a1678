"""docs/clauses.md is the index the code and the clause-named tests give today (scripts/clauses.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_index_script():
    spec = importlib.util.spec_from_file_location("clause_index", ROOT / "scripts" / "clauses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_clause_index_is_current_and_lists_all_76_clauses():
    index = load_index_script()
    current = index.render()
    assert len(index.CLAUSES) == 76
    assert (ROOT / "docs" / "clauses.md").read_text(encoding="utf-8") == current, "run `make clauses`"
    for clause in index.CLAUSES:
        assert f"[{clause}](#" in current


def test_every_clause_named_test_names_a_clause_of_the_agreement():
    _, unknown = load_index_script().collect_tests()
    assert unknown == []


def test_the_three_clauses_without_a_named_test_before_now_have_one():
    tests, _ = load_index_script().collect_tests()
    for clause in ("s1_3", "s2_3_2", "s7_2"):
        assert tests.get(clause), clause
