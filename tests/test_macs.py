"MACS, its baselines and attacks: bad-input tables, the operator against real zoo layers, the bench command."
import re, subprocess, warnings
import pytest
import torch
from torch import nn
from conftest import ROOT, tool, needs_mirror

from trustbook.macs import MACS, AffineOperator, layer_svd, proto_maps, bench_macs
from trustbook.macs_baselines import DOCTOR, RelU, FeatureSqueezing, DeepMahalanobis, DMDBase, median_filter, bit_depth
from trustbook.attacks import attack, attack_success

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
    ('Rel-U lambda', lambda m: RelU(m, lam=1.5), 'lam'),
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
    with pytest.raises(ValueError, match='both correct and misclassified'): RelU(m).fit(x, pred)

def test_squeezers():
    x = torch.rand(2, 3, 6, 6)
    assert torch.equal(median_filter(torch.ones(1, 1, 5, 5)), torch.ones(1, 1, 5, 5))
    assert len(torch.unique(bit_depth(x, 2))) <= 4
    with pytest.raises(ValueError, match='N, C, H, W'): median_filter(torch.rand(3, 6, 6))

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
