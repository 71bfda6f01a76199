r"""GANs with labels or codes: CGAN, AC-GAN and InfoGAN as games.

Each builder returns a :class:`jgen.adversarial.Game` made by
:func:`jgen.adversarial.structured_game`, so the losses, penalties, instance
noise and every schedule of :mod:`jgen.minimax` apply unchanged. The
generator sees ``[z | code]`` (concatenation; Mirza & Osindero 2014,
Section 4.1), with ``code = one_hot(y)`` for the class-conditional models
and InfoGAN's ``[one_hot(c_1) | c_2..]`` (:func:`code_vector`).

The class-conditional games read labelled batches ``{"x": [B, ...], "y":
ints [B]}`` and ask the generator for the batch's own labels, so generated
examples follow the data's class frequencies and real and generated examples
share their labels (the interpolates of WGAN-GP keep one label).

========= ============================================ =====================
model     critic                                        extra terms (traced
                                                        weight)
========= ============================================ =====================
CGAN      ``D(x, y)``: concatenation, or projection     none
          (Miyato & Koyama 2018, eq. (3))
AC-GAN    ``D(x)`` and a classifier ``C(y | x)``        :func:`acgan_critic_loss`,
          sharing its body (Odena et al. 2017)          :func:`acgan_generator_loss`
                                                        (``aux_weight``)
InfoGAN   ``D(x)`` and ``Q(c | x)`` sharing its body    :func:`mutual_information_penalty`
          (Chen et al. 2016, Section 6)                 for both players
                                                        (``info_weight``,
                                                        the lambda of eq. (6);
                                                        ``continuous_weight``)
========= ============================================ =====================
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.adversarial._auxiliary import acgan_critic_loss
from jgen.adversarial._auxiliary import acgan_generator_loss
from jgen.adversarial._auxiliary import code_vector
from jgen.adversarial._auxiliary import mutual_information_penalty
from jgen.adversarial._auxiliary import q_size
from jgen.adversarial._auxiliary import sample_codes
from jgen.adversarial._game import Auxiliary
from jgen.adversarial._game import Game
from jgen.adversarial._game import real_examples
from jgen.adversarial._game import structured_game


def labelled_batch(batch) -> tuple[jax.Array, jax.Array]:
  """``(x, y)`` of a labelled batch ``{"x": ..., "y": ints [B]}``.

  Raises:
    ValueError: the batch is not a dict with ``"x"`` and ``"y"`` (a
      class-conditional game needs labelled data).
  """
  if not isinstance(batch, dict) or not {"x", "y"} <= set(batch):
    raise ValueError("a class-conditional GAN needs labelled batches "
                     "{'x': examples, 'y': labels}; got "
                     f"{type(batch).__name__}"
                     + (f" with keys {sorted(batch)}" if isinstance(
                         batch, dict) else "") + ".")
  return batch["x"], batch["y"]


def _conditioned(generator, sample_latent, n_classes):
  def draw(u, key, batch):
    x, y = labelled_batch(batch)
    z = sample_latent(key, x.shape[0])
    fake = generator(u, jnp.concatenate([z, jax.nn.one_hot(y, n_classes)], 1))
    return x, fake, y, y
  return draw


def conditional_gan(critic: Callable, generator: Callable,
                    sample_latent: Callable, *, n_classes: int,
                    loss="minimax", penalty=None,
                    noise_std: float = 0.0,
                    augment: Callable | None = None) -> Game:
  """The conditional GAN of Mirza & Osindero (2014), eq. (2).

  ``min_G max_D E[log D(x | y)] + E[log(1 - D(G(z | y) | y))]`` (with any
  loss of :data:`jgen.adversarial.LOSSES`): the critic scores an example
  under its label.

  Args:
    critic: ``critic(v, x, y) -> logits [B]`` (e.g. :class:`jgen.nets.Critic`
      with ``n_classes``; concatenation or projection).
    generator: ``generator(u, [z | one_hot(y)]) -> x [B, ...]``.
    sample_latent: ``sample_latent(key, n) -> z [n, L]``.
    n_classes: C.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.
    noise_std: instance-noise standard deviation.
    augment: DiffAugment's ``augment(key, x)`` for real and generated
      examples (:func:`jgen.adversarial.structured_game`), or None.

  Returns:
    The :class:`Game`; batches are ``{"x", "y"}``.

  Raises:
    ValueError: ``n_classes < 2``; an unknown loss or penalty.
  """
  _checks.integer(n_classes, "n_classes", low=2)
  return structured_game(lambda v, x, y: (critic(v, x, y), None),
                         _conditioned(generator, sample_latent, n_classes),
                         loss=loss, penalty=penalty, noise_std=noise_std,
                         augment=augment)


def acgan(critic: Callable, generator: Callable, sample_latent: Callable, *,
          n_classes: int, loss="minimax", penalty=None,
          noise_std: float = 0.0,
          augment: Callable | None = None) -> Game:
  """AC-GAN (Odena et al. 2017): the critic also classifies.

  The critic maximises ``L_S + L_C`` and the generator ``L_C - L_S``
  (eq. (3)); here ``L_S`` is any loss of :data:`jgen.adversarial.LOSSES` and
  the classification terms (:func:`acgan_critic_loss`,
  :func:`acgan_generator_loss`) are weighted by ``hparams["aux_weight"]``
  (Odena et al. weigh them 1; TF-GAN's ``aux_cond_*_weight``).

  Args:
    critic: ``critic(v, x) -> (logits [B], class_logits [B, C])``.
    generator: ``generator(u, [z | one_hot(y)]) -> x [B, ...]``.
    sample_latent: ``sample_latent(key, n) -> z [n, L]``.
    n_classes: C.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.
    noise_std: instance-noise standard deviation.
    augment: DiffAugment's ``augment(key, x)`` for real and generated
      examples (:func:`jgen.adversarial.structured_game`), or None.

  Returns:
    The :class:`Game`; batches are ``{"x", "y"}``, hparams need
    ``aux_weight``.

  Raises:
    ValueError: ``n_classes < 2``; an unknown loss or penalty.
  """
  _checks.integer(n_classes, "n_classes", low=2)
  aux = Auxiliary(
      generator=lambda c_fake, y, hp: hp["aux_weight"] * jnp.mean(
          acgan_generator_loss(c_fake, y)),
      critic=lambda c_real, c_fake, batch, y, hp: hp["aux_weight"] * jnp.mean(
          acgan_critic_loss(c_real, c_fake, batch["y"], y)))
  return structured_game(lambda v, x, y: critic(v, x),
                         _conditioned(generator, sample_latent, n_classes),
                         loss=loss, penalty=penalty, noise_std=noise_std,
                         augment=augment, auxiliary=aux)


def infogan(critic: Callable, generator: Callable, sample_latent: Callable, *,
            n_categorical: int = 10, n_continuous: int = 2, loss="minimax",
            penalty=None, noise_std: float = 0.0,
            augment: Callable | None = None,
            q_params: Callable | None = None,
            q_augment: Callable | None = None) -> Game:
  """InfoGAN (Chen et al. 2016, eq. (6)): ``min_{G,Q} max_D V(D, G) - lambda
  L_I(G, Q)``.

  The codes ``c ~ Cat(1/K) x U(-1, 1)^M`` (:func:`sample_codes`) enter the
  generator beside ``z``; ``Q`` is the critic's auxiliary head, so the critic
  player ``v`` holds ``Q`` and both players minimise the weighted
  :func:`mutual_information_penalty`: ``hparams["info_weight"]`` (lambda)
  times the categorical code's term plus ``hparams["continuous_weight"]``
  times the continuous codes'. Chen et al. (Appendix C) take lambda = 1 for
  discrete codes and a smaller one for continuous codes, whose term (a
  differential entropy) is on another scale. The batch needs no labels.

  Args:
    critic: ``critic(v, x) -> (logits [B], q_out [B, q_size(K, M)])``.
    generator: ``generator(u, [z | code_vector(c)]) -> x [B, ...]``.
    sample_latent: ``sample_latent(key, n) -> z [n, L]``.
    n_categorical: K (0 for none, else >= 2).
    n_continuous: M.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.
    noise_std: instance-noise standard deviation.
    augment: DiffAugment's ``augment(key, x)`` for real and generated
      examples (:func:`jgen.adversarial.structured_game`), or None.
    q_params: None (``Q``'s term trains the body it shares with ``D``, as
      Chen et al.), or ``q_params(v) -> v'``, the parameters ``Q``'s term is
      computed with in the critic's loss: :func:`jgen.nets.stop_body_gradient`
      trains the ``Q`` head alone on the features the adversarial loss
      shapes. The generator's term is unchanged.
    q_augment: None, or ``q_augment(key, x) -> x``, transformations that
      should not change a generated image's category (small shifts and
      rotations; :func:`jgen.adversarial.diff_augment`): the categorical
      term is then also taken on ``Q(q_augment(G(z, c)))`` against the same
      ``c``, in both players' losses, so the code cannot hold what the
      transformation changes (the invariance of Ojha et al. 2020,
      "Elastic-InfoGAN", Section 3.2, asked of Q's own term rather than of
      a contrastive loss). The adversarial loss sees the images unchanged.

  Returns:
    The :class:`Game`; hparams need ``info_weight`` and
    ``continuous_weight``.

  Raises:
    ValueError: negative code sizes, ``K = 1``, no code; an unknown loss or
      penalty.
  """
  q_size(n_categorical, n_continuous)      # checks the sizes

  def draw(u, key, batch):
    real = real_examples(batch)
    k_z, k_c = jax.random.split(key)
    cat, cont = sample_codes(k_c, real.shape[0], n_categorical, n_continuous)
    z = sample_latent(k_z, real.shape[0])
    fake = generator(u, jnp.concatenate(
        [z, code_vector(cat, cont, n_categorical)], 1))
    # The condition, unused by the critic, carries the key of q_augment.
    cond = None if q_augment is None else jax.random.fold_in(key, 3)
    return real, fake, cond, (cat, cont)

  k, m = n_categorical, n_continuous
  if q_augment is not None and not k:
    raise ValueError("q_augment: asks the categorical code to be invariant; "
                     "n_categorical is 0.")

  def score(v, x, key):
    logits, q = critic(v, x)
    if q_augment is None:
      return logits, q
    return logits, (q, critic(v, q_augment(key, x))[1][:, :k])

  def penalty_of(q, code, hp):
    cat, cont = code
    q, q_moved = (q, None) if q_augment is None else q
    cat_term = mutual_information_penalty(q[:, :k], cat, cont[:, :0],
                                          n_categorical=k, n_continuous=0)
    if q_moved is not None:
      cat_term = cat_term + mutual_information_penalty(
          q_moved, cat, cont[:, :0], n_categorical=k, n_continuous=0)
    cont_term = mutual_information_penalty(q[:, k:], cat, cont,
                                           n_categorical=0, n_continuous=m)
    return jnp.mean(hp["info_weight"] * cat_term
                    + hp["continuous_weight"] * cont_term)

  aux = Auxiliary(generator=penalty_of,
                  critic=lambda q_real, q_fake, batch, code, hp: penalty_of(
                      q_fake, code, hp))
  return structured_game(score, draw, loss=loss,
                         penalty=penalty, noise_std=noise_std, augment=augment,
                         auxiliary=aux,
                         aux_params=q_params)
