"""`trustbook docs`: the HTML workbook in course reading order, and a real browser loading every page.

The browser test builds the site from the workbook's own notebooks into a temporary folder (after regenerating the
quickstart experiment into temporary figures/runs folders, so its page and the figures page have figures to show),
serves it on 127.0.0.1, and opens every page in headless Chromium. Debian's `chromium` is installed with apt-get when
missing; the test is skipped, with the reason, when that is impossible.
"""
import json, re, subprocess
from pathlib import Path
import pytest
from conftest import ROOT, tool

from trustbook import docs as D

def test_course_order_covers_every_notebook_once():
    pages = D.course_pages(ROOT)
    stems = [p['stem'] for p in pages]
    nbs = sorted(p.stem for p in (ROOT/'nbs').rglob('*.ipynb')
                 if not any(s.startswith(('_', '.')) for s in p.relative_to(ROOT/'nbs').parts) and p.stem != 'index')
    assert sorted(stems) == nbs and len(set(stems)) == len(stems)
    parts = [p['part'] for p in pages]
    order = [k for k, _ in D.PARTS]
    assert parts == sorted(parts, key=order.index), 'pages must be grouped by part, in course order'
    assert stems[0] == '00a_config' and pages[-1]['part'] in ('tooling', 'other')
    # within a paper's part, its method notebooks come before its experiments
    for part in {p['part'] for p in pages}:
        kinds = [p['kind'] for p in pages if p['part'] == part]
        assert kinds == sorted(kinds, key=['library', 'experiment'].index)

@pytest.fixture(scope='module')
def chromium():
    path, why = D.ensure_chromium(install=True)
    if not path: pytest.skip(f'headless Chromium is unavailable: {why}')
    return path

@pytest.mark.xdist_group('docs')
def test_site_builds_and_every_page_loads_in_chromium(tmp_path, monkeypatch, chromium):
    figures, runs = tmp_path/'figures', tmp_path/'runs'
    monkeypatch.setenv('TRUSTBOOK_FIGURES', str(figures)); monkeypatch.setenv('TRUSTBOOK_RUNS', str(runs))
    from trustbook.regen import regen
    res = regen('quick', only='00_quickstart', root=ROOT)
    assert [r['status'] for r in res] == ['done'], res
    logs = []
    # library notebooks as committed (no execution): tests/test_browser.py checks the executed site
    site = D.build_site(ROOT, tmp_path/'site', show_doc=False, execute=False, log=logs.append)
    man = json.loads((site/'manifest.json').read_text())['pages']
    assert {p['html'] for p in man} >= {'index.html', 'figures.html', 'experiments/00_quickstart.html'}
    assert len(man) == len(D.course_pages(ROOT)) + 2
    q = next(p for p in man if p['html'] == 'experiments/00_quickstart.html')
    assert q['shown'].startswith('outputs of run') and q['images'] >= 2      # the executed copy, not re-executed
    # no page may reach the network
    for p in man:
        body = (site/p['html']).read_text()
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', body), p['html']
    # the browser check: a screenshot lands under the runs folder
    chk = D.check_site(site, chromium=chromium, log=logs.append,
                       screenshots=('index.html', 'figures.html', 'experiments/00_quickstart.html'))
    bad = [p for p in chk['pages'] if not p['ok']]
    assert not bad, bad
    assert [p['page'] for p in chk['pages']] == [p['html'] for p in man]
    got = {p['page']: p for p in chk['pages']}
    assert got['experiments/00_quickstart.html']['images_ok'] >= 2 and got['figures.html']['images_ok'] >= 2
    assert all(p['title'] for p in chk['pages'])
    shots = [Path(s) for s in chk['screenshots']]
    assert shots and all(s.is_relative_to(runs) and s.stat().st_size > 5000 for s in shots)
    assert (shots[0].read_bytes()[:8] == b'\x89PNG\r\n\x1a\n')

@pytest.mark.xdist_group('docs')   # with the other Chromium tests: one worker installs it, if it must
def test_browser_check_catches_errors_and_missing_figures(tmp_path, chromium):
    site = tmp_path/'site'; site.mkdir()
    (site/'ok.html').write_text('<!doctype html><html><head><title>fine</title><link rel="icon" href="data:,"></head><body>hi</body></html>')
    (site/'bad.html').write_text('<!doctype html><html><head><title>bad</title><link rel="icon" href="data:,"></head><body>'
                                 '<img src="missing.png"><script>console.error("boom")</script></body></html>')
    (site/'manifest.json').write_text(json.dumps(dict(pages=[dict(html='ok.html', images=0), dict(html='bad.html', images=1)])))
    chk = D.check_site(site, shots=tmp_path/'shots', chromium=chromium, log=lambda *a: None)
    got = {p['page']: p for p in chk['pages']}
    assert got['ok.html']['ok'] and not chk['ok'] and not got['bad.html']['ok']
    errs = ' '.join(got['bad.html']['errors'])
    assert 'boom' in errs and 'missing.png' in errs and got['bad.html']['images_ok'] == 0

