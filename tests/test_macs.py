"MACS, its baselines and attacks: bad-input tables, the operator against real zoo layers, seeds and diagnostics, the bench command."
import math, re, subprocess, warnings
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from conftest import ROOT, tool, needs_mirror

from trustbook.core import derive_seed
from trustbook.macs import MACS, AffineOperator, layer_svd, proto_maps, proto_sources, fit_gmm, tune
from trustbook.bench import bench_macs
from trustbook.macs_baselines import DOCTOR, RelativeUncertainty, FeatureSqueezing, DeepMahalanobis, DMDBase, median_filter, bit_depth
from trustbook.attacks import attack, attack_success, run_attacks, success_table

torch.set_num_threads(1)

def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4*8*8, 16), nn.ReLU(),
                         nn.Linear(16, 3)).eval()

@pytest.fixture(scope='module')
def toy():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(120, 1, 8, 8, generator=g); y = torch.arange(120) % 3
    return _net(), x, y

BAD_MACS = [
    ('non-affine target layer', lambda m: MACS(m, ['1']), 'not an affine layer'),
    ('missing layer', lambda m: MACS(m, ['conv9']), "no layer 'conv9'"),
    ('empty layer list', lambda m: MACS(m, []), 'at least one'),
    ('kappa zero', lambda m: MACS(m, ['5'], kappa=0), 'positive'),
    ('kappa dict missing a layer', lambda m: MACS(m, ['0', '5'], kappa={'0': 2}), 'no value for layers'),
    ('bad proto fallback', lambda m: MACS(m, ['5'], proto_fallback='maybe'), 'proto_fallback'),
]

@pytest.mark.parametrize('what,make,msg', BAD_MACS, ids=[b[0] for b in BAD_MACS])
def test_macs_bad_construction(toy, what, make, msg):
    with pytest.raises(ValueError, match=re.escape(msg)): make(toy[0])

def test_kappa_above_rank(toy):
    m, x, y = toy
    with pytest.raises(ValueError, match='rank bound 3'): MACS(m, ['5'], kappa=4, n_clusters=3, progress=False).fit(x, y)

def test_too_many_clusters(toy):
    m, x, y = toy
    with pytest.raises(ValueError, match='cannot fit 500 clusters'): MACS(m, ['5'], kappa=2, n_clusters=500, progress=False).fit(x, y)

def test_proto_map_without_confident_sample():
    maps = torch.full((6, 2, 3), 1/3); labels = torch.tensor([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match='no correct training sample with confidence'):
        proto_maps(maps, labels, labels, torch.full((6,), 0.5), fallback='raise')
    with pytest.warns(UserWarning, match='at any confidence'):
        p = proto_maps(maps, labels, labels, torch.full((6,), 0.5))
    assert torch.allclose(p.sum(-1), torch.ones(3, 2))
    with pytest.warns(UserWarning, match='no correctly classified training sample'):
        proto_maps(maps, labels, (labels + 1) % 3, torch.ones(6))
    with pytest.raises(ValueError, match='class 2 has no training sample'):
        proto_maps(maps, labels % 2, labels % 2, torch.ones(6))

def test_proto_sources_counts():
    "Per class: labelled, correct, confident-and-correct counts, and the set each proto-map averages."
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    preds = torch.tensor([0, 0, 1, 1, 1, 0, 1, 0])
    conf = torch.tensor([.95, .5, .99, .8, .7, .99, .99, .99])
    src = proto_sources(labels, preds, conf, 3, threshold=0.9)
    assert src.n_labelled.tolist() == [3, 2, 3]
    assert src.n_correct.tolist() == [2, 2, 0]
    assert src.n_confident.tolist() == [1, 0, 0]
    assert src.source.tolist() == ['confident', 'correct', 'all']
    maps = torch.rand(8, 2, 3, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        p = proto_maps(maps, labels, preds, conf)
    exp = [maps[0], maps[3] + maps[4], maps[5] + maps[6] + maps[7]]        # the confident one; class 1's correct; class 2's all
    for c in range(3): assert torch.allclose(p[c], exp[c]/exp[c].sum(1, keepdim=True))

def test_derive_seed_for_macs_draws():
    assert derive_seed(0, 'svd', 'fc1') == derive_seed(0, 'svd', 'fc1')
    assert len({derive_seed(0, 'svd', 'fc1'), derive_seed(0, 'svd', 'fc2'), derive_seed(1, 'svd', 'fc1'), derive_seed(0, 'gmm', 'fc1')}) == 4
    assert all(0 <= derive_seed(s, 'x') < 2**31 for s in range(20))
    with pytest.raises(ValueError, match='seed'): derive_seed(-1, 'x')
    with pytest.raises(ValueError, match='seed'): derive_seed(0.5, 'x')
    assert derive_seed(0, 'attack', 'PGD') == derive_seed(0, 'attack', 'PGD') != derive_seed(0, 'attack', 'BIM')

def test_fit_gmm_converges_and_records():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(m, 1, (100, 2)) for m in (-6, 0, 6)])
    gm = fit_gmm(v, 3)
    assert gm.converged_ and gm.max_iter == 1000 and gm.n_iter_ < 1000
    assert np.allclose(np.sort(gm.means_[:, 0]), [-6, 0, 6], atol=0.5)
    assert not fit_gmm(v, 3, max_iter=1).converged_            # a capped EM is reported, not hidden

