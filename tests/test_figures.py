"""`trustbook.figures`: per-profile folders, names that cannot escape them, sidecar fields (profile, deterministic,
diagnostics), reproducible PNG bytes, claims validation, `collect_claims` and the generated claims prose."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from trustbook import figures as F
from trustbook.figures import CLAIM_COLUMNS, Outputs, check_claims, claim, claims_markdown, collect_claims, read_index


def _meta(path: Path) -> dict:
    return json.loads(Path(str(path) + '.meta.json').read_text())


def _rows(profile='quick'):
    return [claim('A beats B', 'Table 3', '0.91 vs 0.85', dict(a=0.9, b=0.8, diff=0.1, lo=0.05, hi=0.15), 'agrees', 600, 1, profile),
            claim('B beats C', 'Table 4', '0.80', dict(value=-0.02, lo=-0.05, hi=0.01), 'inconclusive', 600, 2, profile, 'small n'),
            claim('rises with severity', 'Figure 5', 'rising', dict(spearman=-0.9, lo=-1.0, hi=-0.7, diff=-0.1, diff_lo=-0.2, diff_hi=-0.05),
                  'disagrees', 1800, 1, profile)]


def test_profile_folders_and_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv('TRUSTBOOK_PROFILE', raising=False)
    assert Outputs('macs', 'nb', root=tmp_path).dir == tmp_path/'quick'/'macs'
    assert Outputs('macs', 'nb', params=dict(profile='reference'), root=tmp_path).dir == tmp_path/'reference'/'macs'
    assert Outputs('macs', 'nb', params=dict(profile='reference'), root=tmp_path, profile='paper').dir == tmp_path/'paper'/'macs'
    monkeypatch.setenv('TRUSTBOOK_PROFILE', 'paper')
    assert Outputs('macs', 'nb', root=tmp_path).profile == 'paper'
    assert F.profile_dir(None, tmp_path) == tmp_path/'paper' and F.profile_dir('quick', tmp_path) == tmp_path/'quick'


def test_env_figures_folder(isolated_outputs):
    out = Outputs('macs', 'nbs/experiments/31_macs_attacks.ipynb', profile='quick')
    assert out.dir == (isolated_outputs/'figures'/'quick'/'macs').resolve() and out.name == '31_macs_attacks'


@pytest.mark.parametrize('kw', [dict(paper='..'), dict(paper=''), dict(paper='a/b'), dict(paper='a\\b'), dict(paper='.'),
                                dict(notebook='../nb'), dict(notebook=''), dict(notebook='a/b'), dict(profile='..'),
                                dict(profile='quick/../x'), dict(paper=None)])
def test_plain_names_refused(tmp_path, kw):
    args = dict(paper='macs', notebook='nb', root=tmp_path) | kw
    with pytest.raises(ValueError, match=[k for k in kw][0]):
        Outputs(**args)
    assert not any(p.is_file() for p in tmp_path.rglob('*'))


@pytest.mark.parametrize('name', ['../../x', '..', '', 'a/b', 'a\\b'])
def test_output_names_refused(tmp_path, name):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    out = Outputs('macs', 'nb', root=tmp_path)
    with pytest.raises(ValueError, match='name'): out.table(pd.DataFrame(dict(a=[1])), name, 'x')
    fig = plt.figure()
    with pytest.raises(ValueError, match='name'): out.figure(fig, name, 'x')
    plt.close(fig)
    assert not any(p.is_file() for p in tmp_path.rglob('*'))


def test_notebook_path_gives_its_stem(tmp_path):
    out = Outputs('counterfeits', 'nbs/experiments/40_cf_1_inversion.ipynb', root=tmp_path)
    p = out.table(pd.DataFrame(dict(a=[1])), 't', 'x')
    assert out.name == '40_cf_1_inversion' and _meta(p)['notebook'] == 'nbs/experiments/40_cf_1_inversion.ipynb'


def test_sidecar_fields_timing_and_diagnostics(tmp_path):
    out = Outputs('trust_lapse', '23_tl_drift', params=dict(seed=0, profile='quick'), data=['mnist'], root=tmp_path)
    det = out.table(pd.DataFrame(dict(x=[1/3])), 'errors', 'Errors.', paper_ref='Section 7.3',
                    diagnostics=dict(gmm_not_converged=np.int64(2), sizes=np.array([3, 4]), ok=np.bool_(True)))
    tim = out.table(pd.DataFrame(dict(seconds=[1.25])), 'errors_timing', 'Wall time.', timing=True)
    m, t = _meta(det), _meta(tim)
    assert m['profile'] == 'quick' and m['deterministic'] is True and t['deterministic'] is False
    assert m['diagnostics'] == dict(gmm_not_converged=2, sizes=[3, 4], ok=True) and t['diagnostics'] is None
    assert m['paper_ref'] == 'Section 7.3' and m['params'] == dict(seed=0, profile='quick') and m['data'] == ['mnist']
    assert (tmp_path/'quick'/'trust_lapse'/'errors.csv').read_text() == 'x\n0.3333333333333333\n'   # full precision
    with pytest.raises(TypeError, match='timing'): out.table(pd.DataFrame(dict(a=[1])), 'x', 'x', timing='yes')
    with pytest.raises(TypeError, match='diagnostics'): out.table(pd.DataFrame(dict(a=[1])), 'y', 'y', diagnostics=[1])
    recs = read_index(tmp_path/'quick')
    assert [r['path'] for r in recs] == ['trust_lapse/errors.csv', 'trust_lapse/errors_timing.csv']


def test_png_bytes_are_reproducible(tmp_path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    out = Outputs('macs', 'nb', root=tmp_path)
    blobs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [1, 0, 2])
        ax.set_title('same figure')
        blobs.append(out.figure(fig, 'f', 'A figure.', diagnostics=dict(k=1)).read_bytes())
        plt.close(fig)
    assert blobs[0] == blobs[1] and b'Software' not in blobs[0]
    assert _meta(tmp_path/'quick'/'macs'/'f.png')['deterministic'] is True


def test_claim_rows():
    rows = _rows()
    assert list(rows[0]) == list(CLAIM_COLUMNS)
    assert (rows[0]['ours'], rows[0]['lo'], rows[0]['hi']) == (0.1, 0.05, 0.15)     # the difference, not a or b
    assert (rows[2]['ours'], rows[2]['lo'], rows[2]['hi']) == (-0.9, -1.0, -0.7)    # a trend: Spearman's rho
    assert claim('c', 'T1', '1', (0.1, 0.0, 0.2), 'inconclusive', 5, 1, 'quick')['ours'] == 0.1
    with pytest.raises(ValueError, match='verdict'): claim('c', 'T1', '1', (0.1, 0.0, 0.2), 'yes', 5, 1, 'quick')
    with pytest.raises(ValueError, match='ours'): claim('c', 'T1', '1', dict(x=1), 'agrees', 5, 1, 'quick')
    with pytest.raises(ValueError, match="'n'"): claim('c', 'T1', '1', (0.1, 0.0, 0.2), 'agrees', -1, 1, 'quick')


@pytest.mark.parametrize('change,word', [
    (lambda r: r | dict(verdict='maybe'), 'verdict'),
    (lambda r: {k: v for k, v in r.items() if k != 'seeds'}, 'missing'),
    (lambda r: r | dict(extra=1), 'extra'),
    (lambda r: r | dict(ours='high'), 'ours'),
    (lambda r: r | dict(lo=0.3, hi=0.2), 'lo above hi'),
    (lambda r: r | dict(lo=float('nan')), 'finite'),
    (lambda r: r | dict(n=2.5), "'n'"),
    (lambda r: r | dict(claim=' '), 'empty'),
])
def test_claims_validation(change, word):
    with pytest.raises(ValueError, match=word):
        check_claims([change(_rows()[0])])


def test_outputs_claims_writes_csv_md_and_checks_profile(tmp_path):
    out = Outputs('macs', 'nbs/experiments/31_macs_attacks.ipynb', params=dict(profile='quick'), root=tmp_path)
    p = out.claims(_rows())
    assert p == tmp_path/'quick'/'macs'/'claims_31_macs_attacks.csv'
    df = pd.read_csv(p, keep_default_na=False)
    assert tuple(df.columns) == CLAIM_COLUMNS and len(df) == 3
    assert p.with_suffix('.md').read_text().startswith('1 agree, 1 disagree, 1 inconclusive')
    assert _meta(p)['paper_ref'] == 'Table 3; Table 4; Figure 5' and _meta(p)['deterministic'] is True
    with pytest.raises(ValueError, match='profile'): out.claims(_rows('paper'))
    assert out.claims([]).read_text().strip() == ','.join(CLAIM_COLUMNS)       # no claims is a valid table


def test_collect_claims_merges_each_paper(tmp_path):
    a = Outputs('macs', '31_macs_attacks', root=tmp_path, profile='quick')
    b = Outputs('macs', '30_macs_cifar10', root=tmp_path, profile='quick')
    c = Outputs('trust_lapse', '20_tl_shift', root=tmp_path, profile='quick')
    a.claims(_rows()[:1])
    b.claims(_rows()[1:])
    c.claims(_rows()[2:])
    (tmp_path/'quick'/'macs'/'claims_old.csv').write_text('claim,verdict\nold,agrees\n')       # a stale, old-format file
    Outputs('macs', 'other', root=tmp_path, profile='paper').claims(_rows('paper'))          # another profile: untouched
    with pytest.warns(UserWarning, match='claims_old.csv'):
        written = collect_claims(tmp_path/'quick')
    assert written == [tmp_path/'quick'/'macs'/'claims.csv', tmp_path/'quick'/'trust_lapse'/'claims.csv']
    merged = pd.read_csv(written[0], keep_default_na=False)
    assert list(merged.columns) == [*CLAIM_COLUMNS, 'notebook']
    assert list(merged['notebook']) == ['30_macs_cifar10', '30_macs_cifar10', '31_macs_attacks']     # sorted by notebook
    assert list(merged['claim']) == ['B beats C', 'rises with severity', 'A beats B']
    meta = _meta(written[0])
    assert meta['profile'] == 'quick' and meta['diagnostics'] == dict(
        sources=['claims_30_macs_cifar10.csv', 'claims_31_macs_attacks.csv'], skipped=['claims_old.csv'])
    assert written[0].with_suffix('.md').read_text().startswith('1 agree, 1 disagree, 1 inconclusive (of 3 claims')
    assert not (tmp_path/'paper'/'macs'/'claims.csv').exists()
    # values are copied byte for byte, and a second merge gives the same bytes
    first = written[0].read_bytes()
    with pytest.warns(UserWarning):
        collect_claims(tmp_path/'quick')
    assert written[0].read_bytes() == first
    src = (tmp_path/'quick'/'macs'/'claims_31_macs_attacks.csv').read_text().splitlines()[1]
    assert first.decode().splitlines()[-1] == src + ',31_macs_attacks'
    with pytest.raises(ValueError, match='profile_dir'): collect_claims(tmp_path/'nope')


def test_claims_markdown_prose_and_tally():
    md = claims_markdown(_rows())
    lines = md.strip().splitlines()
    assert lines[0] == '1 agree, 1 disagree, 1 inconclusive (of 3 claims; profile quick).'
    assert lines[2] == ('- **A beats B** (Table 3; paper: 0.91 vs 0.85): ours 0.100 [0.050, 0.150] -> **agrees** '
                        '(n=600, seeds=1).')
    assert lines[3].endswith('ours -0.020 [-0.050, 0.010] -> **inconclusive** (n=600, seeds=2; small n).')
    assert len(lines) == 5
    assert F.claims_tally(_rows()[:1]) == '1 agree, 0 disagree, 0 inconclusive'
    tiny = claim('tiny', 'T', '', (0.00012345, -0.001, 0.002), 'inconclusive', 10, 1, 'quick')
    assert 'ours 0.000123 [-0.001, 0.002]' in claims_markdown([tiny]) and 'paper: -' in claims_markdown([tiny])


def test_models_table_uses_the_model_tables(tmp_path, monkeypatch):
    import sys, types
    fake = types.ModuleType('trustbook.models')
    fake.model_table = lambda ms: pd.DataFrame(dict(zoo_name=[m for m in ms], seed=0, test_accuracy=0.9))
    fake.timing_table = lambda ms: pd.DataFrame(dict(zoo_name=[m for m in ms], train_seconds=1.5))
    monkeypatch.setitem(sys.modules, 'trustbook.models', fake)
    out = Outputs('macs', '30_macs_cifar10', root=tmp_path)
    paths = out.models(['vgg', 'vit'])
    assert [p.name for p in paths] == ['models_30_macs_cifar10.csv', 'models_30_macs_cifar10_timing.csv']
    assert [_meta(p)['deterministic'] for p in paths] == [True, False]
    assert pd.read_csv(paths[0])['zoo_name'].tolist() == ['vgg', 'vit']


def test_figures_does_not_import_the_models_module():
    "`Outputs.models` imports `trustbook.models` lazily (torch comes in through `trustbook.core`'s `atomic_write`)."
    import subprocess, sys
    code = "import sys, trustbook.figures; print('trustbook.models' in sys.modules)"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == 'False'


def test_verdicts_are_the_metrics_verdicts():
    from trustbook import metrics
    assert F.VERDICTS == metrics.VERDICTS
    assert {metrics.verdict(0.1, 0.2), metrics.verdict(-0.2, -0.1), metrics.verdict(-0.1, 0.1)} == set(F.VERDICTS)

def test_readme_results_section_is_current(monkeypatch):
    "The README's Results section is what `trustbook results --profile reference` generates from the claims tables."
    from trustbook import regen as R
    monkeypatch.chdir(ROOT)                      # the section names the folder as the command does: relative
    stale = F.update_readme(Path('README.md'), Path('figures')/'reference', titles=R.PAPERS, check=True)
    assert not stale, 'README.md Results section is stale: run `trustbook results --profile reference`'
