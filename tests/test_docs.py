"""The documentation stays true (as sqlite-utils keeps its own): every CLI command and option
is in docs/cli.md, every error code hub can emit has a row in docs/errors.md, the README stays
short, every relative link leads to a file and heading, and the paths the pages name exist.

Error codes are found by reading hub's source with ``ast``, so a code added anywhere is caught
without touching this file: the first argument of ``ErrorInfo(...)`` (and of the validator's
``Rejection(...)``), any ``code=...`` keyword, any assignment to a name ``code`` (the class
attributes of the HubError tree), and the ``code`` parameter of helpers that hand it on to one
of those (``_refuse(reply, "negated", ...)``, ``self._error(inbound, parsed, "busy", ...)``).
Upper-case module constants in those places (``OUT_OF_RANGE``) are looked up.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from hub.cli import cli
from tests.conftest import ROOT

HUB = ROOT / "hub"
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_BYTES = 12_288
ERRORS_PAGE = DOCS / "errors.md"
# Written by another change; links to it are allowed until it exists, then checked like any.
PENDING_PAGES = {DOCS / "architecture.md"}
# Calls whose first positional argument is a code (Rejection only as hub.messages' one).
CODE_FIRST = {"ErrorInfo"}
MESSAGES_CODE_FIRST = {"Rejection"}
CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")


# -- the CLI ---------------------------------------------------------------------------------


def commands(group: click.Group, prefix: str = "hub") -> Iterator[str]:
    """Every command path under GROUP, groups included: "hub model", "hub model install"."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        path = f"{prefix} {name}"
        yield path
        if isinstance(command, click.Group):
            yield from commands(command, path)


def test_the_cli_walk_finds_the_commands() -> None:
    found = set(commands(cli))
    assert {"hub ask", "hub run", "hub model", "hub model install", "hub cache clear"} <= found


def test_every_cli_command_is_documented_in_cli_md() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [path for path in commands(cli) if f"`{path}" not in text]
    assert not missing, f"commands not in docs/cli.md (as `{missing[0]} ...`): {missing}"


def test_every_cli_option_is_documented_in_cli_md() -> None:
    """Each command's section of docs/cli.md names each of its options."""
    text = (DOCS / "cli.md").read_text()
    sections = {m.group(1): m.start() for m in re.finditer(r"^#+ `(hub[^`]*)`", text, re.M)}
    starts = [*sorted(sections.values()), len(text)]
    missing = []
    for path in commands(cli):
        command = _command(path)
        if isinstance(command, click.Group):
            continue
        assert path in sections, f"docs/cli.md has no heading `{path}`"
        start = sections[path]
        body = text[start : next(s for s in starts if s > start)]
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            names = [*param.opts, *param.secondary_opts]
            if not any(name in body for name in names):
                missing.append(f"{path} {names[0]}")
    assert not missing, f"options not in their command's section of docs/cli.md: {missing}"


def _command(path: str) -> click.Command:
    command: click.Command = cli
    for name in path.split()[1:]:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None, path
        command = found
    return command


# -- error codes -----------------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    tree: ast.Module
    messages_names: set[str] = field(default_factory=set)  # names imported from hub.messages


