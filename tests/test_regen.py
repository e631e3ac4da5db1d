"""`trustbook regen`: papermill runs in parallel, failure isolation, content-hash skipping (the code part covers
only the modules a notebook imports), per-profile output folders that never touch another profile's, dependency
scheduling and longest-first order, resuming an interrupted batch, timeouts, the figure index, the command line and
its exit status, bad input, and the Ray executor on a local instance.

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
    [profile.short]
    n = 1
    timeout = 30
    [profile.other]
    n = 2
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

# a stand-in for the package whose code is hashed: the notebooks import `figures`, which imports `core` and `config`,
# and (inside a function) the tooling module `regen`, which is not followed
PKG = {'__init__': '', 'config': 'import os', 'core': 'from . import config\nv = 1',
       'figures': 'from . import config\nfrom .core import v\ndef f():\n    from trustbook.regen import PAPERS',
       'regen': 'from . import config, core', 'docs': 'from trustbook import regen', 'cli': 'import argparse',
       'macs': 'from .core import v'}

def make_package(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, src in PKG.items(): (d/f'{name}.py').write_text(src + '\n')
    return d

def make_project(d: Path, broken=True) -> Path:
    (d/'settings.ini').write_text(SETTINGS)
    R.write_notebook(d/'nbs/experiments/a_figure.ipynb', FIG, parameters='n = 1')
    R.write_notebook(d/'nbs/experiments/b_table.ipynb', TAB, parameters='n = 1\nunused = "x"')
    if broken: R.write_notebook(d/'nbs/experiments/c_broken.ipynb', 'x = 1', BROKEN, parameters='n = 1')
    make_package(d/'pkg')
    (d/'data/mnist').mkdir(parents=True, exist_ok=True); (d/'data/mnist/train.gz').write_bytes(b'abc')
    return d

@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'data'))
    for k in ('TRUSTBOOK_FIGURES', 'TRUSTBOOK_RUNS', 'TRUSTBOOK_PROFILE'): monkeypatch.delenv(k, raising=False)
    return make_project(tmp_path)

def tree(d: Path) -> dict:
    "Every file under `d` (relative path -> bytes), to check that a folder was left byte-identical."
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob('*')) if p.is_file()}

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
    stamp = R.read_stamp(d/'figures/quick', d/'nbs/experiments/a_figure.ipynb')
    assert stamp['status'] == 'done' and stamp['key'] == st['a_figure']['key'] and stamp['datasets'] == ['mnist']
    assert stamp['modules'] == ['config', 'core', 'figures'] and stamp['profile'] == 'quick' and stamp['seconds'] > 0
    run_dir = Path(st['a_figure']['output']).parent
    assert run_dir.parent == d/'runs' and [r['status'] for r in json.loads((run_dir/'run.json').read_text())['records']] == ['done', 'done', 'failed']
    # everything is under the profile's folder: outputs, stamps, index
    assert sorted(p.name for p in (d/'figures').iterdir()) == ['quick']
    assert (d/'figures/quick/trust_lapse/line.png').is_file() and (d/'figures/quick/.regen/b_table.json').is_file()
    assert (d/'figures/quick/.regen/.gitignore').read_text() == '*\n'      # stamps are machine-local: never committed
    meta = json.loads((d/'figures/quick/macs/counts.csv.meta.json').read_text())
    assert meta['profile'] == 'quick'
    # the index: its profile, one section per paper, the paper's numbers, caption, profile, notebook, parameters, data
    idx = (d/'figures/quick/INDEX.md').read_text()
    assert idx.startswith('# Figures and tables: profile `quick`')
    assert idx.index('## TRUST-LAPSE') < idx.index('## MACS')
    assert 'Reproduces: Fig. 3.' in idx and 'Reproduces: Table 2.' in idx
    # (the caption may carry the profile too: `Outputs` may append it)
    assert re.search(r'\| Fig\. 3 \| \[trust_lapse/line\.png\]\(trust_lapse/line\.png\) \| 3 points[^|]* \| quick \| a_figure \| n=3 \| mnist \|', idx), idx
    # ... and each notebook's status and wall time
    assert '## Notebooks (profile `quick`)' in idx
    assert re.search(r'\| a_figure\.ipynb \| quick \| done \| \d+\.\d \|', idx) and '| c_broken.ipynb | quick | failed |' in idx
    # the progress display saw every state
    out = capsys.readouterr().out
    for s in ('running  a_figure', 'done  a_figure', 'failed  c_broken', 'done 2 | skipped 0 | failed 1'): assert s in out
    # ... with each notebook's wall time when it finishes, and the total at the end
    assert re.search(r'done  a_figure  \d+\.\ds\n', out) and re.search(r'failed  c_broken  \d+\.\ds  cell ', out)
    assert re.search(r'total: \d\d:\d\d wall for 3 notebooks run \(\d+\.\ds of notebook time\)', out)

    # second run: the two good notebooks are skipped, the broken one fails again, alone
    res2 = R.regen('quick', jobs=2, **kw(d))
    assert [(r['name'], r['status'], r['reason']) for r in res2] == [
        ('a_figure', 'skipped', 'unchanged'), ('b_table', 'skipped', 'unchanged'), ('c_broken', 'failed', 'last run failed')]
    assert (d/'figures/quick/INDEX.md').is_file()

    # each part of the key is seen: data file, code, parameters, notebook; --force reruns; deleted outputs rerun
    good = [d/'nbs/experiments/a_figure.ipynb', d/'nbs/experiments/b_table.ipynb']
    reasons = lambda **k: [j['reason'] for j in R.plan(good, 'quick', **(kw(d) | k))]
    assert reasons() == ['unchanged', 'unchanged']
    (d/'data/mnist/train.gz').write_bytes(b'abcd')
    assert reasons() == ['changed: data', 'unchanged']               # only a_figure reads mnist
    (d/'data/mnist/train.gz').write_bytes(b'abc')
    # code: only the modules the notebooks run count; tooling and unrelated modules do not
    for m in ('regen', 'docs', 'cli', 'macs'): (d/f'pkg/{m}.py').write_text('# edited\n')
    assert reasons() == ['unchanged', 'unchanged']
    (d/'pkg/core.py').write_text('from . import config\nv = 2\n'); assert reasons() == ['changed: code'] * 2
    (d/'pkg/core.py').write_text(PKG['core'] + '\n')
    assert [j['reason'] for j in R.plan(good, 'quick', {'n': 4}, **kw(d))] == ['changed: params'] * 2
    assert [j['reason'] for j in R.plan(good, 'paper', **kw(d))] == ['first run'] * 2   # paper has its own stamps
    assert reasons(force=True) == ['forced', 'forced']
    (d/'figures/quick/macs/counts.csv').unlink(); assert reasons() == ['unchanged', 'outputs missing']
    R.write_notebook(good[0], FIG + '\nx = 1', parameters='n = 1'); assert reasons()[0] == 'changed: notebook'

@pytest.mark.xdist_group('regen')
def test_stale_outputs_are_removed(project):
    d = project
    (d/'nbs/experiments/c_broken.ipynb').unlink()
    R.regen('quick', only='a_', **kw(d))
    assert (d/'figures/quick/trust_lapse/line.png').is_file()
    # the notebook now writes a differently named figure: the old one leaves figures/ and the index
    R.write_notebook(d/'nbs/experiments/a_figure.ipynb', FIG.replace("'line'", "'line2'"), parameters='n = 1')
    res = R.regen('quick', only='a_', **kw(d))
    assert res[0]['outputs'] == ['trust_lapse/line2.png']
    assert not (d/'figures/quick/trust_lapse/line.png').exists() and not (d/'figures/quick/trust_lapse/line.png.meta.json').exists()
    idx = (d/'figures/quick/INDEX.md').read_text()
    assert 'line2.png' in idx and 'line.png)' not in idx

def test_cli_exit_status_counts_failures(project):
    d = project
    env = {**os.environ, 'TRUSTBOOK_DATA': str(d/'data')}
    for k in ('TRUSTBOOK_FIGURES', 'TRUSTBOOK_RUNS'): env.pop(k, None)
    r = subprocess.run([tool('trustbook'), 'regen', '--jobs', '2', '--only', 'a_*,c_*'], cwd=d, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'FAILED c_broken: cell' in r.stdout and 'broken on purpose' in r.stdout and 'executed copy: ' + str(d/'runs') in r.stdout
    assert '1 done, 0 skipped, 1 failed' in r.stdout and (d/'figures/quick/INDEX.md').is_file()
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
    (dict(overrides={'profile': 'paper'}), "-p profile 'paper': choose the profile with --profile"),
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
    # a notebook that declares `profile` always receives the name of the profile being run
    c = R.write_notebook(project/'nbs/experiments/d_profile.ipynb', 'x = 1', parameters="n = 1\nprofile = 'quick'")
    assert R.job_parameters(c, 'paper', root=project) == {'n': 30, 'profile': 'paper'}

@pytest.mark.xdist_group('ray')
def test_ray_executor_runs_two_notebooks_on_a_local_instance(tmp_path, monkeypatch):
    pytest.importorskip('ray')
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'data'))
    d = make_project(tmp_path, broken=False)
    # the scheduler, not the executor, orders the jobs, so Ray respects dependencies too
    R.write_notebook(d/'nbs/experiments/b_table.ipynb', TAB, parameters='n = 1\nunused = "x"', metadata={'trustbook': {'after': ['a_figure']}})
    res = R.regen('quick', jobs=2, executor='ray', **kw(d))
    assert [(r['name'], r['status']) for r in res] == [('a_figure', 'done'), ('b_table', 'done')], res
    assert all(Path(r['output']).is_file() for r in res) and res[1]['started'] >= res[0]['started'] + res[0]['seconds']
    idx = (d/'figures/quick/INDEX.md').read_text()
    assert 'Fig. 3' in idx and 'Table 2' in idx
    import ray
    assert not ray.is_initialized()  # the local instance was shut down

@pytest.mark.xdist_group('regen')
def test_a_quick_run_never_touches_another_profiles_folder(project, monkeypatch):
    d = project
    (d/'nbs/experiments/c_broken.ipynb').unlink()
    # committed results of two other profiles: outputs, sidecars, index and stamps, for the same notebooks
    for prof in ('reference', 'paper'):
        f = d/'figures'/prof
        (f/'trust_lapse').mkdir(parents=True); (f/'.regen').mkdir()
        (f/'trust_lapse/line.png').write_bytes(b'\x89PNG ' + prof.encode())
        (f/'trust_lapse/line.png.meta.json').write_text(json.dumps(dict(file='line.png', kind='figure', caption='c',
                                                        paper='trust_lapse', notebook='a_figure', profile=prof)))
        (f/'INDEX.md').write_text(f'# Figures and tables: profile `{prof}`\n')
        (f/'.regen/a_figure.json').write_text(json.dumps(dict(notebook='a_figure.ipynb', status='done', key='k', seconds=9.0)))
    (d/'figures/README.md').write_text('one folder per profile\n')
    before = {prof: tree(d/'figures'/prof) for prof in ('reference', 'paper')}
    # regen merges each paper's claims once the batch is over (`figures.collect_claims`, when it exists)
    import trustbook.figures
    calls = []
    monkeypatch.setattr(trustbook.figures, 'collect_claims', lambda folder: calls.append(Path(folder)), raising=False)
    res = R.regen('quick', jobs=2, **kw(d))
    assert [r['status'] for r in res] == ['done', 'done']
    assert {prof: tree(d/'figures'/prof) for prof in ('reference', 'paper')} == before
    assert (d/'figures/quick/trust_lapse/line.png').is_file() and (d/'figures/quick/INDEX.md').is_file()
    assert calls == [d/'figures/quick'] and (d/'figures/README.md').read_text() == 'one folder per profile\n'
    assert sorted(p.name for p in (d/'figures').iterdir()) == ['README.md', 'paper', 'quick', 'reference']
    # a second profile's run writes only its own folder, and leaves quick's alone
    quick = tree(d/'figures/quick')
    res = R.regen('other', only='b_', **kw(d))
    assert res[0]['status'] == 'done' and (d/'figures/other/macs/counts.csv').is_file()
    assert tree(d/'figures/quick') == quick and {prof: tree(d/'figures'/prof) for prof in ('reference', 'paper')} == before
    assert json.loads((d/'figures/other/macs/counts.csv.meta.json').read_text())['profile'] == 'other'

def test_code_key_covers_only_the_modules_an_experiment_imports(tmp_path):
    "On a copy of the real package and a real experiment notebook: tooling edits keep the key, a transitive import's edit changes it."
    import shutil
    pkg = tmp_path/'trustbook'; shutil.copytree(ROOT/'trustbook', pkg, ignore=shutil.ignore_patterns('__pycache__'))
    nb = ROOT/'nbs/experiments/23_tl_drift.ipynb'
    mods = R.notebook_modules(nb, pkg)
    assert {'trust_lapse', 'figures', 'core', 'config'} <= set(mods) and not set(mods) & {'regen', 'docs', 'cli', '_modidx'}
    key = lambda: R.job_key(nb, {'n': 1}, [], package=pkg)['code']
    k0 = key()
    for m in ('regen', 'docs', 'cli', '_modidx'):
        with open(pkg/f'{m}.py', 'a') as f: f.write('\n# a tooling edit\n')
    assert key() == k0
    direct = set().union(*(R._imports(R._cell_python(c.source), pkg) for c in R._read_nb(nb).cells if c.cell_type == 'code'))
    assert 'core' not in direct and 'core' in mods                   # core is reached only through other modules
    with open(pkg/'core.py', 'a') as f: f.write('\n# an edit two imports away\n')
    assert key() != k0
    # `import trustbook` alone means the package's __init__ and what it imports
    only_pkg = R.write_notebook(tmp_path/'p.ipynb', 'import trustbook\nprint(trustbook.__version__)')
    assert R.notebook_modules(only_pkg, pkg) == ['__init__']

@pytest.mark.xdist_group('regen')
def test_dependencies_and_longest_first(project):
    "Ready jobs start by critical path (last wall time plus what waits on them); a dependent starts after its dependency, even a failed one."
    d = project
    for nb in ('a_figure', 'b_table'): (d/f'nbs/experiments/{nb}.ipynb').unlink()
    ex = d/'nbs/experiments'
    R.write_notebook(ex/'a_first.ipynb', BROKEN)                                    # short, but c_dep waits for it
    R.write_notebook(ex/'b_long.ipynb', 'x = 1')
    R.write_notebook(ex/'c_dep.ipynb', 'x = 1', metadata={'trustbook': {'after': ['a_first']}})
    (ex/'c_broken.ipynb').unlink()
    # last wall times, as earlier (failed) runs recorded them
    for name, s in dict(a_first=1.0, b_long=100.0, c_dep=500.0).items():
        (d/'figures/quick/.regen').mkdir(parents=True, exist_ok=True)
        (d/f'figures/quick/.regen/{name}.json').write_text(json.dumps(dict(status='failed', seconds=s)))
    jobs = R.plan(R.experiment_notebooks(d), 'quick', **kw(d))
    assert R.priorities(jobs) == dict(a_first=501.0, b_long=100.0, c_dep=500.0) and jobs[2]['after'] == ['a_first']
    res = R.regen('quick', jobs=1, **kw(d))
    by = {r['name']: r for r in res}
    assert [r['name'] for r in sorted(res, key=lambda r: r['started'])] == ['a_first', 'c_dep', 'b_long']
    assert by['a_first']['status'] == 'failed' and by['c_dep']['status'] == 'done' and by['c_dep']['dependency_failed'] == ['a_first']
    assert R.read_stamp(d/'figures/quick', ex/'c_dep.ipynb')['dependency_failed'] == ['a_first']
    # without stamps (a fresh clone: they stay out of git), the committed INDEX.md still gives each wall time
    secs = {n: R.read_stamp(d/'figures/quick', ex/f'{n}.ipynb')['seconds'] for n in ('a_first', 'b_long', 'c_dep')}
    import shutil
    shutil.rmtree(d/'figures/quick/.regen')
    got = {j['name']: j['expected'] for j in R.plan(R.experiment_notebooks(d), 'quick', **kw(d))}
    assert got == pytest.approx(secs, abs=0.051)
    # bad metadata is refused before anything runs
    R.write_notebook(ex/'d_bad.ipynb', 'x = 1', metadata={'trustbook': {'after': ['nope']}})
    with pytest.raises(ValueError, match="d_bad.ipynb: metadata trustbook.after names 'nope'"): R.regen('quick', **kw(d))
    R.write_notebook(ex/'d_bad.ipynb', 'x = 1', metadata={'trustbook': {'after': ['e_bad']}})
    R.write_notebook(ex/'e_bad.ipynb', 'x = 1', metadata={'trustbook': {'after': ['d_bad']}})
    with pytest.raises(ValueError, match='dependency cycle'): R.regen('quick', **kw(d))

@pytest.mark.xdist_group('regen')
def test_an_interrupted_batch_resumes(project):
    "Kill `trustbook regen` after its first notebook: that one's stamp is on disk, so the rerun skips it."
    import signal, time
    d = project
    (d/'nbs/experiments/c_broken.ipynb').unlink()
    flag = d/'hold'; flag.write_text('')
    R.write_notebook(d/'nbs/experiments/b_table.ipynb', f'import os, time\nwhile os.path.exists({str(flag)!r}): time.sleep(0.2)',
                     TAB, parameters='n = 1')
    env = {**os.environ, 'TRUSTBOOK_DATA': str(d/'data')}
    for k in ('TRUSTBOOK_FIGURES', 'TRUSTBOOK_RUNS', 'TRUSTBOOK_PROFILE'): env.pop(k, None)
    p = subprocess.Popen([tool('trustbook'), 'regen', '--jobs', '1'], cwd=d, env=env, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stamp = d/'figures/quick/.regen/a_figure.json'
    t0 = time.time()
    while not stamp.is_file() and p.poll() is None and time.time() - t0 < 300: time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert stamp.is_file() and json.loads(stamp.read_text())['status'] == 'done', p.stdout.read()
    assert not (d/'figures/quick/.regen/b_table.json').exists()
    flag.unlink()
    r = subprocess.run([tool('trustbook'), 'regen', '--jobs', '1'], cwd=d, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r'skipped  a_figure  unchanged', r.stdout) and re.search(r'done  b_table  \d+\.\ds', r.stdout), r.stdout
    assert '1 done, 1 skipped, 0 failed' in r.stdout

@pytest.mark.xdist_group('regen')
def test_a_cell_past_the_profiles_timeout_fails_that_notebook(project):
    d = project
    R.write_notebook(d/'nbs/experiments/d_slow.ipynb', 'import time\ntime.sleep(300)', parameters='n = 1')
    res = R.regen('short', only='d_slow,a_', **kw(d))       # [profile.short] timeout = 30 (seconds per cell)
    st = {r['name']: r for r in res}
    assert st['a_figure']['status'] == 'done' and st['d_slow']['status'] == 'failed', res
    assert st['d_slow']['error'] == 'timed out: a cell ran longer than 30 s', st['d_slow']['error']
    assert st['d_slow']['seconds'] < 200

@pytest.mark.xdist_group('regen')
def test_committed_results_are_reused_on_a_fresh_clone(project):
    "A notebook whose committed INDEX row has today's key and whose outputs are there is not run again without stamps."
    import shutil
    d = project
    (d/'nbs/experiments/c_broken.ipynb').unlink()
    R.regen('quick', **kw(d))
    shutil.rmtree(d/'figures/quick/.regen')                      # what a fresh clone has: outputs and INDEX.md only
    plan = {r['name']: r['reason'] for r in R.regen('quick', dry_run=True, **kw(d))}
    assert plan == {'a_figure': 'unchanged (committed results)', 'b_table': 'unchanged (committed results)'}
    R.regen('quick', **kw(d))                                    # nothing runs; the index keeps both rows
    rows = R.index_rows(d/'figures/quick')
    assert set(rows) == {'a_figure', 'b_table'} and all(r['status'] == 'done' for r in rows.values())
    R.write_notebook(d/'nbs/experiments/a_figure.ipynb', FIG + '\nx = 1', parameters='n = 1')
    plan = {r['name']: r['reason'] for r in R.regen('quick', dry_run=True, **kw(d))}
    assert plan == {'a_figure': 'first run', 'b_table': 'unchanged (committed results)'}
