"The data layer: cards vs the mirror, `trustbook data verify/list`, loaders' shapes, the cache, bad input, corruptions."
import os, shutil, subprocess, tarfile
from pathlib import Path
import numpy as np, pytest, torch
from conftest import ROOT, tool, needs_mirror, mirror_root
from trustbook import config, data, corruptions


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    "An empty cache folder for this test only."
    d = tmp_path/'cache'; d.mkdir()
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(d))
    return d

def _copy_set(name, dest: Path) -> Path:
    "Copy the mirror files of dataset `name` under `dest` (a data root); return the root."
    for f in data.card(name)['files']:
        (dest/f['path']).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror_root()/f['path'], dest/f['path'])
    return dest

def _flip_byte(p: Path, at: int = 1000):
    b = bytearray(p.read_bytes()); b[at % len(b)] ^= 0x01; p.write_bytes(bytes(b))

# ---------------------------------------------------------------- cards

def test_cards_parse_and_cover_the_issue():
    cs = data.cards()
    must = {'digits', 'mnist', 'fashion_mnist', 'notmnist', 'omniglot', 'cifar10', 'tiny_imagenet', 'fsdd', 'speech_commands',
            'speech_commands_v001', 'kmnist', 'emnist_letters', 'cifar100', 'cifar100_c', 'svhn', 'places365'}
    assert must <= set(cs)
    for n, c in cs.items():
        assert (c['status'] == 'mirrored') == bool(c['files']), n
        if c['status'] in ('download', 'unavailable'): assert c.get('stand_in'), f'{n} must say what stands in for it'
        assert c['roles'] and c['caveats'] and c['license'] and c['citation'], n

@needs_mirror
def test_card_checksums_equal_the_mirrors_sha256sums():
    sums = {l.split()[1].removeprefix('./'): l.split()[0]
            for l in (mirror_root()/'SHA256SUMS').read_text().splitlines() if l.strip()}
    in_cards = {f['path']: f['sha256'] for c in data.cards().values() for f in c['files']}
    assert in_cards == sums

@pytest.mark.parametrize('text, msg', [
    ('# title only\n', 'front-matter'),
    ('---\nname: x\n', 'not closed'),
    ('---\n- a\n- b\n---\n', 'mapping'),
    ('---\nname: x\n---\n', 'lacks'),
    ('---\nname: [unclosed\n---\n', 'not valid YAML'),
])
def test_bad_cards_are_rejected(tmp_path, text, msg):
    p = tmp_path/'c.md'; p.write_text(text)
    with pytest.raises(ValueError, match=msg): data.read_card(p)

# ---------------------------------------------------------------- verify

