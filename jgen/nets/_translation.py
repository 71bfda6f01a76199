"""Image-to-image networks: a U-Net generator and a PatchGAN critic.

:class:`UNet` (Ronneberger et al. 2015, as pix2pix's generator, Isola et al.
2017, Section 3.2.1) maps a flat image to a flat image of the same shape: two
stride-2 convolutions down to ``H/4 x W/4``, a 3x3 convolution there, and two
sub-pixel upsamplings (Shi et al. 2016; see :mod:`jgen.nets` on why not
transposed convolutions) each followed by the skip connection from the
encoder's layer of that size; linear outputs (a sigmoid output layer under
the L1 term saturates at 0 within a few hundred steps on mostly black digit
images, and its gradient vanishes there; clip to [0, 1] to show them).
:class:`PatchCritic`
(pix2pix's PatchGAN, Section 3.2.2) scores every ``H/4 x W/4`` patch of an
image, or of an (input, output) pair stacked as channels, with one logit:
``[B, (H/4) (W/4)]``. Neither uses normalisation layers, so both are pure
functions of their parameters (the critic penalties differentiate the critic
per example).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.nets._gan import depth_to_space


def _check_image(image_shape, name: str) -> tuple[int, int]:
  shape = tuple(image_shape)
  if len(shape) != 2 or shape[0] % 4 or shape[1] % 4 or min(shape) < 4:
    raise ValueError(f"{name} must be (H, W) with H and W multiples of 4, got "
                     f"{image_shape}.")
  return shape


class UNet(nn.Module):
  """``x [B, H W] -> [B, H W]`` (linear outputs), with skip connections.

  Attributes:
    image_shape: ``(H, W)``, multiples of 4.
    width: channels at full resolution (``2 width`` and ``4 width`` below).
  """
  image_shape: tuple[int, int]
  width: int = 32

  def __post_init__(self):
    _check_image(self.image_shape, "image_shape")
    _checks.integer(self.width, "width", low=1)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """``x`` [B, H W] -> [B, H W]."""
    b = x.shape[0]
    act = lambda t: nn.leaky_relu(t, 0.2)
    e1 = act(nn.Conv(self.width, (3, 3))(x.reshape(b, *self.image_shape, 1)))
    e2 = act(nn.Conv(2 * self.width, (4, 4), strides=(2, 2))(e1))
    e3 = act(nn.Conv(4 * self.width, (4, 4), strides=(2, 2))(e2))
    h = nn.relu(nn.Conv(4 * self.width, (3, 3))(e3))
    h = depth_to_space(nn.Conv(4 * 2 * self.width, (3, 3))(h))   # H/2
    h = nn.relu(jnp.concatenate([h, e2], -1))
    h = depth_to_space(nn.Conv(4 * self.width, (3, 3))(h))       # H
    h = nn.relu(jnp.concatenate([h, e1], -1))
    return nn.Conv(1, (3, 3))(h).reshape(b, -1)


class PatchCritic(nn.Module):
  """``x [B, H W]`` (and a condition ``c [B, H W]``) -> patch logits
  ``[B, (H/4) (W/4)]``, high for real data.

  Attributes:
    image_shape: ``(H, W)``, multiples of 4.
    width: channels of the first layer (``2 width`` in the second).
    conditional: stack the condition (pix2pix's input image) as a channel.
  """
  image_shape: tuple[int, int]
  width: int = 32
  conditional: bool = False

  def __post_init__(self):
    _check_image(self.image_shape, "image_shape")
    _checks.integer(self.width, "width", low=1)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array, c: jax.Array | None = None) -> jax.Array:
    """``x`` (and ``c`` when conditional) [B, H W] -> [B, P]."""
    if (c is None) == self.conditional:
      raise ValueError("c (the condition image) must be given exactly when "
                       f"the critic is conditional ({self.conditional}).")
    b = x.shape[0]
    h = x.reshape(b, *self.image_shape, 1)
    if c is not None:
      h = jnp.concatenate([h, c.reshape(b, *self.image_shape, 1)], -1)
    for ch in (self.width, 2 * self.width):
      h = nn.leaky_relu(nn.Conv(ch, (4, 4), strides=(2, 2))(h), 0.2)
    return nn.Conv(1, (3, 3))(h).reshape(b, -1)