def sources() -> list[Source]:
    found = []
    for path in sorted(HUB.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        source = Source(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "hub.messages":
                source.messages_names |= {alias.asname or alias.name for alias in node.names}
        if path == HUB / "messages.py":
            source.messages_names |= MESSAGES_CODE_FIRST
        found.append(source)
    return found


def constants(trees: list[Source]) -> dict[str, set[str]]:
    """Module-level ``NAME = "text"`` of every module (a name may mean several texts)."""
    values: dict[str, set[str]] = {}
    for source in trees:
        for node in source.tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name) and CONSTANT.match(target.id):
                        values.setdefault(target.id, set()).add(node.value.value)
    return values


@dataclass(frozen=True)
class Helper:
    """A function with a parameter ``code``: where that parameter sits in a call."""

    name: str
    index: int  # among the positional parameters, self not counted for a method
    method: bool


def helpers(trees: list[Source]) -> list[Helper]:
    found = []
    for source in trees:
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            method = bool(names) and names[0] in ("self", "cls")
            if method:
                names = names[1:]
            if "code" in names:
                found.append(Helper(node.name, names.index("code"), method))
            elif "code" in [a.arg for a in node.args.kwonlyargs]:
                found.append(Helper(node.name, -1, method))
    return found


def called(func: ast.expr) -> str:
    """The name a call calls: ``f`` in ``f(...)``, ``self.f(...)`` and ``module.f(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def code_arguments(call: ast.Call, source: Source, passing: set[Helper]) -> Iterator[ast.expr]:
    """The arguments of CALL that are an error code."""
    for keyword in call.keywords:
        if keyword.arg == "code":
            yield keyword.value
    func = call.func
    name = called(func)
    if call.args and (
        name in CODE_FIRST or (name in MESSAGES_CODE_FIRST and name in source.messages_names)
    ):
        yield call.args[0]
    for helper in passing:
        # a helper called by its name, or a method through an attribute (self._error(...))
        by_name = isinstance(func, ast.Name) and not helper.method
        by_attribute = isinstance(func, ast.Attribute)
        if helper.name == name and (by_name or by_attribute) and 0 <= helper.index < len(call.args):
            yield call.args[helper.index]


def passing_helpers(trees: list[Source]) -> set[Helper]:
    """The helpers that hand their ``code`` parameter on to an error (found until stable)."""
    candidates = helpers(trees)
    passing: set[Helper] = set()
    while True:
        grown = set(passing)
        for source in trees:
            for node in ast.walk(source.tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                mine = [h for h in candidates if h.name == node.name and h not in grown]
                if not mine:
                    continue
                for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                    args = code_arguments(call, source, grown)
                    if any(isinstance(a, ast.Name) and a.id == "code" for a in args):
                        grown |= set(mine)
                        break
        if grown == passing:
            return passing
        passing = grown


def literals(node: ast.expr, values: dict[str, set[str]]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return literals(node.body, values) | literals(node.orelse, values)
    if isinstance(node, ast.Name) and CONSTANT.match(node.id):
        return values.get(node.id, set())
    return set()


def returned(trees: list[Source], function: str, index: int) -> Iterator[ast.expr]:
    """Element INDEX of the tuples FUNCTION returns (``return (OUT_OF_RANGE, "...")``)."""
    for source in trees:
        for node in ast.walk(source.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
                for ret in ast.walk(node):
                    if (
                        isinstance(ret, ast.Return)
                        and isinstance(ret.value, ast.Tuple)
                        and index < len(ret.value.elts)
                    ):
                        yield ret.value.elts[index]


def unpacked(trees: list[Source], scope: ast.AST, node: ast.Assign) -> Iterator[ast.expr]:
    """``code, reason = problem`` where ``problem = _check_value(...)``: what that returns."""
    for target in node.targets:
        if not isinstance(target, ast.Tuple):
            continue
        names = [t.id if isinstance(t, ast.Name) else "" for t in target.elts]
        if "code" not in names:
            continue
        value = node.value
        if isinstance(value, ast.Name):  # the call it was assigned from, in the same function
            calls = [
                n.value
                for n in ast.walk(scope)
                if isinstance(n, ast.Assign)
                and isinstance(n.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)
            ]
            value = calls[0] if calls else value
        if isinstance(value, ast.Call):
            yield from returned(trees, called(value.func), names.index("code"))


def scoped(tree: ast.AST, scope: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """Every node with the innermost function (or the module) it is in."""
    for child in ast.iter_child_nodes(tree):
        yield child, scope
        inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else scope
        yield from scoped(child, inner)


def error_codes() -> dict[str, set[str]]:
    """Every error code in hub's source, with the files it is in."""
    trees = sources()
    values = constants(trees)
    passing = passing_helpers(trees)
    found: dict[str, set[str]] = {}
    for source in trees:
        where = str(source.path.relative_to(ROOT))
        for node, scope in scoped(source.tree, source.tree):
            exprs: list[ast.expr] = []
            if isinstance(node, ast.Call):
                exprs += code_arguments(node, source, passing)
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                    exprs.append(node.value)
                exprs += unpacked(trees, scope, node)
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "code"
                and node.value is not None
            ):
                exprs.append(node.value)
            for expr in exprs:
                for code in literals(expr, values):
                    found.setdefault(code, set()).add(where)
    return found