@needs_mirror
def test_verify_passes_on_the_mirror():
    r = subprocess.run([tool('trustbook'), 'data', 'verify', '--root', str(mirror_root())], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'all files verified' in r.stdout and r.stdout.count('OK ') == sum(bool(c['files']) for c in data.cards().values())

@needs_mirror
def test_verify_fails_naming_the_changed_file(tmp_path):
    root = tmp_path/'root'; root.mkdir()
    for d in mirror_root().iterdir():                    # link every dataset folder, except a real copy of notMNIST
        if d.is_dir() and d.name != 'notmnist': (root/d.name).symlink_to(d)
    _copy_set('notmnist', root)
    _flip_byte(root/'notmnist/t10k-images-idx3-ubyte.gz', at=12345)
    r = subprocess.run([tool('trustbook'), 'data', 'verify', '--root', str(root)], capture_output=True, text=True)
    assert r.returncode == 1, r.stdout
    bad = [l for l in r.stdout.splitlines() if l.startswith('MISMATCH')]
    assert len(bad) == 1 and 'notmnist/t10k-images-idx3-ubyte.gz' in bad[0]
    assert '1 problem(s) found' in r.stdout

def test_verify_named_but_missing_fails(tmp_path, tmp_cache):
    assert data.data_main(['verify', 'notmnist', '--root', str(tmp_path)]) == 1

def test_verify_usage_errors(tmp_path, capsys):
    assert data.data_main(['verify', 'no_such_set']) == 2
    assert data.data_main(['verify', '--root', str(tmp_path/'nope')]) == 2
    assert 'is not a folder' in capsys.readouterr().err
    assert data.data_main(['frobnicate']) == 2

def test_list_command():
    r = subprocess.run([tool('trustbook'), 'data', 'list'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for n in data.cards(): assert n in r.stdout
    assert 'digits' in r.stdout and 'embedded' in r.stdout

# ---------------------------------------------------------------- integrity at load time, cache

@needs_mirror
@pytest.mark.parametrize('damage', ['flip', 'truncate'])
def test_corrupted_archive_clear_error_and_no_partial_cache(tmp_path, tmp_cache, damage):
    root = _copy_set('notmnist', tmp_path/'root')
    p = root/'notmnist/t10k-labels-idx1-ubyte.gz'
    if damage == 'flip': _flip_byte(p, at=2000)
    else: p.write_bytes(p.read_bytes()[:1500])
    with pytest.raises(ValueError, match='t10k-labels-idx1-ubyte.gz fails its integrity check'):
        data.load('notmnist', 'test', root=root)
    assert not [q for q in tmp_cache.rglob('*') if q.is_file()], 'a failed load must leave no cache'

@needs_mirror
def test_decode_failure_leaves_no_cache(tmp_cache, monkeypatch):
    def boom(paths): raise ValueError('cannot decode: simulated failure')
    monkeypatch.setitem(data._MIRROR_DECODERS, 'notmnist', boom)
    with pytest.raises(ValueError, match='simulated'): data.load('notmnist', 'test')
    assert not [q for q in tmp_cache.rglob('*') if q.is_file()]

@needs_mirror
def test_truncated_archives_are_named_by_the_decoders(tmp_path):
    idx = tmp_path/'t10k-images-idx3-ubyte.gz'
    idx.write_bytes((mirror_root()/'notmnist/t10k-images-idx3-ubyte.gz').read_bytes()[:50000])
    with pytest.raises(ValueError, match=str(idx)): data.read_idx(idx)
    tgz = tmp_path/'fsdd-recordings.tar.gz'
    tgz.write_bytes((mirror_root()/'fsdd/fsdd-recordings.tar.gz').read_bytes()[:200000])
    with pytest.raises(ValueError, match='fsdd-recordings.tar.gz'): data._decode_fsdd({'fsdd-recordings': tgz})

@needs_mirror
def test_second_load_comes_from_the_cache(tmp_cache, monkeypatch):
    x1, y1 = data.load('notmnist', 'test')
    assert len(list(tmp_cache.rglob('*.pt'))) == 1
    monkeypatch.setattr(data, '_decode', lambda *a, **k: pytest.fail('decoded again instead of reading the cache'))
    x2, y2 = data.load('notmnist', 'test')
    assert torch.equal(x1, x2) and torch.equal(y1, y2)

@needs_mirror
def test_damaged_cache_file_is_rebuilt(tmp_cache):
    x1, _ = data.load('notmnist', 'test', max_n=10)
    (f,) = tmp_cache.rglob('*.pt'); f.write_bytes(b'garbage')
    x2, _ = data.load('notmnist', 'test', max_n=10)
    assert torch.equal(x1, x2)

# ---------------------------------------------------------------- shapes

SPLITS = [(n, s) for n, c in data.cards().items() if c['status'] == 'mirrored' for s in c['splits']]

@needs_mirror
@pytest.mark.parametrize('name, split', SPLITS, ids=[f'{n}-{s}' for n, s in SPLITS])
def test_every_dataset_loads_with_documented_shapes(name, split):
    c = data.card(name)
    x, y = data.load(name, split)
    n = c['splits'][split] - (c.get('validation', 0) if split == 'train' else 0)
    assert tuple(x.shape) == (n, *c['shape']), (name, split, x.shape)
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and len(y) == len(x)
    lo, hi = c['value_range']; assert lo <= float(x.min()) and float(x.max()) <= hi
    if name == 'tiny_imagenet' and split == 'test': assert (y == -1).all()
    else: assert 0 <= int(y.min()) and int(y.max()) < len(data.CLASSES[name])

@needs_mirror
@pytest.mark.parametrize('name', [n for n, c in data.cards().items() if c.get('validation')])
def test_validation_split_is_the_end_of_the_stored_training_set(name):
    "`val` is the last `validation` images of the stored training set and `train` is the rest: they never overlap."
    c = data.card(name)
    x_tr, y_tr = data.load(name, 'train')
    x_val, y_val = data.load(name, 'val')
    assert len(x_val) == c['validation'] == 5000 and len(x_tr) + len(x_val) == c['splits']['train']
    stored, _, _ = data._decoded(name, 'train')
    assert torch.equal(x_val, stored[-5000:].float() / 255) and torch.equal(x_tr[:100], stored[:100].float() / 255)
    assert data.load(name, 'val', max_n=7)[0].shape[0] == 7

def test_digits_needs_nothing(tmp_path, monkeypatch, tmp_cache):
    monkeypatch.setenv('TRUSTBOOK_DATA', str(tmp_path/'no_mirror'))
    assert config.data_root() is None and data.available('digits')
    x, y = data.load('digits', 'train'); xt, yt = data.load('digits', 'test')
    assert x.shape == (1347, 1, 8, 8) and xt.shape == (450, 1, 8, 8) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1 and torch.bincount(y).min() > 120
    assert not list(tmp_cache.rglob('*.pt'))

@needs_mirror
def test_fsdd_splits_partition_by_index_and_speaker():
    x, y = data.load('fsdd', 'all')
    assert len(data.load('fsdd', 'train')[0]) + len(data.load('fsdd', 'test')[0]) == len(x) == 3000
    per = [len(data.load('fsdd', f'speaker={s}')[0]) for s in data.card('fsdd')['speakers']]
    assert per == [500] * 6 and len(data.load('fsdd', 'speaker_test')[0]) == 500

# ---------------------------------------------------------------- offline errors, torchvision layout

def test_offline_missing_file_error_names_file_and_remedy(tmp_path, tmp_cache):
    with pytest.raises(FileNotFoundError, match=r'mnist/t10k-images-idx3-ubyte.gz.*download=True'):
        data.load('mnist', 'train', root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r'tiny-imagenet-200-val-test.tar.gz.*cs231n'):
        data.load('tiny_imagenet', 'val', root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r'download=True.*omniglot'):
        data.load('kmnist', 'test', root=tmp_path)
    with pytest.raises(FileNotFoundError, match='stand-in'):
        data.load('cifar100_c')
    assert not data.available('mnist', root=tmp_path) and not data.available('kmnist', root=tmp_path)

def _write_idx(path: Path, arr: np.ndarray):
    hdr = bytes([0, 0, 8, arr.ndim]) + b''.join(int(d).to_bytes(4, 'big') for d in arr.shape)
    path.write_bytes(hdr + arr.astype(np.uint8).tobytes())

def test_torchvision_layout_is_read_without_network(tmp_path, tmp_cache):
    "What `download=True` leaves behind (torchvision's KMNIST raw folder) is found and decoded offline."
    raw = tmp_cache/'downloads'/'KMNIST'/'raw'; raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for pre, n in (('train', 20), ('t10k', 10)):
        _write_idx(raw/f'{pre}-images-idx3-ubyte', rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw/f'{pre}-labels-idx1-ubyte', np.arange(n) % 10)
    assert data.available('kmnist', root=tmp_path)
    x, y = data.load('kmnist', 'test', root=tmp_path)
    assert x.shape == (10, 1, 28, 28) and y.tolist() == list(range(10)) and 0 <= x.min() and x.max() <= 1

# ---------------------------------------------------------------- bad input

X = torch.rand(6, 1, 8, 8); Y = torch.tensor([0, 1, 2, 0, 1, 2])
@pytest.mark.parametrize('call, exc, msg', [
    (lambda: data.load('mnits'), ValueError, "unknown dataset 'mnits'"),
    (lambda: data.load('digits', 'val'), ValueError, "no split 'val'"),
    (lambda: data.load('digits', max_n=0), ValueError, 'max_n'),
    (lambda: data.load('digits', max_n=2.5), ValueError, 'max_n'),
    (lambda: data.held_out_split(X, Y, [7]), ValueError, 'do not occur'),
    (lambda: data.held_out_split(X, Y, []), ValueError, 'no classes'),
    (lambda: data.held_out_split(X, Y, [0, 1, 2]), ValueError, 'no in-distribution'),
    (lambda: data.held_out_split(X, Y[:3], [0]), ValueError, 'labels'),
    (lambda: data.pixel_shuffle(X[0, 0]), ValueError, r'\(N, C, ...\)'),
    (lambda: data.pixel_shuffle(X, seed=-3), ValueError, 'seed'),
    (lambda: data.patch_shuffle(X, 3), ValueError, 'dividing'),
    (lambda: data.gaussian_noise_like(X, seed='a'), ValueError, 'seed'),
    (lambda: corruptions.corrupt(X, 'fogg', 1), ValueError, 'unknown corruption'),
    (lambda: corruptions.corrupt(X, 'fog', 0), ValueError, 'severity'),
    (lambda: corruptions.corrupt(X, 'fog', True), ValueError, 'severity'),
    (lambda: corruptions.corrupt(X + 1, 'fog', 1), ValueError, r'\[0, 1\]'),
    (lambda: corruptions.corrupt(torch.rand(2, 2, 8, 8), 'fog', 1), ValueError, '1 or 3 channels'),
    (lambda: corruptions.corrupt((X * 255).to(torch.uint8), 'fog', 1), ValueError, 'float'),
    (lambda: corruptions.corrupt(X, 'fog', 1, seed=-1), ValueError, 'seed'),
    (lambda: corruptions.corrupt_mixed(X, 1, corruptions=['nope']), ValueError, 'unknown corruptions'),
])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg): call()

# ---------------------------------------------------------------- derived sets, corruptions

def test_derived_sets_deterministic_and_value_preserving():
    x = torch.rand(5, 3, 8, 8)
    for f in (lambda s: data.pixel_shuffle(x, s), lambda s: data.patch_shuffle(x, 4, s), lambda s: data.gaussian_noise_like(x, s)):
        assert torch.equal(f(0), f(0)) and not torch.equal(f(0), f(1)) and f(0).shape == x.shape
    assert torch.equal(data.patch_shuffle(x, 4).flatten(1).sort(1).values, x.flatten(1).sort(1).values)

@pytest.mark.parametrize('name', corruptions.CORRUPTIONS)
def test_corruption_properties(name):
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    outs = [corruptions.corrupt(x, name, s, seed=5) for s in range(1, 6)]
    for z in outs: assert z.shape == x.shape and z.dtype == x.dtype and 0 <= z.min() and z.max() <= 1
    assert torch.equal(outs[2], corruptions.corrupt(x, name, 3, seed=5))
    g = corruptions.corrupt(x[:, :1], name, 5, seed=5)
    assert g.shape == (4, 1, 32, 32) and 0 <= g.min() and g.max() <= 1

# ---------------------------------------------------------------- download=True from a card's URLs (network simulated)

def _fake_download(source_bytes):
    def download_url(url, root, filename=None, md5=None):
        name = filename or url.rsplit('/', 1)[1]
        Path(root).mkdir(parents=True, exist_ok=True); (Path(root)/name).write_bytes(source_bytes(name))
    return download_url

@needs_mirror
def test_download_from_card_urls_is_checked_and_cached(tmp_path, tmp_cache, monkeypatch):
    import torchvision.datasets.utils as U
    monkeypatch.setattr(U, 'download_url', _fake_download(lambda n: (mirror_root()/'notmnist'/n).read_bytes()))
    empty = tmp_path/'empty'; empty.mkdir()
    with pytest.raises(FileNotFoundError): data.load('notmnist', 'test', root=empty)
    x, y = data.load('notmnist', 'test', root=empty, download=True)
    assert x.shape == (10000, 1, 28, 28) and (tmp_cache/'downloads'/'notmnist'/'t10k-images-idx3-ubyte.gz').is_file()

@needs_mirror
def test_download_with_wrong_checksum_is_deleted(tmp_path, tmp_cache, monkeypatch):
    import torchvision.datasets.utils as U
    monkeypatch.setattr(U, 'download_url', _fake_download(lambda n: b'not the file' + n.encode()))
    empty = tmp_path/'empty'; empty.mkdir()
    with pytest.raises(ValueError, match='sha256'): data.load('notmnist', 'test', root=empty, download=True)
    assert not [q for q in tmp_cache.rglob('*') if q.is_file()]

@needs_mirror
@pytest.mark.parametrize('name, split, counts', [
    ('cifar10', 'test', [1000] * 10), ('cifar10', 'train', None), ('tiny_imagenet', 'val', [50] * 200),
    ('speech_commands', 'test', [100] * 11), ('speech_commands_v001', 'all', [10] * 30), ('fsdd', 'all', [300] * 10),
    ('notmnist', 'test', None), ('omniglot', 'test', None)])
def test_labels_match_the_documented_classes(name, split, counts):
    y = data.load(name, split)[1]
    bc = torch.bincount(y, minlength=len(data.CLASSES[name])).tolist()
    assert len(bc) == len(data.CLASSES[name])
    if counts: assert bc == counts
    else: assert min(bc) > 0
    if name == 'cifar10' and split == 'train':      # train + val together: the stored 5,000 per class
        assert (torch.tensor(bc) + torch.bincount(data.load(name, 'val')[1], minlength=10)).tolist() == [5000] * 10
