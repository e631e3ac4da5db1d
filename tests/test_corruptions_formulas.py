"""The CIFAR-C corruptions against the published formulas and constants of Hendrycks & Dietterich's CIFAR script
(`make_cifar_c.py`, ICLR 2019), computed here independently of `trustbook.corruptions`, and distribution tests of the
noise corruptions' residuals per severity. Every output is quantised to 8 bits (`floor(255 x) / 255`) as the original
casts to `np.uint8`."""
import colorsys, io
import numpy as np
import pytest
import torch
from PIL import Image

from trustbook.corruptions import corrupt

# constants of the CIFAR script, per severity 1..5
CONTRAST = [.75, .5, .4, .3, 0.15]
BRIGHTNESS = [.05, .1, .15, .2, .3]
PIXELATE = [0.95, 0.9, 0.85, 0.75, 0.65]
JPEG = [80, 65, 58, 50, 40]
GAUSSIAN = [0.04, 0.06, .08, .09, .10]
SHOT = [500, 250, 100, 75, 50]
IMPULSE = [.01, .02, .03, .05, .07]

def q8(a): return np.floor(np.clip(a, 0, 1) * 255 + 1e-9) / 255

@pytest.fixture(scope='module')
def images():
    "Four fixed 32x32 RGB images on the 8-bit grid (smooth gradients plus texture), as (N, C, H, W) float64."
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:32, 0:32] / 31
    base = np.stack([xx, yy, (xx + yy) / 2], -1)[None] * np.array([1, .8, .6])
    x = np.clip(base + rng.uniform(-.2, .2, (4, 32, 32, 3)), 0, 1)
    return torch.from_numpy(np.floor(x * 255) / 255).permute(0, 3, 1, 2).contiguous()

def hwc(t): return t.permute(0, 2, 3, 1).numpy()

@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_contrast_is_the_published_formula(images, severity):
    "contrast: (x - mean) * c + mean per image, over all pixels and channels."
    x = hwc(images)
    m = x.mean(axis=(1, 2), keepdims=True)          # per image and channel, as the CIFAR script (axis=(0, 1) of H, W, C)
    want = q8((x - m) * CONTRAST[severity - 1] + m)
    np.testing.assert_allclose(hwc(corrupt(images, 'contrast', severity)), want, atol=1e-12)

@pytest.mark.parametrize('severity', [1, 3, 5])
def test_brightness_adds_c_to_hsv_value(images, severity):
    "brightness: V of HSV plus c, clipped to [0, 1] (computed here pixel by pixel with the standard library's colorsys)."
    x = hwc(images)[:1]
    c = BRIGHTNESS[severity - 1]
    want = np.array([[colorsys.hsv_to_rgb(*(lambda h, s, v: (h, s, min(v + c, 1.0)))(*colorsys.rgb_to_hsv(*p)))
                      for p in row] for row in x[0]])[None]
    np.testing.assert_allclose(hwc(corrupt(images[:1], 'brightness', severity)), q8(want), atol=1 / 255 + 1e-9)

@pytest.mark.parametrize('severity', [1, 5])
def test_pixelate_and_jpeg_are_pils_box_resize_and_quality(images, severity):
    "pixelate: box-downsample to int(32 c) and back; jpeg: PIL JPEG at the published quality."
    im = Image.fromarray((hwc(images)[0] * 255).round().astype(np.uint8), 'RGB')
    s = int(32 * PIXELATE[severity - 1])
    pix = np.asarray(im.resize((s, s), Image.Resampling.BOX).resize((32, 32), Image.Resampling.BOX)) / 255
    np.testing.assert_allclose(hwc(corrupt(images[:1], 'pixelate', severity))[0], pix, atol=1e-12)
    buf = io.BytesIO()
    im.save(buf, 'JPEG', quality=JPEG[severity - 1])
    jpg = np.asarray(Image.open(buf).convert('RGB')) / 255
    np.testing.assert_allclose(hwc(corrupt(images[:1], 'jpeg_compression', severity))[0], jpg, atol=1e-12)

@pytest.fixture(scope='module')
def grey_half():
    "Images of constant value 0.5 (far from the clipping bounds for the noise levels tested), 20 x 3 x 32 x 32 values."
    return torch.full((20, 3, 32, 32), 128 / 255, dtype=torch.float64)

