"""Issue 13: every error of the `trustbook` command is one line on stderr and a non-zero exit, never a traceback.
The command runs in a subprocess (the venv's console script), with one thread and temporary output folders."""
import os, re, subprocess
import pytest
from conftest import ROOT, tool

def _run(args, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', TRUSTBOOK_FIGURES=str(tmp_path/'figures'), TRUSTBOOK_RUNS=str(tmp_path/'runs'))
    return subprocess.run([tool('trustbook'), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)

CASES = [
    (['bench', 'sequential', '--length', '100'], r'trustbook: error: --length must be at least 1000'),
    (['bench', 'sequential', '--streams', '0'], r'trustbook: error: --streams must be a positive integer, got 0'),
    (['bench', 'latent', '--frac', '0'], r'trustbook: error: --frac must be in \(0, 1\], got 0.0'),
    (['bench', 'latent', '--frac', 'nan'], r'trustbook: error: --frac must be in \(0, 1\], got nan'),
    (['bench', 'latent', '--batch', '0'], r'trustbook: error: --batch must be a positive integer, got 0'),
    (['data', 'list', '--root', '/nonexistent/trustbook'], r'data root /nonexistent/trustbook is not a folder'),
    (['data', 'verify', '--root', '/nonexistent/trustbook'], r'data root /nonexistent/trustbook is not a folder'),
]

@pytest.mark.parametrize('args,message', CASES, ids=[' '.join(a) for a, _ in CASES])
def test_cli_error_is_one_line(args, message, tmp_path):
    r = _run(args, tmp_path)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert 'Traceback' not in r.stderr and 'Traceback' not in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert re.search(message, lines[0]), lines[0]

def test_main_turns_value_errors_into_one_line(capsys, monkeypatch):
    "`cli.main` catches ValueError, TypeError and FileNotFoundError of any subcommand: exit 2, one line on stderr."
    from trustbook import cli
    for exc in (ValueError('bad value\nsecond line'), TypeError('bad type'), FileNotFoundError(2, 'No such file', '/x/y')):
        def boom(argv, exc=exc): raise exc
        monkeypatch.setattr(cli, '_load', lambda target, boom=boom: boom)
        assert cli.main(['docs']) == 2
        err = capsys.readouterr().err
        assert err.count('\n') == 1 and err.startswith('trustbook: error: '), err

def test_cli_valid_command_still_exits_0(tmp_path):
    "A valid call is unchanged: `bench latent` at a small size prints its result line and exits 0."
    r = _run(['bench', 'latent', '--batch', '64', '--train', '2000', '--repeat', '1'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'samples_per_s=' in r.stdout.strip().splitlines()[-1]
