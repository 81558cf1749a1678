"""Write docs/clauses.md: for each clause of the agreement, where its rule lives and which tests prove it.

Read from the code itself: the `§` references in saas/ and plugins/ (Python and templates; `Part 2 §3.1` is a
clause of Part 2, `Annex 3` and `Part 3` are Part 3) and the tests named for a clause (`test_s8_2_…`,
`test_p2_s3_1_…`, `test_p3_…`). `make clauses` writes the file; `--check` (and tests/test_clause_index.py)
fails when it is out of date, or when a test names a clause id the agreement does not have.

    python scripts/clauses.py [--check]
"""

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "clauses.md"
CODE_DIRS = ("saas", "plugins")
SKIP_PARTS = {"translations", "static", "migrations", "__pycache__", "testing"}

#: The 76 clause ids of ../shared/SPEC.md, with the seed's heading of each (Chinese) and its gist (English).
CLAUSES = {
    "s1_1": ("协议双方", "the parties"),
    "s1_2": ("协议期限", "term and renewal"),
    "s1_3": ("服务内容概述", "scope of services"),
    "s2_1_1": ("远程技术支持", "remote support 7×24"),
    "s2_1_2": ("现场技术支持", "on-site support"),
    "s2_1_3": ("技术培训", "training"),
    "s2_2_1": ("系统监控", "system monitoring"),
    "s2_2_2": ("故障响应与处理", "fault response"),
    "s2_2_3": ("系统升级与优化", "upgrade and optimisation"),
    "s2_3_1": ("咨询服务范围", "consulting scope"),
    "s2_3_2": ("咨询响应时间", "consulting response time"),
    "s2_3_3": ("咨询服务质量保障", "quality guarantee"),
    "s3_1_1": ("服务费用计算", "fee calculation"),
    "s3_1_2": ("服务费用支付周期", "payment cycle"),
    "s3_1_3": ("服务费用调整机制", "fee adjustment"),
    "s3_2_1": ("银行转账", "bank transfer"),
    "s3_2_2": ("支票支付", "cheque"),
    "s3_2_3": ("电子支付", "online payment"),
    "s4_1": ("服务响应时间", "service response time"),
    "s4_2": ("服务处理流程", "request process"),
    "s4_3": ("服务问题分类与处理标准", "classification and handling standards"),
    "s5_1": ("技术支持团队组成", "support team"),
    "s5_2": ("技术支持团队资质要求", "team qualifications"),
    "s5_3": ("技术支持团队服务流程", "team's way of working"),
    "s6_1": ("系统维护计划", "maintenance plan"),
    "s6_2": ("系统升级方案", "upgrade plan"),
    "s6_3": ("系统维护与升级流程", "maintenance and upgrade process"),
    "s7_1": ("保密内容", "what is confidential; isolation"),
    "s7_2": ("保密期限", "confidentiality period"),
    "s7_3": ("保密义务与责任", "confidentiality duties"),
    "s8_1_1": ("乙方未按照约定提供服务", "vendor: service not provided or below standard"),
    "s8_1_2": ("乙方未按照约定时间响应", "vendor: response deadline missed"),
    "s8_1_3": ("乙方未按照约定处理", "vendor: problem not handled"),
    "s8_1_4": ("客户未按照约定支付服务费用", "client: fees unpaid"),
    "s8_2": ("违约责任承担方式", "penalty"),
    "s8_3": ("违约赔偿金额计算", "damages"),
    "s9_1": ("协商解决", "negotiation"),
    "s9_2": ("调解解决", "mediation"),
    "s9_3": ("仲裁解决", "arbitration"),
    "s9_4": ("法律诉讼", "litigation"),
    "s10_1": ("合同生效条件", "taking effect: signatures"),
    "s10_2": ("合同变更程序", "amendment"),
    "s10_3": ("合同终止条件", "termination"),
    "s10_4": ("合同终止后的权利与义务处理", "after termination"),
    "s11_1": ("服务满意度评估标准", "satisfaction criteria"),
    "s11_2": ("服务满意度评估周期", "evaluation cycle"),
    "s11_3": ("服务满意度改进措施", "improvement measures"),
    "s12_1": ("客户服务记录要求", "service records"),
    "s12_2": ("客户反馈渠道", "feedback channels"),
    "s12_3": ("客户反馈处理流程", "feedback handling"),
    "s13_1": ("附加服务内容", "add-on services"),
    "s13_2": ("附加服务费用", "add-on fees"),
    "s13_3": ("附加服务生效条件", "add-ons take effect"),
    "s14": ("其他条款", "entire agreement, annexes, signing"),
    "p2_s1_1": ("第三方定义", "third party defined"),
    "p2_s1_2": ("第三方责任界定", "third party's liability"),
    "p2_s2_1": ("第三方介入通知", "notice of intervention"),
    "p2_s2_2": ("第三方介入协商", "negotiating intervention"),
    "p2_s2_3": ("第三方介入解决", "resolving intervention"),
    "p2_s3_1": ("第三方责任限制", "liability cap"),
    "p2_s3_2": ("第三方责任限定", "liability limits"),
    "p2_s4_1": ("第三方选择", "selecting a third party"),
    "p2_s4_2": ("第三方合同", "third-party contracts"),
    "p2_s4_3": ("第三方责任转移", "transfer of obligations"),
    "p2_s5": ("第三方介入原因、影响与解决方式", "causes, effects and remedies of intervention"),
    "p2_s6_1": ("第三方违约行为", "third-party breach"),
    "p2_s6_2": ("第三方违约责任承担方式", "third-party penalty"),
    "p2_s6_3": ("第三方违约赔偿金额计算", "third-party damages"),
    "p2_s7_1": ("第三方介入争议解决方式", "third-party disputes"),
    "p2_s7_2": ("第三方介入争议处理期限", "dispute deadline"),
    "p2_s8": ("甲乙方与第三方的权利义务", "rights and duties of the three parties"),
    "p2_s9_1": ("合同变更条件", "conditions of change"),
    "p2_s9_2": ("合同变更程序", "change procedure"),
    "p2_s9_3": ("合同变更后的第三方责任", "third party after a change"),
    "p2_s10": ("合同终止条件", "termination"),
    "p3": ("附件、双方责任与说明", "annexes, each party's liability, glossary"),
}

