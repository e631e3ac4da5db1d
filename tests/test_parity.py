"""Parity with peer implementations on identical inputs: pytorch-ood's OOD metrics and torchmetrics' average precision.

Each test names the convention it pins. pytorch-ood scores are *outlier* scores (higher = more OOD) with labels < 0 for
OOD; trustbook's are trust scores (higher = more trustworthy) with in-distribution as the positive class, so the
pytorch-ood side gets `-trust` and labels -1 (OOD) / 0 (ID).
"""
import numpy as np
import pytest
import torch

from trustbook import metrics as M

pood = pytest.importorskip('pytorch_ood.metrics.functional')
tm = pytest.importorskip('torchmetrics.functional.classification')

def _cases():
    "Random continuous scores and heavily tied ones (4 distinct values), in several sizes and class balances."
    rng = np.random.default_rng(0)
    out = []
    for k in range(12):
        n_in, n_out = int(rng.integers(20, 400)), int(rng.integers(20, 400))
        if k % 2: a, b = rng.normal(1, 1, n_in), rng.normal(0, 1, n_out)
        else: a, b = rng.integers(0, 4, n_in).astype(float), rng.integers(0, 3, n_out).astype(float)
        out.append((a, b))
    return out

CASES = _cases()

def _pood(a, b):
    "pytorch-ood's inputs for trust scores a (in-distribution) and b (shifted): outlier scores, labels -1 = OOD."
    scores = torch.from_numpy(np.r_[-a, -b])
    labels = torch.from_numpy(np.r_[np.zeros(len(a)), -np.ones(len(b))]).long()
    return scores, labels

@pytest.mark.parametrize('k', range(len(CASES)))
def test_auroc_equals_pytorch_ood(k):
    "Convention: AUROC of in vs out with ties counting 1/2 (Mann-Whitney) equals pytorch-ood's OOD-positive AUROC."
    a, b = CASES[k]
    ours = M.separation_metrics(a, b)['auroc']
    theirs = float(pood.auroc(*_pood(a, b)))
    assert abs(ours - theirs) < 1e-12

@pytest.mark.parametrize('k', range(len(CASES)))
def test_fpr95_shifted_positive_equals_pytorch_ood(k):
    """Convention: `fpr_out@95` (shifted inputs are the positives; the share of in-distribution inputs flagged when
    95% of the shifted ones are) equals pytorch-ood's FPR95TPR; `fpr@95` (in-distribution positive) is the other one."""
    a, b = CASES[k]
    theirs = float(pood.fpr_at_tpr(*_pood(a, b), tpr=0.95))
    assert abs(M.separation_metrics(a, b)['fpr_out@95'] - theirs) < 1e-12

@pytest.mark.parametrize('k', range(len(CASES)))
def test_aupr_trapezoid_equals_pytorch_ood_and_average_precision_differs(k):
    "Convention: pytorch-ood's AUPR is the trapezoid area (`aupr_trapezoid`); `aupr` is average precision."
    a, b = CASES[k]
    y = np.r_[np.ones(len(a)), np.zeros(len(b))].astype(int)
    s = np.r_[a, b]
    scores, labels = _pood(a, b)
    assert abs(M.aupr_trapezoid(y, s) - float(pood.aupr(scores, labels, positive='id'))) < 1e-12
    assert abs(M.aupr_trapezoid(1 - y, -s) - float(pood.aupr(scores, labels, positive='ood'))) < 1e-12

@pytest.mark.parametrize('k', range(len(CASES)))
def test_average_precision_equals_torchmetrics(k):
    """Convention: `aupr` is average precision (step-wise, no interpolation) and equals torchmetrics'
    `binary_average_precision`; scores are mapped into [0, 1] first (rank-preserving), because torchmetrics passes
    scores outside [0, 1] through a sigmoid, which in float32 can merge distinct scores into ties."""
    a, b = CASES[k]
    y = np.r_[np.ones(len(a)), np.zeros(len(b))].astype(int)
    s = np.r_[a, b]
    u = (s - s.min()) / (s.max() - s.min())
    theirs = float(tm.binary_average_precision(torch.from_numpy(u), torch.from_numpy(y)))
    assert abs(M.aupr(y, u) - theirs) < 1e-6
    assert M.aupr(y, u) == M.aupr(y, s)       # AP depends on the ranking only

