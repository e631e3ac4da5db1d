"""River drift detectors as TRUST-LAPSE baselines (`trustbook.drift`, issue 15): calibrated false-alarm rates hold on
fresh seeds (binomial tolerance), strong shifts are caught within a stated delay, the flags have TRUST-LAPSE's format,
bad input fails clearly, and the same seed gives the same flags."""
import numpy as np
import pytest
from trustbook import drift as D
from trustbook import trust_lapse as T
from trustbook.core import seeded_rng

POOL = seeded_rng(0, 'test_drift', 'pool').normal(0, 1, 2000)
BUDGET = 0.2
# (n_cal, length, n_fresh) per detector: KSWIN runs a KS test per sample in pure Python, so it gets fewer, shorter streams
SIZES = {'ADWIN': (200, 1000, 300), 'PageHinkley': (200, 1000, 300), 'KSWIN': (60, 300, 120)}


def _tol(n, p=BUDGET, k=3.0):
    "k standard deviations of a binomial share over n streams."
    return k * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize('name', D.DETECTORS)
def test_calibrated_false_alarm_rate_holds_on_fresh_seeds(name):
    n_cal, length, n_fresh = SIZES[name]
    c = D.calibrate_detector(name, POOL, BUDGET, n_streams=n_cal, length=length, seed=0)
    assert c['reached'] and c['rate'] <= BUDGET and c['parameter'] == D.THRESHOLD[name]
    assert c['rate_lo'] <= c['rate'] <= c['rate_hi']
    # fresh null streams (another seed, more of them), the calibrated threshold: the alarm share is binomial around the
    # calibrated rate; both the calibration's and the fresh estimate's sampling error enter the tolerance
    x = D.null_streams(POOL, n_fresh, D.warmup(name) + length, 123, name)
    _, alarms = D.run_detector(name, x, seed=7, alarms=True, **{c['parameter']: c['threshold']})
    fresh = D.false_alarm_rate(alarms)['value']
    assert abs(fresh - c['rate']) <= _tol(n_fresh) + _tol(n_cal), (name, fresh, c)
    assert fresh <= BUDGET + _tol(n_fresh) + _tol(n_cal)


def test_trust_lapse_calibration_holds_on_fresh_seeds_and_is_far_below_the_per_window_alpha():
    w, n = 25, 300
    c = D.calibrate_trust_lapse(POOL, w, BUDGET, n_streams=n, length=1000, seed=0)
    assert c['reached'] and c['rate'] <= BUDGET
    assert c['threshold'] < 0.05 / 10                     # a per-window alpha of 0.05 is not a false-alarm rate
    x = D.null_streams(POOL, n, 1000, 99, 'fresh')
    rng = seeded_rng(99, 'fresh reference')
    ref = np.stack([rng.choice(POOL, w, replace=False) for _ in range(n)])
    fresh = (T.mannwhitney_sliding(x, ref, w)['p'] < c['threshold']).any(1).mean()
    assert abs(fresh - c['rate']) <= 2 * _tol(n)
    # at the paper's alpha most in-distribution segments raise an alarm: ten times the nominal 0.05 and more
    assert (T.mannwhitney_sliding(x, ref, w)['p'] < 0.05).any(1).mean() > 0.5


def test_kswin_min_p_shortcut_equals_direct_runs():
    n_cal, length = 20, 200
    x = D.null_streams(POOL, n_cal, 100 + length, 5, 'KSWIN')
    pmin = np.array([D._kswin(r.tolist(), D.derive_seed(5, 'KSWIN', i), alpha=0.0)[2].min() for i, r in enumerate(x)])
    for a in (1e-4, 1e-3, 1e-2, 0.1):
        _, al = D.run_detector('KSWIN', x, seed=5, alarms=True, alpha=a)
        np.testing.assert_array_equal(al.any(1), pmin <= a)


