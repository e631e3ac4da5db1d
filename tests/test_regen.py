"""`trustbook regen`: papermill runs in parallel, failure isolation, content-hash skipping, the figure index, the
command line and its exit status, bad input, and the Ray executor on a local instance.

Every test builds a throw-away project (settings.ini + nbs/experiments/*.ipynb) in a temporary folder, so nothing
depends on the workbook's own experiment notebooks, and figures/runs never touch the repository.
"""
import json, os, re, subprocess, sys, textwrap
from pathlib import Path
import pytest
from conftest import ROOT, tool

from trustbook import regen as R

SETTINGS = textwrap.dedent("""
    [trustbook]
    figures_dir = figures
    runs_dir = runs
    [profile.quick]
    n = 3
    seeds = [0]
    [profile.paper]
    n = 30
    [profile.paper.b_table]
    n = 50
    """)
FIG = """
from trustbook.figures import Outputs
import matplotlib.pyplot as plt
fig, ax = plt.subplots(); ax.plot(range(n))
Outputs('trust_lapse', 'a_figure', params=dict(n=n), data=['mnist']).figure(fig, 'line', f'{n} points', paper_ref='Fig. 3')
plt.close(fig)
"""
TAB = """
import pandas as pd
from trustbook.figures import Outputs
Outputs('macs', 'b_table', params=dict(n=n)).table(pd.DataFrame(dict(k=range(n))), 'counts', 'Counts', paper_ref='Table 2')
"""
BROKEN = 'raise RuntimeError("this notebook is broken on purpose")'

def make_project(d: Path, broken=True) -> Path:
    (d/'settings.ini').write_text(SETTINGS)
    R.write_notebook(d/'nbs/experiments/a_figure.ipynb', FIG, parameters='n = 1')
    R.write_notebook(d/'nbs/experiments/b_table.ipynb', TAB, parameters='n = 1\nunused = "x"')
    if broken: R.write_notebook(d/'nbs/experiments/c_broken.ipynb', 'x = 1', BROKEN, parameters='n = 1')
    (d/'pkg').mkdir(exist_ok=True); (d/'pkg/m.py').write_text('v = 1\n')
    (d/'data/mnist').mkdir(parents=True, exist_ok=True); (d/'data/mnist/train.gz').write_bytes(b'abc')
    return d

@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'data'))
    for k in ('TRUSTBOOK_FIGURES', 'TRUSTBOOK_RUNS', 'TRUSTBOOK_PROFILE'): monkeypatch.delenv(k, raising=False)
    return make_project(tmp_path)

def kw(d): return dict(root=d, figures=d/'figures', runs=d/'runs', package=d/'pkg')

@pytest.mark.xdist_group('regen')
def test_parallel_run_failure_isolation_skip_and_index(project, capsys):
    d = project
    res = R.regen('quick', jobs=2, **kw(d))
    st = {r['name']: r for r in res}
    assert {k: r['status'] for k, r in st.items()} == dict(a_figure='done', b_table='done', c_broken='failed')
    # the failure: its error, and an executed copy holding the traceback
    bad = st['c_broken']
    assert bad['error'].endswith('RuntimeError: this notebook is broken on purpose') and bad['error'].startswith('cell ')
    assert 'broken on purpose' in Path(bad['output']).read_text()
    # the others ran with only their declared parameters, and wrote outputs and stamps
    assert st['b_table']['params'] == {'n': 3} and st['a_figure']['outputs'] == ['trust_lapse/line.png']
    nb = json.loads(Path(st['a_figure']['output']).read_text())
    injected = [c for c in nb['cells'] if 'injected-parameters' in c['metadata'].get('tags', [])]
    assert len(injected) == 1 and 'n = 3' in ''.join(injected[0]['source'])
    stamp = R.read_stamp(d/'figures', d/'nbs/experiments/a_figure.ipynb')
    assert stamp['status'] == 'done' and stamp['key'] == st['a_figure']['key'] and stamp['datasets'] == ['mnist']
    run_dir = Path(st['a_figure']['output']).parent
    assert run_dir.parent == d/'runs' and [r['status'] for r in json.loads((run_dir/'run.json').read_text())['records']] == ['done', 'done', 'failed']
    # the index: one section per paper, the paper's numbers, caption, notebook, parameters, data
    idx = (d/'figures/INDEX.md').read_text()
    assert idx.index('## TRUST-LAPSE') < idx.index('## MACS')
    assert 'Reproduces: Fig. 3.' in idx and 'Reproduces: Table 2.' in idx
    assert '| Fig. 3 | [trust_lapse/line.png](trust_lapse/line.png) | 3 points | a_figure | n=3 | mnist |' in idx
    # the progress display saw every state
    out = capsys.readouterr().out
    for s in ('running  a_figure', 'done  a_figure', 'failed  c_broken', 'done 2 | skipped 0 | failed 1'): assert s in out

    # second run: the two good notebooks are skipped, the broken one fails again, alone
    res2 = R.regen('quick', jobs=2, **kw(d))
    assert [(r['name'], r['status'], r['reason']) for r in res2] == [
        ('a_figure', 'skipped', 'unchanged'), ('b_table', 'skipped', 'unchanged'), ('c_broken', 'failed', 'last run failed')]
    assert (d/'figures/INDEX.md').is_file()

    # each part of the key is seen: data file, code, parameters, notebook; --force reruns; deleted outputs rerun
    good = [d/'nbs/experiments/a_figure.ipynb', d/'nbs/experiments/b_table.ipynb']
    reasons = lambda **k: [j['reason'] for j in R.plan(good, 'quick', **(kw(d) | k))]
    assert reasons() == ['unchanged', 'unchanged']
    (d/'data/mnist/train.gz').write_bytes(b'abcd')
    assert reasons() == ['changed: data', 'unchanged']               # only a_figure reads mnist
    (d/'data/mnist/train.gz').write_bytes(b'abc')
    (d/'pkg/m.py').write_text('v = 2\n'); assert reasons() == ['changed: code'] * 2
    (d/'pkg/m.py').write_text('v = 1\n')
    assert [j['reason'] for j in R.plan(good, 'quick', {'n': 4}, **kw(d))] == ['changed: params'] * 2
    assert [j['reason'] for j in R.plan(good, 'paper', **kw(d))] == ['changed: params'] * 2
    assert reasons(force=True) == ['forced', 'forced']
    (d/'figures/macs/counts.csv').unlink(); assert reasons() == ['unchanged', 'outputs missing']
    R.write_notebook(good[0], FIG + '\nx = 1', parameters='n = 1'); assert reasons()[0] == 'changed: notebook'

