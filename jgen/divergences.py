"""KL divergences: closed form for diagonal Gaussians, Monte Carlo for any pair.

Per-example values (docs/design.md, contract 1); reductions happen in objectives.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def kl_diag_gaussians(mean_q: jax.Array, log_scale_q: jax.Array,
                      mean_p: jax.Array | float = 0.0,
                      log_scale_p: jax.Array | float = 0.0) -> jax.Array:
  """``KL(N(mean_q, diag s_q^2) || N(mean_p, diag s_p^2))``, summed over the
  last axis.

  ``sum_d log(s_p / s_q) + (s_q^2 + (m_q - m_p)^2) / (2 s_p^2) - 1/2``; with
  the defaults (standard normal prior) it is Kingma & Welling (2014),
  Appendix B: ``-1/2 sum(1 + log s^2 - m^2 - s^2)``.

  Args:
    mean_q, log_scale_q: the first Gaussian, [..., D].
    mean_p, log_scale_p: the second, broadcastable.

  Returns:
    [...] divergences (nats).
  """
  var_ratio = jnp.exp(2.0 * (log_scale_q - log_scale_p))
  mahalanobis = jnp.square((mean_q - mean_p) * jnp.exp(-log_scale_p))
  return 0.5 * jnp.sum(var_ratio + mahalanobis - 1.0
                       - 2.0 * (log_scale_q - log_scale_p), axis=-1)


def kl_monte_carlo(key: jax.Array, sample_q: Callable, log_q: Callable,
                   log_p: Callable, num_samples: int) -> jax.Array:
  """Monte Carlo ``KL(q || p) ~ mean_s [log q(z_s) - log p(z_s)]``, z_s ~ q.

  Args:
    key: PRNG key.
    sample_q: ``sample_q(key, num_samples) -> z [S, ...]``.
    log_q: ``log_q(z) -> [S, ...]`` log-densities.
    log_p: ``log_p(z) -> [S, ...]``.
    num_samples: S.

  Returns:
    The estimate, [...] (mean over the sample axis).
  """
  z = sample_q(key, num_samples)
  return jnp.mean(log_q(z) - log_p(z), axis=0)
