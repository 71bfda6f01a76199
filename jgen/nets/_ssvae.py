"""The M2 semi-supervised VAE's networks (Kingma, Rezende, Mohamed & Welling
2014, Section 2.2).

:class:`M2` is a conditional :class:`jgen.nets.VAE` (encoder ``q(z | x, y)``
and decoder ``p(x | y, z)``, the label entering both as a one-hot vector) plus
the classifier ``q(y | x)`` and the label prior ``p(y)`` (uniform, or learned
logits). The objectives are in :mod:`jgen.variational`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen.nets._mlp import MLP
from jgen.nets._vae import VAE


class M2(nn.Module):
  """``q(y | x)``, ``q(z | x, y)``, ``p(x | y, z)`` and ``p(y)``.

  Attributes:
    latent_dim: L, the size of z.
    output_dim: D, the flattened data size.
    n_classes: C.
    hidden: hidden widths of the classifier, encoder and decoder MLPs
      (Kingma et al. use one layer of 500; Pyro's example 500 as well).
    likelihood: ``"bernoulli"`` (pixels) or ``"gaussian"`` (e.g. M1's
      latent features in M1+M2).
    log_scale: the Gaussian likelihood's fixed log-scale.
    learn_scale: learn the Gaussian's log-scale per dimension instead (the
      authors' M1+M2, ``dpkingma/nips14-ssl``).
    learn_prior: learn ``p(y)`` as softmax logits (else uniform).
  """
  latent_dim: int
  output_dim: int
  n_classes: int = 10
  hidden: Sequence[int] = (500,)
  likelihood: str = "bernoulli"
  log_scale: float = 0.0
  learn_scale: bool = False
  learn_prior: bool = False

  def __post_init__(self):
    _checks.integer(self.n_classes, "n_classes", low=2)
    super().__post_init__()

  def setup(self):
    # The conditional VAE checks latent_dim, output_dim, hidden, likelihood.
    self.vae = VAE(self.latent_dim, self.output_dim, tuple(self.hidden),
                   n_classes=self.n_classes, likelihood=self.likelihood,
                   log_scale=self.log_scale, learn_scale=self.learn_scale)
    self.classifier = MLP(tuple(self.hidden) + (self.n_classes,))
    if self.learn_prior:
      self.prior_logits = self.param("prior_logits", nn.initializers.zeros,
                                     (self.n_classes,))

  def class_logits(self, x):
    """Logits of ``q(y | x)``, [B, C]."""
    return self.classifier(x.reshape(x.shape[0], -1))

  def encode(self, x, y):
    """``(mean, log_scale)`` of ``q(z | x, y)``, [B, L] each; y [B] ints."""
    return self.vae.encode(x, y)

  def log_prob(self, z, x, y, mask=None):
    """``log p(x | y, z)`` for z [S, B, L], x [B, D], y [B]: [S, B] (a
    Gaussian over the dimensions ``mask`` [D] keeps, when given)."""
    return self.vae.log_prob(z, x, y, mask)

  def log_prior_y(self):
    """``log p(y)``, [C]."""
    if self.learn_prior:
      return jax.nn.log_softmax(self.prior_logits)
    return jnp.full((self.n_classes,), -jnp.log(self.n_classes))

  def decode_mean(self, z, y):
    """Mean of ``p(x | y, z)`` (the "styles" and analogies figures)."""
    return self.vae.decode_mean(z, y)

  def __call__(self, x, y):
    """Runs every sub-network once (what ``init`` needs): ``(log p(x | y, z =
    mean of q), logits of q(y | x), log p(y))``."""
    return self.vae(x, y), self.class_logits(x), self.log_prior_y()
