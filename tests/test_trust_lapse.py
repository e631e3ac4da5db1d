"TRUST-LAPSE and the shared baselines: bad input tables, agreement with scipy on tied windows, the benchmark commands."
import re, subprocess
import numpy as np, pytest, torch
from torch import nn
from conftest import ROOT, tool
from trustbook import baselines as B
from trustbook import trust_lapse as T
from trustbook import tl_protocol as P

torch.set_num_threads(1)

def _latents(n=600, d=12, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(k, d, generator=g) * 3
    y = torch.arange(n) % k
    return (mu[y] + torch.randn(n, d, generator=g)).relu(), y

@pytest.fixture(scope='module')
def fitted():
    z, y = _latents()
    return T.TrustLapse(coreset_frac=0.2).fit_latents(z, y, y), z, y

class _Net(nn.Module):
    latent_layer, head = 'body', 'fc'
    def __init__(self):
        super().__init__(); self.body = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU()); self.fc = nn.Linear(8, 3)
    def forward(self, x): return self.fc(self.body(x))

# --- bad input: each a clear ValueError --------------------------------------------------------------------------
def _bad_cases(fitted):
    tl, z, y = fitted
    return [
        (lambda: tl.score_latents(torch.zeros(3, 5)), 'latent dimension mismatch'),
        (lambda: tl.score_latents(torch.full((2, 12), float('nan'))), 'NaN or infinite'),
        (lambda: tl.score_latents(torch.full((2, 12), float('inf'))), 'NaN or infinite'),
        (lambda: tl.score_latents(torch.zeros(0, 12)), 'empty'),
        (lambda: T.TrustLapse(coreset_frac=0.001, min_per_class=1).fit_latents(z, y), 'needs at least 2'),
        (lambda: T.TrustLapse(shrinkage=0.0).fit_latents(torch.randn(40, 30), torch.arange(40) % 4), 'singular'),
        (lambda: T.TrustLapse(shrinkage='x').fit_latents(z, y), 'shrinkage'),
        (lambda: T.TrustLapse(coreset_frac=1.5), 'coreset_frac'),
        (lambda: T.TrustLapse(sim_agg='median'), 'sim_agg'),
        (lambda: T.TrustLapse(combine='sum'), 'combine'),
        (lambda: T.TrustLapse(dist_ref='x'), 'dist_ref'),
        (lambda: T.TrustLapse().fit_latents(z, y[:5]), 'labels'),
        (lambda: tl.score_latents(z[:4], torch.tensor([0, 1, 2, 9])), 'no coreset samples'),
        (lambda: tl.reference(10**6), 'reference size'),
        (lambda: T.mannwhitney_sliding(np.zeros(10), np.zeros(3), 11), 'larger than the stream'),
        (lambda: T.mannwhitney_sliding(np.zeros(10), [], 5), 'reference window is empty'),
        (lambda: T.mannwhitney_sliding(np.zeros(10), [np.nan], 5), 'reference window contains NaN'),
        (lambda: T.mannwhitney_sliding([0., np.inf, 1.], [0.], 2), 'scores contain NaN'),
        (lambda: T.mannwhitney_sliding(np.zeros(10), [0.], 0), 'window must be'),
        (lambda: T.mannwhitney_sliding(np.zeros(10), [0.], 3, alternative='bigger'), 'alternative'),
        (lambda: T.SequentialMonitor([], 5), 'empty'),
        (lambda: T.SequentialMonitor([0.], 5, alpha=1.5), 'alpha'),
        (lambda: T.SequentialMonitor([0.], 5).update(float('nan')), 'finite'),
        (lambda: T.sequential_score([0.5], kind='logp'), 'kind'),
        (lambda: T.kmeans_1d([1.0]), 'at least 2'),
        (lambda: T.simulate_streams(0, 10), 'pools'),
        (lambda: T.simulate_streams(10, 10, segment=0), 'segment'),
        (lambda: T.simulate_streams(10, 10, p_shift=-0.1), 'p_shift'),
        (lambda: T.drift_metrics(np.zeros(5, bool), np.zeros(6, bool), 2), 'shape'),
        (lambda: T.drift_protocol(np.zeros(10), np.ones(10), [0.], 25, 2, length=20, segment=10), 'larger than the stream'),
        (lambda: T.coreset_indices(np.array([]), 0.1), 'non-empty'),
        (lambda: B.MSP('model'), 'nn.Module'),
        (lambda: B.MSP(_Net()).score(torch.zeros(0, 1, 4, 4)), 'empty'),
        (lambda: B.Entropy(_Net()).score(torch.full((2, 1, 4, 4), float('nan'))), 'NaN'),
        (lambda: B.KLUniform(_Net(), direction='both'), 'direction'),
        (lambda: B.ODIN(_Net(), temperature=-1), 'temperature'),
        (lambda: B.MCDropout(_Net(), n_passes=1), 'n_passes'),
        (lambda: B.Mahalanobis(nn.Linear(3, 2)), 'latent layer'),
        (lambda: B.Mahalanobis().fit_latents(torch.randn(4, 3), torch.tensor([0, 0, 0, 1])), 'fewer than 2'),
    ]

