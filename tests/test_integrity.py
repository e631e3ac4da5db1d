"""Issue 13, no silent wrong answers: checksummed caches (a flipped byte is detected, named and rebuilt), orphaned
temporary files, the input policy (`core.as_input`, `core.check_labels`), `trained(device=...)`, non-finite training,
labels in `data.held_out_split`, and `InversionConfig`'s finiteness checks."""
import json, math, os, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from torch import nn
from conftest import needs_mirror

from trustbook import core, data, models
from trustbook import counterfeits as C

torch.set_num_threads(1)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    "An empty cache folder for this test only (and a fresh per-process record of verified files)."
    d = tmp_path/'cache'; d.mkdir()
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(d))
    monkeypatch.setattr(core, '_VERIFIED', set(), raising=False)
    return d

def _flip(p: Path, at: float = 0.5):
    "Flip one bit of the byte at fraction `at` of the file (inside the payload, not the zip header)."
    b = bytearray(p.read_bytes()); i = int(len(b) * at); b[i] ^= 0x01; p.write_bytes(bytes(b))

def _same_state(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(u, v) for u, v in zip(a.state_dict().values(), b.state_dict().values()))

# ---------------------------------------------------------------- 1. cache integrity

def test_save_cached_writes_a_digest_and_load_checks_it(tmp_path):
    p = tmp_path/'a.pt'
    core.save_cached({'w': torch.arange(100.)}, p)
    line = (tmp_path/'a.pt.sha256').read_text().split()
    assert line == [core.hashlib.sha256(p.read_bytes()).hexdigest(), 'a.pt']      # `sha256sum -c` format
    _flip(p)
    with pytest.raises(core.CacheCorrupt, match='a.pt') as e: core.load_cached(p)
    assert e.value.path == p and e.value.expected == line[0] and e.value.got != line[0]
    core.save_cached({'w': torch.arange(100.)}, p); (tmp_path/'a.pt.sha256').unlink()
    with pytest.raises(core.CacheCorrupt, match='no digest'): core.load_cached(p)     # missing digest: not trusted
    assert issubclass(core.CacheCorrupt, ValueError)

def test_core_cached_detects_names_and_rebuilds(tmp_path, capsys):
    p, calls = tmp_path/'c.pt', []
    f = lambda: calls.append(1) or torch.linspace(0, 1, 500)
    a = core.cached(p, f)
    _flip(p)
    b = core.cached(p, f)
    assert len(calls) == 2 and torch.equal(a, b)
    assert str(p) in capsys.readouterr().err
    assert torch.equal(core.load_cached(p), a) and len(calls) == 2      # the rebuilt file verifies

def test_damaged_checkpoint_is_detected_named_and_retrained(tmp_cache, capsys):
    "A flipped byte in a zoo checkpoint no longer loads at chance accuracy under the old recorded accuracy."
    m1 = models.trained('digits_mlp', progress=False)
    p = Path(m1.train_info['path']); acc = m1.train_info['test']['accuracy']
    _flip(p)
    m2 = models.trained('digits_mlp', progress=False)
    assert str(p) in capsys.readouterr().err
    assert not m2.train_info['cached'] and _same_state(m1, m2)            # deterministic: the rebuild equals the original
    assert m2.train_info['test']['accuracy'] == acc == models.zoo_info('digits_mlp')['accuracy']
    core.check_digest(p)                                                  # the rewritten checkpoint verifies
    assert models.trained('digits_mlp', progress=False).train_info['cached']

def test_damaged_generator_cache_is_detected_named_and_retrained(tmp_cache, capsys):
    torch.manual_seed(0); clf = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    kw = dict(steps=5, batch_size=16, width=4, gamma=0, delta=0, progress=False)
    g1 = C.train_generator(clf, 10, (1, 8, 8), **kw)
    _flip(g1.cache_file)
    g2 = C.train_generator(clf, 10, (1, 8, 8), **kw)
    assert str(g1.cache_file) in capsys.readouterr().err
    assert _same_state(g1, g2) and g1.history == g2.history
    core.check_digest(g1.cache_file)

