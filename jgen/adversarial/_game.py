r"""Two-player games: two losses of ``(u, v, key, batch, hparams)``.

A game has two players with parameter pytrees ``u`` (minimises ``loss_u``)
and ``v`` (minimises ``loss_v``). A zero-sum game with payoff ``f`` has
``loss_u = f`` and ``loss_v = -f`` (:func:`zero_sum`); a GAN (:func:`gan`)
gives both losses. Real data arrive as the ``batch`` argument (an array, or
a dict with the data under ``"x"``), so :func:`jgen.train.train` draws,
shards and checkpoints them like any other run's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.adversarial._losses import GanLoss
from jgen.adversarial._losses import LOSSES
from jgen.adversarial._penalties import PENALTIES


class Game(NamedTuple):
  """Two losses: ``u`` minimises ``loss_u``, ``v`` minimises ``loss_v``.

  Attributes:
    loss_u: ``loss_u(u, v, key, batch, hparams) -> scalar``.
    loss_v: ``loss_v(u, v, key, batch, hparams) -> scalar``.
  """
  loss_u: Callable
  loss_v: Callable


def zero_sum(payoff: Callable) -> Game:
  """The game ``min_u max_v payoff(u, v, key, batch, hparams)``.

  Args:
    payoff: ``payoff(u, v, key, batch, hparams) -> scalar``.

  Returns:
    A :class:`Game` with ``loss_u = payoff`` and ``loss_v = -payoff``.
  """
  return Game(loss_u=payoff,
              loss_v=lambda u, v, key, batch, hp: -payoff(u, v, key, batch, hp))


def real_examples(batch) -> jax.Array:
  """The real examples of a batch: the array itself or ``batch["x"]``."""
  return batch["x"] if isinstance(batch, dict) else batch


def gan(critic: Callable, generator: Callable, sample_latent: Callable, *,
        loss: str | GanLoss = "minimax", penalty: str | Callable | None = None,
        noise_std: float = 0.0) -> Game:
  """A GAN as a two-player game (loss and critic penalty by name).

  The generator ``u`` minimises ``mean(LOSSES[loss].generator(D(G(z))))``;
  the critic ``v`` minimises ``mean(LOSSES[loss].critic(D(x), D(G(z)))) +
  gamma * mean(penalty)`` with ``gamma = hparams["reg_weight"]`` (the gamma of
  Mescheder et al. 2018, eq. (9)); generated examples enter the penalty with
  their gradient stopped. With ``noise_std > 0`` both real and generated
  examples get Gaussian instance noise (Sønderby et al. 2017).

  Args:
    critic: ``critic(v, x) -> logits [B]`` (high for real data).
    generator: ``generator(u, z) -> x [B, ...]``.
    sample_latent: ``sample_latent(key, n) -> z [n, ...]``.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a :class:`GanLoss`
      (e.g. :func:`jgen.adversarial.make_loss` with options).
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES`, or a
      function ``penalty(critic, v, real, fake, key) -> [B] or scalar``
      (e.g. :func:`jgen.adversarial.make_penalty` with options).
    noise_std: instance-noise standard deviation (0 for none).

  Returns:
    The :class:`Game` (``u`` the generator, ``v`` the critic); its losses read
    the real examples from ``batch`` (:func:`real_examples`) and draw as many
    latents as there are real examples.

  Raises:
    ValueError: unknown loss or penalty (the message lists the valid names),
      negative or non-finite ``noise_std``.
  """
  if not isinstance(loss, GanLoss):
    _checks.choice(loss, "loss", LOSSES)
  if penalty is not None and not callable(penalty):
    _checks.choice(penalty, "penalty", PENALTIES)
  noise_std = _checks.real(noise_std, "noise_std", low=0.0, high=1e30)
  pair = loss if isinstance(loss, GanLoss) else LOSSES[loss]
  pen = PENALTIES[penalty] if isinstance(penalty, str) else penalty

  def examples(u, key, batch):
    real = real_examples(batch)
    k_z, k_n1, k_n2 = jax.random.split(key, 3)
    fake = generator(u, sample_latent(k_z, real.shape[0]))
    if noise_std:
      real = real + noise_std * jax.random.normal(k_n1, real.shape)
      fake = fake + noise_std * jax.random.normal(k_n2, fake.shape)
    return real, fake

  def loss_u(u, v, key, batch, hparams):
    del hparams
    _, fake = examples(u, key, batch)
    return jnp.mean(pair.generator(critic(v, fake)))

  def loss_v(u, v, key, batch, hparams):
    real, fake = examples(u, key, batch)
    value = jnp.mean(pair.critic(critic(v, real), critic(v, fake)))
    if pen is not None:
      value = value + hparams["reg_weight"] * jnp.mean(pen(
          critic, v, real, jax.lax.stop_gradient(fake),
          jax.random.fold_in(key, 7)))
    return value
  return Game(loss_u=loss_u, loss_v=loss_v)
