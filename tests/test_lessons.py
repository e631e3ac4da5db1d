"""The library notebooks read as lessons: short export cells, method modules that carry no data loading,
command line or plotting, and the `eval_mode` context manager of `00_core`.

- Every `#| export` cell of a library notebook (`nbs/*.ipynb`, not `nbs/experiments/`) is at most 40 lines long.
- Importing a method module in a fresh interpreter loads no data loader (`trustbook.data`), no `matplotlib`, and no
  trustbook module binds `argparse` (torch itself imports `argparse`, so its mere presence in `sys.modules` says
  nothing about the workbook's code).
- `eval_mode(model)` puts every module in eval mode for the block and gives each its own training flag back.
"""
import json, subprocess, sys
import pytest, torch
from torch import nn
from conftest import ROOT
from trustbook.core import eval_mode

MAX_EXPORT_LINES = 40
LIBRARY_NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))

def export_cells(path):
    "(index, number of lines) of every `#| export` cell of the notebook at `path`."
    cells = json.loads(path.read_text(encoding='utf-8'))['cells']
    for i, cell in enumerate(cells):
        source = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
        first = source.lstrip().splitlines()[0] if source.strip() else ''
        if cell['cell_type'] == 'code' and first.replace(' ', '') in ('#|export', '#|exports'):
            yield i, len(source.rstrip('\n').splitlines())

def test_library_notebooks_found():
    stems = {p.stem for p in LIBRARY_NBS}
    assert {'00_core', '02_data', '02a_corruptions'} <= stems, stems

@pytest.mark.parametrize('nb', LIBRARY_NBS, ids=[p.stem for p in LIBRARY_NBS])
def test_export_cells_are_short(nb):
    long_cells = [(i, n) for i, n in export_cells(nb) if n > MAX_EXPORT_LINES]
    assert not long_cells, (f"{nb.name}: export cells longer than {MAX_EXPORT_LINES} lines "
                            f"(cell index, lines): {long_cells}")

def test_export_cell_counter(tmp_path):
    export = {'cell_type': 'code', 'source': ['#| export\n', 'def f():\n', '    return 1\n']}
    hidden = {'cell_type': 'code', 'source': '#| hide\nx = 1'}
    prose = {'cell_type': 'markdown', 'source': '#| export'}
    toy = tmp_path/'toy.ipynb'
    toy.write_text(json.dumps({'cells': [export, hidden, prose]}))
    assert list(export_cells(toy)) == [(0, 3)]

# Method modules: what importing them pulls in.
METHOD_MODULES = ['trust_lapse', 'macs', 'counterfeits', 'baselines', 'macs_baselines', 'attacks']

PROBE = r"""
import importlib, json, sys, types
importlib.import_module(sys.argv[1])
offenders = [m for m in ('trustbook.data', 'matplotlib') if m in sys.modules]
offenders += [f'argparse (bound in {name})' for name, mod in sorted(sys.modules.items())
              if name.startswith('trustbook') and isinstance(mod, types.ModuleType) and 'argparse' in vars(mod)]
print(json.dumps(offenders))
"""

@pytest.mark.parametrize('module', METHOD_MODULES)
def test_method_module_imports_no_data_cli_or_plotting(module):
    out = subprocess.run([sys.executable, '-c', PROBE, f'trustbook.{module}'], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    offenders = json.loads(out.stdout.strip().splitlines()[-1])
    assert not offenders, f"importing trustbook.{module} loads {offenders}"

# eval_mode
def _mixed_net():
    "A network in training mode whose last layer is in eval mode."
    net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.BatchNorm1d(8), nn.Linear(8, 2)).train()
    net[3].eval()
    return net

def _flags(net):
    return [m.training for m in net.modules()]

def test_eval_mode_sets_eval_inside_and_restores_each_flag():
    net = _mixed_net()
    before = _flags(net)
    with eval_mode(net) as inside:
        assert inside is net
        assert not any(_flags(net))
        x = torch.randn(5, 4)
        assert torch.equal(net(x), net(x))                   # dropout off, batch norm on running statistics
    assert _flags(net) == before == [True, True, True, True, False]

def test_eval_mode_restores_on_exception():
    net = _mixed_net()
    before = _flags(net)
    with pytest.raises(RuntimeError, match='boom'):
        with eval_mode(net):
            raise RuntimeError('boom')
    assert _flags(net) == before

def test_eval_mode_leaves_eval_models_in_eval_and_nests():
    net = _mixed_net().eval()
    with eval_mode(net):
        with eval_mode(net):
            assert not any(_flags(net))
        assert not any(_flags(net))
    assert not any(_flags(net))
    train_net = _mixed_net()
    with eval_mode(train_net):
        with eval_mode(train_net[0]):
            pass
        assert not any(_flags(train_net))
    assert _flags(train_net) == [True, True, True, True, False]

def test_eval_mode_does_not_touch_batchnorm_statistics():
    net = _mixed_net()
    stats = net[2].running_mean.clone()
    with eval_mode(net), torch.no_grad():
        net(torch.randn(16, 4) + 3)
    assert torch.equal(net[2].running_mean, stats)
    net(torch.randn(16, 4) + 3)                              # back in training mode: the statistics move
    assert not torch.equal(net[2].running_mean, stats)
