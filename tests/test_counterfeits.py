"""Counterfeits (nbs/40_counterfeits.ipynb): the bad-input table, the cache round trip, and the sampling API."""
import pytest
import torch
from torch import nn

from trustbook import counterfeits as C
from trustbook.cf_protocol import invert_zoo_model

torch.set_num_threads(1)


class Tiny(nn.Module):
    "A small 8x8 classifier with the zoo's `latent_layer` / `head` attributes."
    latent_layer, head = 'act', 'out'
    def __init__(self, n_out=10, side=8):
        super().__init__()
        self.flat, self.fc = nn.Flatten(), nn.Linear(side * side, 16)
        self.act, self.out = nn.ReLU(), nn.Linear(16, n_out)
    def forward(self, x): return self.out(self.act(self.fc(self.flat(x))))


@pytest.fixture
def clf():
    torch.manual_seed(0)
    return Tiny().eval()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(tmp_path / 'cache'))
    return tmp_path / 'cache'


# ---- conditioning vectors: wrong length, off the simplex ------------------------------------------------------
@pytest.mark.parametrize('c, msg', [
    (torch.ones(9) / 9, 'length 10'),
    (torch.ones(2, 11) / 11, 'length 10'),
    (torch.ones(2, 5, 2) / 10, 'length 10'),
    (torch.full((10,), 0.2), 'sums to 2'),
    (torch.zeros(10), 'sums to 0'),
    (torch.tensor([1.5, -0.5] + [0.] * 8), 'negative'),
    (torch.tensor([float('nan')] + [0.] * 9), 'NaN'),
])
def test_bad_conditioning(c, msg):
    with pytest.raises(ValueError, match=msg): C.check_conditioning(c, 10)


def test_good_conditioning():
    y = torch.arange(10).repeat(20)
    for kind in C.CONDITIONINGS:
        c = C.make_conditioning(kind, y, 10, generator=torch.Generator().manual_seed(0))
        assert torch.equal(C.check_conditioning(c, 10).argmax(1), y)
    with pytest.raises(ValueError, match='unknown conditioning'): C.make_conditioning('label', y, 10)
    with pytest.raises(ValueError, match=r'outside \[0, 10\)'): C.one_hot([0, 10], 10)
    with pytest.raises(ValueError, match='tau must be a positive finite'): C.soft_vector(y, 10, tau=0)


# ---- image shapes the generator cannot produce ------------------------------------------------------------
@pytest.mark.parametrize('shape, msg', [
    ((1, 28, 32), 'square'), ((1, 7, 7), 'side 7'), ((1, 2, 2), 'side 2'), ((3, 1024, 1024), 'side 1024'),
    ((0, 8, 8), 'no channels'), ((28, 28), r'\(channels, height, width\)'), ((1, 1, 28, 28), r'\(channels, height, width\)'),
])
def test_bad_shape(shape, msg):
    with pytest.raises(ValueError, match=msg): C.CounterfeitGenerator(10, shape)