def test_diagnostics_and_no_silent_fallback(toy):
    "An untrained net: every proto-map falls back; fit does not warn per class, diagnostics() counts them."
    m, x, y = toy
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        macs = MACS(m, ['3', '5'], kappa={'3': 4, '5': 2}, n_clusters=3, progress=False).fit(x, y)
    d = macs.diagnostics()
    src = macs.proto_info
    assert d['proto_fallbacks'] == int((src.source != 'confident').sum()) == 3 and d['n_classes'] == 3
    assert set(d['proto_fallback_classes']) == {0, 1, 2} and d['n_layers'] == 2
    assert d['gmm_not_converged'] == [l for l in macs.layers if not macs.state[l].converged]
    assert all(isinstance(d['gmm_n_iter'][l], int) and d['gmm_n_iter'][l] >= 1 for l in macs.layers)
    assert src.n_labelled.tolist() == [40, 40, 40]
    with pytest.raises(RuntimeError, match='fit'): MACS(m, ['5'], kappa=2, n_clusters=2).diagnostics()

def _separable(scales, n_per_class=30, seed=0):
    "A linear classifier on inputs e_c * scale_c + small noise: class c is predicted correctly, with a confidence set by scale_c."
    k = len(scales)
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(k).repeat_interleave(n_per_class)
    x = torch.zeros(len(y), k + 1)
    x[torch.arange(len(y)), y] = torch.tensor(scales, dtype=torch.float32)[y]
    x = x + 0.01*torch.randn(x.shape, generator=g)
    model = nn.Sequential(nn.Flatten(), nn.Linear(k + 1, k))
    with torch.no_grad():
        model[1].weight.copy_(10*torch.eye(k, k + 1))
        model[1].bias.zero_()
    return model.eval(), x, y

def test_max_iter_one_reports_non_convergence(toy):
    "EM capped at one iteration: fit warns once, and gmm_info and diagnostics() name every layer."
    m, x, y = toy
    with pytest.warns(UserWarning, match=r"did not converge within max_iter=1"):
        macs = MACS(m, ['3', '5'], kappa={'3': 4, '5': 2}, n_clusters=3, max_iter=1, progress=False).fit(x, y)
    assert macs.max_iter == 1
    assert macs.gmm_info.layer.tolist() == ['3', '5']
    assert macs.gmm_info.converged.tolist() == [False, False]
    assert macs.gmm_info.n_iter.tolist() == [1, 1]
    assert macs.diagnostics()['gmm_not_converged'] == ['3', '5']
    assert macs.diagnostics()['gmm_n_iter'] == {'3': 1, '5': 1}
    with pytest.raises(ValueError, match='max_iter'): MACS(m, ['5'], max_iter=0)

