"""Issue 11's determinism check: the same commit, profile, parameters and CPU give byte-identical tables.

For one experiment notebook of each paper at its smallest settings, `trustbook regen --profile quick --only NAME
--force` runs three times: twice from empty model caches (each in fresh `TRUSTBOOK_CACHE`, `TRUSTBOOK_FIGURES` and
`TRUSTBOOK_RUNS` folders), then once more reusing the second run's cache (warm: its models and generators are
loaded, not trained). Every CSV the notebook writes must be byte-identical across the three runs, except those whose
sidecar says `deterministic: false` (tables of wall-clock timings, `Outputs.table(..., timing=True)`). A failure names
each differing file and its first differing line.

To keep the CPU cost modest, the fresh caches share the *decoded datasets* of the usual cache (read-only symbolic
links to `<cache>/data/*/*.pt`, a pure function of the data mirror's files); everything a notebook computes (models,
generators, derived sets) starts from empty. Set `TRUSTBOOK_DETERMINISM_COLD_DATA=1` to decode the datasets afresh
as well.
"""
import json, os, subprocess
from pathlib import Path
import pytest
from conftest import ROOT, tool, needs_mirror

from trustbook import config, regen as R

def notebook_defaults(name: str) -> list[str]:
    "`-p NAME VALUE` for every parameter at the notebook's own default (its smallest, CI-sized settings)."
    args = []
    for k, v in R.declared_parameters(ROOT/'nbs/experiments'/f'{name}.ipynb').items():
        if k == 'profile': continue
        src = v['default'].strip()
        if isinstance(config._literal(src), str) and not src.startswith(("'", '"')): continue  # not a literal
        args += ['-p', k, src]
    return args

# (notebook, its `-p` overrides; a later `-p` of the same name wins)
CASES = [
    # TRUST-LAPSE: five streams on MNIST; the river baselines (pure Python) on two short streams
    pytest.param('23_tl_drift', lambda: ['-p', 'n_streams', '5', '-p', 'domains', "['mnist']", '-p', 'baseline_streams', '2',
                                         '-p', 'baseline_length', '2000', '-p', 'n_cal', '6'],
                 marks=[pytest.mark.mirror, needs_mirror], id='trust_lapse-23_tl_drift'),
    # MACS: the notebook's defaults on the small VGG alone, with its two iterative attacks (BIM, PGD);
    # both models and all four attacks cost about 11 CPU-minutes for the three runs
    pytest.param('31_macs_attacks', lambda: notebook_defaults('31_macs_attacks') + [
                     '-p', 'models', "['vgg_cifar10']", '-p', 'attacks', "['BIM', 'PGD']"],
                 marks=[pytest.mark.mirror, needs_mirror], id='macs-31_macs_attacks'),
    pytest.param('40_cf_1_inversion', lambda: notebook_defaults('40_cf_1_inversion'), id='counterfeits-40_cf_1_inversion'),
]

def share_decoded_data(cache: Path):
    "Link the usual cache's decoded datasets into a fresh cache (unless TRUSTBOOK_DETERMINISM_COLD_DATA is set)."
    if os.environ.get('TRUSTBOOK_DETERMINISM_COLD_DATA'): return
    src = Path(os.environ.get('TRUSTBOOK_CACHE') or config.setting('cache_dir', root=ROOT)[0]).expanduser()/'data'
    for f in sorted([*src.glob('*/*.pt'), *src.glob('*/*.pt.sha256')]):     # with their digests (core.save_cached)
        (cache/'data'/f.parent.name).mkdir(parents=True, exist_ok=True)
        (cache/'data'/f.parent.name/f.name).symlink_to(f.resolve())

def run(name: str, args: list[str], base: Path, cache: Path) -> Path:
    "One forced regen of `name` into `base`'s own figures and runs folders, with `cache`; returns the profile folder."
    env = {**os.environ, 'TRUSTBOOK_CACHE': str(cache), 'TRUSTBOOK_FIGURES': str(base/'figures'),
           'TRUSTBOOK_RUNS': str(base/'runs'), 'OMP_NUM_THREADS': '1'}
    env.pop('TRUSTBOOK_PROFILE', None)
    r = subprocess.run([tool('trustbook'), 'regen', '--profile', 'quick', '--only', name, '--force', '--jobs', '1', *args],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f'{name} failed in {base}:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}'
    return base/'figures'/'quick'

def deterministic_csvs(folder: Path) -> dict[str, bytes]:
    "Every CSV under `folder` whose sidecar does not say `deterministic: false`: relative path -> bytes."
    out = {}
    for p in sorted(folder.rglob('*.csv')):
        side = p.with_name(p.name + '.meta.json')
        meta = json.loads(side.read_text()) if side.is_file() else {}
        if meta.get('deterministic') is False: continue
        out[str(p.relative_to(folder))] = p.read_bytes()
    return out

def differences(a: dict, b: dict, what: str) -> list[str]:
    "One message per file that differs between runs `a` and `b`: missing, or its first differing line."
    msgs = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b: msgs.append(f"{what}: {k} written by only one run"); continue
        if a[k] == b[k]: continue
        la, lb = a[k].decode(errors='replace').splitlines(), b[k].decode(errors='replace').splitlines()
        i = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
        line = lambda ls: ls[i] if i < len(ls) else '<end of file>'
        msgs.append(f"{what}: {k} differs at line {i + 1} (header: {la[0] if la else ''!r})\n    - {line(la)}\n    + {line(lb)}")
    return msgs

@pytest.mark.parametrize('name,args', CASES)
def test_tables_are_byte_identical_cold_cold_and_warm(name, args, tmp_path):
    args = args()
    caches = [tmp_path/'cache1', tmp_path/'cache2']
    for c in caches: c.mkdir(); share_decoded_data(c)
    cold1 = deterministic_csvs(run(name, args, tmp_path/'run1', caches[0]))
    cold2 = deterministic_csvs(run(name, args, tmp_path/'run2', caches[1]))
    warm = deterministic_csvs(run(name, args, tmp_path/'run3', caches[1]))
    assert cold1, f'{name} wrote no deterministic CSV'
    msgs = differences(cold1, cold2, 'cold vs cold') + differences(cold2, warm, 'cold vs warm')
    assert not msgs, f'{name}: {len(msgs)} differences\n' + '\n'.join(msgs)
