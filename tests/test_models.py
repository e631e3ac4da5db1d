"""Model zoo: the layer-name contract every method relies on, train's cache and determinism, bad input, the zoo."""
import os, time
from pathlib import Path
import pytest
import torch
from torch import nn
from conftest import needs_mirror

from trustbook import config, core, models
from trustbook.models import (ZOO, DigitsMLP, LeNet5, M5, SmallVGG, SmallViT, ResNet18Cifar, accuracy, build, latents,
                              load_weights, recipe, train, trained, weights_path, zoo_info)

torch.set_num_threads(1)

@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(tmp_path/'cache'))
    return tmp_path/'cache'

def _digits(n=300):
    from sklearn.datasets import load_digits
    X, Y = load_digits(return_X_y=True)
    return torch.tensor(X[:n], dtype=torch.float32).view(-1, 1, 8, 8)/16, torch.tensor(Y[:n])

@pytest.mark.parametrize('name', list(ZOO))
def test_zoo_architecture_contract(name):
    "latent_layer's output is the head's input (eval mode), macs_layers are affine layers with bias, shapes are checked."
    m = build(name, seed=0).eval()
    free = 8000 if len(m.input_shape) == 2 else 32      # audio length, or image side
    shape = tuple(free if s is None else s for s in m.input_shape)
    x = torch.rand(2, *shape)
    head = core.find_layer(m, m.head)
    assert isinstance(head, nn.Linear) and head.in_features == m.latent_dim
    out = core.capture_activations(m, x, [m.latent_layer, m.head], what='input', reduce='flatten', progress=False)
    z = latents(m, x)
    assert z.shape == (2, m.latent_dim)
    assert torch.allclose(z, out[m.head]) and torch.allclose(head(z), out['logits'], atol=1e-5)
    for l in m.macs_layers:
        layer = core.find_layer(m, l)
        assert isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Linear)) and layer.bias is not None
    assert any(isinstance(mod, nn.Dropout) for mod in m.modules()), "MC dropout needs a Dropout layer"
    with pytest.raises(ValueError, match='expects inputs shaped'):
        m(torch.rand(2, *shape[:-1], shape[-1] + 1) if m.input_shape[-1] is not None else torch.rand(2, 3, 3, 3, 3))

def test_no_inplace_relu():
    "An in-place ReLU would overwrite a tensor captured by a hook on the layer before it."
    for m in [LeNet5(), SmallVGG(), ResNet18Cifar(width=0.25), M5(channels=(8, 8, 8, 8)), DigitsMLP(), models.vgg16_full(10)]:
        assert not any(getattr(mod, 'inplace', False) for mod in m.modules()), type(m).__name__

def test_vit_cls_capture():
    m = SmallViT(num_layers=2).eval()
    x = torch.rand(3, 3, 32, 32)
    cap = core.capture_activations(m, x, list(m.macs_layers[:-1]), what='input', reduce='cls', progress=False)
    assert cap['encoder.layers.encoder_layer_1.mlp.0'].shape == (3, 128)
    assert cap['encoder.layers.encoder_layer_1.mlp.3'].shape == (3, 256)
    head_in = core.capture_activations(m, x, m.head, what='input', progress=False)[m.head]   # already the CLS vector
    assert torch.allclose(head_in, latents(m, x))

def test_train_cache_and_determinism(tmp_cache):
    x, y = _digits()
    kw = dict(epochs=3, batch_size=32, seed=3, progress=False)
    torch.manual_seed(0); a = train(DigitsMLP(), x, y, **kw)
    torch.manual_seed(0); b = train(DigitsMLP(), x, y, **kw)
    torch.manual_seed(0); c = train(DigitsMLP(), x, y, **{**kw, 'refresh': True})
    assert not a.train_info['cached'] and b.train_info['cached'] and not c.train_info['cached']
    for m in (b, c): assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), m.state_dict().values()))
    assert str(tmp_cache) in a.train_info['path']
    ck = torch.load(a.train_info['path'], weights_only=True)
    assert set(ck) == {'state_dict', 'info'} and ck['info']['hparams']['seed'] == 3
    torch.manual_seed(0); d = train(DigitsMLP(), x, y, **{**kw, 'seed': 4})
    torch.manual_seed(1); e = train(DigitsMLP(), x, y, **kw)
    assert len({a.train_info['key'], d.train_info['key'], e.train_info['key']}) == 3
    assert not torch.equal(a.fc1.weight, d.fc1.weight)