def documented_codes() -> dict[str, str]:
    """The table rows of docs/errors.md: | `code` | what it means | ..."""
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]*)\|", ERRORS_PAGE.read_text(), re.M)
    return {code: meaning.strip() for code, meaning in rows}


def test_the_collector_finds_the_codes() -> None:
    codes = error_codes()
    expected = {
        "unauthorized",  # ErrorInfo("unauthorized", ...)
        "expired",
        "config",  # class attribute of ConfigError
        "broker_unavailable",  # code="..." keyword and a helper's argument
        "unknown_entity",  # a validator constant
        "out_of_range",  # a constant in a tuple the validator unpacks: code, reason = problem
        "bad_type",
        "negated",  # _refuse(reply, "negated", ...)
        "too_large",  # self._error(inbound, parsed, "too_large", ...)
        "busy",
        "server_down",  # code = "server_down" if ... else "bad_response"
        "bad_response",
    }
    assert expected <= set(codes), sorted(expected - set(codes))
    assert len(codes) >= 50, sorted(codes)


def test_every_error_code_is_documented() -> None:
    documented = documented_codes()
    codes = error_codes()
    missing = {code: sorted(codes[code]) for code in codes if code not in documented}
    assert not missing, f"error codes without a row in docs/errors.md: {missing}"
    empty = [code for code, meaning in documented.items() if not meaning]
    assert not empty, f"rows of docs/errors.md without a meaning: {empty}"


def test_docs_errors_lists_no_code_hub_does_not_have() -> None:
    stale = sorted(set(documented_codes()) - set(error_codes()))
    assert not stale, f"docs/errors.md documents codes hub's source no longer has: {stale}"


# -- the README and the links ----------------------------------------------------------------


def test_the_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes: move text into docs/"


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_leads_to_a_file() -> None:
    broken = []
    for page in pages():
        for target in LINK.findall(page.read_text()):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:
            file, _, anchor = target.partition("#")
            path = (page.parent / file).resolve() if file else page
            if not path.exists():
                if path not in PENDING_PAGES:
                    broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, f"links to files or headings that do not exist: {broken}"


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_page_is_linked_from_the_readme_and_the_index() -> None:
    index = DOCS / "index.md"
    for page in (README, index):
        linked = {(page.parent / t.split("#")[0]).resolve() for t in LINK.findall(page.read_text())}
        orphans = [p.name for p in sorted(DOCS.glob("*.md")) if p != index and p not in linked]
        assert not orphans, f"docs pages {page.relative_to(ROOT)} does not link to: {orphans}"
    assert index in {(README.parent / t).resolve() for t in LINK.findall(README.read_text())}


# hub's own MQTT topics look like paths: `hub/request`, `hub/reply/...`
TOPICS = {"request", "response", "command", "reply", "last", "listen", "status", "action", "marker"}


def test_paths_the_docs_name_exist() -> None:
    """`hub/...`, `bench/...`, `tests/...`, `systemd/...`, `scripts/...` in backticks: the
    modules and files the docs point at (a module moved means a page to update)."""
    named = re.compile(r"`((?:hub|bench|tests|systemd|scripts|intents)/[\w./-]*)`")
    missing = []
    for page in pages():
        for path in named.findall(page.read_text()):
            if path.startswith("hub/") and path.split("/")[1] in TOPICS:
                continue
            if not (ROOT / path).exists():
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing, f"paths named in the docs that do not exist: {sorted(set(missing))}"