def _edge_cases():
    "Confidences at every bin edge (torch's linspace values and the correctly rounded k/n), exactly 1, and random ones."
    rng = np.random.default_rng(1)
    out = []
    for n_bins in (5, 10, 15, 20):
        edges = np.r_[torch.linspace(0, 1, n_bins + 1, dtype=torch.float64).numpy(), np.arange(n_bins + 1) / n_bins]
        c = np.r_[edges, np.ones(7), rng.uniform(size=300)]
        out.append((n_bins, c, (rng.uniform(size=len(c)) < c).astype(int)))
    return out

@pytest.mark.parametrize('n_bins, c, k', _edge_cases(), ids=lambda v: str(v) if isinstance(v, int) else '')
def test_ece_equals_torchmetrics_including_bin_edges(n_bins, c, k):
    """Convention: left-closed bins [e_k, e_k+1) on `torch.linspace(0, 1, n_bins + 1)` edges, a confidence of exactly
    1 in a group of its own: torchmetrics' `binary_calibration_error` (L1), to float64 precision."""
    theirs = float(tm.binary_calibration_error(torch.from_numpy(c), torch.from_numpy(k), n_bins=n_bins))
    assert abs(M.ece(c, k, n_bins) - theirs) < 1e-12

# ---------------------------------------------------------------- detectors on the same model and inputs

from scipy.stats import spearmanr
from trustbook import baselines as B, models

pood_det = pytest.importorskip('pytorch_ood.detector')

@pytest.fixture(scope='module')
def net_and_inputs():
    "An (untrained, seeded) digits CNN in eval mode and 64 digits images: parity needs the same model, not a good one."
    from trustbook import data
    net = models.build('digits_cnn', seed=0).eval()
    x, _ = data.load('digits', 'test', max_n=64)
    return net, x

def test_softmax_family_equals_negated_pytorch_ood(net_and_inputs):
    """Convention: trustbook's trust scores are pytorch-ood's outlier scores negated: MSP = -MaxSoftmax,
    negative entropy = -Entropy, T·logsumexp(logits/T) = -EnergyBased (T = 1 and T = 2)."""
    net, x = net_and_inputs
    logits = net(x).detach()
    torch.testing.assert_close(B.MSP(net).score(x), -pood_det.MaxSoftmax(net).predict(x), rtol=0, atol=1e-6)
    torch.testing.assert_close(B.Entropy(net).score(x), -pood_det.Entropy(net).predict(x), rtol=0, atol=1e-6)
    for t in (1.0, 2.0):
        ours = B.Energy(net, temperature=t).from_logits(logits)
        torch.testing.assert_close(ours, -pood_det.EnergyBased(net, t=t).predict_logits(logits), rtol=0, atol=1e-5)

def test_odin_equals_negated_pytorch_ood(net_and_inputs):
    """Convention: ODIN with the same T and epsilon, the perturbation in input space (no normalisation std, no
    clamping): trustbook's trust score = -pytorch-ood's outlier score. (trustbook's loss sums over the batch and
    pytorch-ood's averages: the sign of the gradient, which is all ODIN uses, is the same.)"""
    net, x = net_and_inputs
    for T, eps in ((1000.0, 0.0014), (10.0, 0.01)):
        ours = B.ODIN(net, temperature=T, epsilon=eps).score(x)
        theirs = -pood_det.ODIN(net, eps=eps, temperature=T).predict(x)
        torch.testing.assert_close(ours.float(), theirs.float(), rtol=0, atol=1e-6)