@pytest.mark.xdist_group('regen')
def test_stale_outputs_are_removed(project):
    d = project
    (d/'nbs/experiments/c_broken.ipynb').unlink()
    R.regen('quick', only='a_', **kw(d))
    assert (d/'figures/trust_lapse/line.png').is_file()
    # the notebook now writes a differently named figure: the old one leaves figures/ and the index
    R.write_notebook(d/'nbs/experiments/a_figure.ipynb', FIG.replace("'line'", "'line2'"), parameters='n = 1')
    res = R.regen('quick', only='a_', **kw(d))
    assert res[0]['outputs'] == ['trust_lapse/line2.png']
    assert not (d/'figures/trust_lapse/line.png').exists() and not (d/'figures/trust_lapse/line.png.meta.json').exists()
    assert 'line2.png' in (d/'figures/INDEX.md').read_text() and 'line.png)' not in (d/'figures/INDEX.md').read_text()

def test_cli_exit_status_counts_failures(project):
    d = project
    env = {**os.environ, 'TRUSTBOOK_DATA': str(d/'data')}
    for k in ('TRUSTBOOK_FIGURES', 'TRUSTBOOK_RUNS'): env.pop(k, None)
    r = subprocess.run([tool('trustbook'), 'regen', '--jobs', '2', '--only', 'a_*,c_*'], cwd=d, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'FAILED c_broken: cell' in r.stdout and 'broken on purpose' in r.stdout and 'executed copy: ' + str(d/'runs') in r.stdout
    assert '1 done, 0 skipped, 1 failed' in r.stdout and (d/'figures/INDEX.md').is_file()
    r = subprocess.run([tool('trustbook'), 'regen', '--dry-run', '-p', 'n', '7'], cwd=d, env=env,
                       capture_output=True, text=True, timeout=300)
    # (the CLI hashes the installed trustbook package, so an edit to it meanwhile may add 'code' to the reason)
    assert r.returncode == 0 and re.search(r'run   a_figure  \(changed: params(, code)?\)  n=7', r.stdout), r.stdout
    assert 'b_table  (first run)' in r.stdout

BAD = [
    (dict(jobs=0), 'jobs must be a positive integer'),
    (dict(jobs=1.5), 'jobs must be a positive integer'),
    (dict(executor='spark'), "unknown executor 'spark'"),
    (dict(profile='nope'), "unknown profile 'nope'"),
    (dict(overrides={'bogus': 1}), '-p bogus: declared by none of the selected notebooks'),
    (dict(only='zzz'), "matches 'zzz'"),
    (dict(address='auto'), '--address is only meaningful with --executor ray'),
    (dict(timeout=0), 'timeout must be positive'),
    (dict(notebooks=['/nonexistent/x.ipynb']), 'no such notebook'),
]

@pytest.mark.parametrize('args,msg', BAD, ids=[m for _, m in BAD])
def test_bad_input_is_a_clear_valueerror(project, args, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        R.regen(**(kw(project) | args))
    assert not (project/'runs').exists() or not any(p.is_dir() for p in (project/'runs').iterdir())

@pytest.mark.parametrize('argv,msg', [(['--jobs', '0'], 'jobs must be a positive integer'),
                                      (['--profile', 'nope'], "unknown profile 'nope'"),
                                      (['--executor', 'spark'], 'invalid choice')])
def test_cli_bad_arguments_exit_2(project, argv, msg):
    r = subprocess.run([tool('trustbook'), 'regen', *argv], cwd=project, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and msg in r.stderr, r.stderr

def test_profile_parameters_are_restricted_to_declared(project):
    a, b = project/'nbs/experiments/a_figure.ipynb', project/'nbs/experiments/b_table.ipynb'
    assert set(R.declared_parameters(b)) == {'n', 'unused'}
    assert R.job_parameters(a, 'quick', root=project) == {'n': 3}          # `seeds` is not declared
    assert R.job_parameters(b, 'paper', root=project) == {'n': 50}         # [profile.paper.b_table]
    assert R.job_parameters(b, 'paper', {'unused': 'y'}, root=project) == {'n': 50, 'unused': 'y'}

@pytest.mark.xdist_group('ray')
def test_ray_executor_runs_two_notebooks_on_a_local_instance(tmp_path, monkeypatch):
    pytest.importorskip('ray')
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'data'))
    d = make_project(tmp_path, broken=False)
    res = R.regen('quick', jobs=2, executor='ray', **kw(d))
    assert [(r['name'], r['status']) for r in res] == [('a_figure', 'done'), ('b_table', 'done')], res
    assert all(Path(r['output']).is_file() for r in res)
    assert 'Fig. 3' in (d/'figures/INDEX.md').read_text() and 'Table 2' in (d/'figures/INDEX.md').read_text()
    import ray
    assert not ray.is_initialized()  # the local instance was shut down