def test_max_iter_default_keeps_results(toy):
    "The default cap is 1000 EM iterations; passing it explicitly (or through gmm_kwargs) changes nothing."
    m, x, y = toy
    kw = dict(kappa={'3': 4, '5': 2}, n_clusters=3, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        a = MACS(m, ['3', '5'], **kw).fit(x, y)
        b = MACS(m, ['3', '5'], max_iter=1000, **kw).fit(x, y)
        c = MACS(m, ['3', '5'], gmm_kwargs=dict(max_iter=1000), **kw).fit(x, y)
        d = MACS(m, ['3', '5'], max_iter=1, gmm_kwargs=dict(max_iter=1000), **kw).fit(x, y)   # gmm_kwargs win
    assert a.max_iter == 1000
    for other in (b, c, d):
        assert torch.equal(a.score(x[:30]), other.score(x[:30]))
        assert other.gmm_info.equals(a.gmm_info)
    assert (a.gmm_info.n_iter <= 1000).all()

@pytest.mark.parametrize('removed', [[], [1], [1, 3], [0, 2, 3]])
def test_proto_fallback_count_equals_removed_classes(removed):
    "Classes made unconfident (correct, but confidence < 0.9) fall back; n_proto_fallbacks counts exactly them."
    scales = [0.1 if c in removed else 1.0 for c in range(4)]
    model, x, y = _separable(scales)
    with torch.no_grad():
        prob = model(x).softmax(1)
    assert torch.equal(prob.argmax(1), y)                                   # every sample is classified correctly
    assert ((prob.max(1).values > 0.9) == torch.tensor([c not in removed for c in y.tolist()])).all()
    with warnings.catch_warnings():
        warnings.simplefilter('error')                                      # counted, not warned once per class
        macs = MACS(model, ['1'], kappa=2, n_clusters=2, progress=False).fit(x, y)
    assert macs.n_proto_fallbacks == len(removed)
    d = macs.diagnostics()
    assert d['proto_fallbacks'] == len(removed)
    assert d['proto_fallback_classes'] == {c: 'correct' for c in removed}
    assert macs.proto_info.source.tolist() == ['correct' if c in removed else 'confident' for c in range(4)]
    assert macs.proto_info.n_confident.tolist() == [0 if c in removed else 30 for c in range(4)]

def test_macs_deterministic_and_order_free(toy):
    "Refitting gives identical scores, and a layer's SVD and mixture do not depend on which layers come before it."
    m, x, y = toy
    kw = dict(n_clusters=4, progress=False)
    a = MACS(m, ['0', '3', '5'], kappa={'0': 4, '3': 4, '5': 2}, **kw).fit(x, y)
    b = MACS(m, ['0', '3', '5'], kappa={'0': 4, '3': 4, '5': 2}, **kw).fit(x, y)
    assert torch.equal(a.score(x[:20]), b.score(x[:20]))
    torch.manual_seed(123); np.random.seed(123)        # global generators are not used
    c = MACS(m, ['5', '3'], kappa={'5': 2, '3': 4}, **kw).fit(x, y)
    for l in ('3', '5'):
        assert torch.equal(a.state[l].proj[:a.state[l].kappa], c.state[l].proj[:c.state[l].kappa])
        assert torch.equal(a.state[l].gmm.mu_prec, c.state[l].gmm.mu_prec) and torch.equal(a.state[l].P, c.state[l].P)
    other = MACS(m, ['0', '3', '5'], kappa={'0': 4, '3': 4, '5': 2}, seed=1, **kw).fit(x, y)
    assert not torch.equal(other.state['0'].gmm.mu_prec, a.state['0'].gmm.mu_prec)   # the seed matters

def test_tune_reproducible(toy):
    m, x, y = toy
    args = (MACS(m, ['3', '5'], progress=False), x[:80], y[:80], x[80:], y[80:])
    kw = dict(kappas=(2, 3), clusters=(2, 3, 4), n_trials=4, progress=False)
    b1, t1 = tune(*args, **kw)
    b2, t2 = tune(*args, **kw)
    assert b1 == b2
    pd.testing.assert_frame_equal(t1, t2)
    assert t1.groupby('layer').size().max() <= 4 and t1.accuracy.between(0, 1).all()

def test_score_before_fit(toy):
    with pytest.raises(RuntimeError, match='fit'): MACS(toy[0], ['5'], kappa=2, n_clusters=2).score(toy[1])

def test_fit_and_score_range(toy):
    m, x, y = toy
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # an untrained net: proto-maps fall back (tested above)
        s = MACS(m, ['0', '3', '5'], kappa={'0': 4, '3': 4, '5': 2}, n_clusters=4, progress=False).fit(x, y).score(x[:10])
    assert s.shape == (10,) and (s >= 0).all() and (s <= 1 + 1e-6).all()

def test_operator_matches_zoo_conv():
    "The matrix-free operator reproduces a real SmallVGG conv layer on random inputs, and its adjoint is exact."
    from trustbook.models import SmallVGG
    torch.manual_seed(0)
    conv = SmallVGG().conv3.double()
    op = AffineOperator(conv, (32, 16, 16), dtype=torch.float64)
    x = torch.rand(3, 32, 16, 16, dtype=torch.float64)
    assert torch.allclose(op.matvec(op.augment(x)).T, conv(x).detach().flatten(1), atol=1e-10)
    u, r = torch.randn(op.n_in, 2, dtype=torch.float64), torch.randn(op.n_out, 2, dtype=torch.float64)
    assert torch.allclose((op.matvec(u)*r).sum(0), (u*op.rmatvec(r)).sum(0), rtol=1e-9)

def test_svd_dense_agreement():
    torch.manual_seed(1)
    op = AffineOperator(nn.Conv2d(2, 3, 3, stride=2, padding=1).double(), (2, 7, 7), dtype=torch.float64)
    _, Sd, _ = layer_svd(op, 8, 'dense')
    _, S, _ = layer_svd(op, 8, 'randomized', oversample=40, n_iter=10)
    assert torch.allclose(S, Sd, rtol=1e-6)

BAD_BASELINES = [
    ('DOC temperature', lambda m: DOCTOR(m, temperature=-1), 'temperature'),
    ('DOC epsilon', lambda m: DOCTOR(m, epsilon=-0.1), 'epsilon'),
    ('Rel-U lambda', lambda m: RelativeUncertainty(m, lam=1.5), 'lam'),
    ('FS even median', lambda m: FeatureSqueezing(m, median=4), 'odd'),
    ('FS bits', lambda m: FeatureSqueezing(m, bits=0), 'bits'),
    ('DMD no layers', lambda m: DeepMahalanobis(m, []), 'at least one'),
    ('DMD missing layer', lambda m: DeepMahalanobis(m, ['relu7']), "no layer 'relu7'"),
    ('DMD magnitude', lambda m: DeepMahalanobis(m, ['1'], magnitude=-1), 'magnitude'),
    ('DMD-b without latent', lambda m: DMDBase(m), 'layer name'),
    ('not a model', lambda m: DOCTOR('model'), 'nn.Module'),
]

@pytest.mark.parametrize('what,make,msg', BAD_BASELINES, ids=[b[0] for b in BAD_BASELINES])
def test_baselines_bad_input(toy, what, make, msg):
    with pytest.raises(ValueError, match=re.escape(msg)): make(toy[0])

def test_relu_needs_errors(toy):
    m, x, _ = toy
    with torch.no_grad(): pred = m(x).argmax(1)
    with pytest.raises(ValueError, match='both correct and misclassified'): RelativeUncertainty(m).fit(x, pred)

def test_squeezers():
    x = torch.rand(2, 3, 6, 6)
    assert torch.equal(median_filter(torch.ones(1, 1, 5, 5)), torch.ones(1, 1, 5, 5))
    assert len(torch.unique(bit_depth(x, 2))) <= 4
    with pytest.raises(ValueError, match='N, C, H, W'): median_filter(torch.rand(3, 6, 6))

@pytest.mark.parametrize('shape,size', [((2, 3, 8, 8), 3), ((2, 3, 8, 8), 5), ((1, 1, 3, 4), 7), ((3, 1, 28, 28), 3),
                                        ((1, 3, 32, 32), 3)])
def test_median_filter_equals_scipy_and_art(shape, size):
    """Convention: the border of Xu et al.'s and ART's median squeezer, `scipy.ndimage.median_filter(mode='reflect')`
    (edge value repeated, d c b a | a b c d | d c b a), also when the window is wider than the image. Exact equality:
    a median picks one of the input values, so there is no rounding to tolerate."""
    from scipy.ndimage import median_filter as sp_median
    from art.defences.preprocessor import SpatialSmoothing
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(size))
    ours = median_filter(x, size).numpy()
    assert np.array_equal(ours, sp_median(x.numpy(), size=(1, 1, size, size), mode='reflect'))
    assert np.array_equal(ours, SpatialSmoothing(window_size=size, channels_first=True, clip_values=(0, 1))(x.numpy())[0])

