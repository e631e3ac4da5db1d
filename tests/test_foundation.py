"Bad input to the core and the metrics gets a clear ValueError; configuration precedence; the command line."
import os, subprocess, sys
from pathlib import Path
import numpy as np, pytest, torch
from torch import nn
from conftest import ROOT, tool
from trustbook import config, core, metrics

@pytest.mark.parametrize('call, msg', [
    (lambda: metrics.auroc([], []), 'empty'),
    (lambda: metrics.auroc([0, 1, 1], [0.1, np.nan, 0.3]), 'NaN'),
    (lambda: metrics.auroc([1, 1, 1], [0.1, 0.2, 0.3]), 'single class'),
    (lambda: metrics.aupr([0, 1], [0.1]), 'entries'),
    (lambda: metrics.fpr_at_tpr([0, 0], [0.1, 0.2]), 'single class'),
    (lambda: metrics.separation_metrics([], [1.0]), 'empty'),
    (lambda: metrics.separation_metrics([np.inf], [1.0]), 'NaN or infinite'),
    (lambda: metrics.ece([0.5, 1.5], [1, 0]), '[0, 1]'),
    (lambda: metrics.topk_accuracy(torch.zeros(0, 3), torch.zeros(0)), 'empty'),
    (lambda: metrics.topk_accuracy(torch.zeros(2, 3), torch.zeros(2), k=4), 'k must be'),
])
def test_metrics_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg.replace('[', r'\[').replace(']', r'\]')): call()

def test_metrics_agree_with_sklearn_on_ties():
    from sklearn.metrics import roc_auc_score, average_precision_score
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1000); s = rng.integers(0, 3, 1000).astype(float)
    assert metrics.auroc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert metrics.aupr(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)

def _net():
    m = nn.Sequential(); m.add_module('fc1', nn.Linear(4, 6)); m.add_module('relu', nn.ReLU()); m.add_module('head', nn.Linear(6, 2))
    return m

def test_unknown_layer_lists_close_matches():
    with pytest.raises(ValueError, match=r"no layer 'haed'.*'head'"):
        core.capture_activations(_net(), torch.randn(3, 4), 'haed', progress=False)

def test_capture_is_batched_and_restores_mode():
    m = _net().train(); x = torch.randn(50, 4)
    out = core.capture_activations(m, x, 'relu', batch_size=7, progress=False)
    assert m.training and out['relu'].shape == (50, 6)
    assert torch.allclose(out['logits'], m.eval()(x), atol=1e-6)
    assert not m.head._forward_hooks, 'hooks must be removed after capture'

def test_scores_validated():
    with pytest.raises(ValueError, match='NaN'):
        core.check_scores(torch.tensor([0.0, float('nan')]))
    with pytest.raises(ValueError, match='1-D'):
        core.check_scores(torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match='fit'):
        class D(core.Detector):
            def _score(self, x): return torch.zeros(len(x))
        D().score(torch.zeros(3, 1))

def test_model_and_input_checks():
    m = _net(); assert core.check_model(m) is m
    with pytest.raises(ValueError, match='model must be a torch nn.Module, got str'): core.check_model('net')
    with pytest.raises(TypeError, match=r'x.float\(\) / 255'): core.as_input(torch.ones(2, 3, dtype=torch.uint8))   # policy: refused
    assert core.as_input(torch.ones(2, 3, dtype=torch.float64)).dtype == torch.float32
    with pytest.raises(ValueError, match='empty batch'): core.as_input(torch.zeros(0, 4))
    with pytest.raises(ValueError, match='NaN or infinite'): core.as_input(torch.tensor([[1.0, float('inf')]]))

def test_atomic_write_leaves_no_partial_file(tmp_path):
    p = tmp_path/'a.pt'
    with pytest.raises(ZeroDivisionError):
        with core.atomic_write(p) as f: f.write(b'x' * 100); 1/0
    assert list(tmp_path.iterdir()) == []
    core.save_cached({'w': torch.ones(2)}, p); p.write_bytes(p.read_bytes()[:10])
    with pytest.raises(ValueError, match='corrupted'): core.load_cached(p)

def test_config_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv('TRUSTBOOK_CACHE', raising=False)
    assert config.setting('cache_dir')[1] == 'settings.ini'
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(tmp_path/'env'))
    assert config.cache_dir() == (tmp_path/'env').resolve()
    assert config.cache_dir(tmp_path/'arg') == (tmp_path/'arg').resolve()
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'missing'))
    assert config.data_root() is None
    with pytest.raises(ValueError, match='unknown profile'): config.profile('nope')

def test_data_root_defaults_to_shared_mirror(monkeypatch):
    monkeypatch.delenv('TRUSTBOOK_DATA', raising=False)
    expected = (ROOT/'..'/'shared'/'data').resolve()
    assert config.data_root() == (expected if expected.is_dir() else None)

def test_cli_help_and_unknown_command():
    r = subprocess.run([tool('trustbook'), '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and 'regen' in r.stdout and 'data' in r.stdout
    r = subprocess.run([tool('trustbook'), 'nonsense'], capture_output=True, text=True)
    assert r.returncode == 2 and 'invalid choice' in r.stderr