def test_eval_data_is_recorded_and_does_not_change_weights(tmp_cache):
    x, y = _digits(200)
    torch.manual_seed(0); a = train(DigitsMLP(), x[:150], y[:150], epochs=2, cache=False, progress=False)
    torch.manual_seed(0); b = train(DigitsMLP(), x[:150], y[:150], epochs=2, cache=False, progress=False, eval_data=(x[150:], y[150:]))
    assert [h['epoch'] for h in b.train_info['history']] == [1, 2] and 0 <= b.train_info['history'][-1]['eval_acc'] <= 1
    assert b.train_info['history'][-1]['eval_acc'] == accuracy(b, x[150:], y[150:])
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))

def test_corrupted_checkpoint_is_named_and_rebuilt(tmp_cache, capsys):
    "A truncated checkpoint fails its digest on load, is named on stderr, and is retrained to the same weights."
    x, y = _digits(100)
    torch.manual_seed(0); a = train(DigitsMLP(), x, y, epochs=1, progress=False)
    p = a.train_info['path']
    with open(p, 'r+b') as f: f.truncate(100)
    torch.manual_seed(0); b = train(DigitsMLP(), x, y, epochs=1, progress=False)
    assert not b.train_info['cached'] and str(Path(p).name) in capsys.readouterr().err
    assert all(torch.equal(u, v) for u, v in zip(a.state_dict().values(), b.state_dict().values()))
    assert torch.load(p, weights_only=True)['info']['key'] == b.train_info['key']

X, Y = _digits(64)
BAD_TRAIN = [
    ('float labels', (X, Y.float()), {}, 'integer tensor'),
    ('2-D labels', (X, Y[:, None]), {}, 'integer tensor'),
    ('length mismatch', (X, Y[:-1]), {}, 'labels has 63'),
    ('integer inputs', ((X * 16).long(), Y), {}, 'float tensor'),
    ('empty', (X[:0], Y[:0]), {}, 'empty'),
    ('label >= classes', (X, Y + 1), {}, 'model has 10 classes'),
    ('negative label', (X, Y - 1), {}, 'negative'),
    ('epochs 0', (X, Y), {'epochs': 0}, 'epochs'),
    ('epochs float', (X, Y), {'epochs': 1.5}, 'epochs'),
    ('batch 0', (X, Y), {'batch_size': 0}, 'batch_size'),
    ('lr <= 0', (X, Y), {'lr': 0}, 'lr'),
    ('optimizer', (X, Y), {'optimizer': 'rmsprop'}, 'unknown optimizer'),
    ('schedule', (X, Y), {'schedule': 'step'}, 'unknown schedule'),
    ('augment', (X, Y), {'augment': 'mixup'}, 'unknown augment'),
    ('weight decay', (X, Y), {'weight_decay': -1.0}, 'weight_decay'),
    ('label smoothing', (X, Y), {'label_smoothing': 1.0}, 'label_smoothing'),
    ('wrong input shape', (X.view(-1, 64), Y), {}, 'expects inputs shaped'),
    ('bad eval data', (X, Y), {'eval_data': (X, Y[:3])}, 'eval_data has 64'),
]

@pytest.mark.parametrize('args,kw,match', [c[1:] for c in BAD_TRAIN], ids=[c[0] for c in BAD_TRAIN])
def test_train_bad_input(args, kw, match, tmp_cache):
    with pytest.raises(ValueError, match=match):
        train(DigitsMLP(), *args, cache=False, progress=False, **kw)

@pytest.mark.parametrize('call,match', [
    (lambda: trained('resnet_imagenet'), 'unknown zoo model'),
    (lambda: recipe('lenet_mnist', 'fast'), 'no recipe for profile'),
    (lambda: zoo_info('nope'), 'unknown zoo model'),
    (lambda: trained('digits_mlp', seed=-1), 'seed'),
    (lambda: accuracy(DigitsMLP(), X, Y[:5]), 'labels has 5'),
    (lambda: latents(nn.Linear(3, 2), torch.rand(2, 3)), 'latent_layer'),
    (lambda: models.Normalize((0.5,), (0.0,)), 'std must be positive'),
    (lambda: M5()(torch.rand(1, 1, 1000)), 'at least 1772'),
    (lambda: SmallVGG(widths=(8, 8)), '3 widths'),
    (lambda: ResNet18Cifar(width=0), 'width'),
    (lambda: recipe('vgg16_cifar10_full'), 'weights-only'),
    (lambda: models.vgg16_full(10, resize=16), 'resize'),
    (lambda: models.vit_b16_full(10, resize=64), 'resize must be None or image_size'),
])
def test_bad_input_elsewhere(call, match):
    with pytest.raises(ValueError, match=match): call()