@needs_mirror
def test_damaged_decoded_data_is_detected_named_and_decoded_again(tmp_cache, capsys, monkeypatch):
    x1, y1 = data.load('notmnist', 'test')
    (f,) = tmp_cache.rglob('*.pt')
    _flip(f, 0.7)                                                          # inside the image bytes
    monkeypatch.setattr(core, '_VERIFIED', set())                           # the next process
    x2, y2 = data.load('notmnist', 'test')
    assert str(f) in capsys.readouterr().err
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    n = []
    real = core.check_digest
    monkeypatch.setattr(core, 'check_digest', lambda *a, **k: n.append(1) or real(*a, **k))
    data.load('notmnist', 'test'); data.load('notmnist', 'test', max_n=10)
    assert n == [1]                                                         # verified once per process, then memory-mapped

def test_damaged_zoo_index_is_reported_and_rewritten(tmp_cache, capsys):
    models.trained('digits_mlp', progress=False)
    ip = models._index_path('digits_mlp', 'quick', 0)
    ip.write_text('{"name": "digits_mlp", "test": {"accur')               # truncated JSON
    info = models.zoo_info('digits_mlp')
    assert info['accuracy'] is None and str(ip) in capsys.readouterr().err     # reported, not a JSONDecodeError
    models.trained('digits_mlp', progress=False)
    assert models.zoo_info('digits_mlp')['accuracy'] > 0.9