def test_bad_input_raises_value_error(fitted):
    for i, (call, msg) in enumerate(_bad_cases(fitted)):
        with pytest.raises(ValueError, match=msg):
            call()

# --- the sequential test equals scipy -----------------------------------------------------------------------------
@pytest.mark.parametrize('ties', ['none', 'rounded', 'integers'])
@pytest.mark.parametrize('alternative', T.ALTERNATIVES)
def test_sliding_mannwhitney_matches_scipy(ties, alternative):
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy.stats import mannwhitneyu
    rng = np.random.default_rng(7)
    for w, m in ((25, 25), (50, 50), (5, 1), (30, 7)):
        a = np.r_[rng.normal(size=300), rng.normal(1.5, 1, 300)]; R = rng.normal(size=m)
        if ties == 'rounded': a, R = a.round(1), R.round(1)
        if ties == 'integers': a, R = rng.integers(0, 3, 600).astype(float), rng.integers(0, 3, m).astype(float)
        ours = T.mannwhitney_sliding(a, R, w, alternative)
        ref = mannwhitneyu(sliding_window_view(a, w), R[None], alternative=alternative, method='asymptotic', axis=1)
        assert np.abs(ours['p'] - ref.pvalue).max() < 1e-9
        assert np.abs(ours['u'] - ref.statistic).max() < 1e-9

