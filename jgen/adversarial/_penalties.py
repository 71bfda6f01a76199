r"""Critic penalties, per example, by name.

Each penalty is ``penalty(critic, params, real, fake, key) -> [B]`` with
``critic(params, x) -> logits [B]``; the objective takes the mean and adds it
to the critic's loss with the weight ``gamma`` (``hparams["reg_weight"]``).

======== ========================================== =========================
name     per example                                 reference
======== ========================================== =========================
r1       ``1/2 ||grad_x D(x)||^2`` on real data      Mescheder et al. 2018, eq. (9)
r2       ``1/2 ||grad_x D(x)||^2`` on generated data  Mescheder et al. 2018, eq. (10)
wgan_gp  ``(||grad_x D(x_hat)|| - 1)^2``, ``x_hat``  Gulrajani et al. 2017, eq. (3)
         uniform on the segment real--fake
======== ========================================== =========================

A new penalty is one function and one line in :data:`PENALTIES`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def critic_gradient_norms(critic: Callable, params, x: jax.Array) -> jax.Array:
  """``||grad_x D(x_n)||`` for every example.

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    x: inputs, [B, ...].

  Returns:
    [B] Euclidean norms of the input gradients (a 1e-30 floor inside the
    square root keeps the gradient of the norm finite at 0).
  """
  g = jax.vmap(jax.grad(lambda xi: critic(params, xi[None])[0]))(x)
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
            key: jax.Array) -> jax.Array:
  """WGAN-GP: ``(||grad_x D(x_hat)|| - 1)^2`` with ``x_hat = t x + (1 - t)
  G(z)``, ``t ~ U[0, 1]`` per example (Gulrajani et al. 2017, eq. (3),
  without its ``lambda``).

  Args:
    critic: ``critic(params, x) -> logits [B]``.
    params: the critic's parameters.
    real: real examples, [B, ...].
    fake: generated examples, [B, ...].
    key: PRNG key for ``t``.

  Returns:
    [B] penalties.
  """
  t = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1))
  x_hat = t * real + (1 - t) * fake
  return (critic_gradient_norms(critic, params, x_hat) - 1.0) ** 2


PENALTIES: dict[str, Callable] = {"r1": r1, "r2": r2, "wgan_gp": wgan_gp}
