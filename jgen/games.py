r"""Toy games for probing minimax dynamics: the bilinear game and the Dirac-GAN.

**Bilinear**: ``min_x max_y x^T A y``, equilibrium ``(0, 0)``; it reads no
data (its batch is None).

**Dirac-GAN** (Mescheder, Geiger & Nowozin 2018, "Which training methods for
GANs do actually converge?", Section 2.2): the generator is a point mass at
``theta``, the critic is linear, ``D_psi(x) = psi x``, and the data are a
point mass at 0 (the batch is :func:`dirac_data`). In their notation
``L = f(psi theta) + f(0)`` and the equilibrium is ``(0, 0)``. jgen's logits
are high for real data (TF-GAN's convention) while Mescheder et al.'s ``D`` is
high for generated data, so the critic's logit is ``-psi x``: every loss and
penalty of :mod:`jgen.adversarial` then gives exactly their vector field.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import adversarial


def bilinear(a: jax.Array) -> adversarial.Game:
  """``min_x max_y x^T A y``.

  Args:
    a: [m, n]; ``x`` is [m] and ``y`` is [n].

  Returns:
    The zero-sum :class:`jgen.adversarial.Game` (its batch is unused).
  """
  return adversarial.zero_sum(lambda x, y, key, batch, hp: x @ a @ y)


def dirac_data(batch_size: int = 1) -> jax.Array:
  """The Dirac-GAN's data: ``batch_size`` copies of the point 0, [B, 1].

  Args:
    batch_size: number of examples (only matters with instance noise).

  Returns:
    Zeros of shape [batch_size, 1].

  Raises:
    ValueError: ``batch_size < 1``.
  """
  _checks.integer(batch_size, "batch_size", low=1)
  return jnp.zeros((batch_size, 1))


def dirac_gan(*, loss: str = "minimax", penalty: str | Callable | None = None,
              noise_std: float = 0.0) -> adversarial.Game:
  """The Dirac-GAN of Mescheder et al. (2018), Section 2.2.

  Scalar players ``u = theta`` (the generator's point mass) and ``v = psi``
  (the critic, logit ``-psi x``); train it on :func:`dirac_data`.

  Args:
    loss: a name of :data:`jgen.adversarial.LOSSES`.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty
      function (weight ``hparams["reg_weight"]``).
    noise_std: instance-noise standard deviation.

  Returns:
    The :class:`jgen.adversarial.Game`.
  """
  return adversarial.gan(
      critic=lambda psi, x: -psi * x[:, 0],
      generator=lambda theta, z: jnp.broadcast_to(theta, z.shape),
      sample_latent=lambda key, n: jnp.zeros((n, 1)),
      loss=loss, penalty=penalty, noise_std=noise_std)