@pytest.mark.parametrize('ties', ['none', 'rounded', 'integers'])
def test_fast_equals_plain_version(ties):
    "The vectorised test equals the readable one-window-at-a-time version: U and tie term exactly, p to 1e-12."
    rng = np.random.default_rng(11)
    for w, m, n in ((25, 25, 200), (1, 3, 40), (7, 1, 60), (40, 12, 120)):
        A = rng.normal(size=(3, n)) + (np.arange(n) > n // 2); R = rng.normal(size=m)
        if ties == 'rounded': A, R = A.round(1), R.round(1)
        if ties == 'integers': A, R = rng.integers(0, 3, (3, n)).astype(float), rng.integers(0, 3, m).astype(float)
        fast = T.mannwhitney_sliding(A, R, w, ties=True)
        for i in range(3):
            plain = T.mannwhitney_plain(A[i], R, w)
            assert np.array_equal(fast['u'][i], plain['u']) and np.array_equal(fast['tie'][i], plain['tie'])
            assert np.abs(fast['p'][i] - plain['p']).max() < 1e-12

def test_crowded_reference_takes_the_exact_path():
    "Reference values closer than the bucket grid separates (1e-12 apart beside 1e6): still exact."
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy.stats import mannwhitneyu
    rng = np.random.default_rng(5)
    R = np.r_[rng.normal(size=20), 0.0, 1e-12, 1e-12, 1e6]
    a = np.r_[rng.normal(size=80), 0.0, 1e-12, 5e-13, 1e6, -1e300, 1e300]
    ref = mannwhitneyu(sliding_window_view(a, 10), R[None], method='asymptotic', axis=1)
    assert np.abs(T.mannwhitney_sliding(a, R, 10)['p'] - ref.pvalue).max() < 1e-9

# --- ARL calibration --------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def arl_setup():
    rng = np.random.default_rng(21)
    pool = rng.normal(size=4000).round(2)                               # ties with the reference and within windows
    return pool, rng.choice(pool, 25, replace=False)

@pytest.mark.parametrize('target', [300, 2000])
def test_arl0_threshold_meets_target_on_fresh_seeds(arl_setup, target):
    pool, R = arl_setup
    alpha = T.arl0_threshold(R, 25, target, pool, seed=0)
    for seed in (101, 202):                                             # streams never seen by the calibration
        got = T.arl0(R, pool, 25, alpha, n_streams=200, length=4 * target, seed=seed)
        assert target / 3 <= got['arl0'] <= 3 * target, (alpha, got)
    assert T.arl0(R, pool, 25, 0.05, seed=1)['arl0'] > 1 / 0.05       # alpha = 0.05 is not one alarm per 20 windows

def test_arl0_is_monotone_in_alpha(arl_setup):
    pool, R = arl_setup
    arls = [T.arl0(R, pool, 25, a, n_streams=100, length=1000, seed=3)['arl0'] for a in (1e-4, 1e-3, 1e-2, 0.05, 0.2)]
    assert all(x >= y for x, y in zip(arls, arls[1:]))

def test_strong_shift_is_detected_within_a_window(arl_setup):
    pool, R = arl_setup
    alpha = T.arl0_threshold(R, 25, 1000, pool, seed=0)
    d = T.detection_delay(R, pool, 2.0, 25, alpha, n_streams=200, seed=4)
    assert d['median'] < 25 and d['missed'] < 0.05
    worse = T.detection_delay(R, pool, 0.5, 25, alpha, n_streams=200, seed=4)
    assert worse['median'] > d['median']                               # a smaller shift takes longer

def test_unreachable_arl0_raises(arl_setup):
    pool, R = arl_setup
    top = T.max_arl0(R[:4], pool, 4)
    assert np.isfinite(top) and top > 1
    with pytest.raises(ValueError, match=r'largest reachable') as e:
        T.arl0_threshold(R[:4], 4, 10 * top, pool)
    assert f'{top:.4g}' in str(e.value)
    with pytest.raises(ValueError, match='target_arl0'): T.arl0_threshold(R, 25, 0.5, pool)
    with pytest.raises(ValueError, match='pool'): T.arl0(R, [np.nan, 1.0], 25)

def test_threads_and_blocks_give_the_same_test():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(9, 400)).round(1); R = rng.normal(size=25).round(1)
    one = T.mannwhitney_sliding(A, R, 25, ties=True)
    for kw in (dict(threads=2, block=800), dict(block=400), dict(block=10**6)):
        other = T.mannwhitney_sliding(A, R, 25, ties=True, **kw)
        assert all(np.array_equal(one[k], other[k]) for k in one), kw

def test_drift_protocol_in_blocks_equals_all_at_once():
    "drift_protocol runs blocks of streams; the result equals simulating, testing and clustering all streams at once."
    rng = np.random.default_rng(8)
    ip, op = rng.normal(0, 1, 3000).round(2), rng.normal(1.2, 1, 2000).round(2); R = rng.choice(ip, 25, replace=False)
    n_streams, length = 120, 5000                                      # two blocks of streams
    got = T.drift_protocol(ip, op, R, 25, n_streams, length, 500, seed=3, keep=2)
    sh, idx = T.simulate_streams(len(ip), len(op), n_streams, length, 500, seed=3)
    x = T.stream_scores(sh, idx, ip, op)
    p = T.mannwhitney_sliding(x, R, 25)
    lab = T.kmeans_1d(T.sequential_score(p['p']))[0].astype(bool)
    flags = np.zeros_like(sh); flags[:, 24:] = lab
    want = T.drift_metrics(flags, sh, 25)
    assert all(np.array_equal(got[k], want[k], equal_nan=True) for k in want)
    assert np.array_equal(got['traces']['flags'], flags[:2]) and np.array_equal(got['traces']['scores'], x[:2])
    blocks = list(T._stream_blocks(len(ip), len(op), n_streams, length, 500, 0.5, 3, block=7 * length))
    assert np.array_equal(np.concatenate([b[2] for b in blocks]), idx)   # blocks continue the same random sequence

def test_monitor_equals_batch():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 20, 300).astype(float); R = rng.integers(0, 20, 25).astype(float)
    mon = T.SequentialMonitor(R, 25); got = [mon.update(v) for v in a]
    b = T.mannwhitney_sliding(a, R, 25)
    assert got[23] is None and np.allclose([g['p'] for g in got[24:]], b['p'], atol=1e-12, rtol=0)

