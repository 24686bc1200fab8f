"""Dependencies point inward: a module imports only from its own layer or the layers below (docs/architecture.md)."""

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "chiso"

LAYERS = {
    "chiso.errors": 0,
    "chiso.formatting": 0,
    "chiso.cells": 0,
    "chiso.jsonfile": 0,
    "chiso.textfile": 0,
    "chiso.xlsxfile": 0,
    "chiso.domain": 0,
    "chiso.settings": 1,
    "chiso.workdays": 1,
    "chiso.seeds": 1,
    "chiso.methodology": 1,
    "chiso.scoring": 2,
    "chiso.store": 3,
    "chiso.official": 3,
    "chiso.portal": 3,
    "chiso.ingest": 3,
    "chiso.engine": 3,
    "chiso.generate": 3,
    "chiso.unitmap": 3,
    "chiso.workspace": 4,
    "chiso.wording": 4,
    "chiso.serialize": 4,
    "chiso.accounts": 4,
    "chiso.cli": 5,
    "chiso.demo_data": 5,
    "chiso.report": 5,
    "chiso.web": 5,
    "chiso.notify": 5,  # channels, messages, schedule, runner: through the workspace
    "chiso.notify.ledger": 4,  # subscriptions and the send ledger in the store (as chiso.accounts)
}


def layer_of(module: str) -> int | None:
    for prefix, layer in sorted(LAYERS.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def test_every_module_has_a_layer_and_imports_inward():
    problems = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if module in ("chiso", "chiso.__main__"):
            continue
        mine = layer_of(module)
        assert mine is not None, f"{module} has no layer"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith("chiso.") or name == "chiso":
                    theirs = layer_of(name)
                    if theirs is not None and theirs > mine:
                        problems.append(f"{module} (L{mine}) imports {name} (L{theirs})")
    assert problems == []


def test_notifications_reach_the_store_through_the_ledger_only():
    for path in (SRC / "notify").rglob("*.py"):
        if path.name == "ledger.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "chiso.store" not in text and "chiso.official" not in text and ".store." not in text, path


def test_edges_never_reach_the_store_directly():
    for path in [*(SRC / "cli").rglob("*.py"), *(SRC / "web").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "chiso.store" not in text and "chiso.official" not in text, path
