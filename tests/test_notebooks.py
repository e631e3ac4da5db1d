"""Every notebook as a test: one pytest test per notebook, run by `nbdev-test` in a subprocess.

Library notebooks (`nbs/*.ipynb`) show each piece working and assert what must hold; experiment notebooks
(`nbs/experiments/*.ipynb`) run at their quick `parameters` defaults. Figures go to a temporary folder, never into
the repository's `figures/`.
"""
import os, subprocess
from pathlib import Path
import pytest
from conftest import ROOT, tool

NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb, tmp_path):
    env = {**os.environ, 'TRUSTBOOK_FIGURES': str(tmp_path/'figures'), 'TRUSTBOOK_RUNS': str(tmp_path/'runs'),
           'PYTHONHASHSEED': '0',
           # pytest-xdist runs one notebook per core: one thread each avoids oversubscribing the two cores
           'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'), 'MKL_NUM_THREADS': os.environ.get('MKL_NUM_THREADS', '1')}
    r = subprocess.run([tool('nbdev-test'), str(nb), '--n-workers', '0'], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=1800)
    out = (r.stdout + r.stderr)
    assert r.returncode == 0 and 'Success' in out, f"notebook {nb.name} failed:\n{out[-6000:]}"
