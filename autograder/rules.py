"""Rules the hidden tests share: "written by hand" bans and relative tolerances.

Imported by ``solutions/<slug>/tests.py`` on the grader's side only. Everything here reads the
student's source as text (``ast``) or compares plain values that came back from the sandbox;
nothing the student wrote is ever imported or executed.
"""

from __future__ import annotations

import ast
import re

import torch

from hiddenrep.testing import check_tensor


def forbidden_uses(source: str, name: str, forbidden: set[str], *,
                   bare_names: bool = False) -> list[str]:
    """The forbidden attributes and names that function ``name`` of ``source`` uses.

    The search covers ``name``, every top-level function or class of ``source`` it refers to, and
    module-level aliases of forbidden things (``from torch import autograd as ag``). Only the
    student's own definitions are searched: a check written in a scratch cell, outside the answer,
    costs nothing. ``bare_names`` also counts a bare name in ``forbidden`` (a builtin such as
    ``open``); leave it off when ``forbidden`` holds words an honest answer may use as variable
    names (``grad``). Source that does not parse is searched as text.
    """
    source = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return sorted({w for w in forbidden if re.search(rf"\b{re.escape(w)}\b", source)})
    defs, aliases = {}, set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            for alias in node.names:
                parts = set(module.split(".")) | set(alias.name.split("."))
                if parts & forbidden:
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            if _mentions(node.value, forbidden, set()) if node.value else False:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                aliases |= {t.id for t in targets if isinstance(t, ast.Name)}
    if bare_names:
        aliases |= forbidden
    found, seen, todo = set(), set(), [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in defs:
            continue
        seen.add(current)
        for node in ast.walk(defs[current]):
            if isinstance(node, ast.Attribute) and node.attr in forbidden:
                found.add(node.attr)
            elif isinstance(node, ast.Name):
                if node.id in aliases:
                    found.add(node.id)
                elif node.id in defs:
                    todo.append(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                module = getattr(node, "module", None) or ""
                for alias in node.names:
                    hits = (set(module.split(".")) | set(alias.name.split("."))) & forbidden
                    found |= hits
    return sorted(found)


def _mentions(node: ast.AST, forbidden: set[str], aliases: set[str]) -> bool:
    return any((isinstance(n, ast.Attribute) and n.attr in forbidden)
               or (isinstance(n, ast.Name) and n.id in aliases) for n in ast.walk(node))


def check_by_hand(student, name: str, forbidden: set[str], what: str) -> None:
    """Fail unless the student's ``name`` avoids everything in ``forbidden``; ``what`` says what it
    must do instead, in the words of its prompt ("compute the gradients by hand, without autograd")."""
    used = forbidden_uses(student.source, name, forbidden)
    if used:
        raise AssertionError(f"{name} must {what}, but it uses {', '.join(used)}")


def check_close(what: str, actual, expected: torch.Tensor, rtol: float, atol: float = 0.0) -> None:
    """Like check_tensor, with a tolerance relative to each expected entry."""
    check_tensor(what, actual, expected, atol=float("inf"))  # type, shape and dtype
    bad = (actual.double() - expected.double()).abs() > rtol * expected.double().abs() + atol
    if bad.any():
        first = tuple(int(i) for i in bad.nonzero()[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {expected.numel()} entries differ by more "
                             f"than {rtol:g} of their value, first at index {first}: got "
                             f"{actual[first].item()}, expected {expected[first].item()}")
