r"""Per-example GAN losses of the generator and the critic, by name.

Convention (TF-GAN's): the critic returns logits, high for real data. Each
entry of :data:`LOSSES` is a :class:`GanLoss` of two per-example functions,
``generator(fake_logits) -> [B]`` and ``critic(real_logits, fake_logits) ->
[B]``, both minimised; objectives take the mean.

=============== ================================ ===============================
name            critic loss                      generator loss
=============== ================================ ===============================
minimax         ``-log s(D(x)) - log(1 - s(D(G(z))))``  ``log(1 - s(D(G(z))))``
non_saturating  same                             ``-log s(D(G(z)))``
wasserstein     ``D(G(z)) - D(x)``               ``-D(G(z))``
=============== ================================ ===============================

(``s`` the logistic sigmoid.) ``minimax`` is the value function of Goodfellow
et al. (2014), eq. (1); ``non_saturating`` their Section 3 heuristic;
``wasserstein`` Arjovsky et al. (2017), eq. (3). In the notation of Mescheder
et al. (2018), eq. (1), ``L = E f(D(G(z))) + E f(-D(x))`` with their ``D``
being minus these logits and ``f(t) = -log(1 + exp(-t))`` (``t`` for
Wasserstein).

A new loss is one pair of functions and one line in :data:`LOSSES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax


class GanLoss(NamedTuple):
  """A generator/critic loss pair (per-example, both minimised).

  Attributes:
    generator: ``generator(fake_logits [B]) -> [B]``.
    critic: ``critic(real_logits [B], fake_logits [B]) -> [B]``.
  """
  generator: Callable
  critic: Callable


def minimax_critic_loss(real_logits: jax.Array,
                        fake_logits: jax.Array) -> jax.Array:
  """``-log s(D(x)) - log(1 - s(D(G(z))))`` per example.

  Goodfellow et al. (2014), eq. (1): minus the value function, which the
  critic maximises.

  Args:
    real_logits: critic logits of real examples, [B].
    fake_logits: critic logits of generated examples, [B].

  Returns:
    [B] losses (softplus form, stable for large logits).
  """
  return jax.nn.softplus(-real_logits) + jax.nn.softplus(fake_logits)


def minimax_generator_loss(fake_logits: jax.Array) -> jax.Array:
  """``log(1 - s(D(G(z))))`` per example (saturating; Goodfellow et al. 2014,
  eq. (1)).

  Args:
    fake_logits: critic logits of generated examples, [B].

  Returns:
    [B] losses.
  """
  return -jax.nn.softplus(fake_logits)


def non_saturating_generator_loss(fake_logits: jax.Array) -> jax.Array:
  """``-log s(D(G(z)))`` per example (Goodfellow et al. 2014, Section 3).

  Args:
    fake_logits: critic logits of generated examples, [B].

  Returns:
    [B] losses.
  """
  return jax.nn.softplus(-fake_logits)


def wasserstein_critic_loss(real_logits: jax.Array,
                            fake_logits: jax.Array) -> jax.Array:
  """``D(G(z)) - D(x)`` per example (Arjovsky et al. 2017, eq. (3)).

  Args:
    real_logits: critic values of real examples, [B].
    fake_logits: critic values of generated examples, [B].

  Returns:
    [B] losses.
  """
  return fake_logits - real_logits


def wasserstein_generator_loss(fake_logits: jax.Array) -> jax.Array:
  """``-D(G(z))`` per example (Arjovsky et al. 2017, eq. (3)).

  Args:
    fake_logits: critic values of generated examples, [B].

  Returns:
    [B] losses.
  """
  return -fake_logits


LOSSES: dict[str, GanLoss] = {
    "minimax": GanLoss(minimax_generator_loss, minimax_critic_loss),
    "non_saturating": GanLoss(non_saturating_generator_loss,
                              minimax_critic_loss),
    "wasserstein": GanLoss(wasserstein_generator_loss,
                           wasserstein_critic_loss),
}
