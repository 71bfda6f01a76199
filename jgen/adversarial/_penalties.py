r"""Critic penalties, per example, by name.

Each penalty is ``penalty(critic, params, real, fake, key) -> [B]`` with
``critic(params, x) -> logits [B]``; the objective takes the mean and adds it
to the critic's loss with the weight ``gamma`` (``hparams["reg_weight"]``).

======== ========================================== =========================
name     per example                                 reference
======== ========================================== =========================
r1       ``1/2 ||grad_x D(x)||^2`` on real data      Mescheder et al. 2018, eq. (9)
r2       ``1/2 ||grad_x D(x)||^2`` on generated data  Mescheder et al. 2018, eq. (10)
wgan_gp  ``(||grad_x D(x_hat)|| / target - 1)^2``,  Gulrajani et al. 2017, eq. (3)
         ``x_hat`` uniform on the segment real--fake
======== ========================================== =========================

``wgan_gp`` takes TF-GAN's options ``target`` (the norm it pulls toward,
default 1) and ``one_sided`` (penalise only norms above the target,
``max(0, ||grad|| / target - 1)^2``; Petzka et al. 2018, "On the
regularization of Wasserstein GANs", eq. (8)); :func:`make_penalty` binds
them. Instance noise is an option of :func:`jgen.adversarial.gan` and weight
clipping (Arjovsky et al. 2017) a projection of the critic's optimiser,
:func:`jgen.minimax.clip_weights`.

A new penalty is one function and one line in :data:`PENALTIES`; its
keyword-only arguments become its options.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.adversarial._options import bind
from jgen.adversarial._options import check_options
from jgen.adversarial._options import options


def critic_gradient_norms(critic: Callable, params, x: jax.Array) -> jax.Array:
  """``||grad_x D(x_n)||`` for every example.

  The critic must treat examples independently (no batch normalisation, as
  every penalised critic in the literature): then the gradient of
  ``sum_n D(x_n)`` with respect to ``x`` holds every example's input
  gradient, one backward pass for the whole batch.

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    x: inputs, [B, ...].

  Returns:
    [B] Euclidean norms of the input gradients (a 1e-30 floor inside the
    square root keeps the gradient of the norm finite at 0).
  """
  g = jax.grad(lambda xs: jnp.sum(critic(params, xs)))(x)
  return jnp.sqrt(jnp.sum(jnp.square(g.reshape(g.shape[0], -1)), 1) + 1e-30)


def r1(critic: Callable, params, real: jax.Array, fake: jax.Array,
       key: jax.Array) -> jax.Array:
  """R1: ``1/2 ||grad_x D(x)||^2`` at real examples (Mescheder et al. 2018,
  eq. (9), without its ``gamma``).

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    real: real examples, [B, ...].
    fake: generated examples (unused).
    key: PRNG key (unused).

  Returns:
    [B] penalties.
  """
  del fake, key
  return 0.5 * critic_gradient_norms(critic, params, real) ** 2


def r2(critic: Callable, params, real: jax.Array, fake: jax.Array,
       key: jax.Array) -> jax.Array:
  """R2: ``1/2 ||grad_x D(x)||^2`` at generated examples (Mescheder et al.
  2018, eq. (10), without its ``gamma``).

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    real: real examples (unused).
    fake: generated examples, [B, ...].
    key: PRNG key (unused).

  Returns:
    [B] penalties.
  """
  del real, key
  return 0.5 * critic_gradient_norms(critic, params, fake) ** 2


def wgan_gp(critic: Callable, params, real: jax.Array, fake: jax.Array,
            key: jax.Array, *, target: float = 1.0,
            one_sided: bool = False) -> jax.Array:
  """WGAN-GP: ``(||grad_x D(x_hat)|| / target - 1)^2`` with ``x_hat = t x +
  (1 - t) G(z)``, ``t ~ U[0, 1]`` per example (Gulrajani et al. 2017, eq. (3),
  without its ``lambda``; ``target`` and ``one_sided`` as TF-GAN's
  ``wasserstein_gradient_penalty``).

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    real: real examples, [B, ...].
    fake: generated examples, [B, ...].
    key: PRNG key for ``t``.
    target: the gradient norm the penalty pulls toward (> 0).
    one_sided: penalise only norms above ``target`` (Petzka et al. 2018).

  Returns:
    [B] penalties.
  """
  t = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1))
  x_hat = t * real + (1 - t) * fake
  excess = critic_gradient_norms(critic, params, x_hat) / target - 1.0
  return (jax.nn.relu(excess) if one_sided else excess) ** 2


PENALTIES: dict[str, Callable] = {"r1": r1, "r2": r2, "wgan_gp": wgan_gp}


def make_penalty(name: str, **kwargs) -> Callable:
  """The penalty ``name`` of :data:`PENALTIES` with its options bound.

  Example: ``make_penalty("wgan_gp", one_sided=True)``.

  Args:
    name: a name of :data:`PENALTIES`.
    **kwargs: the penalty's options (``target``, ``one_sided`` for
      ``wgan_gp``).

  Returns:
    ``penalty(critic, params, real, fake, key) -> [B]``.

  Raises:
    ValueError: an unknown name or option (the message lists the accepted
      ones), or an option value out of range.
    TypeError: a flag option that is not a bool.
  """
  _checks.choice(name, "penalty", PENALTIES)
  fn = PENALTIES[name]
  return bind(fn, check_options(kwargs, options(fn), f"penalty {name!r}"))
