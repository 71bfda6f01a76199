r"""Per-example GAN losses of the generator and the critic, by name.

Convention (TF-GAN's): the critic returns logits, high for real data. Each
entry of :data:`LOSSES` is a :class:`GanLoss` of two per-example functions,
``generator(fake_logits) -> [B]`` and ``critic(real_logits, fake_logits) ->
[B]``, both minimised; objectives take the mean. ``D`` below is the logit
and ``s`` the logistic sigmoid.

============== ========================================= =====================================
name           critic loss                               generator loss
============== ========================================= =====================================
minimax        ``-log s(D(x)) - log(1 - s(D(G(z))))``    ``log(1 - s(D(G(z))))``
non_saturating same                                      ``-log s(D(G(z)))``
wasserstein    ``D(G(z)) - D(x)``                        ``-D(G(z))``
hinge          ``relu(1 - D(x)) + relu(1 + D(G(z)))``    ``-D(G(z))``
least_squares  ``((D(x) - b)^2 + (D(G(z)) - a)^2) / 2``  ``(D(G(z)) - c)^2 / 2``
============== ========================================= =====================================

References: ``minimax`` is the value function of Goodfellow et al. (2014),
eq. (1); ``non_saturating`` their Section 3 heuristic; ``wasserstein``
Arjovsky et al. (2017), eq. (3); ``hinge`` Lim & Ye (2017), "Geometric GAN",
eq. (9)-(10), as used by Miyato et al. (2018), eq. (16)-(17);
``least_squares`` Mao et al. (2017), "Least squares generative adversarial
networks", eq. (2), with labels ``a`` (fake), ``b`` (real), ``c`` (the
generator's target), defaults ``a, b, c = 0, 1, 1`` (TF-GAN's
``fake_label``/``real_label``); ``a, b, c = -1, 1, 0`` is their eq. (6)
choice that minimises the Pearson chi^2 divergence.

Options: the critic of ``minimax``/``non_saturating`` takes one-sided label
smoothing ``label_smoothing`` (TF-GAN's option: the real examples' target is
``1 - label_smoothing / 2``, as ``tf.losses.sigmoid_cross_entropy`` smooths
labels toward 1/2; Salimans et al. 2016, Section 3.4). :func:`make_loss`
binds options by name and rejects unknown ones.

A new loss is one pair of functions and one line in :data:`LOSSES`; its
keyword-only arguments become its options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax

from jgen import _checks
from jgen.adversarial._options import bind
from jgen.adversarial._options import check_options
from jgen.adversarial._options import options


class GanLoss(NamedTuple):
  """A generator/critic loss pair (per-example, both minimised).

  Attributes:
    generator: ``generator(fake_logits [B]) -> [B]``.
    critic: ``critic(real_logits [B], fake_logits [B]) -> [B]``.
  """
  generator: Callable
  critic: Callable


def minimax_critic_loss(real_logits: jax.Array, fake_logits: jax.Array, *,
                        label_smoothing: float = 0.0) -> jax.Array:
  """``-log s(D(x)) - log(1 - s(D(G(z))))`` per example.

  Goodfellow et al. (2014), eq. (1): minus the value function, which the
  critic maximises. With ``label_smoothing = l`` the real examples' target is
  ``t = 1 - l / 2`` (TF-GAN; Salimans et al. 2016, Section 3.4, one-sided):
  ``-t log s(D(x)) - (1 - t) log(1 - s(D(x)))``.

  Args:
    real_logits: critic logits of real examples, [B].
    fake_logits: critic logits of generated examples, [B].
    label_smoothing: in [0, 1]; 0 for none.

  Returns:
    [B] losses (softplus form, stable for large logits).
  """
  t = 1.0 - 0.5 * label_smoothing
  real = t * jax.nn.softplus(-real_logits) + (1 - t) * jax.nn.softplus(
      real_logits) if label_smoothing else jax.nn.softplus(-real_logits)
  return real + jax.nn.softplus(fake_logits)


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
  """``-D(G(z))`` per example (Arjovsky et al. 2017, eq. (3); also the hinge
  GAN's generator, Miyato et al. 2018, eq. (17)).

  Args:
    fake_logits: critic values of generated examples, [B].

  Returns:
    [B] losses.
  """
  return -fake_logits


def hinge_critic_loss(real_logits: jax.Array,
                      fake_logits: jax.Array) -> jax.Array:
  """``relu(1 - D(x)) + relu(1 + D(G(z)))`` per example (Lim & Ye 2017,
  eq. (9); Miyato et al. 2018, eq. (16)).

  Args:
    real_logits: critic values of real examples, [B].
    fake_logits: critic values of generated examples, [B].

  Returns:
    [B] losses.
  """
  return jax.nn.relu(1.0 - real_logits) + jax.nn.relu(1.0 + fake_logits)


def least_squares_critic_loss(real_logits: jax.Array, fake_logits: jax.Array,
                              *, a: float = 0.0, b: float = 1.0) -> jax.Array:
  """``((D(x) - b)^2 + (D(G(z)) - a)^2) / 2`` per example (Mao et al. 2017,
  eq. (2)).

  Args:
    real_logits: critic outputs of real examples, [B].
    fake_logits: critic outputs of generated examples, [B].
    a: the label of generated examples.
    b: the label of real examples.

  Returns:
    [B] losses.
  """
  return 0.5 * ((real_logits - b) ** 2 + (fake_logits - a) ** 2)


def least_squares_generator_loss(fake_logits: jax.Array, *,
                                 c: float = 1.0) -> jax.Array:
  """``(D(G(z)) - c)^2 / 2`` per example (Mao et al. 2017, eq. (2)).

  Args:
    fake_logits: critic outputs of generated examples, [B].
    c: the value the generator wants the critic to give its examples.

  Returns:
    [B] losses.
  """
  return 0.5 * (fake_logits - c) ** 2


LOSSES: dict[str, GanLoss] = {
    "minimax": GanLoss(minimax_generator_loss, minimax_critic_loss),
    "non_saturating": GanLoss(non_saturating_generator_loss,
                              minimax_critic_loss),
    "wasserstein": GanLoss(wasserstein_generator_loss,
                           wasserstein_critic_loss),
    "hinge": GanLoss(wasserstein_generator_loss, hinge_critic_loss),
    "least_squares": GanLoss(least_squares_generator_loss,
                             least_squares_critic_loss),
}

def make_loss(name: str, **kwargs) -> GanLoss:
  """The loss pair ``name`` of :data:`LOSSES` with its options bound.

  Example: ``make_loss("least_squares", a=-1.0, b=1.0, c=0.0)`` (Mao et al.
  2017, eq. (6)); ``make_loss("non_saturating", label_smoothing=0.2)``.

  Args:
    name: a name of :data:`LOSSES`.
    **kwargs: the loss's options (``label_smoothing`` for ``minimax`` and
      ``non_saturating``; ``a``, ``b``, ``c`` for ``least_squares``).

  Returns:
    A :class:`GanLoss`.

  Raises:
    ValueError: an unknown name or option (the message lists the accepted
      ones), or an option value out of range.
  """
  _checks.choice(name, "loss", LOSSES)
  pair = LOSSES[name]
  given = check_options(kwargs, options(*pair), f"loss {name!r}")
  return GanLoss(bind(pair.generator, given), bind(pair.critic, given))
