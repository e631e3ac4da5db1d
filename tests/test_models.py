"""Model zoo: the layer-name contract every method relies on, train's cache and determinism, bad input, the zoo."""
import pytest
import torch
from torch import nn
from conftest import needs_mirror

from trustbook import core, models
from trustbook.models import (ZOO, DigitsMLP, LeNet5, M5, SmallVGG, SmallViT, ResNet18Cifar, accuracy, build, latents,
                              recipe, train, trained, zoo_info)

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

def test_corrupted_checkpoint_is_a_clear_error(tmp_cache):
    x, y = _digits(100)
    torch.manual_seed(0); a = train(DigitsMLP(), x, y, epochs=1, progress=False)
    p = a.train_info['path']
    with open(p, 'r+b') as f: f.truncate(100)
    with pytest.raises(ValueError, match='corrupted'):
        torch.manual_seed(0); train(DigitsMLP(), x, y, epochs=1, progress=False)
    torch.manual_seed(0); b = train(DigitsMLP(), x, y, epochs=1, progress=False, refresh=True)   # refresh rebuilds it
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
