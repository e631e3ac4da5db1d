"Shared fixtures: the project root, the venv's tools, and an isolated figures/runs folder per test."
import os, shutil, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def tool(name: str) -> str:
    "Path of a console script installed beside the running Python (the project's venv)."
    p = BIN/name
    return str(p) if p.exists() else (shutil.which(name) or name)

@pytest.fixture
def isolated_outputs(tmp_path, monkeypatch):
    "Point figures and runs at a temporary folder so tests never write into the repository."
    monkeypatch.setenv('TRUSTBOOK_FIGURES', str(tmp_path/'figures'))
    monkeypatch.setenv('TRUSTBOOK_RUNS', str(tmp_path/'runs'))
    return tmp_path

def mirror_root():
    "The offline data mirror, or None."
    from trustbook import config
    return config.data_root()

needs_mirror = pytest.mark.skipif(mirror_root() is None,
    reason="the offline data mirror (../shared/data or TRUSTBOOK_DATA) is absent; this test reads real files from it")
