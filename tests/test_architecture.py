"""The shape of the code, as the README's architecture section promises it.

These read the source, not the running site: modules stay small enough to read, the
modules import one another in one direction (no cycle), and every table hung on a
profile is declared once in `profiles.parts`.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from profiles import parts
from profiles.models import Profile, ProfileChange, ProfileTransition

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("profiles", "registry")
MAX_LINES = 600


def code_modules():
    """{dotted name: path} of every Python module of the site (migrations aside)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts:
                continue
            parts_ = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            found[".".join(parts_)] = path
    return found


def imported_modules(path, modules):
    """The site's modules a module imports when it is loaded (its top-level imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        statements = [node]
        if isinstance(node, (ast.If, ast.Try)):
            statements = list(ast.walk(node))
        for statement in statements:
            if isinstance(statement, ast.Import):
                found.update(alias.name for alias in statement.names if alias.name in modules)
            elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
                for alias in statement.names:
                    submodule = f"{statement.module}.{alias.name}"
                    if submodule in modules:
                        found.add(submodule)
                    elif statement.module in modules:
                        found.add(statement.module)
    return found


def test_no_code_module_is_longer_than_600_lines():
    long = {
        name: count
        for name, path in code_modules().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_site_s_modules_import_each_other_without_a_cycle():
    modules = code_modules()
    graph = {name: imported_modules(path, modules) - {name} for name, path in modules.items()}
    cycles = []
    index, low, stack, on_stack = {}, {}, [], set()

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


# Rows that record something about a profile without being part of its content.
RECORDS_ABOUT_A_PROFILE = {ProfileTransition, ProfileChange}


def test_every_table_hung_on_a_profile_is_a_declared_part():
    hung = {
        model
        for model in apps.get_app_config("profiles").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, (models.ForeignKey, models.OneToOneField))
        and field.related_model is Profile
        and field.remote_field.on_delete is models.CASCADE
        and model is not Profile
    }
    declared = {part.model for part in parts.PARTS}
    assert hung - RECORDS_ABOUT_A_PROFILE == declared


@pytest.mark.parametrize("part", parts.PARTS, ids=lambda part: part.name)
def test_each_part_s_declaration_matches_its_model(part):
    owner = part.model._meta.get_field(part.owner)
    assert owner.related_model is Profile
    assert owner.remote_field.related_name == part.accessor
    if part.evidence:
        assert part.model._meta.get_field(part.evidence).related_model._meta.model_name == "evidencerecord"
    for name in (*part.texts, *part.plain):
        part.model._meta.get_field(name)  # raises for a field the model does not have