@pytest.mark.parametrize('bits', [1, 4, 5, 8])
def test_bit_depth_equals_art(bits):
    """Convention: round(x (2^b - 1)) / (2^b - 1) with round half to even (torch.round = np.rint), as ART's
    `FeatureSqueezing(clip_values=(0, 1))`. ART computes in float64 and we in float32: the tolerance 1e-7 is the float32
    rounding of k / (2^b - 1) (measured at most 3e-8); cast to float32 the two are equal."""
    from art.defences.preprocessor import FeatureSqueezing as ARTSqueezing
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(bits))
    ours, art = bit_depth(x, bits).numpy(), ARTSqueezing(clip_values=(0, 1), bit_depth=bits)(x.numpy())[0]
    assert np.abs(ours - art).max() < 1e-7
    assert np.array_equal(ours, art.astype(np.float32))

def test_nlm_parameter_mapping():
    """Convention: Xu et al.'s OpenCV "11-3-4" (search window 11, patch 3, h = 4 on the 0-255 scale) is scikit-image's
    patch_size 3, patch_distance 5 (a radius: 2*5 + 1 = 11) and h = 4/255 on [0, 1] pixels; nl_means defaults to it."""
    import inspect
    from trustbook.macs_baselines import nlm_params, nl_means
    assert nlm_params(11, 3, 4) == dict(patch_size=3, patch_distance=5, h=4/255)
    assert nlm_params(13, 5, 10, scale=1.0) == dict(patch_size=5, patch_distance=6, h=10.0)
    d = {k: v.default for k, v in inspect.signature(nl_means).parameters.items() if k != 'x'}
    assert d == nlm_params()
    with pytest.raises(ValueError, match='search_window'): nlm_params(10)
    with pytest.raises(ValueError, match='h must'): nlm_params(h=0)

