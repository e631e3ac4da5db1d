"""The bootstrap intervals of `trustbook.metrics`: exact agreement with the point metrics and scikit-learn on the
identity resample and on arbitrary resamples, coverage on a problem with a known AUROC, pairing, trends, Wilson
intervals against scipy, determinism and input checks."""
import numpy as np
import pytest
from scipy.stats import binomtest, norm
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from trustbook import metrics as M
from trustbook.metrics import (METRICS, bootstrap_metric, interval, mean_ci, metric_ci, paired_ci, pool_seeds,
                               proportion_ci, separation_ci, trend_ci, verdict)

ALL = [*METRICS, 'fpr@80']


def _sklearn(a, b):
    "Every metric of trust scores `a` (positive) vs `b`, from scikit-learn and the module's threshold rule."
    y, s = np.r_[np.ones(len(a)), np.zeros(len(b))], np.r_[a, b]
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    out = dict(auroc=roc_auc_score(y, s), aupr_in=average_precision_score(y, s),
               aupr_out=average_precision_score(1 - y, -s), detection_error=np.min(0.5*(1 - tpr) + 0.5*fpr))
    for t in (95, 80):
        out[f'fpr@{t}'] = fpr[np.searchsorted(tpr, t/100 - 1e-12, side='left')]
    return out


def _cases(n_cases=30, seed=0):
    rng = np.random.default_rng(seed)
    for trial in range(n_cases):
        n1, n0 = (int(x) for x in rng.integers(2, 250, 2))
        if trial % 3 == 0: yield rng.normal(0.7, 1, n1), rng.normal(0, 1, n0)                         # continuous
        elif trial % 3 == 1: yield rng.integers(0, 4, n1).astype(float), rng.integers(0, 3, n0).astype(float)   # heavy ties
        else: yield np.round(rng.normal(0.3, 1, n1), 1), np.round(rng.normal(0, 1, n0), 1)           # some ties


@pytest.mark.parametrize('case', range(30))
def test_identity_resample_equals_point_metrics_and_sklearn(case):
    a, b = list(_cases())[case]
    ident = M._resampled(a, b, np.arange(len(a))[None], np.arange(len(b))[None], ALL)
    point = M.separation_metrics(a, b, tprs=(0.95, 0.8))
    sk = _sklearn(a, b)
    for m in ALL:
        assert abs(ident[m][0] - point[m]) < 1e-12, (m, ident[m][0], point[m])
        assert abs(ident[m][0] - sk[m]) < 1e-12, (m, ident[m][0], sk[m])
        assert M._point(a, b, m) == point[m]


def test_every_resample_equals_sklearn_on_the_resampled_scores():
    rng = np.random.default_rng(1)
    for a, b in _cases(12, seed=3):
        ia, ib = rng.integers(0, len(a), (4, len(a))), rng.integers(0, len(b), (4, len(b)))
        got = M._resampled(a, b, ia, ib, ALL)
        for r in range(4):
            sk = _sklearn(a[ia[r]], b[ib[r]])
            for m in ALL: assert abs(got[m][r] - sk[m]) < 1e-12, (m, r)


def test_chunking_does_not_change_the_replicates(monkeypatch):
    rng = np.random.default_rng(2)
    a, b = rng.normal(1, 1, 300), rng.normal(0, 1, 200)
    full = separation_ci(a, b, n_boot=250, seed=5)
    monkeypatch.setattr(M, '_MEM', 80*500*3)            # sub-chunks of 3 rows
    assert separation_ci(a, b, n_boot=250, seed=5) == full


@pytest.mark.parametrize('delta,n_in,n_out', [(1.0, 150, 150), (0.5, 150, 150), (1.0, 200, 80)])
def test_coverage_two_gaussians(delta, n_in, n_out):
    "The nominal 95% interval of the AUROC covers Phi(delta / sqrt 2) in 93-97% of 400 repetitions."
    truth = norm.cdf(delta/np.sqrt(2))
    rng = np.random.default_rng(2026)
    hits = 0
    for rep in range(400):
        ci = metric_ci(rng.normal(delta, 1, n_in), rng.normal(0, 1, n_out), n_boot=1000, seed=rep)
        hits += ci['lo'] <= truth <= ci['hi']
    assert 0.93 <= hits/400 <= 0.97, hits/400