def test_mahalanobis_equals_pytorch_ood_up_to_its_scale():
    """Convention: trustbook's Vanilla Mahalanobis is -min_k d_k^2 with the tied covariance divided by N; pytorch-ood's
    outlier score is 0.5 * min_k d_k^2 with the covariance *not* divided by N (plus a 1e-6 ridge), so
    trustbook = -2N * pytorch-ood up to that ridge, and the two rank samples identically."""
    rng = np.random.default_rng(0)
    means = rng.normal(0, 3, (4, 6))
    y = torch.from_numpy(np.repeat(np.arange(4), 50))
    z = torch.from_numpy(means[y.numpy()] + rng.normal(0, 1, (200, 6)))
    q = torch.from_numpy(rng.normal(0, 3, (300, 6)))
    ours = B.Mahalanobis().fit_latents(z, y).score_latents(q)
    theirs = pood_det.Mahalanobis(None).fit_features(z.float(), y).predict_features(q.float()).double()
    torch.testing.assert_close(ours, -2 * len(z) * theirs, rtol=1e-4, atol=1e-4)
    assert spearmanr(ours.numpy(), -theirs.numpy()).statistic == pytest.approx(1.0, abs=1e-12)

def test_mc_dropout_variance_equals_pytorch_ood_mcd_up_to_its_normalisation():
    """Convention: trustbook's MC-dropout uncertainty is the total variance of the N softmax samples, summed over the
    K classes with the 1/N (population) variance; pytorch-ood's MCD averages the unbiased 1/(N-1) variance over
    classes. With the same seed (hence the same dropout masks, batch norm in eval mode in both):
    ours = -K (N-1)/N * theirs."""
    net = models.build('vgg_cifar10', seed=0).eval()
    x = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    n = 8
    ours = B.MCDropout(net, n_passes=n, seed=3, head_only=False).score(x)
    torch.manual_seed(3)
    _, theirs = pood_det.MCD.run(net, x, samples=n, batch_norm=True)
    k = 10
    torch.testing.assert_close(ours, -k * (n - 1) / n * theirs.double(), rtol=1e-5, atol=1e-9)

def test_dmd_base_equals_pytorch_ood_mahalanobis_odin_up_to_its_scale():
    """Convention (DMD-b with input preprocessing vs pytorch-ood's `MahalanobisODIN`, same seeded digits CNN, same
    training features, same inputs): both take the *closest* class by Mahalanobis distance, step the input by
    -eps * sign(grad of that class's distance) in [0, 1] pixel space (no `norm_std`: the normalisation is inside the
    model, so eps is a pixel step, which is what dividing by the std gives for normalised inputs), no clamping, and
    score the perturbed input's closest class. trustbook: max_c -1/2 d_c^2 with the tied covariance divided by N
    (pseudo-inverse precision); pytorch-ood: the outlier score 1/2 min_c d_c^2 with the covariance *not* divided by N
    (plus a 1e-6 ridge, hence the 2e-4 relative tolerance). So trustbook = -N * pytorch-ood, rank correlation 1."""
    from trustbook import data
    from trustbook.core import find_layer
    from trustbook.macs_baselines import DMDBase
    net = models.build('digits_cnn', seed=0).eval()
    xtr, ytr = data.load('digits', 'train')
    x, _ = data.load('digits', 'test', max_n=128)
    def encoder(v):
        out = {}
        h = find_layer(net, net.latent_layer).register_forward_hook(lambda m, i, o: out.__setitem__('z', o))
        try: net(v)
        finally: h.remove()
        return out['z'].flatten(1)
    with torch.no_grad(): ztr = encoder(xtr)
    n = len(xtr)
    for eps in (0.0, 0.004, 0.01):
        ours = DMDBase(net, magnitude=eps).fit(xtr, ytr).score(x).double()
        theirs = pood_det.MahalanobisODIN(encoder, eps=eps).fit_features(ztr, ytr).predict(x).detach().double()
        torch.testing.assert_close(ours, -n * theirs, rtol=2e-4, atol=1e-3)
        assert spearmanr(ours.numpy(), -theirs.numpy()).statistic == pytest.approx(1.0, abs=1e-12)