def test_nlm_properties():
    """Non-local means on fixed inputs: a constant image is unchanged; on a constant image plus Gaussian noise of sd
    4/255 (colour and grey) the residual's variance drops; a grey non-square image equals scikit-image's 2-D call (the
    channel axis handled by us, not transposed)."""
    from skimage.restoration import denoise_nl_means
    from trustbook.macs_baselines import nl_means
    torch.testing.assert_close(nl_means(torch.full((2, 3, 9, 7), 0.25)), torch.full((2, 3, 9, 7), 0.25), rtol=0, atol=1e-6)
    g = torch.Generator().manual_seed(0)
    for c in (1, 3):
        x = (0.5 + 4/255*torch.randn(2, c, 16, 12, generator=g)).double()
        y = nl_means(x)
        assert y.shape == x.shape and (y - 0.5).var() < 0.7*(x - 0.5).var()
    x = torch.rand(1, 1, 9, 7, generator=g).double()
    ref = denoise_nl_means(x[0, 0].numpy(), patch_size=3, patch_distance=5, h=0.2, fast_mode=True)
    assert np.array_equal(nl_means(x, h=0.2)[0, 0].numpy(), ref)

BAD_ATTACKS = [
    ('unknown attack', dict(name='FGSM'), 'unknown attack'),
    ('negative eps', dict(name='BIM', eps=-0.1), 'positive'),
    ('zero steps', dict(name='DF', max_iter=0), 'positive'),
]

@pytest.mark.parametrize('what,kw,msg', BAD_ATTACKS, ids=[b[0] for b in BAD_ATTACKS])
def test_attacks_bad_input(toy, what, kw, msg):
    m, x, y = toy
    kw = dict(kw); name = kw.pop('name')
    with pytest.raises(ValueError, match=re.escape(msg)): attack(m, x[:4], name, **kw)

def test_attack_pixel_range(toy):
    m, x, _ = toy
    with pytest.raises(ValueError, match=r'\[0, 1\]'): attack(m, x[:4]*2 - 1, 'PGD')

