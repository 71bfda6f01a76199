"""Variational autoencoder networks: Gaussian encoder, decoder, the VAE.

:class:`VAE` pairs a :class:`GaussianEncoder` ``q(z | x[, c])`` with a
:class:`Decoder` ``p(x | z[, c])``; with ``n_classes > 0`` both are
conditioned on a one-hot label (conditional VAE, Sohn et al. 2015), with
``n_clusters > 0`` it adds ``q(c | x)`` and the means of a mixture-of-Gaussians
prior. The objectives are in :mod:`jgen.variational`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import likelihoods
from jgen.nets._mlp import MLP

LIKELIHOODS = ("bernoulli", "gaussian")
IMAGE_SHAPES = ((28, 28), (8, 8))


class GaussianEncoder(nn.Module):
  """``q(z | x) = N(mean(x), diag exp(2 log_scale(x)))`` (Kingma & Welling
  2014, Appendix C.2).

  Attributes:
    latent_dim: L.
    hidden: widths of the MLP's hidden layers (after the conv stack, if any).
    conv: image shape ``(H, W)`` for a convolutional front end (28x28 or
      8x8 images, flattened or not), or None for an MLP on flat inputs.
  """
  latent_dim: int
  hidden: Sequence[int] = (400,)
  conv: tuple[int, int] | None = None

  @nn.compact
  def __call__(self, x: jax.Array, context: jax.Array | None = None
               ) -> tuple[jax.Array, jax.Array]:
    """``x`` [B, D] (or [B, H, W]) -> ``(mean, log_scale)``, [B, L] each.

    ``context`` [B, K] (e.g. a one-hot class, for a conditional VAE) enters
    the first dense layer as if concatenated to the features.
    """
    if self.conv is not None:
      h = x.reshape(x.shape[0], *self.conv, 1)
      for features in (32, 64):
        h = nn.relu(nn.Conv(features, (3, 3), strides=(2, 2))(h))
      x = h.reshape(h.shape[0], -1)
    else:
      x = x.reshape(x.shape[0], -1)
    widths = (*self.hidden, 2 * self.latent_dim)
    for i, width in enumerate(widths):
      h = nn.Dense(width)(x)
      if i == 0 and context is not None:
        # W [x; c] as W_x x + W_c c: when only the context varies (M2's sum
        # over classes under vmap), W_x x is computed once, not per class.
        h = h + nn.Dense(width, use_bias=False)(context.astype(x.dtype))
      x = nn.relu(h) if i < len(widths) - 1 else h
    return x[:, :self.latent_dim], x[:, self.latent_dim:]


class Decoder(nn.Module):
  """``z -> `` parameters of ``p(x | z)``: Bernoulli logits or Gaussian means.

  Attributes:
    output_dim: D (pixels, flattened).
    hidden: widths of the MLP's hidden layers.
    conv: image shape ``(H, W)`` (divisible by 4) for a transposed-conv
      back end, or None for an MLP.
  """
  output_dim: int
  hidden: Sequence[int] = (400,)
  conv: tuple[int, int] | None = None

  @nn.compact
  def __call__(self, z: jax.Array, context: jax.Array | None = None
               ) -> jax.Array:
    """``z`` [..., L] -> [..., D]; ``context`` [..., K] is concatenated to z."""
    if context is not None:
      context = jnp.broadcast_to(context, z.shape[:-1] + context.shape[-1:])
      z = jnp.concatenate([z, context.astype(z.dtype)], axis=-1)
    lead = z.shape[:-1]
    h = z.reshape(-1, z.shape[-1])
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    if self.conv is not None:
      height, width = self.conv[0] // 4, self.conv[1] // 4
      h = nn.relu(nn.Dense(height * width * 64)(h)).reshape(-1, height, width,
                                                            64)
      h = nn.relu(nn.ConvTranspose(32, (3, 3), strides=(2, 2))(h))
      h = nn.ConvTranspose(1, (3, 3), strides=(2, 2))(h)
      out = h.reshape(h.shape[0], -1)
    else:
      out = nn.Dense(self.output_dim)(h)
    return out.reshape(*lead, self.output_dim)


class VAE(nn.Module):
  """Encoder ``q(z | x[, c])`` and decoder ``p(x | z[, c])``.

  Attributes:
    latent_dim: L.
    output_dim: D, flattened data size.
    hidden: hidden widths of encoder and decoder MLPs.
    conv: image shape for convolutional networks, or None (MLPs).
    n_classes: C > 0 conditions both networks on a one-hot label.
    n_clusters: K > 0 adds ``q(c | x)`` (an MLP head) and learned prior
      means ``mu_c`` for the mixture-of-Gaussians prior.
    likelihood: ``"bernoulli"`` or ``"gaussian"``.
    learn_scale: learn a per-dimension Gaussian log-scale (else
      ``log_scale``).
    log_scale: fixed Gaussian log-scale.
  """
  latent_dim: int
  output_dim: int
  hidden: Sequence[int] = (400,)
  conv: tuple[int, int] | None = None
  n_classes: int = 0
  n_clusters: int = 0
  likelihood: str = "bernoulli"
  learn_scale: bool = False
  log_scale: float = 0.0

  def __post_init__(self):
    # jgen's own checks, so a bad size names the argument instead of failing
    # deep inside flax at init time.
    _checks.integer(self.latent_dim, "latent_dim", low=1)
    _checks.integer(self.output_dim, "output_dim", low=1)
    for width in self.hidden:
      _checks.integer(width, "hidden", low=1)
    _checks.integer(self.n_classes, "n_classes", low=0)
    _checks.integer(self.n_clusters, "n_clusters", low=0)
    _checks.choice(self.likelihood, "likelihood", LIKELIHOODS)
    _checks.real(self.log_scale, "log_scale")
    if self.conv is not None:
      if tuple(self.conv) not in IMAGE_SHAPES:
        raise ValueError(f"conv must be one of the image shapes "
                         f"{IMAGE_SHAPES} (or None for MLPs), got {self.conv}.")
      if self.output_dim != self.conv[0] * self.conv[1]:
        raise ValueError(f"output_dim ({self.output_dim}) must be the number "
                         f"of pixels of conv={tuple(self.conv)}.")
    super().__post_init__()

  def setup(self):
    self.encoder = GaussianEncoder(self.latent_dim, self.hidden, self.conv)
    self.decoder = Decoder(self.output_dim, tuple(reversed(self.hidden)),
                           self.conv)
    if self.n_clusters:
      self.cluster_net = MLP(tuple(self.hidden) + (self.n_clusters,))
      self.cluster_means = self.param(
          "cluster_means", nn.initializers.normal(1.0),
          (self.n_clusters, self.latent_dim))
    if self.learn_scale:
      self.pixel_log_scale = self.param("pixel_log_scale", nn.initializers.zeros,
                                        (self.output_dim,))

  def _context(self, y):
    return None if self.n_classes == 0 else jax.nn.one_hot(y, self.n_classes)

  def encode(self, x, y=None):
    """``(mean, log_scale)`` of q, [B, L] each."""
    return self.encoder(x, self._context(y))

  def log_prob(self, z, x, y=None, mask=None):
    """``log p(x | z[, c])`` for z [S, B, L] and x [B, D]: [S, B]; a
    Gaussian's ``mask`` [D] (1 kept, 0 left out) sums over the kept
    dimensions only, so a learned scale cannot collapse on a constant one."""
    out = self.decoder(z, self._context(y))
    if self.likelihood == "bernoulli":
      if mask is not None:
        raise ValueError("mask: only the Gaussian likelihood takes one.")
      return likelihoods.bernoulli_log_prob(x, logits=out)
    scale = self.pixel_log_scale if self.learn_scale else self.log_scale
    if mask is None:
      return likelihoods.gaussian_log_prob(x, mean=out, log_scale=scale)
    # A left-out dimension becomes x = mean = log_scale = 0, whose density
    # -log(2 pi) / 2 is added back: no value and no gradient from it.
    kept = likelihoods.gaussian_log_prob(x * mask, mean=out * mask,
                                         log_scale=scale * mask)
    return kept + 0.5 * likelihoods.LOG_2PI * jnp.sum(1 - mask)

  def cluster_logits(self, x):
    """Logits of ``q(c | x)``, [B, K] (needs ``n_clusters > 0``)."""
    return self.cluster_net(x.reshape(x.shape[0], -1))

  def prior_means(self):
    """The mixture prior's component means ``mu_c``, [K, L]."""
    return self.cluster_means

  def prior_log_prob(self, z):
    """``log p(z)``: N(0, I), or the mixture ``mean_c N(z | mu_c, I)``."""
    if not self.n_clusters:
      return likelihoods.gaussian_log_prob(z, mean=0.0, log_scale=0.0)
    comp = likelihoods.gaussian_log_prob(z[..., None, :],
                                         mean=self.cluster_means, log_scale=0.0)
    return likelihoods.mixture_log_prob(
        comp, log_weights=jnp.full(self.n_clusters, -jnp.log(self.n_clusters)))

  def decode_mean(self, z, y=None):
    """Mean of ``p(x | z)``: sigmoid(logits) or the Gaussian mean."""
    out = self.decoder(z, self._context(y))
    return jax.nn.sigmoid(out) if self.likelihood == "bernoulli" else out

  def __call__(self, x, y=None):
    """Runs every sub-network once (what ``init`` needs).

    Returns:
      ``log p(x | z = mean of q)``, [1, B]; with ``n_clusters > 0`` also the
      logits of ``q(c | x)``, [B, K].
    """
    mean, _ = self.encode(x, y)
    out = self.log_prob(mean[None], x, y)
    if self.n_clusters:
      return out, self.cluster_logits(x)
    return out