def test_kmeans_1d_is_optimal():
    from sklearn.cluster import KMeans
    rng = np.random.default_rng(0)
    v = np.r_[rng.exponential(0.4, 200), rng.normal(5, 1, 80)]
    lab, cen = T.kmeans_1d(v)
    km = KMeans(2, n_init=10, random_state=0).fit(v[:, None])
    sse = sum(((v[lab == j] - v[lab == j].mean())**2).sum() for j in (0, 1))
    assert sse <= km.inertia_ + 1e-6 and cen[0] < cen[1]

# --- the latent-space score ----------------------------------------------------------------------------------------
def test_trust_lapse_defaults_and_properties(fitted):
    tl, z, y = fitted
    d = T.TrustLapse()
    assert (d.dist_ref, d.sim_agg, d.combine, d.coreset_frac, d.norm, d.ref_source) == ('pred', 'max', 'product', 0.02, 'rank', 'heldout')
    s = tl.score_latents(z, y)
    assert ((s > 0) & (s <= 1)).all()
    far = z * 0 + 50.0
    n = len(tl.pool_dist_)
    assert torch.allclose(tl.components(far, y)['s_dist'], torch.tensor(1 / (1 + n)))   # beyond every held-out distance
    assert tl.score_latents(far, y).max() < s.median()
    scaled = T.TrustLapse(coreset_frac=0.2, norm='scale').fit_latents(z, y, y)
    assert scaled.score_latents(far, y).max() < scaled.score_latents(z, y).min()   # exp(-d/tau): far is lowest
    # coreset class counts: round(frac * n_c)
    assert np.bincount(tl.coreset_y_.numpy()).tolist() == [30] * 4

def test_trust_lapse_with_a_model_and_explain():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 1, 4, 4, generator=g); y = torch.arange(300) % 3
    net = _Net().eval()
    tl = T.TrustLapse(net, coreset_frac=0.1).fit(x, y)
    s = tl.score(x[:20]); assert s.shape == (20,)
    z, logits = B.latents_of(net, x[:2])
    ex = tl.explain(z, logits.argmax(1), k=2)
    assert len(ex) == 2 and len(ex[0]['nearest']['coreset']) == 2
    assert ex[0]['nearest']['cos'][0] >= ex[0]['farthest']['cos'][0]
    assert len(tl.reference(25)) == 25

def test_baselines_orientation():
    "Every baseline scores a confident in-distribution input above a uniform-logit one."
    net = _Net().eval()
    with torch.no_grad():
        net.fc.weight.zero_(); net.fc.bias.zero_()
    x = torch.rand(8, 1, 4, 4)
    for det in (B.MSP(net), B.Entropy(net), B.KLUniform(net), B.Energy(net)):
        s = det.score(x); assert torch.allclose(s, s[:1].expand_as(s))   # uniform logits: all equal
    sharp = nn.Linear(8, 3)
    with torch.no_grad(): sharp.weight.copy_(torch.eye(3, 8) * 50); sharp.bias.zero_()
    net.fc = sharp
    assert (B.MSP(net).score(x) >= 1 / 3 - 1e-6).all()

# --- the benchmark commands --------------------------------------------------------------------------------------
def test_bench_sequential_cli():
    r = subprocess.run([tool('trustbook'), 'bench', 'sequential', '--streams', '3', '--length', '1000'],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r'speedup_vs_scipy=([\d.]+) max_abs_pvalue_diff=(\S+) seconds=([\d.]+)', last)
    assert m, last
    assert float(m.group(2)) < 1e-9

def test_bench_latent_cli():
    r = subprocess.run([tool('trustbook'), 'bench', 'latent', '--batch', '128', '--train', '5000', '--repeat', '2'],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r'samples_per_s=\d+ overhead_vs_forward=[\d.]+', last), last

# --- experiment plumbing ---------------------------------------------------------------------------------------
def test_paper_metrics_orientation():
    m = P.paper_metrics(np.linspace(0.6, 1, 50), np.linspace(0, 0.4, 50))     # shifted inputs have lower trust
    assert m['AUROC'] == 100 and m['AUPR'] == pytest.approx(100) and m['FPR80'] == 0
    m = P.paper_metrics(np.linspace(0, 0.4, 50), np.linspace(0.6, 1, 50))
    assert m['AUROC'] == 0 and m['FPR80'] == 100