def test_attack_budget(toy):
    m, x, y = toy
    xa = attack(m, x[:8], 'PGD', eps=0.05, eps_step=0.01, max_iter=5)
    assert (xa - x[:8]).abs().max() <= 0.05 + 1e-6 and xa.min() >= 0 and xa.max() <= 1
    assert attack_success(m, x[:8], xa, y[:8]).dtype == torch.bool

def test_attacks_seeded_per_name(toy):
    "PGD's random start comes from the global NumPy generator: seeded per attack name, so visiting order does not matter."
    m, x, y = toy
    with torch.no_grad(): pred = m(x).argmax(1)
    both = run_attacks(m, x[:24], pred[:24], names=['BIM', 'PGD'], seed=3, progress=False)
    np.random.seed(99)
    alone = run_attacks(m, x[:24], pred[:24], names=['PGD'], seed=3, progress=False)
    assert torch.equal(both['PGD']['x_adv'], alone['PGD']['x_adv'])
    a1 = attack(m, x[:8], 'PGD', seed=1)
    assert torch.equal(a1, attack(m, x[:8], 'PGD', seed=1)) and not torch.equal(a1, attack(m, x[:8], 'PGD', seed=2))

def test_success_table_wilson(toy):
    "Success rates carry the Wilson interval, checked against its closed form."
    m, x, y = toy
    with torch.no_grad(): pred = m(x).argmax(1)
    res = run_attacks(m, x[:24], pred[:24], names=['BIM'], progress=False)
    t = success_table(res).iloc[0]
    k, n, z = t.successes, t.attacked, 1.959963984540054
    p = k/n
    mid, half = (p + z*z/(2*n))/(1 + z*z/n), z*math.sqrt(p*(1 - p)/n + z*z/(4*n*n))/(1 + z*z/n)
    assert n == 24 and math.isclose(t.asr, p)
    assert math.isclose(t.asr_lo, max(0, mid - half), rel_tol=1e-9, abs_tol=1e-12) and math.isclose(t.asr_hi, min(1, mid + half), rel_tol=1e-9)

def test_dmd_regressor_quiet_and_seeded(toy):
    "The DMD regressor: no scikit-learn FutureWarning noise, and the negatives' subsample follows its seed."
    m, x, y = toy
    dmd = DeepMahalanobis(m, ['1', '4'], magnitude=0.0).fit(x, y)
    F_ = dmd.layer_scores(x)
    with warnings.catch_warnings():
        warnings.simplefilter('error', FutureWarning)
        dmd.fit_regressor(F_[:40], [F_[40:], F_[60:]], seed=5, features=True)
    s1 = dmd.score_features(F_)
    s2 = dmd.fit_regressor(F_[:40], [F_[40:], F_[60:]], seed=5, features=True).score_features(F_)
    assert torch.equal(s1, s2) and s1.shape == (120,) and ((s1 >= 0) & (s1 <= 1)).all()

def test_bench_help():
    r = subprocess.run([tool('trustbook'), 'bench', 'macs', '--help'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '--max-train' in r.stdout

def test_bench_bad_args():
    with pytest.raises(SystemExit): bench_macs(['--repeats', '0'])

@needs_mirror
@pytest.mark.slow
def test_bench_runs_small():
    "A tiny run of the benchmark prints the machine-readable last line."
    r = subprocess.run([tool('trustbook'), 'bench', 'macs', '--max-train', '500', '--batch', '32', '--repeats', '1',
                        '--kappa', '8', '--clusters', '10', '--threads', '1'], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r'macs_overhead=[-\d.]+ dmd_overhead=[-\d.]+ fs_overhead=[-\d.]+ fit_seconds=[\d.]+', last), last

@pytest.mark.parametrize('nb', ['30_macs_cifar10', '31_macs_attacks'])
def test_paper_profile_runs_baselines_as_the_paper(nb):
    "The paper profile runs DMD with the paper's magnitude (0.004) and Feature Squeezing with its NLM squeezer."
    from trustbook import config
    p = config.profile('paper', nb)
    assert p['dmd_magnitude'] == 0.004 and p['fs_nlm'] is True
