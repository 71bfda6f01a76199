r"""Autoencoders trained against critics, assembled: networks, game, step.

:func:`make_vaegan` builds VAE-GAN (Larsen et al. 2016,
:func:`jgen.adversarial.vaegan`): a Gaussian encoder, the GAN's generator as
decoder and the GAN's critic, whose body's last layer measures the
reconstruction (DCGAN-style networks for images, MLPs for vectors).

:func:`make` builds the adversarial autoencoder of Makhzani et al. (2015)
(:func:`jgen.adversarial.aae`; a Gaussian or 10-component mixture prior) or,
with ``n_classes``, its semi-supervised version
(:func:`jgen.adversarial.semi_supervised_aae`): MLP encoder and decoder
(Bernoulli pixels), MLP critics on the codes, Adam for both players, and the
:func:`jgen.minimax.make_step` step, so :func:`jgen.train.train` trains it
like any GAN (player ``u`` the autoencoder ``{"encoder", "decoder"}``,
player ``v`` the critic). Makhzani et al. use two hidden layers of 1,000
units for every network on MNIST (Appendix A).

The semi-supervised AAE trains on the batches of :func:`jgen.ssvae.batches`
(``{"x_l", "y_l", "x_u"}``, labelled subsets from
:func:`jgen.data.labelled_subset`) and predicts ``argmax q(y | x)``
(:func:`class_logits`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jgen import _checks
from jgen import adversarial
from jgen import likelihoods
from jgen import minimax
from jgen import nets


class AAE(NamedTuple):
  """A configured adversarial autoencoder (or VAE-GAN, :func:`make_vaegan`).

  Attributes:
    encoder: ``x -> z`` (or ``x -> [class logits | z]``), a
      :class:`jgen.nets.MLP`.
    decoder: ``z`` (or ``[y | z]``) -> Bernoulli logits, a
      :class:`jgen.nets.MLP`.
    critic: the critic on codes (:class:`jgen.nets.Critic`, or
      :class:`jgen.nets.SplitCritic` for the semi-supervised AAE).
    game: the :class:`jgen.adversarial.Game`.
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    players: the players' :class:`jgen.minimax.Players`.
    init: ``init(key) -> MinimaxState``.
    encode: ``encode(u, x) -> z [B, L]`` (``(class_logits, z)`` when
      semi-supervised).
    sample: ``sample(u, key, n) -> [n, D]`` decoded prior draws (means of the
      Bernoulli pixels; classes ``i mod C`` when semi-supervised).
    latent_dim: L.
    prior: a name of :data:`jgen.adversarial.PRIORS`.
    n_classes: C of the semi-supervised AAE, 0 for the unsupervised one.
  """
  encoder: nn.Module
  decoder: nn.Module
  critic: nn.Module
  game: adversarial.Game
  step: Callable
  players: minimax.Players
  init: Callable
  encode: Callable
  sample: Callable
  latent_dim: int
  prior: str
  n_classes: int


def make(data_dim: int, *, latent_dim: int = 8, prior: str = "gaussian",
         hidden=(1000, 1000), n_classes: int = 0,
         loss: str = "non_saturating", penalty: str | None = None,
         method: str = "simultaneous",
         betas: tuple[float, float] = (0.5, 0.999)) -> AAE:
  """Builds an :class:`AAE` (all arguments checked here).

  Args:
    data_dim: D, the size of a flat example in [0, 1].
    latent_dim: L.
    prior: a name of :data:`jgen.adversarial.PRIORS` (unsupervised only; the
      semi-supervised style prior is ``N(0, I)``).
    hidden: hidden widths of every network.
    n_classes: 0 for the AAE, C >= 2 for the semi-supervised AAE.
    loss: a name of :data:`jgen.adversarial.LOSSES`.
    penalty: a name of :data:`jgen.adversarial.PENALTIES` or None.
    method: a name of :data:`jgen.minimax.METHODS`.
    betas: Adam's ``(b1, b2)``.

  Returns:
    The :class:`AAE`; hparams are ``{"lr_u", "lr_v", "reg_weight"}`` plus
    ``"alpha"`` (the classification weight) when semi-supervised.

  Raises:
    ValueError: bad sizes, an unknown prior, loss, penalty or method, or a
      mixture prior with ``n_classes``.
  """
  _checks.integer(data_dim, "data_dim", low=1)
  _checks.integer(n_classes, "n_classes", low=0)
  if n_classes == 1:
    raise ValueError("n_classes must be 0 (unsupervised) or at least 2, got "
                     "1.")
  if n_classes and prior != "gaussian":
    raise ValueError(f"prior: the semi-supervised AAE's style prior is "
                     f"gaussian, got {prior!r}.")
  hidden = tuple(_checks.integer(h, "hidden", low=1) for h in hidden)
  for i, b in enumerate(betas):
    _checks.real(b, f"betas[{i}]", low=0.0, high=0.999999)
  encoder = nets.MLP((*hidden, n_classes + latent_dim))
  decoder = nets.MLP((*hidden, data_dim))
  critic = (nets.SplitCritic(n_classes, latent_dim, hidden) if n_classes
            else nets.Critic(latent_dim, None, hidden))

  def encode(u, x):
    out = encoder.apply(u["encoder"], x)
    return (out[:, :n_classes], out[:, n_classes:]) if n_classes else out

  def decode_log_prob(u, z, x):
    return likelihoods.bernoulli_log_prob(
        x, logits=decoder.apply(u["decoder"], z))

  options = dict(loss=loss, penalty=penalty, latent_dim=latent_dim)
  if n_classes:
    game = adversarial.semi_supervised_aae(encode, decode_log_prob,
                                           critic.apply, n_classes=n_classes,
                                           **options)
  else:
    game = adversarial.aae(encode, decode_log_prob, critic.apply, prior=prior,
                           **options)
  adam = optax.scale_by_adam(*betas)
  players = minimax.Players(adam, adam)
  step = minimax.make_step(game, method, players)

  @jax.jit      # one compile, not one per initialiser op
  def init(key):
    k_e, k_d, k_v = jax.random.split(jax.random.fold_in(key, 1), 3)
    code = jnp.zeros((1, n_classes + latent_dim))
    u = {"encoder": encoder.init(k_e, jnp.zeros((1, data_dim))),
         "decoder": decoder.init(k_d, code)}
    return minimax.init(u, critic.init(k_v, code), players, key=key)

  def sample(u, key, n):
    z = adversarial.sample_prior(key, n, latent_dim,
                                 "gaussian" if n_classes else prior)
    if n_classes:
      z = jnp.concatenate([jax.nn.one_hot(jnp.arange(n) % n_classes,
                                          n_classes), z], 1)
    return jax.nn.sigmoid(decoder.apply(u["decoder"], z))

  return AAE(encoder, decoder, critic, game, step, players, init, encode,
             sample, latent_dim, prior, n_classes)


def make_vaegan(data_dim: int, *, image_shape: tuple[int, int] | None = None,
                latent_dim: int = 32, hidden=(128, 128), width: int = 32,
                loss: str = "non_saturating", penalty: str | None = "r1",
                method: str = "simultaneous",
                betas: tuple[float, float] = (0.5, 0.999)) -> AAE:
  """Builds VAE-GAN (Larsen et al. 2016) as an :class:`AAE` record.

  Args:
    data_dim: D, the size of a flat example in [0, 1].
    image_shape: ``(H, W)`` of :data:`jgen.nets.IMAGE_SHAPES` for conv
      networks, or None for MLPs.
    latent_dim: L.
    hidden: MLP widths (the encoder's after its conv stack).
    width: the conv generator's and critic's channels.
    loss: a name of :data:`jgen.adversarial.LOSSES`.
    penalty: a name of :data:`jgen.adversarial.PENALTIES` or None.
    method: a name of :data:`jgen.minimax.METHODS`.
    betas: Adam's ``(b1, b2)``.

  Returns:
    The record (``encode(u, x)`` gives the posterior means; ``sample``
    decodes ``N(0, I)`` draws); hparams are ``{"lr_u", "lr_v",
    "reg_weight", "recon_weight"}``.

  Raises:
    ValueError: bad sizes or shapes, an unknown loss, penalty or method.
  """
  _checks.integer(data_dim, "data_dim", low=1)
  _checks.integer(latent_dim, "latent_dim", low=1)
  hidden = tuple(_checks.integer(h, "hidden", low=1) for h in hidden)
  for i, b in enumerate(betas):
    _checks.real(b, f"betas[{i}]", low=0.0, high=0.999999)
  encoder = nets.GaussianEncoder(latent_dim, hidden, image_shape)
  decoder = nets.Generator(data_dim, image_shape, hidden, width)
  critic = nets.Critic(data_dim, image_shape, hidden, width)
  game = adversarial.vaegan(
      lambda u, x: encoder.apply(u["encoder"], x),
      lambda u, z: decoder.apply(u["decoder"], z),
      lambda v, x: critic.apply(v, x, with_features=True),
      latent_dim=latent_dim, loss=loss, penalty=penalty)
  adam = optax.scale_by_adam(*betas)
  players = minimax.Players(adam, adam)
  step = minimax.make_step(game, method, players)

  @jax.jit      # one compile, not one per initialiser op
  def init(key):
    k_e, k_d, k_v = jax.random.split(jax.random.fold_in(key, 1), 3)
    x = jnp.zeros((1, data_dim))
    u = {"encoder": encoder.init(k_e, x),
         "decoder": decoder.init(k_d, jnp.zeros((1, latent_dim)))}
    return minimax.init(u, critic.init(k_v, x), players, key=key)

  def sample(u, key, n):
    return decoder.apply(u["decoder"], jax.random.normal(key, (n, latent_dim)))

  return AAE(encoder, decoder, critic, game, step, players, init,
             lambda u, x: encoder.apply(u["encoder"], x)[0], sample,
             latent_dim, "gaussian", 0)


def class_logits(a: AAE, u, x) -> jax.Array:
  """The semi-supervised AAE's classifier ``q(y | x)`` (Makhzani et al.
  2015, Section 5): its class logits, for :func:`jgen.metrics.error_rate`.

  Args:
    a: a semi-supervised :class:`AAE`.
    u: the autoencoder's parameters (``state.u``).
    x: images, [N, D].

  Returns:
    Class logits, [N, C] (traceable).

  Raises:
    ValueError: ``a`` is not semi-supervised.
  """
  if not a.n_classes:
    raise ValueError("class_logits needs a semi-supervised AAE "
                     "(n_classes > 0).")
  return a.encode(u, x)[0]