def test_point_value_is_the_metric_on_the_samples_and_intervals_contain_it():
    rng = np.random.default_rng(4)
    a, b = rng.normal(1, 1, 400), rng.normal(0, 1, 300)
    sep, point = separation_ci(a, b), M.separation_metrics(a, b)
    for m in METRICS:
        assert sep[m] == point[m] and sep[f'{m}_lo'] <= sep[m] <= sep[f'{m}_hi']
        one = metric_ci(a, b, m)
        assert (one['value'], one['lo'], one['hi']) == (sep[m], sep[f'{m}_lo'], sep[f'{m}_hi'])   # one shared draw
    assert sep['n_in'] == 400 and sep['n_out'] == 300
    v, reps = bootstrap_metric(a, b, n_boot=1200)
    assert reps.shape == (1200,) and v == point['auroc']
    assert interval(v, reps) == dict(value=v, lo=float(np.quantile(reps, 0.025)), hi=float(np.quantile(reps, 0.975)))


def test_determinism_same_seed_same_bytes():
    rng = np.random.default_rng(5)
    a, b = rng.normal(1, 1, 500), rng.normal(0, 1, 500)
    r1, r2 = bootstrap_metric(a, b, 'aupr_out', seed=11)[1], bootstrap_metric(a, b, 'aupr_out', seed=11)[1]
    assert r1.tobytes() == r2.tobytes()
    assert bootstrap_metric(a, b, 'aupr_out', seed=12)[1].tobytes() != r1.tobytes()
    assert repr(trend_ci(a, [b, b + 1], seed=3)) == repr(trend_ci(a, [b, b + 1], seed=3))
    assert repr(paired_ci(a, b, a + 1, b, seed=3)) == repr(paired_ci(a, b, a + 1, b, seed=3))


def test_stratified_resamples_keep_each_group():
    "A perfectly separated pair stays perfectly separated in every resample (the groups are resampled separately)."
    v, reps = bootstrap_metric(np.arange(10.) + 100, np.arange(5.), n_boot=300)
    assert v == 1 and (reps == 1).all()


def test_paired_with_itself_is_zero():
    rng = np.random.default_rng(6)
    a, b = rng.normal(1, 1, 200), rng.normal(0, 1, 150)
    for m in METRICS:
        p = paired_ci(a, b, a, b, m)
        assert p['diff'] == p['lo'] == p['hi'] == 0 and p['a'] == p['b']
        assert verdict(p['lo'], p['hi']) == 'inconclusive'


def test_paired_interval_narrower_than_unpaired_for_correlated_detectors():
    rng = np.random.default_rng(7)
    x_in, x_out = rng.normal(1, 1, 400), rng.normal(0, 1, 400)
    A = x_in + rng.normal(0, 0.3, 400), x_out + rng.normal(0, 0.3, 400)
    B = x_in + rng.normal(0, 0.5, 400), x_out + rng.normal(0, 0.5, 400)
    p = paired_ci(*A, *B)
    va, ra = bootstrap_metric(*A, seed=1)
    vb, rb = bootstrap_metric(*B, seed=2)          # independent draws: the unpaired comparison
    unpaired = interval(va - vb, ra - rb)
    assert p['diff'] == pytest.approx(va - vb, abs=1e-15)
    assert (p['hi'] - p['lo']) < 0.6*(unpaired['hi'] - unpaired['lo'])
    assert verdict(p['lo'], p['hi']) == 'agrees' and verdict(unpaired['lo'], unpaired['hi']) == 'inconclusive'


