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
        noise_std: float = 0.0, augment: Callable | None = None) -> Game:
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
    augment: ``augment(key, x) -> x``, applied to real and generated
      examples before the critic (e.g.
      :func:`jgen.adversarial.diff_augment`), or None.

  Returns:
    The :class:`Game` (``u`` the generator, ``v`` the critic); its losses read
    the real examples from ``batch`` (:func:`real_examples`) and draw as many
    latents as there are real examples.

  Raises:
    ValueError: unknown loss or penalty (the message lists the valid names),
      negative or non-finite ``noise_std``.
  """
  def draw(u, key, batch):
    real = real_examples(batch)
    return real, generator(u, sample_latent(key, real.shape[0])), None, None

  return structured_game(lambda v, x, cond: (critic(v, x), None), draw,
                         loss=loss, penalty=penalty, noise_std=noise_std,
                         augment=augment)


def resolve(loss: str | GanLoss, penalty: str | Callable | None
            ) -> tuple[GanLoss, Callable | None]:
  """The loss pair and penalty function of names (or themselves).

  Args:
    loss: a name of :data:`jgen.adversarial.LOSSES` or a :class:`GanLoss`.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a
      penalty function.

  Returns:
    ``(GanLoss, penalty function or None)``.

  Raises:
    ValueError: an unknown name (the message lists the valid ones).
  """
  if not isinstance(loss, GanLoss):
    _checks.choice(loss, "loss", LOSSES)
  if penalty is not None and not callable(penalty):
    _checks.choice(penalty, "penalty", PENALTIES)
  return (loss if isinstance(loss, GanLoss) else LOSSES[loss],
          PENALTIES[penalty] if isinstance(penalty, str) else penalty)


class Auxiliary(NamedTuple):
  """Extra terms of a structured game, added to the GAN losses.

  Attributes:
    generator: ``generator(aux_fake, code, hparams) -> scalar``, added to
      ``loss_u``.
    critic: ``critic(aux_real, aux_fake, batch, code, hparams) -> scalar``,
      added to ``loss_v``.
  """
  generator: Callable
  critic: Callable


def structured_game(score: Callable, draw: Callable, *,
                    loss: str | GanLoss = "minimax",
                    penalty: str | Callable | None = None,
                    noise_std: float = 0.0,
                    augment: Callable | None = None,
                    auxiliary: Auxiliary | None = None,
                    aux_params: Callable | None = None) -> Game:
  """The GAN game with a conditioned critic and auxiliary terms.

  What :func:`gan`, :func:`jgen.adversarial.conditional_gan` and
  :func:`jgen.adversarial.infogan` share: ``loss_u = mean(generator loss of
  D(fake)) + auxiliary.generator`` and ``loss_v = mean(critic loss of D(real),
  D(fake)) + gamma * mean(penalty) + auxiliary.critic``, where the critic
  scores an example under a condition (a class, or nothing) and may return
  auxiliary outputs (a classifier's logits, InfoGAN's ``Q``). The penalty
  differentiates ``x -> D(x, cond_real)``; conditioned games give real and
  generated examples the same condition, so the interpolates of WGAN-GP keep
  one label.

  Args:
    score: ``score(v, x, cond) -> (logits [B], aux or None)``.
    draw: ``draw(u, key, batch) -> (real, fake, cond, code)``: the real
      examples, the generated ones, the condition both are scored under
      (None for none) and the generator's code (what ``auxiliary`` reads).
    loss: a name of :data:`jgen.adversarial.LOSSES` or a :class:`GanLoss`.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES`, or a
      penalty function.
    noise_std: instance-noise standard deviation (Sønderby et al. 2017).
    augment: ``augment(key, x) -> x``, the same random transformation
      policy applied to real and generated examples (each its own draw)
      before the critic, in both players' losses, differentiable so the
      generator's gradient flows through it (DiffAugment, Zhao et al. 2020,
      Section 3; :func:`jgen.adversarial.diff_augment`); None for none.
    auxiliary: extra terms, or None.
    aux_params: ``aux_params(v) -> v'``, the critic parameters that
      ``auxiliary.critic`` scores its outputs with (for example
      :func:`jgen.nets.stop_body_gradient`: equal values, the gradient
      reaching only the head); None for ``v`` itself.

  Returns:
    The :class:`Game` (``u`` the generator, ``v`` the critic).

  Raises:
    ValueError: unknown loss or penalty (the message lists the valid names),
      negative or non-finite ``noise_std``.
  """
  pair, pen = resolve(loss, penalty)
  noise_std = _checks.real(noise_std, "noise_std", low=0.0, high=1e30)

  def examples(u, key, batch):
    k_d, k_n1, k_n2 = jax.random.split(key, 3)
    real, fake, cond, code = draw(u, k_d, batch)
    if augment is not None:
      real = augment(jax.random.fold_in(k_n1, 1), real)
      fake = augment(jax.random.fold_in(k_n2, 1), fake)
    if noise_std:
      real = real + noise_std * jax.random.normal(k_n1, real.shape)
      fake = fake + noise_std * jax.random.normal(k_n2, fake.shape)
    return real, fake, cond, code

  def loss_u(u, v, key, batch, hparams):
    _, fake, cond, code = examples(u, key, batch)
    logits, aux = score(v, fake, cond)
    value = jnp.mean(pair.generator(logits))
    if auxiliary is not None:
      value = value + auxiliary.generator(aux, code, hparams)
    return value

  def loss_v(u, v, key, batch, hparams):
    real, fake, cond, code = examples(u, key, batch)
    real_logits, aux_real = score(v, real, cond)
    fake_logits, aux_fake = score(v, fake, cond)
    value = jnp.mean(pair.critic(real_logits, fake_logits))
    if pen is not None:
      value = value + hparams["reg_weight"] * jnp.mean(pen(
          lambda p, x: score(p, x, cond)[0], v, real,
          jax.lax.stop_gradient(fake), jax.random.fold_in(key, 7)))
    if auxiliary is not None:
      if aux_params is not None:      # unused outputs are compiled away
        w = aux_params(v)
        aux_real, aux_fake = score(w, real, cond)[1], score(w, fake, cond)[1]
      value = value + auxiliary.critic(aux_real, aux_fake, batch, code,
                                       hparams)
    return value
  return Game(loss_u=loss_u, loss_v=loss_v)
