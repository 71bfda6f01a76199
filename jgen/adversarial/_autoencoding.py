r"""Autoencoders trained against critics: the adversarial autoencoder
(Makhzani et al. 2015) and VAE-GAN (Larsen et al. 2016), as games.

The autoencoder ``u`` (encoder ``q(z | x)`` and decoder ``p(x | z)``) and a
critic ``v`` on codes ``z``: the critic tells samples of the prior ``p(z)``
(its "real" examples) from codes of data ``q(z | x)`` (its "fake" ones), and
the encoder, the generator of this GAN, matches the aggregated posterior
``q(z) = E_x[q(z | x)]`` to the prior (Section 2). The autoencoder minimises
``mean(-log p(x | enc(x))) + mean(generator loss of D(enc(x)))``: the
reconstruction and regularisation phases of Makhzani et al.'s Section 2,
summed into one step (any schedule of :mod:`jgen.minimax` applies).

The semi-supervised AAE (Section 5, Fig. 8) encodes ``x`` to a categorical
``y`` (a softmax) and a style ``z``; two critics, one matching ``y`` to
``Cat(1/C)`` and one matching ``z`` to the Gaussian prior, score ``[y | z]``
as two logits per example (the losses and R1/R2 penalties act on each
critic separately), and the labelled minibatch adds ``alpha`` times the
cross-entropy of ``q(y | x)`` (the semi-supervised classification phase).

Priors (:data:`PRIORS`, :func:`sample_prior`): ``gaussian`` ``N(0, I)``;
``mixture``, ten Gaussians of standard deviation 0.5 with means on a circle
of radius 4 in the first two coordinates (Makhzani et al., Fig. 4), the other
coordinates ``N(0, 1)``.

VAE-GAN (:func:`vaegan`) has the critic on images instead: a VAE whose
reconstruction error is measured in the critic's features, trained with the
critic's GAN loss on its reconstructions and samples.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import divergences
from jgen import likelihoods
from jgen.adversarial._game import Auxiliary
from jgen.adversarial._game import Game
from jgen.adversarial._game import real_examples
from jgen.adversarial._game import resolve
from jgen.adversarial._game import structured_game

PRIORS = ("gaussian", "mixture")
MIXTURE_COMPONENTS, MIXTURE_RADIUS, MIXTURE_STD = 10, 4.0, 0.5


def mixture_means(latent_dim: int) -> jax.Array:
  """The ``mixture`` prior's component means, [10, latent_dim]."""
  angle = 2 * jnp.pi * jnp.arange(MIXTURE_COMPONENTS) / MIXTURE_COMPONENTS
  circle = MIXTURE_RADIUS * jnp.stack([jnp.cos(angle), jnp.sin(angle)], 1)
  return jnp.pad(circle, ((0, 0), (0, latent_dim - 2)))


def sample_prior(key: jax.Array, n: int, latent_dim: int,
                 prior: str = "gaussian") -> jax.Array:
  """``n`` draws of an AAE prior.

  Args:
    key: PRNG key.
    n: number of draws.
    latent_dim: L (>= 2 for ``mixture``).
    prior: a name of :data:`PRIORS`.

  Returns:
    [n, L] float32.

  Raises:
    ValueError: an unknown prior, ``latent_dim < 1``, or ``mixture`` with
      ``latent_dim < 2``.
  """
  _check_prior(prior, latent_dim)
  k_c, k_z = jax.random.split(key)
  z = jax.random.normal(k_z, (n, latent_dim), jnp.float32)
  if prior == "gaussian":
    return z
  comp = jax.random.randint(k_c, (n,), 0, MIXTURE_COMPONENTS)
  scale = jnp.ones(latent_dim).at[:2].set(MIXTURE_STD)
  return mixture_means(latent_dim)[comp] + scale * z


def _check_prior(prior: str, latent_dim: int) -> None:
  _checks.choice(prior, "prior", PRIORS)
  _checks.integer(latent_dim, "latent_dim", low=2 if prior == "mixture" else 1)


