r"""Differentiable augmentation of the critic's inputs (DiffAugment).

Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
Training", Section 3 and their ``DiffAugment`` code: the same random
transformations ``T`` are applied to real and to generated images before the
critic, in the critic's and in the generator's update, so the critic sees
``D(T(x))`` and ``D(T(G(z)))`` and the generator's gradient flows through
``T``. Each image draws its own transformation.

Pixels are taken in [0, 1] (jgen's image convention); the paper's [-1, 1]
amounts are halved where they are pixel values.

* ``color``: brightness ``x + (u - 0.5) / 2``, saturation (channels
  scaled about their mean by ``2u``; nothing for one channel), contrast
  (scaled about the image mean by ``u + 0.5``), ``u ~ U(0, 1)`` per image.
* ``translation``: an integer shift of up to 1/8 of each side in each
  direction, zero-filled.
* ``cutout``: a square of half the side (centre uniform) set to zero.
* ``rotation``: a rotation about the image centre by an angle uniform in
  +-15 degrees, bilinear, zero-filled (not in Zhao et al.; small rotations
  are among the identity-preserving transformations of Ojha et al. 2020,
  "Elastic-InfoGAN", Section 3.2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import data

AUGMENTATIONS = ("color", "translation", "cutout", "rotation")


def _color(key, x):
  kb, ks, kc = jax.random.split(key, 3)
  b = x.shape[0]
  u = lambda k: jax.random.uniform(k, (b, 1, 1, 1), x.dtype)
  x = x + (u(kb) - 0.5) / 2
  mean = jnp.mean(x, axis=3, keepdims=True)
  x = (x - mean) * (2 * u(ks)) + mean
  mean = jnp.mean(x, axis=(1, 2, 3), keepdims=True)
  return (x - mean) * (u(kc) + 0.5) + mean


def _translation(key, x, ratio=0.125):
  _, h, w, _ = x.shape
  return data.random_shift(key, x, (int(h * ratio + 0.5), int(w * ratio + 0.5)))


def _cutout(key, x, ratio=0.5):
  b, h, w, _ = x.shape
  ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
  ky, kx = jax.random.split(key)
  cy = jax.random.randint(ky, (b, 1, 1), 0, h + (1 - ch % 2))
  cx = jax.random.randint(kx, (b, 1, 1), 0, w + (1 - cw % 2))
  i, j = jnp.arange(h)[None, :, None], jnp.arange(w)[None, None, :]
  inside = ((i >= cy - ch // 2) & (i < cy - ch // 2 + ch)
            & (j >= cx - cw // 2) & (j < cx - cw // 2 + cw))
  return x * (~inside)[..., None].astype(x.dtype)


def rotate(x: jax.Array, angles: jax.Array) -> jax.Array:
  """Images rotated about their centres, bilinear, zero outside.

  Output pixel ``p`` takes the input, interpolated bilinearly, at the
  pixel ``p`` rotated back about the centre, so the result is
  differentiable in ``x``; it equals :func:`scipy.ndimage.rotate` with the
  angle in degrees, ``reshape=False``, ``order=1``,
  ``mode="grid-constant"``, ``cval=0``.

  Args:
    x: images ``[B, H, W, C]``.
    angles: ``[B]`` angles in radians, in the direction of
      :func:`scipy.ndimage.rotate`'s.

  Returns:
    The rotated images, of the shape of ``x``.
  """
  _, h, w, _ = x.shape
  i, j = jnp.meshgrid(jnp.arange(h, dtype=x.dtype),
                      jnp.arange(w, dtype=x.dtype), indexing="ij")
  ci, cj = (h - 1) / 2, (w - 1) / 2

  def one(image, angle):
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    src_i = cos * (i - ci) + sin * (j - cj) + ci
    src_j = -sin * (i - ci) + cos * (j - cj) + cj
    return jax.vmap(lambda channel: jax.scipy.ndimage.map_coordinates(
        channel, [src_i, src_j], order=1, mode="constant", cval=0.0),
        in_axes=-1, out_axes=-1)(image)
  return jax.vmap(one)(x, angles.astype(x.dtype))


def _rotation(key, x, degrees=15.0):
  limit = jnp.pi * degrees / 180
  return rotate(x, jax.random.uniform(key, (x.shape[0],), x.dtype,
                                      -limit, limit))


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout,
        "rotation": _rotation}


def check_policy(policy: Sequence[str], argument: str = "augment"
                 ) -> tuple[str, ...]:
  """The policy as a tuple of :data:`AUGMENTATIONS` names, checked.

  Args:
    policy: names, e.g. ``("translation", "cutout")``, or a comma-separated
      string.
    argument: the name the error gives.

  Returns:
    The names, in the order given.

  Raises:
    ValueError: an unknown or repeated name.
  """
  if isinstance(policy, str):
    policy = tuple(p.strip() for p in policy.split(",") if p.strip())
  policy = tuple(policy)
  for name in policy:
    _checks.choice(name, argument, AUGMENTATIONS)
  if len(set(policy)) != len(policy):
    raise ValueError(f"{argument}: each augmentation at most once, got "
                     f"{policy}.")
  return policy


def diff_augment(policy: Sequence[str],
                 image_shape: tuple[int, int] | None = None,
                 channels: int = 1) -> Callable:
  """The DiffAugment function ``augment(key, x) -> x`` of a policy.

  Args:
    policy: names of :data:`AUGMENTATIONS`, applied in that order (the
      paper's ``color,translation,cutout``).
    image_shape: ``(H, W)`` of flat examples ``[B, H * W * channels]``;
      None for examples already ``[B, H, W, C]``.
    channels: channels of flat examples.

  Returns:
    ``augment(key, x)``, of the shape of ``x``, differentiable in ``x``;
    each example draws its own transformation.

  Raises:
    ValueError: an unknown name; a bad ``image_shape`` or ``channels``.
  """
  policy = check_policy(policy)
  _checks.integer(channels, "channels", low=1)
  if image_shape is not None:
    image_shape = tuple(image_shape)
    if len(image_shape) != 2:
      raise ValueError(f"image_shape must be (H, W), got {image_shape}.")
    for side in image_shape:
      _checks.integer(side, "image_shape", low=1)

  def augment(key, x):
    shape = x.shape
    if image_shape is not None:
      x = x.reshape((shape[0], *image_shape, channels))
    elif x.ndim != 4:
      raise ValueError(f"x: DiffAugment needs images [B, H, W, C] (or "
                       f"image_shape for flat ones), got shape {shape}.")
    for i, name in enumerate(policy):
      x = _OPS[name](jax.random.fold_in(key, i), x)
    return x.reshape(shape)
  return augment
