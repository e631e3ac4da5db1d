"""Every notebook as a test: one pytest test per notebook.

Library notebooks (`nbs/*.ipynb`) show each piece working and assert what must hold. Each is executed the way the
site build executes it (`docs.executed_library_copy`: as `nbdev-test` runs it, plus its documentation cards), and
the executed copy is cached, so the browser test's site build (`tests/test_browser.py`) reuses it instead of running
every library notebook a second time. When one fails, `nbdev-test` runs it again to show the traceback.
Experiment notebooks (`nbs/experiments/*.ipynb`) run with `nbdev-test` at their quick `parameters` defaults.
Figures go to a temporary folder, never into the repository's `figures/`.
"""
import os, subprocess
from pathlib import Path
import pytest
from conftest import ROOT, tool

NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))

def nbdev_test(nb: Path, tmp_path: Path) -> tuple[bool, str]:
    env = {**os.environ, 'TRUSTBOOK_FIGURES': str(tmp_path/'figures'), 'TRUSTBOOK_RUNS': str(tmp_path/'runs'),
           'PYTHONHASHSEED': '0',
           # pytest-xdist runs one notebook per core: one thread each avoids oversubscribing the two cores
           'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'), 'MKL_NUM_THREADS': os.environ.get('MKL_NUM_THREADS', '1')}
    r = subprocess.run([tool('nbdev-test'), str(nb), '--n-workers', '0'], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=1800)
    out = (r.stdout + r.stderr)
    return r.returncode == 0 and 'Success' in out, out[-6000:]

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb, tmp_path):
    if nb.parent == ROOT/'nbs':
        from trustbook.docs import executed_library_copy
        _, warning = executed_library_copy(nb, ROOT, timeout=1800)
        if warning is not None:
            ok, out = nbdev_test(nb, tmp_path)
            pytest.fail(f"notebook {nb.name} failed: {warning}\n{out}")
        return
    ok, out = nbdev_test(nb, tmp_path)
    assert ok, f"notebook {nb.name} failed:\n{out}"