@pytest.mark.parametrize('shape', [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_generator_shapes(shape):
    G = C.CounterfeitGenerator(10, shape, width=4).eval()
    x = G(torch.randn(3, 100), C.one_hot([0, 1, 2], 10))
    assert x.shape == (3, *shape) and x.min() >= 0 and x.max() <= 1


@pytest.mark.parametrize('kw, msg', [(dict(n_classes=1), 'n_classes'), (dict(z_dim=0), 'z_dim'), (dict(dropout=1.0), 'dropout')])
def test_bad_generator_options(kw, msg):
    with pytest.raises(ValueError, match=msg): C.CounterfeitGenerator(**{'n_classes': 10, 'shape': (1, 8, 8), **kw})


# ---- classifiers that do not fit ---------------------------------------------------------------------------
def test_classifier_output_size_mismatch(clf, cache):
    with pytest.raises(ValueError, match='output size must match'): C.check_classifier(clf, 12, (1, 8, 8))
    with pytest.raises(ValueError, match='output size must match'): C.train_generator(clf, 5, (1, 8, 8), steps=1)
    with pytest.raises(ValueError, match='cannot take inputs'): C.train_generator(clf, 10, (1, 28, 28), steps=1)
    with pytest.raises(ValueError, match='side 9'): C.train_generator(Tiny(side=9), 10, (1, 9, 9), steps=1)
    assert not cache.exists() or not any(cache.rglob('*.pt'))


def test_classifier_without_latent_layer(cache):
    plain = nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).eval()
    with pytest.raises(ValueError, match='latent_layer'): C.train_generator(plain, 10, (1, 8, 8), steps=1)
    G = C.train_generator(plain, 10, (1, 8, 8), steps=2, batch_size=20, width=4, gamma=0, delta=0, progress=False)
    assert isinstance(G, C.CounterfeitGenerator)


@pytest.mark.parametrize('kw, msg', [
    (dict(conditioning='label'), 'unknown conditioning'), (dict(alpha=-1), 'non-negative'), (dict(alpha=0, beta=0), 'alpha \\+ beta'),
    (dict(steps=0), 'steps'), (dict(batch_size=1), 'batch_size'), (dict(tau=0), 'tau and lr'), (dict(lr=0), 'tau and lr'),
])
def test_bad_config(kw, msg):
    with pytest.raises(ValueError, match=msg): C.InversionConfig(**kw)


# ---- training, cache, sampling ------------------------------------------------------------------------------
def test_train_cache_and_sample(clf, cache):
    p = [q.clone() for q in clf.parameters()]
    opts = dict(steps=30, batch_size=40, width=4, progress=False)
    G1 = C.train_generator(clf, 10, (1, 8, 8), **opts)
    assert G1.cache_file.is_file() and G1.cache_file.parent.parent == cache
    assert all(torch.equal(a, b) for a, b in zip(p, clf.parameters())), "the classifier must stay frozen"
    assert all(q.requires_grad for q in clf.parameters()) and not clf.training
    G2 = C.train_generator(clf, 10, (1, 8, 8), **opts)
    assert all(torch.equal(a, b) for a, b in zip(G1.state_dict().values(), G2.state_dict().values()))
    assert G2.history == G1.history and len(G1.history['loss']) == 30
    G3 = C.train_generator(clf, 10, (1, 8, 8), **{**opts, 'conditioning': 'soft'})
    assert G3.cache_file != G1.cache_file
    cf = C.sample_counterfeits(G1, clf, 7, seed=3)
    assert cf.x.shape == (70, 1, 8, 8) and len(cf) == 70 and torch.equal(cf.y, torch.arange(10).repeat_interleave(7))
    assert torch.allclose(cf.probs.sum(1), torch.ones(70)) and cf.confidence.shape == (70,)
    again = C.sample_counterfeits(G1, clf, 7, seed=3)
    assert torch.equal(cf.x, again.x), "sampling must be deterministic for a seed"
    with pytest.raises(ValueError, match='n_per_class'): C.sample_counterfeits(G1, clf, 0)
    with pytest.raises(ValueError, match='length 10'): C.generate(G1, torch.ones(4, 3) / 3)
    with pytest.raises(ValueError, match='simplex'): C.generate(G1, torch.ones(4, 10))
    with pytest.raises(ValueError, match='output size must match'): C.sample_counterfeits(G1, Tiny(n_out=4), 2)


def test_measures_bad_input(clf):
    with pytest.raises(ValueError, match='differ in dimension'): C.nn_distance(torch.randn(3, 4), torch.randn(5, 6))
    with pytest.raises(ValueError, match='k must be'): C.nn_distance(torch.randn(3, 4), torch.randn(5, 4), k=6)
    with pytest.raises(ValueError, match=r'outside \[0, 3\)'): C.confident_share(torch.ones(2, 3) / 3, [0, 3])
    with pytest.raises(ValueError, match='threshold'): C.confident_share(torch.ones(2, 3) / 3, [0, 1], threshold=0)
    with pytest.raises(ValueError, match='no dataset|no zoo classifier'): invert_zoo_model('svhn')
    with pytest.raises(ValueError, match='at least one'): C.detector_aurocs({}, torch.zeros(0, 1, 8, 8), torch.zeros(3, 1, 8, 8))


# ---- determinism: named streams, cache, global RNG -----------------------------------------------------------
def test_derive_seed_values():
    "The counterfeits' named streams come from core.derive_seed: stable values, distinct streams, text-compared labels."
    from trustbook.core import derive_seed
    assert derive_seed(0, 'mnist', 'sample-latent') == 1170404029          # the same in every process
    seeds = {derive_seed(s, ds, w) for s in (0, 1) for ds in ('digits', 'mnist') for w in ('latent', 'labels')}
    assert len(seeds) == 8 and all(0 <= s < 2**31 for s in seeds)
    assert derive_seed(3, 'a', 1) == derive_seed(3, 'a', '1')             # parts are compared as text
    for bad in (-1, 0.5, True, '0'):
        with pytest.raises(ValueError, match='seed must be'): derive_seed(bad, 'x')


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_cached_generator_gives_the_same_counterfeits_as_a_fresh_one(clf, cache):
    opts = dict(steps=25, batch_size=40, width=4, progress=False, stream='digits')
    fresh = C.train_generator(clf, 10, (1, 8, 8), cache=False, **opts)       # trained, not cached
    first = C.train_generator(clf, 10, (1, 8, 8), **opts)                    # trained, written to the cache
    loaded = C.train_generator(clf, 10, (1, 8, 8), **opts)                   # loaded from the cache
    assert first.cache_file.is_file() and loaded.cache_file == first.cache_file
    assert _same_state(fresh.state_dict(), first.state_dict()) and _same_state(first.state_dict(), loaded.state_dict())
    a, b = C.sample_counterfeits(fresh, clf, 6, seed=2), C.sample_counterfeits(loaded, clf, 6, seed=2)
    assert torch.equal(a.x, b.x) and torch.equal(a.probs, b.probs) and torch.equal(a.c, b.c)
    assert loaded.history == fresh.history
    # another seed or another stream (dataset) gives another generator and other latents
    other = C.train_generator(clf, 10, (1, 8, 8), cache=False, **{**opts, 'stream': 'mnist'})
    assert not _same_state(other.state_dict(), fresh.state_dict())
    assert not torch.equal(C.sample_counterfeits(fresh, clf, 6, seed=3).x, a.x)


def test_generator_ignores_and_keeps_the_global_rng(clf, cache):
    opts = dict(steps=10, batch_size=20, width=4, progress=False, conditioning='soft')
    states = []
    for glob in (1, 2):
        torch.manual_seed(glob)
        before = torch.get_rng_state()
        G = C.train_generator(clf, 10, (1, 8, 8), **opts)                  # trained the first time, loaded the second
        assert torch.equal(torch.get_rng_state(), before), "train_generator must not advance the global RNG"
        cf = C.sample_counterfeits(G, clf, 3, seed=0)
        assert torch.equal(torch.get_rng_state(), before), "sampling must not advance the global RNG"
        states.append((G.state_dict(), cf.x))
    assert _same_state(states[0][0], states[1][0]) and torch.equal(states[0][1], states[1][1])
    torch.manual_seed(7)
    fresh = C.train_generator(clf, 10, (1, 8, 8), cache=False, **opts)      # another global state, not cached
    assert _same_state(fresh.state_dict(), states[0][0])


def test_one_hot_and_soft_counterfeits_pair_up(clf, cache):
    opts = dict(steps=5, batch_size=20, width=4, progress=False, stream='digits')
    oh = C.train_generator(clf, 10, (1, 8, 8), conditioning='one_hot', **opts)
    so = C.train_generator(clf, 10, (1, 8, 8), conditioning='soft', **opts)
    a, b = C.sample_counterfeits(oh, clf, 4, seed=1), C.sample_counterfeits(so, clf, 4, seed=1)
    assert torch.equal(a.y, b.y) and torch.equal(b.c.argmax(1), b.y) and torch.equal(a.c, C.one_hot(a.y, 10))
    # the same latents: with identical weights the two generators would make identical images from one-hot vectors
    so.load_state_dict(oh.state_dict())
    assert torch.equal(C.generate(so, a.c, C.derive_seed(1, 'digits', 'sample-latent')), a.x)


# ---- intervals ------------------------------------------------------------------------------------------------
def test_median_ratio_bootstrap():
    from scipy.stats import bootstrap
    import numpy as np
    a, b = np.random.default_rng(1).lognormal(0.4, 0.5, 300), np.random.default_rng(2).lognormal(0.0, 0.5, 500)
    v, reps = C.median_ratio_bootstrap(a, b, n_boot=4000, seed=5)
    assert v == pytest.approx(np.median(a) / np.median(b), abs=1e-12) and reps.shape == (4000,)
    v2, reps2 = C.median_ratio_bootstrap(torch.tensor(a), list(b), n_boot=4000, seed=5)
    assert v2 == pytest.approx(v, abs=1e-12) and np.array_equal(reps, reps2)        # seeded: the same replicates
    assert not np.array_equal(reps, C.median_ratio_bootstrap(a, b, n_boot=4000, seed=6)[1])
    ref = bootstrap((a, b), lambda x, y, axis=-1: np.median(x, axis) / np.median(y, axis), n_resamples=4000,
                    method='percentile', random_state=0).confidence_interval
    assert np.quantile(reps, [0.025, 0.975]) == pytest.approx([ref.low, ref.high], abs=0.03)
    with pytest.raises(ValueError, match='non-empty'): C.median_ratio_bootstrap([], b)
    with pytest.raises(ValueError, match='n_boot'): C.median_ratio_bootstrap(a, b, n_boot=0)


def test_detector_scores_and_aurocs(clf):
    from sklearn.metrics import roc_auc_score
    import numpy as np
    g = torch.Generator().manual_seed(0)
    real, fake = torch.rand(40, 1, 8, 8, generator=g), torch.rand(30, 1, 8, 8, generator=g) * 0.3
    dets = {'MSP': C.core.FunctionDetector(lambda x: C.classify(clf, x).max(1).values, 'MSP'),
            'feature 1-NN': C.FeatureNN(clf).fit(real[:20])}
    sc = C.detector_scores(dets, real, fake, progress=False)
    au = C.detector_aurocs(dets, real, fake, progress=False)
    for k, (t_in, t_out) in sc.items():
        assert t_in.shape == (40,) and t_out.shape == (30,) and t_in.dtype == np.float64
        assert au[k] == pytest.approx(roc_auc_score(np.r_[np.ones(40), np.zeros(30)], np.r_[t_in, t_out]), abs=1e-12)
    assert np.allclose(sc['MSP'][0], C.classify(clf, real).max(1).values.numpy(), atol=1e-6)