REFERENCE = re.compile(
    r"(?P<part>Part ?2 )?§ ?(?P<first>\d+(?:\.\d+)*)(?:\s*[–-]\s*§?(?P<last>\d+(?:\.\d+)*))?"
    r"|(?P<p3>Part ?3\b|Annex \d+)"
)
TEST_CLAUSE = re.compile(r"^test_((?:p2_)?s\d+(?:_\d+)*|p3)(?:_|$)")


def ids_of(number: str, part2: bool = False) -> list[str]:
    """The clause ids a `§number` reference names: itself, else the clauses under it, else the one above it."""
    prefix = "p2_s" if part2 else "s"
    exact = prefix + number.replace(".", "_")
    if exact in CLAUSES:
        return [exact]
    children = [c for c in CLAUSES if c.startswith(exact + "_")]
    if children:
        return children
    parts = number.split(".")
    while len(parts) > 1:
        parts.pop()
        above = prefix + "_".join(parts)
        if above in CLAUSES:
            return [above]
    return []


def expand(first: str, last: str | None) -> list[str]:
    """`8.1.1–8.1.3` -> 8.1.1, 8.1.2, 8.1.3 (a range over the last number of the first)."""
    if not last:
        return [first]
    head, _, start = first.rpartition(".")
    end = last.rpartition(".")[2]
    if not (start.isdigit() and end.isdigit()) or int(end) < int(start) or int(end) - int(start) > 20:
        return [first, last]
    return [f"{head}.{n}" if head else str(n) for n in range(int(start), int(end) + 1)]


def references(text: str) -> list[tuple[int, str]]:
    """(line number, clause id) of every clause reference in a text."""
    found = []
    for match in REFERENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match["p3"]:
            found.append((line, "p3"))
            continue
        for number in expand(match["first"], match["last"]):
            found.extend((line, clause) for clause in ids_of(number, bool(match["part"])))
    return found