@pytest.mark.parametrize('name,bound', [('ADWIN', 100), ('KSWIN', 60), ('PageHinkley', 100)])
def test_strong_shift_is_caught_quickly(name, bound):
    "Shifted scores three standard deviations lower: every calibrated detector's median delay is under `bound` samples."
    rng = seeded_rng(1, 'test_drift', 'strong')
    s_in, s_out = rng.normal(0, 1, 1000), rng.normal(-3, 1, 1000)
    shifted, idx = T.simulate_streams(1000, 1000, n_streams=6, length=4000, segment=1000, seed=2)
    x = T.stream_scores(shifted, idx, s_in, s_out)
    n_cal, length, _ = SIZES[name]
    c = D.calibrate_detector(name, POOL, BUDGET, n_streams=n_cal, length=length, seed=0, warm=200)
    prime = np.stack([seeded_rng(1, 'prime', i).choice(POOL, 200) for i in range(len(x))])    # the same warm start
    f = D.run_detector(name, x, seed=0, reference=prime, **{c['parameter']: c['threshold']})
    m = T.drift_metrics(f, shifted, 25)
    assert np.nanmedian(m['delay']) < bound, (name, m['delay'])
    assert m['missed'].sum() <= m['change_points'].sum() // 4


def test_flags_have_trust_lapse_format():
    rng = seeded_rng(2, 'test_drift', 'format')
    s_in, s_out = rng.normal(0, 1, 500), rng.normal(-2, 1, 500)
    tl = T.drift_protocol(s_in, s_out, s_in[:25], 25, n_streams=3, length=2000, segment=500, seed=3, keep=3)
    shifted, idx = T.simulate_streams(500, 500, 3, 2000, 500, seed=3)
    x = T.stream_scores(shifted, idx, s_in, s_out)
    np.testing.assert_array_equal(x, tl['traces']['scores'])
    for name in D.DETECTORS:
        f = D.run_detector(name, x, seed=0)
        assert f.dtype == tl['traces']['flags'].dtype == np.bool_ and f.shape == tl['traces']['flags'].shape == shifted.shape
        m = T.drift_metrics(f, shifted, 25)
        assert set(m) == set(T.drift_metrics(tl['traces']['flags'], shifted, 25))
        f1, a1 = D.run_detector(name, x[0], seed=0, alarms=True)          # one 1-D stream: one row
        assert f1.shape == (1, 2000) and a1.dtype == np.bool_
        np.testing.assert_array_equal(f1[0], f[0])


@pytest.mark.parametrize('name', D.DETECTORS)
def test_same_seed_same_flags(name):
    x = D.null_streams(np.r_[POOL, POOL - 2], 3, 1500, 4, 'det')
    a = D.run_detector(name, x, seed=11)
    b = D.run_detector(name, x, seed=11)
    np.testing.assert_array_equal(a, b)
    c1 = D.calibrate_detector(name, POOL, BUDGET, 20, 200, seed=3)
    c2 = D.calibrate_detector(name, POOL, BUDGET, 20, 200, seed=3)
    assert c1 == c2


@pytest.mark.parametrize('name,short', [('ADWIN', 31), ('KSWIN', 99), ('PageHinkley', 29)])
def test_bad_input_names_the_detector(name, short):
    with pytest.raises(ValueError, match=f'{name}: scores contain NaN'):
        D.run_detector(name, np.r_[np.zeros(200), np.nan])
    with pytest.raises(ValueError, match=f'{name}: the stream is empty'):
        D.run_detector(name, np.zeros((2, 0)))
    with pytest.raises(ValueError, match=f'{name}: a stream of {short} scores is shorter than the warm-up of {short + 1}'):
        D.run_detector(name, np.zeros(short))
    with pytest.raises(ValueError, match=f'{name}: the reference contains NaN'):
        D.run_detector(name, np.zeros(200), reference=np.full(10, np.nan))
    with pytest.raises(ValueError, match='detector must be one of'):
        D.run_detector('DDM', np.zeros(200))


def test_unreachable_budget_says_the_closest_reachable_rate():
    with pytest.raises(ValueError, match=r'PageHinkley: false-alarm budget 0.5 is unreachable; the closest reachable rate is'):
        D.calibrate_detector('PageHinkley', POOL, 0.5, 20, 100, seed=0, grid=[1e9, 1e8])
    with pytest.raises(ValueError, match=r'TRUST-LAPSE: false-alarm budget 0 is unreachable; the closest reachable rate is 1'):
        D.calibrate_trust_lapse(POOL, 25, 0, 20, 200, seed=0, grid=[0.5, 0.9])
    c = D.calibrate_detector('PageHinkley', POOL, 0.5, 20, 100, seed=0, grid=[1e9, 1e8], strict=False)
    assert not c['reached'] and c['threshold'] == 1e8 and c['rate'] == 0