def test_paired_diff_sign_and_verdicts():
    rng = np.random.default_rng(8)
    a, b = rng.normal(1, 1, 300), rng.normal(0, 1, 300)
    p = paired_ci(a, b, a, b + 1.0)                 # B separates worse
    assert p['lo'] > 0 and verdict(p['lo'], p['hi']) == 'agrees' and verdict(p['lo'], p['hi'], 'less') == 'disagrees'
    q = paired_ci(a, b + 1.0, a, b)
    assert q['hi'] < 0 and verdict(q['lo'], q['hi']) == 'disagrees' and verdict(q['lo'], q['hi'], 'less') == 'agrees'
    assert verdict(-0.1, 0.1) == verdict(0.0, 0.2) == verdict(-0.2, 0.0) == 'inconclusive'
    assert verdict(0.55, 0.7, null=0.5) == 'agrees' and verdict(float('nan'), float('nan')) == 'inconclusive'


def test_trend_monotone_and_flat():
    rng = np.random.default_rng(9)
    t_in = rng.normal(1, 1, 300)
    rising = trend_ci(t_in, [rng.normal(1 - 0.3*s, 1, 300) for s in range(5)])
    falling = trend_ci(t_in, [rng.normal(-0.3*(4 - s), 1, 300) for s in range(5)])
    flat = trend_ci(t_in, [rng.normal(0, 1, 300) for _ in range(5)])
    assert rising['spearman'] == 1 and rising['lo'] > 0 and rising['diff_lo'] > 0
    assert verdict(rising['lo'], rising['hi']) == 'agrees' and verdict(falling['lo'], falling['hi']) == 'disagrees'
    assert verdict(flat['lo'], flat['hi']) == 'inconclusive' and flat['diff_lo'] < 0 < flat['diff_hi']
    assert set(rising) == {'spearman', 'lo', 'hi', 'diff', 'diff_lo', 'diff_hi'}


def test_spearman_rows_matches_scipy():
    from scipy.stats import spearmanr
    rng = np.random.default_rng(10)
    X = rng.integers(0, 4, (50, 5)).astype(float)
    got = M._spearman_rows(X)
    for row, g in zip(X, got):
        want = spearmanr(np.arange(5), row).statistic if row.std() > 0 else 0.0
        assert abs(g - want) < 1e-12


def test_trend_point_values_are_the_point_metrics():
    rng = np.random.default_rng(11)
    t_in = rng.normal(1, 1, 100)
    outs = [rng.normal(0, 1, 80) for _ in range(3)]
    t = trend_ci(t_in, outs, 'fpr@95', n_boot=200)
    pts = [M._point(t_in, o, 'fpr@95') for o in outs]
    assert t['diff'] == pts[-1] - pts[0]


