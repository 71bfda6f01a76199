r"""Variational bounds: the ELBO, beta-VAE, IWAE, importance-sampled log p(x).

``log p(x) = ELBO(q) + KL(q(z|x) || p(z|x))`` with
``ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))`` (Kingma & Welling
2014, eq. 3). The functions take the model as two
callables, so any encoder/decoder (Flax or closed form) plugs in:

* ``encode(x) -> (mean, log_scale)`` of a diagonal Gaussian ``q(z | x)``,
  [B, L] each;
* ``decoder_log_prob(z, x) -> log p(x | z)``, [S, B] for z [S, B, L].

The prior is ``N(0, I)`` unless ``prior_log_prob`` is given. Samples use the
reparameterisation ``z = mean + exp(log_scale) * eps`` (Kingma & Welling
2014, Section 2.4), so the bounds are differentiable in the encoder.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import divergences
from jgen import likelihoods


def reparameterize(key: jax.Array, mean: jax.Array, log_scale: jax.Array,
                   num_samples: int) -> jax.Array:
  """``z = mean + exp(log_scale) * eps``, eps ~ N(0, I) (Kingma & Welling
  2014, Section 2.4).

  Args:
    key: PRNG key.
    mean, log_scale: the diagonal Gaussian, [B, L].
    num_samples: S >= 1.

  Returns:
    [S, B, L] samples.
  """
  _checks.integer(num_samples, "num_samples", low=1)
  eps = jax.random.normal(key, (num_samples,) + mean.shape, mean.dtype)
  return mean + jnp.exp(log_scale) * eps


def standard_normal_log_prob(z: jax.Array) -> jax.Array:
  """``log N(z | 0, I)`` summed over the last axis.

  Args:
    z: [..., L].

  Returns:
    [...] log-densities.
  """
  return likelihoods.gaussian_log_prob(z, mean=0.0, log_scale=0.0)


def elbo(key: jax.Array, x: jax.Array, encode: Callable,
         decoder_log_prob: Callable, *, num_samples: int = 1,
         beta: jax.Array | float = 1.0,
         prior_log_prob: Callable | None = None) -> dict:
  """Per-example (beta-)ELBO ``E_q log p(x|z) - beta KL(q(z|x) || p(z))``.

  The KL is in closed form for the standard normal prior and by Monte Carlo
  (the same samples) for any other ``prior_log_prob``. ``beta = 1`` is the
  ELBO; ``beta != 1`` is the beta-VAE objective (Higgins et al. 2017, eq. 4).

  Args:
    key: PRNG key.
    x: data, [B, ...].
    encode: ``encode(x) -> (mean, log_scale)``, [B, L] each.
    decoder_log_prob: ``(z [S, B, L], x) -> log p(x | z)`` [S, B].
    num_samples: S, samples of z per example.
    beta: KL weight (traced, so a beta sweep vmaps).
    prior_log_prob: ``log p(z)`` [S, B]; None for N(0, I).

  Returns:
    ``{"elbo", "reconstruction", "kl"}``, each [B] (``elbo`` uses ``beta``).

  Raises:
    ValueError: ``num_samples < 1`` or a concrete ``beta < 0``.
  """
  _checks.traced_or_real(beta, "beta", low=0.0)
  mean, log_scale = encode(x)
  z = reparameterize(key, mean, log_scale, num_samples)
  reconstruction = jnp.mean(decoder_log_prob(z, x), axis=0)
  if prior_log_prob is None:
    kl = divergences.kl_diag_gaussians(mean, log_scale)
  else:
    log_q = likelihoods.gaussian_log_prob(z, mean=mean, log_scale=log_scale)
    kl = jnp.mean(log_q - prior_log_prob(z), axis=0)
  return {"elbo": reconstruction - beta * kl, "reconstruction": reconstruction,
          "kl": kl}


def log_importance_weights(key: jax.Array, x: jax.Array, encode: Callable,
                           decoder_log_prob: Callable, num_samples: int,
                           prior_log_prob: Callable | None = None
                           ) -> jax.Array:
  """``log w_k = log p(x, z_k) - log q(z_k | x)``, z_k ~ q (Burda et al.
  2016, eq. 8).

  Args:
    key: PRNG key.
    x: data, [B, ...].
    encode, decoder_log_prob, prior_log_prob: the model (module doc).
    num_samples: K >= 1.

  Returns:
    [K, B] log-weights.
  """
  prior_log_prob = prior_log_prob or standard_normal_log_prob
  mean, log_scale = encode(x)
  z = reparameterize(key, mean, log_scale, num_samples)
  log_q = likelihoods.gaussian_log_prob(z, mean=mean, log_scale=log_scale)
  return decoder_log_prob(z, x) + prior_log_prob(z) - log_q


def iwae(key: jax.Array, x: jax.Array, encode: Callable,
         decoder_log_prob: Callable, *, num_samples: int,
         prior_log_prob: Callable | None = None) -> jax.Array:
  """The IWAE bound ``log (1/K) sum_k w_k`` per example (Burda et al. 2016,
  eq. 8); K = 1 is the ELBO, and it rises with K towards ``log p(x)``.

  Args:
    key: PRNG key.
    x: data, [B, ...].
    encode, decoder_log_prob, prior_log_prob: the model (module doc).
    num_samples: K >= 1.

  Returns:
    [B] bounds.
  """
  log_w = log_importance_weights(key, x, encode, decoder_log_prob,
                                 num_samples, prior_log_prob)
  return jax.nn.logsumexp(log_w, axis=0) - np.log(num_samples)


def importance_log_likelihood(key: jax.Array, x: jax.Array, encode: Callable,
                              decoder_log_prob: Callable, *,
                              num_samples: int, chunk_size: int = 100,
                              prior_log_prob: Callable | None = None
                              ) -> jax.Array:
  """Importance-sampled ``log p(x)`` with K samples, in chunks (bounded memory).

  The IWAE estimator with q as proposal (Burda et al. 2016, Section 5;
  Rezende et al. 2014, Appendix E), accumulated over ``K / chunk_size``
  chunks under ``lax.scan`` with a running log-sum-exp, so memory is
  ``O(chunk_size x B)`` whatever K (K = 5,000 is fine).

  Args:
    key: PRNG key (chunk c uses ``fold_in(key, c)``).
    x: data, [B, ...].
    encode, decoder_log_prob, prior_log_prob: the model (module doc).
    num_samples: K, a multiple of ``chunk_size``.
    chunk_size: samples per chunk.

  Returns:
    [B] estimates (nats).

  Raises:
    ValueError: ``num_samples`` or ``chunk_size`` below 1, or ``num_samples``
      not a multiple of ``chunk_size``.
  """
  return chunked_log_mean_exp(
      key, lambda k, size: log_importance_weights(
          k, x, encode, decoder_log_prob, size, prior_log_prob),
      x.shape[0], num_samples=num_samples, chunk_size=chunk_size)


def chunked_log_mean_exp(key: jax.Array, log_weights: Callable, batch: int, *,
                         num_samples: int, chunk_size: int) -> jax.Array:
  """``log (1/K) sum_k w_k`` from K log-weights drawn in chunks.

  The chunks run under ``lax.scan`` with a running log-sum-exp, so memory is
  that of one chunk whatever K (the estimator of Burda et al. 2016, Section
  5, for any proposal).

  Args:
    key: PRNG key (chunk c uses ``fold_in(key, c)``).
    log_weights: ``log_weights(key, size) -> [size, batch]`` log-weights.
    batch: B, the number of examples.
    num_samples: K, a multiple of ``chunk_size``.
    chunk_size: samples per chunk.

  Returns:
    [B] estimates.

  Raises:
    ValueError: ``num_samples`` or ``chunk_size`` below 1, or ``num_samples``
      not a multiple of ``chunk_size``.
  """
  _checks.integer(num_samples, "num_samples", low=1)
  _checks.integer(chunk_size, "chunk_size", low=1)
  if num_samples % chunk_size:
    raise ValueError(f"num_samples ({num_samples}) must be a multiple of "
                     f"chunk_size ({chunk_size}).")

  def body(acc, c):
    log_w = log_weights(jax.random.fold_in(key, c), chunk_size)
    return jnp.logaddexp(acc, jax.nn.logsumexp(log_w, axis=0)), None
  init = jnp.full((batch,), -jnp.inf, jnp.result_type(float))
  total, _ = jax.lax.scan(body, init, jnp.arange(num_samples // chunk_size))
  return total - np.log(num_samples)
