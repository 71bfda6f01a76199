"""DiffAugment (Zhao et al. 2020) and rotation: each transformation checked against what
it must be, by brute force in NumPy; gradients flow through it; a game
applies the same policy to real and generated examples."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import ndimage

from jgen import adversarial
from jgen.adversarial import _augment
from tests.test_data import _moved as _shifted

H, W = 8, 12


def _images(seed=0, b=16, c=1):
  return np.random.default_rng(seed).uniform(0.1, 1.0, (b, H, W, c)).astype(
      np.float32)


def test_translation_is_a_zero_filled_shift_of_at_most_an_eighth():
  x = _images()
  out = np.asarray(adversarial.diff_augment(["translation"])(
      jax.random.PRNGKey(3), jnp.asarray(x)))
  sh, sw = int(H / 8 + 0.5), int(W / 8 + 0.5)
  shifts = []
  for img, got in zip(x, out):
    hits = [(dy, dx) for dy in range(-sh, sh + 1) for dx in range(-sw, sw + 1)
            if np.array_equal(_shifted(img, dy, dx), got)]
    assert len(hits) == 1
    shifts.append(hits[0])
  assert len(set(shifts)) > 3           # each image draws its own shift


def test_cutout_zeroes_one_square_of_half_the_side_clipped_at_the_border():
  x = np.ones((64, H, W, 1), np.float32)
  out = np.asarray(adversarial.diff_augment("cutout")(jax.random.PRNGKey(0),
                                                      jnp.asarray(x)))
  ch, cw = H // 2, W // 2
  for got in out[..., 0]:
    rows, cols = np.nonzero(got == 0)
    assert set(np.unique(got)) <= {0.0, 1.0}
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    assert (got[r0:r1, c0:c1] == 0).all() and len(rows) == (r1 - r0) * (c1 - c0)
    assert r1 - r0 <= ch and c1 - c0 <= cw       # the square, maybe clipped
    assert (r1 - r0 == ch or r0 == 0 or r1 == H)
    assert (c1 - c0 == cw or c0 == 0 or c1 == W)


def test_color_on_one_channel_is_brightness_then_contrast():
  """One channel: saturation does nothing, so each image becomes
  ``a * x + b`` with contrast ``a`` in [0.5, 1.5]."""
  x = _images()
  out = np.asarray(adversarial.diff_augment(["color"])(jax.random.PRNGKey(1),
                                                       jnp.asarray(x)))
  for img, got in zip(x, out):
    design = np.stack([img.ravel(), np.ones(img.size)], 1).astype(np.float64)
    (a, b), *_ = np.linalg.lstsq(design, got.ravel(), rcond=None)
    np.testing.assert_allclose(design @ [a, b], got.ravel(), atol=1e-5)
    assert 0.5 <= a <= 1.5


def test_rotation_is_scipy_rotate_by_at_most_15_degrees():
  """``rotate`` against :func:`scipy.ndimage.rotate` (bilinear, zero
  outside) in float64; the policy's angle per image, found by search over
  a grid of angles, lies within 15 degrees and differs between images."""
  x = _images(b=6, c=2).astype(np.float64)
  angles = np.array([0.0, 0.3, -0.2, 1.1, -0.05, np.pi / 2])
  got = np.asarray(_augment.rotate(jnp.asarray(x), jnp.asarray(angles)))
  for img, a, out in zip(x, angles, got):
    ref = ndimage.rotate(img, np.degrees(a), axes=(0, 1), reshape=False,
                         order=1, mode="grid-constant", cval=0.0)
    np.testing.assert_allclose(out, ref, atol=1e-12)
  out = np.asarray(adversarial.diff_augment(["rotation"])(
      jax.random.PRNGKey(5), jnp.asarray(_images())))
  grid = np.radians(np.arange(-20, 20.01, 0.25))
  found = []
  for img, o in zip(_images(), out):
    err = [np.abs(ndimage.rotate(img, np.degrees(a), axes=(0, 1),
                                 reshape=False, order=1,
                                 mode="grid-constant") - o).max()
           for a in grid]
    found.append(grid[int(np.argmin(err))])
  assert np.all(np.abs(found) <= np.radians(15.25))
  assert len(set(found)) > 3


def test_gradients_flow_through_every_augmentation_to_the_kept_pixels():
  x = jnp.asarray(_images(c=3))
  key = jax.random.PRNGKey(2)
  for policy in (["translation"], ["cutout"], ["color"], ["rotation"],
                 ["color", "translation", "cutout", "rotation"]):
    augment = adversarial.diff_augment(policy)
    grad = np.asarray(jax.grad(lambda v: jnp.sum(augment(key, v)))(x))
    assert np.abs(grad).sum() > 0 and np.all(np.isfinite(grad))
    if policy == ["cutout"]:         # d/dx of x * mask is the mask
      mask = np.asarray(augment(key, jnp.ones_like(x)))
      np.testing.assert_array_equal(grad, mask)


def test_flat_images_and_bad_arguments():
  x = _images()
  flat = adversarial.diff_augment("translation,cutout", image_shape=(H, W))
  square = adversarial.diff_augment(("translation", "cutout"))
  key = jax.random.PRNGKey(4)
  np.testing.assert_array_equal(
      flat(key, jnp.asarray(x.reshape(16, -1))),
      np.asarray(square(key, jnp.asarray(x))).reshape(16, -1))
  with pytest.raises(ValueError, match="augment must be one of"):
    adversarial.diff_augment(["flip"])
  with pytest.raises(ValueError, match="at most once"):
    adversarial.diff_augment(["cutout", "cutout"])
  with pytest.raises(ValueError, match="image_shape must be"):
    adversarial.diff_augment(["cutout"], image_shape=(28,))
  with pytest.raises(ValueError, match="DiffAugment needs images"):
    square(key, jnp.ones((4, 10)))


def test_a_game_augments_real_and_generated_examples_alike():
  """With an augmentation that zeroes everything, the critic sees zeros
  for real and generated examples: the losses are those of equal logits,
  and with translation the generator's gradient flows through it."""
  critic = lambda v, x: jnp.sum(x.reshape(x.shape[0], -1), 1) * v
  generator = lambda u, z: jnp.tanh(z * u).reshape(-1, H, W, 1)
  latent = lambda key, n: jax.random.normal(key, (n, H * W))
  batch = {"x": jnp.asarray(_images())}
  blank = adversarial.gan(critic, generator, latent,
                          augment=lambda key, x: x * 0.0)
  lv = blank.loss_v(1.0, 2.0, jax.random.PRNGKey(0), batch, {})
  np.testing.assert_allclose(lv, 2 * np.log(2), rtol=1e-6)   # D = 0 on both
  shifted = adversarial.gan(critic, generator, latent,
                            augment=adversarial.diff_augment(["translation"]))
  g = jax.grad(shifted.loss_u)(1.0, 2.0, jax.random.PRNGKey(0), batch, {})
  assert np.isfinite(g) and g != 0