def test_docs_cli_rejects_unknown_arguments():
    r = subprocess.run([tool('trustbook'), 'docs', '--bogus'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and 'unrecognized arguments: --bogus' in r.stderr

def test_check_site_needs_a_built_site(tmp_path):
    with pytest.raises(FileNotFoundError):
        D.check_site(tmp_path/'nothing', chromium='chromium')

def test_build_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    (tmp_path/'mine').mkdir(); (tmp_path/'mine'/'notes.txt').write_text('keep me')
    with pytest.raises(ValueError, match='refusing to replace'):
        D.build_site(ROOT, tmp_path/'mine', figures=tmp_path/'f', runs=tmp_path/'r')
    assert (tmp_path/'mine'/'notes.txt').read_text() == 'keep me'

def test_quarto_link_attributes_become_html():
    md = '---\n\n[source](https://x.org/a.py#LNone){target="_blank" style="float:right; font-size:smaller"}\n\n### A.f'
    out = D.quarto_links(md)
    assert '{target=' not in out and '<a href="https://x.org/a.py" target="_blank"' in out and '>source</a>' in out
    assert D.quarto_links('[plain](u) and {braces}') == '[plain](u) and {braces}'

def test_progress_bars_are_dropped_and_warnings_kept():
    noise = ('/x/tqdm/auto.py:21: TqdmWarning: IProgress not found. Please update jupyter and ipywidgets.\n'
             '  from .autonotebook import tqdm as notebook_tqdm\n'
             'fit:  50%|#####     | 1/2 [00:00<00:00,  3.1it/s]\rfit: 100%|##########| 2/2 [00:01<00:00,  2.0it/s]\n'
             '12it [00:02,  5.9it/s]\n')
    assert D.drop_progress(noise).strip() == ''
    assert D.drop_progress(noise + 'RuntimeWarning: overflow\n').strip() == 'RuntimeWarning: overflow'

def test_injected_parameters_keep_only_what_changed():
    import nbformat
    p = nbformat.v4.new_code_cell("seeds = [0]\nprofile = 'quick'  # which\nn = 3", metadata={'tags': ['parameters']})
    same = nbformat.v4.new_code_cell('# Parameters\nseeds = [0]\nprofile = "quick"\n', metadata={'tags': ['injected-parameters']})
    assert D.merge_parameters([p, same]) == [p]
    diff = nbformat.v4.new_code_cell('# Parameters\nseeds = [0, 1]\nprofile = "quick"\nextra = 2\n',
                                     metadata={'tags': ['injected-parameters']})
    out = D.merge_parameters([p, diff])
    assert len(out) == 2 and out[1]['source'].splitlines()[1:] == ['seeds = [0, 1]', 'extra = 2']

def test_class_methods_lists_public_methods_and_call():
    src = ('class A:\n    def __init__(self): pass\n    def fit(self): pass\n    @property\n    def k(self): return 1\n'
           '    @k.setter\n    def k(self, v): pass\n    def __call__(self, x): pass\n    def _p(self): pass\n'
           'class _Hidden:\n    def f(self): pass\n')
    assert D.class_methods(src) == {'A': ['fit', 'k', '__call__']}

def test_experiment_without_figures_gets_the_recorded_ones():
    recs = [dict(kind='figure', notebook='30_macs_cifar10', path='quick/macs/a.png', caption='A'),
            dict(kind='table', notebook='30_macs_cifar10', path='quick/macs/t.csv'),
            dict(kind='figure', notebook='nbs/experiments/40_cf_1_inversion.ipynb', path='quick/cf/b.png')]
    body, n = D.figure_gallery('30_macs_cifar10', recs)
    assert n == 1 and 'src="../figures/quick/macs/a.png"' in body and 'b.png' not in body
    assert D.figure_gallery('40_cf_1_inversion', recs)[1] == 1 and D.figure_gallery('nothing', recs) == ('', 0)

def test_library_key_changes_with_the_cells_not_the_outputs(tmp_path):
    import nbformat
    from trustbook.regen import write_notebook
    nb = write_notebook(tmp_path/'00_x.ipynb', 'from trustbook.metrics import auroc\nx = 1')
    k1 = D.library_key(nb, ROOT)
    book = nbformat.read(nb, as_version=4)
    book.cells[0].outputs = [nbformat.v4.new_output('stream', name='stdout', text='1\n')]
    nbformat.write(book, nb)
    assert D.library_key(nb, ROOT) == k1
    write_notebook(nb, 'from trustbook.metrics import auroc\nx = 2')
    assert D.library_key(nb, ROOT) != k1

def test_docs_cli_builds_a_subset_without_executing(tmp_path):
    r = subprocess.run([tool('trustbook'), 'docs', '--only', '00a_config', '--no-execute', '--no-show-doc',
                        '--out', str(tmp_path/'s')], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    man = json.loads((tmp_path/'s'/'manifest.json').read_text())['pages']
    assert [p['html'] for p in man] == ['index.html', 'figures.html', '00a_config.html']

def test_stderr_other_than_progress_is_boxed_not_dropped():
    import nbformat
    outs = [nbformat.v4.new_output('stream', name='stderr', text='x: 100%|##| 2/2 [00:01<00:00,  2.0it/s]\n'),
            nbformat.v4.new_output('stream', name='stderr', text='trustbook: removed 1 orphaned file\n'),
            nbformat.v4.new_output('stream', name='stdout', text='hello\n')]
    nb = D.clean_outputs(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x', outputs=outs)]))
    got = nb.cells[0].outputs
    assert len(got) == 2 and got[1]['text'] == 'hello\n'
    assert got[0]['output_type'] == 'display_data' and 'tb-stderr' in got[0]['data']['text/html']
    assert 'orphaned' in got[0]['data']['text/plain']