def test_drift_protocol_tolerance_and_delay():
    truth = np.r_[np.zeros(10), np.ones(10), np.zeros(10)].astype(bool)
    flags = np.r_[np.zeros(12), np.ones(10), np.zeros(8)].astype(bool)
    m = T.drift_metrics(flags, truth, 3)
    assert m['error'][0] == 0 and m['delay'][0] == 2 and m['false_alarms'][0] == 0 and m['change_points'][0] == 2
    shifted, idx = T.simulate_streams(5, 7, n_streams=4, length=100, segment=10, p_shift=1.0, seed=0)
    assert shifted.all() and idx.max() < 7

def test_simulate_streams_segments_and_seed():
    a = T.simulate_streams(100, 40, n_streams=5, length=3000, segment=250, p_shift=0.5, seed=7)
    b = T.simulate_streams(100, 40, n_streams=5, length=3000, segment=250, p_shift=0.5, seed=7)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    shifted, idx = a
    changes = np.flatnonzero((shifted[:, 1:] != shifted[:, :-1]).any(0)) + 1
    assert (changes % 250 == 0).all()                                   # changes only at segment borders
    assert idx[~shifted].max() < 100 and idx[shifted].max() < 40 and idx.min() >= 0
    assert not T.simulate_streams(5, 5, 3, 100, 10, p_shift=0.0)[0].any()

from conftest import needs_mirror

@needs_mirror
def test_semantic_and_shift_sets_load():
    held, sets = P.semantic_sets('mnist', max_eval=20)
    assert held == [0, 1, 4, 6, 7, 8, 9] and all(len(v) == 20 for v in sets.values())
    xte, yte = P.test_data('mnist', max_eval=20)
    assert len(xte) == len(yte) == 20 and xte.shape[1:] == (1, 28, 28)
    sh = P.shift_sets('mnist', 10)
    assert set(sh) == {'fashion_mnist', 'notmnist', 'omniglot'} and all(len(v) == 10 for v in sh.values())
    # each subsample has its own generator: the same draw whatever else was drawn before, in any process
    again = P.shift_sets('mnist', 10)
    assert all(torch.equal(sh[k], again[k]) for k in sh)
    assert torch.equal(P.test_data('mnist', 20)[0], xte) and not torch.equal(P.test_data('mnist', 20, seed=1)[0], xte)

# --- seeded draws and the model zoo -------------------------------------------------------------------------------
def test_derive_seed_is_stable_and_named():
    assert T.derive_seed(0, 'coreset') == 1187122263                   # golden: the same in every process
    assert T.derive_seed(3, 'subsample', 'mnist', 'test') == T.derive_seed(3, 'subsample', 'mnist', 'test')
    seeds = {T.derive_seed(s, *w) for s in (0, 1) for w in (('a',), ('b',), ('a', 'b'), ('b', 'a'))}
    assert len(seeds) == 8 and all(0 <= v < 2**31 for v in seeds)
    assert np.array_equal(T.seeded_rng(5, 'x').integers(0, 10**9, 4), T.seeded_rng(5, 'x').integers(0, 10**9, 4))
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match='seed'): T.derive_seed(bad, 'x')
    x = torch.arange(100).float()[:, None]
    a, _ = P._subsample(x, None, 10, 0, 'set a'); b, _ = P._subsample(x, None, 10, 0, 'set b')
    assert len(a) == 10 and not torch.equal(a, b) and torch.equal(a, P._subsample(x, None, 10, 0, 'set a')[0])
    assert P._subsample(x, None, None, 0, 'a')[0] is x and P._subsample(x, None, 200, 0, 'a')[0] is x

def test_zoo_names_match_the_held_out_classes():
    from trustbook import models
    assert P.zoo_name('mnist') == 'lenet_mnist' and P.zoo_name('cifar10', held_out=True) == 'resnet_cifar7'
    assert set(P.ZOO_NAMES.values()) <= set(models.ZOO)
    assert tuple(models.ZOO['lenet_mnist_m235']['classes']) == tuple(c for c in range(10) if c not in P.MNIST_HELD_OUT)
    cifar = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
    assert tuple(models.ZOO['resnet_cifar7']['classes']) == tuple(i for i, c in enumerate(cifar) if c not in P.CIFAR_HELD_OUT)
    with pytest.raises(ValueError, match='no zoo model'): P.zoo_name('fsdd', held_out=True)
    assert not hasattr(T, 'experiment_model') and not hasattr(T, 'domain_data')

