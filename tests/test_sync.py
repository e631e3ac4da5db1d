"`nbdev-export` and `nbdev-clean` must leave no diff: the modules are in sync and the notebooks are clean."
import filecmp, shutil, subprocess
from pathlib import Path
from conftest import ROOT, tool

def _tree(d: Path):
    return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob('*')) if p.is_file() and '__pycache__' not in p.parts
            and '.ipynb_checkpoints' not in p.parts}

def test_export_and_clean_leave_no_diff(tmp_path):
    # Work on a copy so the check never modifies the checkout it runs in.
    for name in ('nbs', 'trustbook'): shutil.copytree(ROOT/name, tmp_path/name, ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('pyproject.toml', 'settings.ini'): shutil.copy(ROOT/name, tmp_path/name)
    before = {n: _tree(tmp_path/n) for n in ('nbs', 'trustbook')}
    for cmd in ('nbdev-export', 'nbdev-clean'):
        r = subprocess.run([tool(cmd)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{cmd} failed:\n{r.stdout}{r.stderr}"
    after = {n: _tree(tmp_path/n) for n in ('nbs', 'trustbook')}
    changed = [f"{n}/{p}" for n in before for p in set(before[n]) | set(after[n]) if before[n].get(p) != after[n].get(p)]
    assert not changed, f"run `make export` and commit: nbdev-export/nbdev-clean change {sorted(changed)}"