def test_trained_digits_roundtrip(tmp_cache):
    m = trained('digits_mlp', progress=False)
    m2 = trained('digits_mlp', progress=False)
    assert not m.train_info['cached'] and m2.train_info['cached'] and not m2.training
    info = zoo_info('digits_mlp')
    assert info['accuracy'] == m2.train_info['test']['accuracy'] > 0.93
    assert info['dataset'] == 'digits' and info['n_classes'] == 10 and info['checkpoint'] == m.train_info['path']
    assert zoo_info('digits_mlp', seed=1)['accuracy'] is None      # not trained with that seed

@needs_mirror
def test_lenet_mnist_quick():
    "The quick LeNet (shared cache, so experiment notebooks reuse it) reaches the accuracy the experiments assume."
    m = trained('lenet_mnist', 'quick', progress=False)
    assert m.train_info['test']['accuracy'] >= 0.97 and m.train_info['test']['n'] == 10000
    assert zoo_info('lenet_mnist')['classes'] is not None


# --- the papers' full-size models: input resizing and weights-only zoo entries

FULL = ['vgg16_cifar10_full', 'vit_b16_cifar10_full']

def test_full_models_resize_forward():
    "32x32 inputs are resized to 224 before `norm` (no module added), and the 10-way logits come out."
    x = torch.rand(2, 3, 32, 32)
    v = models.vgg16_full(10, resize=224).eval()
    cap = core.capture_activations(v, x, ['norm', 'features.7'], what='input', reduce=None, progress=False)
    assert cap['logits'].shape == (2, 10) and cap['norm'].shape == (2, 3, 224, 224)
    assert cap['features.7'].shape == (2, 128, 112, 112)          # the paper's size at 224 px (spec A.1)
    assert set(v.state_dict()) == set(models.vgg16_full(10, resize=None).state_dict())
    assert not any(isinstance(mod, nn.Upsample) for mod in v.modules())
    with torch.no_grad(): assert v(torch.rand(1, 3, 50, 40)).shape == (1, 10)      # any H, W
    with pytest.raises(ValueError, match='expects inputs shaped'): v(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match='expects inputs shaped'): v(torch.rand(2, 32, 32))
    del v, cap
    vb = models.vit_b16_full(10).eval()
    with torch.no_grad(): assert vb(x).shape == (2, 10)
    with pytest.raises(ValueError, match='float inputs'): vb((x * 255).to(torch.uint8))
    del vb
    with pytest.raises(ValueError, match=r'expects inputs shaped \(N, 3, 224, 224\)'):
        models.vit_b16_full(10, resize=None)(x)

def test_weights_dir_precedence(tmp_path, monkeypatch):
    "argument > TRUSTBOOK_WEIGHTS > settings.ini > <cache_dir>/weights; weights_path follows it."
    monkeypatch.delenv('TRUSTBOOK_WEIGHTS', raising=False)
    v, src = config.setting('weights_dir')
    assert src == 'settings.ini' and config.weights_dir() == Path(v).expanduser().resolve()
    monkeypatch.setenv('TRUSTBOOK_WEIGHTS', str(tmp_path/'env'))
    assert config.setting('weights_dir')[1] == 'environment'
    assert config.weights_dir() == (tmp_path/'env').resolve() and not (tmp_path/'env').exists()   # never created
    assert config.weights_dir(tmp_path/'arg') == (tmp_path/'arg').resolve()
    assert weights_path('vgg16_cifar10_full') == (tmp_path/'env'/'vgg16_cifar10_full.pt').resolve()
    monkeypatch.delenv('TRUSTBOOK_WEIGHTS')
    assert config.setting('weights_dir', root=tmp_path) == ('<cache_dir>/weights', 'default')   # no settings.ini there

@pytest.mark.parametrize('name', FULL)
def test_weights_only_missing_file(name, tmp_path, monkeypatch):
    "A weights-only entry never trains: with no file, the error says where it looked and how to provide it, at once."
    monkeypatch.setenv('TRUSTBOOK_WEIGHTS', str(tmp_path/'w'))
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(tmp_path/'cache'))
    t = time.time()
    with pytest.raises(FileNotFoundError) as e: trained(name, 'paper')
    assert time.time() - t < 1, 'the file must be checked before the full-size model is built'
    msg = str(e.value)
    for part in [str(tmp_path/'w'/f'{name}.pt'), 'weights-only', 'nothing is downloaded', 'TRUSTBOOK_WEIGHTS', 'state_dict']:
        assert part in msg, part
    assert models.is_weights_only(name) and not models.is_weights_only('vgg_cifar10')

