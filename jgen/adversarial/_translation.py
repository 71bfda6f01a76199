r"""Image-to-image translation as games: pix2pix and CycleGAN.

* pix2pix (Isola et al. 2017, eq. (4)): paired batches ``{"a": inputs,
  "b": targets}``; the generator ``G(a)`` and a critic ``D(b, a)`` on
  (output, input) pairs (a PatchGAN: one logit per patch, every loss and
  penalty averaged over patches); the generator adds ``lambda * L1`` with
  ``L1 = mean |b - G(a)|`` (:func:`l1_distance`, eq. (3)) and ``lambda =
  hparams["l1_weight"]`` (Isola et al. use 100).
* CycleGAN (Zhu et al. 2017, eq. (3)): unpaired batches ``{"a", "b"}``
  (drawn independently), generators ``G: A -> B`` and ``F: B -> A``, critics
  ``D_B`` and ``D_A``; least-squares losses as the paper's Section 4
  (``loss="least_squares"``); the generators add ``lambda_cyc`` times
  :func:`cycle_consistency_loss` (eq. (2); ``hparams["cycle_weight"]``, 10 in
  the paper) and ``lambda_id`` times the identity term ``mean |G(b) - b| +
  mean |F(a) - a|`` (Section 5.2; ``hparams["identity_weight"]``, 0.5
  ``lambda_cyc`` in the paper; ``identity=False`` skips its two passes).

Both are :func:`jgen.adversarial.structured_game` games. CycleGAN's two
GANs are one: its examples are ``[a | b]``, its generated examples ``[F(b) |
G(a)]``, and its critic returns both critics' patch logits side by side, so
the GAN losses average over both and a critic penalty on ``[a | b]`` is the
sum of each critic's penalty on its own domain.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen.adversarial._game import Auxiliary
from jgen.adversarial._game import Game
from jgen.adversarial._game import structured_game


def l1_distance(x: jax.Array, y: jax.Array) -> jax.Array:
  """``mean_d |x_d - y_d|`` per example (Isola et al. 2017, eq. (3)).

  Args:
    x, y: [B, D].

  Returns:
    [B] distances.
  """
  return jnp.mean(jnp.abs(x - y), -1)


def cycle_consistency_loss(a: jax.Array, a_cycled: jax.Array, b: jax.Array,
                           b_cycled: jax.Array) -> jax.Array:
  """``(mean |a - F(G(a))| + mean |b - G(F(b))|) / 2`` per example: Zhu et
  al. (2017), eq. (2), halved as TF-GAN's ``cycle_consistency_loss`` (whose
  value is the batch mean of this).

  Args:
    a: domain-A examples, [B, D].
    a_cycled: ``F(G(a))``, [B, D].
    b: domain-B examples, [B, D].
    b_cycled: ``G(F(b))``, [B, D].

  Returns:
    [B] losses.
  """
  return 0.5 * (l1_distance(a, a_cycled) + l1_distance(b, b_cycled))


def _paired(batch) -> tuple[jax.Array, jax.Array]:
  if not isinstance(batch, dict) or not {"a", "b"} <= set(batch):
    raise ValueError("translation games need batches {'a': domain A, 'b': "
                     "domain B}; got "
                     + (f"keys {sorted(batch)}" if isinstance(batch, dict)
                        else type(batch).__name__) + ".")
  return batch["a"], batch["b"]


def pix2pix(generator: Callable, critic: Callable, *, loss="minimax",
            penalty=None) -> Game:
  """pix2pix (Isola et al. 2017, eq. (4)): ``G* = arg min_G max_D
  L_cGAN(G, D) + lambda L_L1(G)``.

  Args:
    generator: ``generator(u, a) -> b~`` [B, D].
    critic: ``critic(v, b, a) -> patch logits [B, P]``.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.

  Returns:
    The :class:`Game` (``u`` the generator, ``v`` the critic); batches are
    ``{"a", "b"}`` pairs, hparams need ``l1_weight`` and ``reg_weight``.

  Raises:
    ValueError: an unknown loss or penalty.
  """
  def draw(u, key, batch):
    del key
    a, b = _paired(batch)
    fake = generator(u, a)
    return b, fake, a, jnp.mean(l1_distance(b, fake))

  return structured_game(
      lambda v, x, a: (critic(v, x, a), None), draw, loss=loss,
      penalty=penalty,
      auxiliary=Auxiliary(generator=lambda aux, l1, hp: hp["l1_weight"] * l1,
                          critic=lambda *args: 0.0))


def cyclegan(generator_ab: Callable, generator_ba: Callable,
             critic_a: Callable, critic_b: Callable, *,
             loss="least_squares", penalty=None,
             identity: bool = True) -> Game:
  """CycleGAN (Zhu et al. 2017, eq. (3)): ``L_GAN(G, D_B) + L_GAN(F, D_A) +
  lambda L_cyc(G, F)`` (+ the identity term).

  Player ``u`` is ``{"ab": G, "ba": F}`` and ``v`` is ``{"a": D_A, "b":
  D_B}``; each network function receives the whole player's parameters and
  reads its own entry.

  Args:
    generator_ab: ``generator_ab(u, a) -> b~`` (G).
    generator_ba: ``generator_ba(u, b) -> a~`` (F).
    critic_a: ``critic_a(v, a) -> patch logits [B, P]`` (D_A).
    critic_b: ``critic_b(v, b) -> patch logits [B, P]`` (D_B).
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``
      (least squares by default, as the paper).
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.
    identity: compute the identity term (its weight is
      ``hparams["identity_weight"]``).

  Returns:
    The :class:`Game`; batches are ``{"a", "b"}`` of equal size, hparams
    need ``cycle_weight``, ``identity_weight`` (when ``identity``) and
    ``reg_weight``.

  Raises:
    ValueError: an unknown loss or penalty.
  """
  def draw(u, key, batch):
    del key
    a, b = _paired(batch)
    fake_b, fake_a = generator_ab(u, a), generator_ba(u, b)
    terms = {"cycle": jnp.mean(cycle_consistency_loss(
        a, generator_ba(u, fake_b), b, generator_ab(u, fake_a)))}
    if identity:
      terms["identity"] = jnp.mean(l1_distance(generator_ab(u, b), b)
                                   + l1_distance(generator_ba(u, a), a))
    return (jnp.concatenate([a, b], 1), jnp.concatenate([fake_a, fake_b], 1),
            a.shape[1], terms)

  def score(v, ab, d):
    return jnp.concatenate([critic_a(v, ab[:, :d]), critic_b(v, ab[:, d:])],
                           1), None

  def extra(aux, terms, hp):
    value = hp["cycle_weight"] * terms["cycle"]
    if identity:
      value = value + hp["identity_weight"] * terms["identity"]
    return value

  return structured_game(score, draw, loss=loss, penalty=penalty,
                         auxiliary=Auxiliary(generator=extra,
                                             critic=lambda *args: 0.0))
