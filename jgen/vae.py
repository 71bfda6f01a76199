r"""Variational autoencoders: models and objectives by name (lecture notes 001,
003, 004).

:class:`VAE` pairs a :class:`jgen.nets.GaussianEncoder` with a
:class:`jgen.nets.Decoder`; with ``n_classes > 0`` both are conditioned on a
one-hot label (conditional VAE, Sohn et al. 2015: ``q(z | x, c)``,
``p(x | z, c)``). :func:`make_loss` builds the objective
``loss(params, key, batch, *, hparams) -> (loss, aux)`` for a name of
``OBJECTIVES``:

========== ==================================================================
vae        negative ELBO (Kingma & Welling 2014, eq. 10)
beta_vae   negative beta-ELBO with ``hparams["beta"]`` (Higgins et al. 2017)
iwae       negative IWAE bound with K = ``num_samples`` (Burda et al. 2016)
cvae       negative conditional ELBO (Sohn et al. 2015, eq. 4)
mog_vae    negative bound of the mixture-of-Gaussians prior VAE: q(c | x)
           categorical, q(z | x) Gaussian, p(z | c) = N(mu_c, I), p(c)
           uniform (lecture notes 003; Dilokthanakul et al. 2016):
           E_q log p(x|z) + sum_c q(c|x) [E_q log p(z|c) + log p(c)
           - log q(c|x)] + H[q(z|x)]
========== ==================================================================

Decoder likelihoods (``LIKELIHOODS``): ``bernoulli`` (logits) and
``gaussian`` (fixed ``log_scale`` or, with ``learn_scale=True``, one learned
log-scale per pixel). With ``binarize=True`` pixel intensities in [0, 1] are
binarised afresh at every step, ``x ~ Bernoulli(intensity)`` (dynamic
binarisation, as is standard for MNIST; Salakhutdinov & Murray 2008).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jgen import _checks
from jgen import elbo
from jgen import likelihoods
from jgen import nets

OBJECTIVES = ("vae", "beta_vae", "iwae", "cvae", "mog_vae")
LIKELIHOODS = ("bernoulli", "gaussian")


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
    learn_scale: learn a per-pixel Gaussian log-scale (else ``log_scale``).
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

  def setup(self):
    self.encoder = nets.GaussianEncoder(self.latent_dim, self.hidden,
                                        self.conv)
    self.decoder = nets.Decoder(self.output_dim, tuple(reversed(self.hidden)),
                                self.conv)
    if self.n_clusters:
      self.cluster_net = nets.MLP(tuple(self.hidden) + (self.n_clusters,))
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

  def log_prob(self, z, x, y=None):
    """``log p(x | z[, c])`` for z [S, B, L] and x [B, D]: [S, B]."""
    out = self.decoder(z, self._context(y))
    if self.likelihood == "bernoulli":
      return likelihoods.bernoulli_log_prob(x, logits=out)
    scale = self.pixel_log_scale if self.learn_scale else self.log_scale
    return likelihoods.gaussian_log_prob(x, mean=out, log_scale=scale)

  def cluster_logits(self, x):
    """Logits of ``q(c | x)``, [B, K] (needs ``n_clusters > 0``)."""
    return self.cluster_net(x.reshape(x.shape[0], -1))

  def mixture_prior_terms(self, x, mean, log_scale):
    """``sum_c q(c|x) [E_q log p(z|c) + log p(c) - log q(c|x)] + H[q(z|x)]``
    in closed form, [B], and ``q(c | x)`` [B, K]."""
    log_qc = jax.nn.log_softmax(self.cluster_logits(x))
    qc = jnp.exp(log_qc)
    dim = mean.shape[-1]
    sq = jnp.sum(jnp.square(mean[:, None, :] - self.cluster_means[None]), -1)
    e_log_pz = -0.5 * (dim * jnp.log(2 * jnp.pi) + sq
                       + jnp.sum(jnp.exp(2 * log_scale), -1)[:, None])
    entropy_z = jnp.sum(0.5 * (1 + jnp.log(2 * jnp.pi)) + log_scale, -1)
    log_pc = -jnp.log(self.n_clusters)
    return jnp.sum(qc * (e_log_pz + log_pc - log_qc), -1) + entropy_z, qc

  def prior_log_prob(self, z):
    """``log p(z)``: N(0, I), or the mixture ``mean_c N(z | mu_c, I)``."""
    if not self.n_clusters:
      return elbo.standard_normal_log_prob(z)
    comp = likelihoods.gaussian_log_prob(z[..., None, :],
                                         mean=self.cluster_means, log_scale=0.0)
    return jax.nn.logsumexp(comp, axis=-1) - jnp.log(self.n_clusters)

  def decode_mean(self, z, y=None):
    """Mean of ``p(x | z)``: sigmoid(logits) or the Gaussian mean."""
    out = self.decoder(z, self._context(y))
    return jax.nn.sigmoid(out) if self.likelihood == "bernoulli" else out

  def __call__(self, x, y=None):
    mean, log_scale = self.encode(x, y)
    out = self.log_prob(mean[None], x, y)
    if self.n_clusters:                       # creates the mixture parameters
      out = out + self.mixture_prior_terms(x, mean, log_scale)[0]
    return out


def binarize(key: jax.Array, x: jax.Array) -> jax.Array:
  """Dynamic binarisation ``x ~ Bernoulli(x)`` of intensities in [0, 1]."""
  return jax.random.bernoulli(key, x).astype(x.dtype)


def bound_fns(model: VAE, params, y=None) -> dict:
  """``encode``, ``decoder_log_prob`` and ``prior_log_prob`` closures for
  :mod:`jgen.elbo` (``prior_log_prob`` is None for the N(0, I) prior)."""
  return {
      "encode": lambda x: model.apply(params, x, y, method=VAE.encode),
      "decoder_log_prob": lambda z, x: model.apply(params, z, x, y,
                                                   method=VAE.log_prob),
      "prior_log_prob": (lambda z: model.apply(params, z,
                                               method=VAE.prior_log_prob))
                        if model.n_clusters else None}


def make_loss(model: VAE, objective: str, *, num_samples: int = 1,
              binarize_data: bool = False) -> Callable:
  """The objective ``loss(params, key, batch, *, hparams) -> (loss, aux)``.

  Args:
    model: a :class:`VAE`.
    objective: a name of ``OBJECTIVES``.
    num_samples: samples of z per example (K for ``iwae``).
    binarize_data: binarise ``batch["x"]`` dynamically.

  Returns:
    The loss (mean over the batch of the negative bound) and ``aux`` with the
    batch means of ``elbo``, ``reconstruction`` and ``kl`` (and ``iwae``).

  Raises:
    ValueError: unknown objective, ``num_samples < 1``, or ``cvae`` with a
      model that has no classes.
  """
  _checks.choice(objective, "objective", OBJECTIVES)
  _checks.integer(num_samples, "num_samples", low=1)
  if objective == "cvae" and model.n_classes == 0:
    raise ValueError("objective 'cvae' needs a VAE with n_classes > 0.")
  if objective == "mog_vae" and model.n_clusters == 0:
    raise ValueError("objective 'mog_vae' needs a VAE with n_clusters > 0.")

  def loss(params, key, batch, *, hparams):
    k_bin, k_z = jax.random.split(key)
    x = binarize(k_bin, batch["x"]) if binarize_data else batch["x"]
    y = batch.get("y") if model.n_classes else None
    fns = bound_fns(model, params, y)
    encode, log_prob = fns["encode"], fns["decoder_log_prob"]
    beta = hparams.get("beta", 1.0) if objective == "beta_vae" else 1.0
    terms = elbo.elbo(k_z, x, encode, log_prob, num_samples=num_samples,
                      beta=beta)
    aux = {k: jnp.mean(v) for k, v in terms.items()}
    if objective == "iwae":
      bound = elbo.iwae(k_z, x, encode, log_prob, num_samples=num_samples)
      aux["iwae"] = jnp.mean(bound)
    elif objective == "mog_vae":
      mean, log_scale = encode(x)
      prior_terms, _ = model.apply(params, x, mean, log_scale,
                                   method=VAE.mixture_prior_terms)
      bound = terms["reconstruction"] + prior_terms
      aux["elbo"], aux["kl"] = jnp.mean(bound), -jnp.mean(prior_terms)
    else:
      bound = terms["elbo"]
    return -jnp.mean(bound), aux
  return loss