def test_weights_only_wrong_keys_on_full_entry(tmp_path, monkeypatch):
    "A file that does not fit names the first mismatching keys and shapes."
    monkeypatch.setenv('TRUSTBOOK_WEIGHTS', str(tmp_path))
    monkeypatch.setenv('TRUSTBOOK_CACHE', str(tmp_path/'cache'))
    torch.save({'classifier.6.weight': torch.zeros(100, 4096), 'classifier.6.bias': torch.zeros(100)},
               tmp_path/'vgg16_cifar10_full.pt')
    with pytest.raises(ValueError, match=r'wrong shape: classifier\.6\.weight \(100, 4096\) \(model: \(10, 4096\)\).*missing: features\.0\.weight'):
        trained('vgg16_cifar10_full', evaluate=False)

def test_load_weights_forms_and_errors(tmp_path):
    torch.manual_seed(0); src = SmallViT(num_layers=2).eval()
    sd = src.state_dict()
    forms = {'bare.pt': sd, 'wrapped.pt': {'state_dict': sd, 'epoch': 1},
             'no_norm.pt': {k: v for k, v in sd.items() if not k.startswith('norm.')},     # as torchvision saves it
             'ddp.pt': {'module.' + k: v for k, v in sd.items()}}
    x = torch.rand(2, 3, 32, 32)
    for f, obj in forms.items():
        torch.save(obj, tmp_path/f)
        torch.manual_seed(1); dst = load_weights(SmallViT(num_layers=2), tmp_path/f).eval()
        assert torch.equal(src(x), dst(x)), f
    torch.save({**sd, 'extra.weight': torch.zeros(1)}, tmp_path/'extra.pt')
    with pytest.raises(ValueError, match='unexpected: extra.weight'): load_weights(SmallViT(num_layers=2), tmp_path/'extra.pt')
    torch.save({k: v for k, v in sd.items() if k != 'heads.head.bias'}, tmp_path/'less.pt')
    with pytest.raises(ValueError, match='missing: heads.head.bias'): load_weights(SmallViT(num_layers=2), tmp_path/'less.pt')
    torch.save([1, 2], tmp_path/'list.pt')
    with pytest.raises(ValueError, match='holds no state dict'): load_weights(SmallViT(num_layers=2), tmp_path/'list.pt')
    (tmp_path/'junk.pt').write_bytes(b'junk')
    with pytest.raises(ValueError, match='weights-only torch checkpoint'): load_weights(SmallViT(num_layers=2), tmp_path/'junk.pt')
    with pytest.raises(FileNotFoundError): load_weights(SmallViT(num_layers=2), tmp_path/'absent.pt')

def test_weights_only_roundtrip_through_trained(tmp_cache, tmp_path, monkeypatch):
    "save -> trained(...) loads it (no training), evaluates once, records it for zoo_info; a new file is a new record."
    monkeypatch.setenv('TRUSTBOOK_WEIGHTS', str(tmp_path/'weights'))
    name = 'tmp_digits_weights'
    monkeypatch.setitem(ZOO, name, dict(dataset='digits', build=lambda: DigitsMLP(), weights_only=True, max_eval=200))
    assert not zoo_info(name)['weights_available'] and zoo_info(name)['recipe'] is None
    x, y = _digits()
    torch.manual_seed(0); ref = train(DigitsMLP(), x, y, epochs=3, cache=False, progress=False)
    p = weights_path(name); p.parent.mkdir(parents=True)
    torch.save({'state_dict': ref.state_dict()}, p)
    m = trained(name, 'paper', seed=3, progress=False)
    assert all(torch.equal(a, b.cpu()) for a, b in zip(ref.state_dict().values(), m.state_dict().values()))
    assert not m.training and m.train_info['weights_only'] and m.train_info['path'] == str(p)
    assert core.model_device(m).type == core.get_device().type      # config's device
    from trustbook import data
    xt, yt = data.load('digits', 'test', max_n=200)
    acc = m.train_info['test']['accuracy']
    assert acc == accuracy(ref, xt, yt) and m.train_info['test']['n'] == 200
    info = zoo_info(name)                       # any profile / seed: one file per entry
    assert info['weights_available'] and info['accuracy'] == acc and info['checkpoint'] == str(p)
    with monkeypatch.context() as mp:
        mp.setattr(models, 'accuracy', lambda *a, **k: pytest.fail('the accuracy of the same file is remembered'))
        assert trained(name, progress=False).train_info['test']['accuracy'] == acc
    torch.manual_seed(5); torch.save(DigitsMLP().state_dict(), p)                      # another file: not the old record
    os.utime(p, ns=(time.time_ns() + 10**9,) * 2)
    assert zoo_info(name)['accuracy'] is None
    assert trained(name, progress=False, evaluate=False).train_info['test'] is None
