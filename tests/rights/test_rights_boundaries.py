"""rights/ stays chain- and HTTP-framework-free (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import rights

FORBIDDEN = ("web3", "eth_account", "eth_abi", "fastapi", "starlette", "uvicorn", "sqlalchemy")


def test_rights_imports_neither_web3_nor_fastapi():
    root = Path(rights.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