@pytest.mark.parametrize('k,n', [(0, 1), (0, 10), (3, 10), (7, 20), (50, 100), (99, 100), (100, 100), (1, 1000)])
@pytest.mark.parametrize('level', [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, level):
    w = binomtest(k, n).proportion_ci(level, method='wilson')
    got = proportion_ci(k, n, level)
    assert abs(got['lo'] - w.low) < 1e-12 and abs(got['hi'] - w.high) < 1e-12
    assert got['value'] == k/n and got['n'] == n


def test_mean_ci_and_pool_seeds():
    rng = np.random.default_rng(12)
    x = rng.normal(3, 1, 400)
    ci = mean_ci(x)
    assert ci['value'] == x.mean() and ci['lo'] < 3 < ci['hi'] and ci['n'] == 400
    assert abs((ci['hi'] - ci['lo']) - 2*1.96/np.sqrt(400)) < 0.03
    per_seed = [bootstrap_metric(rng.normal(1 + 0.1*s, 1, 200), rng.normal(0, 1, 200), seed=0) for s in range(3)]
    p = pool_seeds(per_seed)
    vals = [v for v, _ in per_seed]
    assert p['value'] == pytest.approx(np.mean(vals), abs=1e-15) and p['seeds'] == 3
    assert p['seed_sd'] == pytest.approx(np.std(vals, ddof=1), abs=1e-15)
    mean_reps = np.mean([r for _, r in per_seed], axis=0)
    assert p['lo'] == float(np.quantile(mean_reps, 0.025))
    one = pool_seeds(per_seed[:1])
    assert np.isnan(one['seed_sd']) and one['value'] == vals[0]


BAD = [
    (lambda: metric_ci([], [0.1]), 'trust_in'),
    (lambda: metric_ci([0.1], []), 'trust_out'),
    (lambda: metric_ci([0.2, np.nan], [0.1]), 'trust_in'),
    (lambda: metric_ci([0.2], [np.inf]), 'trust_out'),
    (lambda: metric_ci([0.2], [0.1], 'auc'), 'metric'),
    (lambda: separation_ci([0.2], [0.1], metrics=['auroc', 'fpr95']), 'metrics'),
    (lambda: separation_ci([0.2], [0.1], metrics=[]), 'metrics'),
    (lambda: metric_ci([0.2], [0.1], n_boot=0), 'n_boot'),
    (lambda: bootstrap_metric([0.2], [0.1], n_boot=2.5), 'n_boot'),
    (lambda: metric_ci([0.2], [0.1], level=1.0), 'level'),
    (lambda: metric_ci([0.2], [0.1], level=0), 'level'),
    (lambda: interval(0.5, [], 0.95), 'reps'),
    (lambda: interval(0.5, [0.4, 0.6], 2), 'level'),
    (lambda: paired_ci([1., 2.], [0.], [1.], [0.]), 'in_a'),
    (lambda: paired_ci([1.], [0., 1.], [1.], [0.]), 'out_a'),
    (lambda: paired_ci([1.], [0.], [np.nan], [0.]), 'in_b'),
    (lambda: trend_ci([1.], [[0.]]), 'outs'),
    (lambda: trend_ci([1.], [[0.], [np.nan]]), 'outs[1]'),
    (lambda: proportion_ci(5, 3), 'successes'),
    (lambda: proportion_ci(0, 0), 'n'),
    (lambda: proportion_ci(1, 10, level=-1), 'level'),
    (lambda: mean_ci([]), 'values'),
    (lambda: pool_seeds([]), 'results'),
    (lambda: pool_seeds([(0.5, [0.4, 0.6]), (0.5, [0.5])]), 'replicates'),
    (lambda: verdict(0.1, 0.2, 'bigger'), 'expect'),
    (lambda: verdict(0.3, 0.2), 'lo'),
]


@pytest.mark.parametrize('i', range(len(BAD)))
def test_bad_input_names_the_argument(i):
    fn, word = BAD[i]
    with pytest.raises(ValueError, match=word.replace('[', r'\[').replace(']', r'\]')):
        fn()


def test_type_errors():
    with pytest.raises(TypeError, match='seed'): metric_ci([0.2], [0.1], seed=None)
    with pytest.raises(TypeError, match='successes'): proportion_ci(2.5, 10)
    with pytest.raises(TypeError, match='n'): proportion_ci(2, '10')
    assert proportion_ci(np.int64(3), np.float64(10.0))['value'] == 0.3


def test_same_seed_same_sizes_gives_paired_replicates():
    "bootstrap_metric draws depend only on (seed, sizes): two detectors' replicates subtract to the paired ones."
    rng = np.random.default_rng(13)
    x_in, x_out = rng.normal(1, 1, 250), rng.normal(0, 1, 180)
    A, B = (x_in + rng.normal(0, .4, 250), x_out), (x_in, x_out + rng.normal(0, .4, 180))
    for m in ('auroc', 'fpr@95'):
        (va, ra), (vb, rb) = bootstrap_metric(*A, m, seed=4), bootstrap_metric(*B, m, seed=4)
        p = paired_ci(*A, *B, metric=m, seed=4)
        assert (p['lo'], p['hi']) == (interval(va - vb, ra - rb)['lo'], interval(va - vb, ra - rb)['hi'])
