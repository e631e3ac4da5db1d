"""The whole HTML workbook, as a reader sees it in headless Chromium.

Builds the site from the workbook's notebooks, the library notebooks executed at build time (each executed copy is
cached under the cache folder, keyed by the notebook's cells and the modules it imports: only what changed runs)
and the experiment pages from their last `trustbook regen` run, or the figures recorded in `figures/`; then opens
every page in headless Chromium and checks what it shows:

- every method notebook (baselines, TRUST-LAPSE, MACS, counterfeits) and every experiment shows a figure;
- no page shows a stderr block or the raw `{target=` of a Quarto link;
- every public method of every class a library notebook exports has its documentation card, and the TRUST-LAPSE and
  MACS pages list all of `TrustLapse`'s and `MACS`'s methods.

Debian's `chromium` is installed with apt-get when missing (as root); the tests are skipped, with the reason, when
that is impossible.
"""
import importlib, inspect, json, os, re
from pathlib import Path
import pytest
from conftest import ROOT

from trustbook import docs as D

METHOD_PARTS = ('baselines', 'trust_lapse', 'macs', 'counterfeits')
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group('docs')]

@pytest.fixture(scope='module')
def chromium():
    path, why = D.ensure_chromium(install=True)
    if not path:
        pytest.skip(f'headless Chromium is unavailable: {why}')
    return path

@pytest.fixture(scope='module')
def site(chromium, tmp_path_factory):
    "The built site, its manifest and the browser's view of every page."
    out = tmp_path_factory.mktemp('browser')
    logs = []
    built = D.build_site(ROOT, out/'site', log=logs.append,
                         timeout=float(os.environ.get('TRUSTBOOK_DOCS_TIMEOUT', 1200)))
    man = json.loads((built/'manifest.json').read_text())['pages']
    chk = D.check_site(built, shots=out/'shots', chromium=chromium, log=logs.append)
    return dict(manifest={p['html']: p for p in man}, pages={p['page']: p for p in chk['pages']}, logs=logs)

def _public_methods(cls) -> list[str]:
    "The public methods (and `__call__`) defined on class `cls` itself, including those added with `@patch`."
    kinds = (property, staticmethod, classmethod)
    return [n for n, v in vars(cls).items()
            if (inspect.isfunction(v) or isinstance(v, kinds)) and (not n.startswith('_') or n == '__call__')]

def _exported_classes() -> dict[str, list[type]]:
    "For each library page, the classes its module (`#| default_exp`) defines and exports."
    out = {}
    for nb in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')):
        m = re.search(r'#\|\s*default_exp\s+([\w.]+)', nb.read_text())
        if not m:
            continue
        mod = importlib.import_module(f'trustbook.{m.group(1)}')
        names = getattr(mod, '__all__', [])
        out[f'{nb.stem}.html'] = [v for n in names if inspect.isclass(v := getattr(mod, n, None))
                                  and v.__module__ == mod.__name__]
    return out

def test_every_page_loads_without_errors(site):
    bad = {k: (p['errors'], p['images_ok'], site['manifest'][k]['images']) for k, p in site['pages'].items()
           if p['errors'] or p['images_ok'] < site['manifest'][k]['images'] or not p['title']}
    assert not bad, bad

def test_method_and_experiment_pages_show_a_figure(site):
    want = [k for k, m in site['manifest'].items()
            if m.get('kind') == 'experiment' or (m.get('kind') == 'library' and m.get('part') in METHOD_PARTS)]
    assert any(k.startswith('experiments/') for k in want) and '20_trust_lapse.html' in want
    none = {k: site['manifest'][k].get('warning') for k in want if site['pages'][k]['figures'] < 1}
    assert not none, f'pages without a figure (and their build warnings): {none}'

def test_no_stderr_block_or_raw_quarto_attributes(site):
    bad = {k: dict(stderr=p['stderr'], raw_target=p['raw_attrs']) for k, p in site['pages'].items()
           if p['stderr'] or p['raw_attrs']}
    assert not bad, bad

@pytest.mark.parametrize('page,module,name', [('20_trust_lapse.html', 'trust_lapse', 'TrustLapse'),
                                              ('30_macs.html', 'macs', 'MACS')])
def test_trust_lapse_and_macs_pages_document_every_method(site, page, module, name):
    cls = getattr(importlib.import_module(f'trustbook.{module}'), name)
    cards = set(site['pages'][page]['cards'])
    want = [name] + [f'{name}.{m}' for m in _public_methods(cls)]
    assert len(want) > 3, want
    missing = [w for w in want if w not in cards]
    assert not missing, f'{page} has no card for {missing}; its cards: {sorted(cards)}'

def test_every_exported_class_has_a_card_for_each_method(site):
    cards = {c for p in site['pages'].values() for c in p['cards']}
    missing = {}
    for page, classes in _exported_classes().items():
        if page not in site['pages']:
            continue
        for cls in classes:
            names = [cls.__name__] + [f'{cls.__name__}.{m}' for m in _public_methods(cls)]
            if (gone := [n for n in names if n not in cards]):
                missing[page] = missing.get(page, []) + gone
    assert not missing, missing