def aae(encode: Callable, decode_log_prob: Callable, critic: Callable, *,
        latent_dim: int, prior: str = "gaussian", loss="minimax",
        penalty=None) -> Game:
  """The adversarial autoencoder (Makhzani et al. 2015, Section 2).

  ``loss_u = mean(-log p(x | enc(x))) + mean(LOSSES[loss].generator(D(enc(x))))``
  and ``loss_v = mean(LOSSES[loss].critic(D(z_prior), D(enc(x)))) + gamma
  mean(penalty)``, with ``gamma = hparams["reg_weight"]``.

  Args:
    encode: ``encode(u, x) -> z [B, L]`` (deterministic, Makhzani et al.'s
      first choice; a Gaussian encoder samples inside).
    decode_log_prob: ``decode_log_prob(u, z, x) -> log p(x | z) [B]``.
    critic: ``critic(v, z) -> logits [B]``.
    latent_dim: L.
    prior: a name of :data:`PRIORS`.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.

  Returns:
    The :class:`Game` (``u`` the autoencoder, ``v`` the critic); batches are
    arrays or ``{"x": ...}``.

  Raises:
    ValueError: an unknown prior, loss or penalty; a bad ``latent_dim``.
  """
  _check_prior(prior, latent_dim)

  def draw(u, key, batch):
    x = real_examples(batch)
    z = encode(u, x)
    recon = -jnp.mean(decode_log_prob(u, z, x))
    return sample_prior(key, x.shape[0], latent_dim, prior), z, None, recon

  return structured_game(
      lambda v, z, cond: (critic(v, z), None), draw, loss=loss,
      penalty=penalty,
      auxiliary=Auxiliary(generator=lambda aux, recon, hp: recon,
                          critic=lambda *args: 0.0))


def semi_supervised_aae(encode: Callable, decode_log_prob: Callable,
                        critic: Callable, *, n_classes: int,
                        latent_dim: int, loss="minimax",
                        penalty=None) -> Game:
  """The semi-supervised AAE (Makhzani et al. 2015, Section 5, Fig. 8).

  ``encode(u, x) -> (class_logits [B, C], z [B, L])``; the decoder sees
  ``[softmax(class_logits) | z]``; the critic scores ``[y | z]`` with two
  logits, ``critic(v, [y | z]) -> [B, 2]`` (column 0 the categorical critic
  on ``y``, column 1 the Gaussian critic on ``z``), against prior draws
  ``[one_hot(c) | z]``, ``c ~ Cat(1/C)``, ``z ~ N(0, I)``. Batches are
  ``{"x_u": unlabelled, "x_l": labelled, "y_l": labels}`` (what
  :func:`jgen.models.ssvae.batches` draws); ``loss_u`` adds ``hparams["alpha"] *
  mean(-log q(y_l | x_l))``.

  Args:
    encode: ``encode(u, x) -> (class_logits, z)``.
    decode_log_prob: ``decode_log_prob(u, yz [B, C + L], x) -> [B]``.
    critic: ``critic(v, yz) -> [B, 2]`` logits.
    n_classes: C.
    latent_dim: L.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.

  Returns:
    The :class:`Game`; hparams need ``alpha`` (and ``reg_weight``).

  Raises:
    ValueError: ``n_classes < 2``, ``latent_dim < 1``; an unknown loss or
      penalty.
  """
  _checks.integer(n_classes, "n_classes", low=2)
  _checks.integer(latent_dim, "latent_dim", low=1)

  def draw(u, key, batch):
    x = batch["x_u"]
    logits, z = encode(u, x)
    yz = jnp.concatenate([jax.nn.softmax(logits), z], 1)
    recon = -jnp.mean(decode_log_prob(u, yz, x))
    xent = -jnp.mean(likelihoods.categorical_log_prob(
        batch["y_l"], logits=encode(u, batch["x_l"])[0]))
    k_c, k_z = jax.random.split(key)
    prior = jnp.concatenate([
        jax.nn.one_hot(jax.random.randint(k_c, (x.shape[0],), 0, n_classes),
                       n_classes),
        jax.random.normal(k_z, (x.shape[0], latent_dim))], 1)
    return prior, yz, None, (recon, xent)

  return structured_game(
      lambda v, yz, cond: (critic(v, yz), None), draw, loss=loss,
      penalty=penalty,
      auxiliary=Auxiliary(
          generator=lambda aux, terms, hp: terms[0] + hp["alpha"] * terms[1],
          critic=lambda *args: 0.0))


def _penalised_critic_loss(pair, pen, critic_logits, v, real, fake, key, hp):
  value = jnp.mean(pair.critic(critic_logits(v, real),
                               critic_logits(v, fake)))
  if pen is not None:
    value = value + hp["reg_weight"] * jnp.mean(pen(
        critic_logits, v, real, jax.lax.stop_gradient(fake), key))
  return value