def test_damaged_weights_only_index_is_rebuilt(tmp_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('TRUSTBOOK_WEIGHTS', str(tmp_path/'weights'))
    name = 'tmp_digits_weights'
    monkeypatch.setitem(models.ZOO, name, dict(dataset='digits', build=lambda: models.DigitsMLP(), weights_only=True, max_eval=100))
    p = models.weights_path(name); p.parent.mkdir(parents=True)
    torch.manual_seed(0); torch.save(models.DigitsMLP().state_dict(), p)
    acc = models.trained(name, progress=False).train_info['test']['accuracy']
    models._index_path(name, 'quick', 0).write_bytes(b'\x00garbage')
    m = models.trained(name, progress=False)
    assert 'is damaged' in capsys.readouterr().err and m.train_info['test']['accuracy'] == acc
    assert models.zoo_info(name)['accuracy'] == acc

# ---------------------------------------------------------------- 2. orphaned temporary files

def test_orphaned_temporary_files_are_removed_at_first_cache_access(tmp_cache, monkeypatch):
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()
    (tmp_cache/'models').mkdir()
    orphan = tmp_cache/'models'/f'.m.pt.pid{dead.pid}.abcd1234.tmp'; orphan.write_bytes(b'x' * 1000)
    live = tmp_cache/'models'/f'.n.pt.pid{os.getpid()}.efgh5678.tmp'; live.write_bytes(b'y')
    old = tmp_cache/'.legacy.pt.zz99yy88.tmp'; old.write_bytes(b'z')          # no pid (older trustbook), two days old
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    young = tmp_cache/'.legacy2.pt.zz99yy77.tmp'; young.write_bytes(b'z')     # no pid, recent: may still be written
    other = tmp_cache/'.notes.tmp'; other.write_bytes(b'not ours')
    monkeypatch.setattr(core, '_SWEPT', set())
    core.cache_path('models', 'a.pt')
    assert not orphan.exists() and not old.exists()
    assert live.exists() and young.exists() and other.exists()

def test_atomic_write_names_its_temporary_file_with_the_pid(tmp_path):
    seen = []
    with core.atomic_write(tmp_path/'f.bin') as f:
        seen = [q.name for q in tmp_path.iterdir()]; f.write(b'1')
    assert len(seen) == 1 and f'.pid{os.getpid()}.' in seen[0] and core._TMP.match(seen[0])

# ---------------------------------------------------------------- 3. input policy

def test_as_input_policy():
    x = torch.rand(3, 4)
    assert core.as_input(x) is x
    d = core.as_input(x.double()); assert d.dtype == torch.float32 and torch.equal(d, x)
    assert core.as_input(x.numpy()).dtype == torch.float32
    with pytest.raises(TypeError, match=r'convert with x\.float\(\) / 255'): core.as_input((x * 255).to(torch.uint8))
    with pytest.raises(TypeError, match='images must be a float tensor'): core.as_input(torch.ones(2, 2, dtype=torch.long), 'images')
    bad = x.clone(); bad[0, 0] = float('nan'); bad[1, 1] = float('inf')
    with pytest.raises(ValueError, match='images contains 2 NaN or infinite'): core.as_input(bad, 'images')
    with pytest.raises(ValueError, match='x: got an empty batch'): core.as_input(torch.zeros(0, 3))
    with pytest.raises(ValueError, match='scalar'): core.as_input(torch.tensor(0.5))

def test_float64_input_reaches_the_model():
    torch.manual_seed(0); net = nn.Sequential(nn.Linear(4, 3))
    x = np.random.default_rng(0).random((7, 4))                          # float64 NumPy
    out = core.capture_activations(net, x, '0', progress=False)
    assert torch.allclose(out['0'], net(torch.as_tensor(x).float()))

def test_numpy_arrays_are_batched_not_walked_row_by_row():
    x, y = np.arange(20.).reshape(10, 2), np.arange(10)
    bs = list(core.iter_batches(x, 4, y))
    assert [tuple(b.shape) for b, _ in bs] == [(4, 2), (4, 2), (2, 2)] and torch.equal(torch.cat([l for _, l in bs]), torch.arange(10))
    assert [len(b) for b, _ in core.iter_batches((x, y), 5)] == [5, 5] and core.n_items(x) == 10
    net = nn.Sequential(nn.Linear(2, 3))
    out = core.capture_activations(net, x.astype(np.float32), '0', labels=y, progress=False)
    assert out['logits'].shape == (10, 3) and torch.equal(out['labels'], torch.arange(10))

@pytest.mark.parametrize('y, exc, msg', [
    ([0, -1, 2], ValueError, r'y has 1 labels outside \[0, 10\) \(first: -1\)'),
    ([2.5, 1.0], ValueError, 'not whole numbers'),
    ([42], ValueError, r'outside \[0, 10\) \(first: 42\)'),
    ([[1, 2]], ValueError, '1-D'),
    ([True, False], TypeError, 'integer class labels'),
    ([float('nan')], ValueError, 'not whole numbers'),
])
def test_check_labels_refuses(y, exc, msg):
    with pytest.raises(exc, match=msg): core.check_labels(y, 10)

def test_check_labels_accepts_and_returns_int64():
    for y in ([0, 9], np.array([0, 9], dtype=np.int32), torch.tensor([0., 9.]), torch.tensor([0, 9], dtype=torch.uint8)):
        out = core.check_labels(y, 10)
        assert out.dtype == torch.int64 and out.tolist() == [0, 9]
    with pytest.raises(ValueError, match='labels has 2 labels for 3 inputs'): core.check_labels([0, 1], 10, 'labels', n=3)
    with pytest.raises(ValueError, match='n_classes'): core.check_labels([0], 0)

# ---------------------------------------------------------------- 4. models and data

@pytest.mark.parametrize('dev', ['banana', 'cuda:3'])
def test_trained_refuses_an_unknown_or_unavailable_device(dev, tmp_cache):
    if dev == 'cuda:3' and torch.cuda.device_count() > 3: pytest.skip('this machine has a cuda:3')
    with pytest.raises(ValueError, match=r"valid choices here: \['cpu'"): models.trained('digits_mlp', device=dev, progress=False)
    assert not list(tmp_cache.rglob('*.pt'))                              # refused before any training

def test_trained_honours_the_device(tmp_cache):
    m = models.trained('digits_mlp', device='cpu', progress=False)
    assert core.model_device(m).type == 'cpu'
    if torch.cuda.is_available():
        g = models.trained('digits_mlp', device='cuda', progress=False)
        assert core.model_device(g).type == 'cuda' and g.train_info['test'] == m.train_info['test']
        assert all(torch.equal(a, b.cpu()) for a, b in zip(m.state_dict().values(), g.state_dict().values()))

def _digits(n=200):
    from sklearn.datasets import load_digits
    X, Y = load_digits(return_X_y=True)
    return torch.tensor(X[:n], dtype=torch.float32).view(-1, 1, 8, 8) / 16, torch.tensor(Y[:n])

def test_nan_inputs_to_train_are_named_not_blamed_on_lr(tmp_cache):
    x, y = _digits(); x[3, 0, 2, 2] = float('nan')
    with pytest.raises(ValueError, match='x contains 1 NaN or infinite') as e:
        models.train(models.DigitsMLP(), x, y, epochs=1, progress=False)
    assert 'lr' not in str(e.value) and not list(tmp_cache.rglob('*.pt'))

def test_float64_inputs_to_train_are_converted(tmp_cache):
    x, y = _digits()
    torch.manual_seed(0); a = models.train(models.DigitsMLP(), x, y, epochs=1, seed=1, cache=False, progress=False)
    torch.manual_seed(0); b = models.train(models.DigitsMLP(), x.double(), y, epochs=1, seed=1, cache=False, progress=False)
    assert a.train_info['key'] == b.train_info['key'] and _same_state(a, b)

def test_a_diverging_loss_stops_training_and_is_never_cached(tmp_cache):
    x, y = _digits()
    with pytest.raises(RuntimeError, match='although the inputs are finite') as e:
        models.train(models.DigitsMLP(), x, y, epochs=3, lr=1e30, optimizer='sgd', progress=False)
    assert 'nothing was cached' in str(e.value) and not list(tmp_cache.rglob('*.pt'))

def test_held_out_split_refuses_bad_labels():
    x = torch.zeros(4, 1)
    with pytest.raises(ValueError, match=r'y has 1 labels negative.*first: -1'): data.held_out_split(x, torch.tensor([0, 1, -1, 2]), [1])
    with pytest.raises(ValueError, match='not whole numbers'): data.held_out_split(x, torch.tensor([0., 1., 2.5, 2.]), [1])
    with pytest.raises(ValueError, match='classes must hold integer'): data.held_out_split(x, torch.tensor([0, 1, 2, 2]), [1.5])
    h = data.held_out_split(x, torch.tensor([0., 1., 2., 2.]), [1])            # integral floats are labels
    assert h.y_in.tolist() == [0, 1, 1] and h.y_in.dtype == torch.int64

@pytest.mark.parametrize('max_n', [True, 0, -3, 2.5, '10'])
def test_max_n_is_checked(max_n):
    with pytest.raises(ValueError, match='max_n'): data.load('digits', 'test', max_n=max_n)
    with pytest.raises(ValueError, match='max_n'): models.zoo_data('lenet_mnist_m235', 'test', max_n=max_n)

# ---------------------------------------------------------------- 5. counterfeits

@pytest.mark.parametrize('kw', [dict(alpha=math.nan), dict(gamma=math.inf), dict(delta=math.nan), dict(tau=math.nan),
                                dict(lr=math.nan), dict(lr=math.inf), dict(beta=math.nan), dict(steps=2.5),
                                dict(betas=(0.5, math.nan))])
def test_inversion_config_refuses_non_finite_options(kw):
    with pytest.raises(ValueError, match=list(kw)[0]): C.InversionConfig(**kw)

def test_non_finite_generator_loss_stops_and_is_never_cached(tmp_cache):
    torch.manual_seed(0); clf = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    with torch.no_grad(): clf[3].bias[0] = float('nan')                   # a broken classifier: NaN logits
    with pytest.raises(RuntimeError, match='inversion loss became nan') as e:
        C.train_generator(clf, 10, (1, 8, 8), steps=5, batch_size=16, width=4, gamma=0, delta=0, progress=False)
    assert 'nothing was cached' in str(e.value) and not list(tmp_cache.rglob('*.pt'))