# 8-bit floor quantisation of a continuous residual: mean shifts by -1/(2*255), variance grows by 1/(12*255^2)
QBIAS, QVAR = -0.5 / 255, 1 / (12 * 255 ** 2)

@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_gaussian_noise_residual_has_the_published_spread(grey_half, severity):
    r = (corrupt(grey_half, 'gaussian_noise', severity) - grey_half).numpy().ravel()
    sd = GAUSSIAN[severity - 1]
    assert abs(r.mean() - QBIAS) < 4 * sd / np.sqrt(r.size)
    assert abs(r.std() / np.sqrt(sd ** 2 + QVAR) - 1) < 0.03

@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_shot_noise_residual_is_poisson(grey_half, severity):
    "shot noise: Poisson(x c) / c, so at x the residual has mean 0 and variance x / c."
    x0, c = 128 / 255, SHOT[severity - 1]
    r = (corrupt(grey_half, 'shot_noise', severity) - grey_half).numpy().ravel()
    sd = np.sqrt(x0 / c)
    assert abs(r.mean() - QBIAS) < 4 * sd / np.sqrt(r.size) + 1 / 255
    assert abs(r.std() / np.sqrt(sd ** 2 + QVAR) - 1) < 0.05

@pytest.mark.parametrize('severity', [1, 2, 3, 4, 5])
def test_impulse_noise_hits_the_published_fraction(grey_half, severity):
    "impulse (salt and pepper): a fraction c of the values becomes 0 or 1, half each."
    y = corrupt(grey_half, 'impulse_noise', severity).numpy().ravel()
    c, n = IMPULSE[severity - 1], y.size
    for share in ((y == 1).mean(), (y == 0).mean()):
        assert abs(share - c / 2) < 4 * np.sqrt(c / 2 * (1 - c / 2) / n)
    assert ((y == 1) | (y == 0) | (y == 128 / 255)).all()

DEFOCUS = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)]
ZOOM_MAX = [1.06, 1.11, 1.16, 1.21, 1.26]

def _hendrycks_disk(radius, alias_blur):
    "The CIFAR script's `disk`: a normalised disk on a 17x17 grid, blurred by OpenCV's 3x3 Gaussian (reflect-101 border)."
    from scipy import ndimage
    L = np.arange(-8, 8 + 1)
    X, Y = np.meshgrid(L, L)
    k = np.array((X ** 2 + Y ** 2) <= radius ** 2, dtype=np.float64)
    k /= k.sum()
    g = np.exp(-np.arange(-1, 2) ** 2 / (2 * alias_blur ** 2))        # cv2.GaussianBlur((3, 3), sigma) weights
    g /= g.sum()
    return ndimage.correlate(ndimage.correlate(k, g[None], mode='mirror'), g[:, None], mode='mirror')

@pytest.mark.parametrize('severity', [1, 3, 5])
def test_defocus_blur_is_the_scripts_disk_filter(images, severity):
    "defocus blur: cv2.filter2D of every channel with the script's disk kernel (border reflect-101 = scipy 'mirror')."
    from scipy import ndimage
    x = hwc(images)[:2]
    k = _hendrycks_disk(*DEFOCUS[severity - 1])
    want = np.stack([np.stack([ndimage.correlate(im[..., c], k, mode='mirror') for c in range(3)], -1) for im in x])
    np.testing.assert_allclose(hwc(corrupt(images[:2], 'defocus_blur', severity)), q8(want), atol=1e-9)

@pytest.mark.parametrize('severity', [1, 5])
def test_zoom_blur_is_the_mean_of_the_scripts_clipped_zooms(images, severity):
    "zoom blur: (x + sum of clipped_zoom(x, z) for z in arange(1, zmax, 0.01)) / (count + 1), zooms by scipy order 1."
    from scipy import ndimage
    x = hwc(images)[:1]
    zs = np.arange(1, ZOOM_MAX[severity - 1], 0.01)
    def clipped_zoom(img, z):
        h = img.shape[0]
        ch = int(np.ceil(h / z))
        top = (h - ch) // 2
        out = ndimage.zoom(img[top:top + ch, top:top + ch], (z, z, 1), order=1)
        t = (out.shape[0] - h) // 2
        return out[t:t + h, t:t + h]
    want = (x[0] + sum(clipped_zoom(x[0], z) for z in zs)) / (len(zs) + 1)
    np.testing.assert_allclose(hwc(corrupt(images[:1], 'zoom_blur', severity))[0], q8(want), atol=1e-9)