def test_coreset_and_reference_draws(fitted):
    tl, z, y = fitted
    assert tl.coreset_per_class() == {0: 30, 1: 30, 2: 30, 3: 30}
    assert np.array_equal(tl.reference(25, 3), tl.reference(25, 3)) and not np.array_equal(tl.reference(25, 3), tl.reference(25, 4))
    assert np.array_equal(tl.reference(25, T.seeded_rng(0, 'r')), tl.reference(25, T.seeded_rng(0, 'r')))
    other = T.TrustLapse(coreset_frac=0.2, seed=1).fit_latents(z, y, y)
    assert not torch.equal(other.coreset_index_, tl.coreset_index_)
    assert torch.equal(T.TrustLapse(coreset_frac=0.2).fit_latents(z, y, y).coreset_index_, tl.coreset_index_)

# --- intervals ----------------------------------------------------------------------------------------------------
def _two_detectors(seed=0, n_in=200, n_out=150):
    g = np.random.default_rng(seed)
    a_in, a_out = g.normal(1, 1, n_in), g.normal(0, 1, n_out)
    return a_in, a_out, a_in + g.normal(0, 1.5, n_in), a_out + g.normal(0, 1.5, n_out)

def test_ci_over_seeds_agrees_with_metrics():
    from trustbook import metrics as M
    a_in, a_out, _, _ = _two_detectors()
    r = P.ci_over_seeds({0: (a_in, a_out)}, n_boot=500, what=('x',))
    bs = T.derive_seed(0, 'bootstrap', 'x')
    q = M.metric_ci(a_in, a_out, 'auroc', 500, bs)
    assert np.allclose([r['AUROC'], r['AUROC_lo'], r['AUROC_hi']], [100 * q['value'], 100 * q['lo'], 100 * q['hi']])
    q = M.metric_ci(-a_out, -a_in, 'fpr@80', 500, bs)                   # FPR80: the shifted set is the positive class
    assert np.allclose([r['FPR80'], r['FPR80_lo'], r['FPR80_hi']], [100 * q['value'], 100 * q['lo'], 100 * q['hi']])
    m = P.paper_metrics(a_in, a_out)
    assert np.allclose([r['AUROC'], r['AUPR'], r['FPR80']], [m['AUROC'], m['AUPR'], m['FPR80']])
    assert np.isnan(r['AUROC_seed_sd'])
    b_in, b_out, _, _ = _two_detectors(1)
    two = P.ci_over_seeds({0: (a_in, a_out), 1: (b_in, b_out)}, n_boot=500, what=('x',))
    assert two['AUROC'] == pytest.approx((m['AUROC'] + P.paper_metrics(b_in, b_out)['AUROC']) / 2)
    assert two['AUROC_seed_sd'] > 0 and two['AUROC_lo'] < two['AUROC'] < two['AUROC_hi']

def test_paired_and_contrast_over_seeds():
    from trustbook import metrics as M
    a_in, a_out, b_in, b_out = _two_detectors()
    p = P.paired_over_seeds({0: (a_in, a_out, b_in, b_out)}, n_boot=500, what=('y',))
    q = M.paired_ci(a_in, a_out, b_in, b_out, 'auroc', 500, T.derive_seed(0, 'bootstrap', 'y'))
    assert np.allclose([p['a'], p['b'], p['diff'], p['lo'], p['hi']], [100 * q[k] for k in ('a', 'b', 'diff', 'lo', 'hi')])
    assert p['lo'] > 0 and p['seeds'] == 1                              # the noisier detector B is worse
    c = P.contrast_over_seeds([(1, {0: (a_in, a_out)}), (-1, {0: (b_in, b_out)})], n_boot=500, what=('y',))
    assert c['diff'] == pytest.approx(p['diff']) and c['hi'] - c['lo'] > p['hi'] - p['lo']   # unpaired: wider
    s = P.paired_over_seeds({0: (a_in, a_out, a_in, a_out), 1: (b_in, b_out, b_in, b_out)}, n_boot=200)
    assert s['diff'] == s['lo'] == s['hi'] == 0 and s['seeds'] == 2