def feature_distance(real_features: jax.Array,
                     fake_features: jax.Array) -> jax.Array:
  """``1/2 ||Dis_l(x) - Dis_l(x~)||^2`` per example: ``-log`` of Larsen et
  al.'s (2016) Gaussian ``p(Dis_l(x) | z) = N(Dis_l(x~), I)`` (eq. (6)) up to
  its constant.

  Args:
    real_features: the critic's layer ``l`` on data, [B, F].
    fake_features: on reconstructions, [B, F].

  Returns:
    [B] distances.
  """
  return 0.5 * jnp.sum(jnp.square(real_features - fake_features), -1)


def vaegan(encode: Callable, decode: Callable, critic: Callable, *,
           latent_dim: int, loss="minimax", penalty=None) -> Game:
  """VAE-GAN (Larsen et al. 2016, Algorithm 1): a VAE whose reconstruction is
  measured in a critic layer, trained against that critic.

  With ``z ~ q(z | x)``, ``x~ = Dec(z)``, ``x_p = Dec(z_p)``, ``z_p ~ N(0,
  I)``, ``L_prior = KL(q(z | x) || p(z))`` and ``L_llike =``
  :func:`feature_distance` of ``Dis_l(x)`` and ``Dis_l(x~)``:

  * encoder: ``L_prior + L_llike``;
  * decoder: ``gamma L_llike`` plus the GAN generator loss on ``x~`` and
    ``x_p`` (``gamma = hparams["recon_weight"]``, traced);
  * critic: the GAN critic loss of data against the even mixture of
    reconstructions and samples (Larsen et al.'s ``L_GAN`` with both fake
    terms), plus ``reg_weight`` times the penalty.

  The three losses are one ``loss_u`` whose gradient reaches each network
  only through its own terms: the encoder's ``L_llike`` goes through a
  decoder with stopped parameters, the decoder's through stopped codes.

  Args:
    encode: ``encode(u, x) -> (mean, log_scale)`` of ``q(z | x)``, [B, L].
    decode: ``decode(u, z) -> x~`` [B, D] (reads only the decoder's
      parameters in ``u``).
    critic: ``critic(v, x) -> (logits [B], features [B, F])``.
    latent_dim: L.
    loss: a name of :data:`jgen.adversarial.LOSSES` or a ``GanLoss``.
    penalty: None, a name of :data:`jgen.adversarial.PENALTIES` or a penalty.

  Returns:
    The :class:`Game` (``u`` the encoder and decoder, ``v`` the critic);
    hparams need ``recon_weight`` and ``reg_weight``.

  Raises:
    ValueError: ``latent_dim < 1``; an unknown loss or penalty.
  """
  _checks.integer(latent_dim, "latent_dim", low=1)
  pair, pen = resolve(loss, penalty)
  logits_of = lambda v, x: critic(v, x)[0]

  def fakes(u, key, x):
    k_q, k_p = jax.random.split(key)
    mean, log_scale = encode(u, x)
    z = mean + jnp.exp(log_scale) * jax.random.normal(k_q, mean.shape)
    z_p = jax.random.normal(k_p, mean.shape)
    both = decode(u, jnp.concatenate([jax.lax.stop_gradient(z), z_p]))
    return mean, log_scale, z, both

  def loss_u(u, v, key, batch, hp):
    x = real_examples(batch)
    mean, log_scale, z, both = fakes(u, key, x)
    _, f_x = critic(v, x)
    _, f_enc = critic(v, decode(jax.lax.stop_gradient(u), z))
    logits, f_both = critic(v, both)
    prior = jnp.mean(divergences.kl_diag_gaussians(mean, log_scale))
    llike_enc = jnp.mean(feature_distance(f_x, f_enc))
    llike_dec = jnp.mean(feature_distance(f_x, f_both[:x.shape[0]]))
    return (prior + llike_enc + hp["recon_weight"] * llike_dec
            + jnp.mean(pair.generator(logits)))

  def loss_v(u, v, key, batch, hp):
    x = real_examples(batch)
    both = jax.lax.stop_gradient(fakes(u, key, x)[3])
    return _penalised_critic_loss(pair, pen, logits_of, v,
                                  jnp.concatenate([x, x]), both,
                                  jax.random.fold_in(key, 7), hp)
  return Game(loss_u=loss_u, loss_v=loss_v)