def enclosing_names(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and class, innermost last."""
    spans = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                spans.append((start, child.end_lineno, name))
                walk(child, f"{name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return spans


def where(spans, line: int) -> str:
    """The innermost definition holding a line, or the module itself."""
    holding = [s for s in spans if s[0] <= line <= s[1]]
    return min(holding, key=lambda s: s[1] - s[0])[2] if holding else "(module)"


def code_files():
    for top in CODE_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in (".py", ".html") and not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                yield path


def collect_code() -> dict[str, dict[str, set[str]]]:
    """clause id -> file -> the definitions in it that cite the clause."""
    cited = defaultdict(lambda: defaultdict(set))
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        refs = references(text)
        if not refs:
            continue
        spans = enclosing_names(ast.parse(text)) if path.suffix == ".py" else []
        rel = path.relative_to(ROOT).as_posix()
        for line, clause in refs:
            cited[clause][rel].add(where(spans, line) if path.suffix == ".py" else "(template)")
    return cited


def collect_tests() -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """clause id -> test file -> its test functions named for the clause; and names of unknown clauses."""
    proving, unknown = defaultdict(lambda: defaultdict(list)), []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            match = TEST_CLAUSE.match(node.name)
            if not match:
                continue
            clause = longest_clause(node.name.removeprefix("test_"))
            if clause is None:
                unknown.append(f"{rel}::{node.name}")
            else:
                proving[clause][rel].append(node.name)
    return proving, unknown


def longest_clause(name: str) -> str | None:
    """The longest clause id the test name starts with (`s8_1_4_overdue…` -> s8_1_4)."""
    tokens = name.split("_")
    for n in range(len(tokens), 0, -1):
        candidate = "_".join(tokens[:n])
        if candidate in CLAUSES:
            return candidate
    return None


def section(clause: str) -> str:
    """`s8_1_4` -> §8.1.4, `p2_s3_1` -> Part 2 §3.1, `p3` -> Part 3."""
    if clause == "p3":
        return "Part 3"
    part2 = clause.startswith("p2_")
    number = clause.removeprefix("p2_").removeprefix("s").replace("_", ".")
    return f"Part 2 §{number}" if part2 else f"§{number}"


def render() -> str:
    cited = collect_code()
    proving, unknown = collect_tests()
    lines = [
        "# Clause index",
        "",
        "For each clause of the agreement (the 76 ids of `../shared/SPEC.md`): where its rule lives and which tests",
        "prove it. Generated by `make clauses` (`scripts/clauses.py`) from the `§` references in `saas/` and",
        "`plugins/` and from the tests named for a clause; `tests/test_clause_index.py` fails when this file is out",
        "of date. Do not edit it by hand: cite the clause in the code (`§8.2`) and name the test (`test_s8_2_…`).",
        "",
        "| id | clause | seed | code | tests |",
        "|---|---|---|---|---|",
    ]
    for clause, (zh, en) in CLAUSES.items():
        n_code = sum(len(v) for v in cited.get(clause, {}).values())
        n_tests = sum(len(v) for v in proving.get(clause, {}).values())
        link = f"[{clause}](#{clause.replace('_', '-')})"
        code_cell = f"{n_code} place(s)" if n_code else "no code yet"
        test_cell = f"{n_tests} test(s)" if n_tests else "no test yet"
        lines.append(f"| {link} | {section(clause)} {en} | {zh} | {code_cell} | {test_cell} |")
    for clause, (zh, en) in CLAUSES.items():
        lines += ["", f"## {clause}", "", f"{section(clause)} {zh}: {en}.", ""]
        files = cited.get(clause)
        lines.append("Where the rule lives:" if files else "Where the rule lives: no code cites it yet.")
        for rel in sorted(files or {}):
            names = ", ".join(f"`{n}`" for n in sorted(files[rel]))
            lines.append(f"- `{rel}`: {names}")
        lines.append("")
        tests = proving.get(clause)
        lines.append("Tests that prove it:" if tests else "Tests that prove it: none yet.")
        for rel in sorted(tests or {}):
            names = ", ".join(f"`{n}`" for n in sorted(set(tests[rel])))
            lines.append(f"- `{rel}`: {names}")
    if unknown:
        lines += ["", "## Tests named for no clause of the agreement", ""]
        lines += [f"- `{name}`" for name in unknown]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    _, unknown = collect_tests()
    if "--check" in argv:
        if unknown:
            print("tests named for a clause the agreement does not have:", *unknown, sep="\n  ")
            return 1
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run `make clauses`")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}" + (f"; {len(unknown)} test(s) named for no clause" if unknown else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
