"""Initial responsibilities for mixture EM (k-means++, k-means, random).

Each initialiser maps ``(key, x, active)`` to responsibilities [N, K] whose
rows sum to one over the active components; the mixture's first M-step turns
them into parameters. ``active`` [K] (bool) switches components off so that a
sweep over the number of components pads to ``K_max`` and compiles once.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def kmeans_plusplus(key: jax.Array, x: jax.Array, n_clusters: int) -> jax.Array:
  """k-means++ seeding: each new centre drawn with probability ∝ D(x)^2.

  The seeding is sequential, so its first k centres are a k-means++ seeding
  for k clusters; padded sweeps over k rely on this.

  Args:
    key: PRNG key.
    x: data, [N, D].
    n_clusters: number of centres K.

  Returns:
    Indices of the chosen centres into `x`, [K] int32.

  References:
    Arthur & Vassilvitskii (2007), k-means++: the advantages of careful
    seeding, Section 2.2.
  """
  n = x.shape[0]
  key, sub = jax.random.split(key)
  first = jax.random.randint(sub, (), 0, n)
  d2 = jnp.sum(jnp.square(x - x[first]), 1)
  idx = jnp.zeros((n_clusters,), jnp.int32).at[0].set(first.astype(jnp.int32))

  def body(i, carry):
    idx, d2, key = carry
    key, sub = jax.random.split(key)
    # Inverse-CDF draw with probability d2 / sum(d2): one uniform number
    # instead of N Gumbel draws. If all points coincide with a centre
    # (sum 0), the draw falls back to uniform over the points.
    cdf = jnp.cumsum(d2)
    u = jax.random.uniform(sub, (), d2.dtype)
    j = jnp.where(cdf[-1] > 0,
                  jnp.searchsorted(cdf, u * cdf[-1], side="right"),
                  jnp.floor(u * n).astype(jnp.int32))
    j = jnp.minimum(j, n - 1)
    d2 = jnp.minimum(d2, jnp.sum(jnp.square(x - x[j]), 1))
    return idx.at[i].set(j.astype(jnp.int32)), d2, key

  idx, _, _ = jax.lax.fori_loop(1, n_clusters, body, (idx, d2, key))
  return idx


def nearest_responsibilities(x: jax.Array, centers: jax.Array,
                             active: jax.Array) -> jax.Array:
  """One-hot assignment of each point to its nearest active centre, [N, K].

  ``argmin_k ||x_n - c_k||^2 = argmin_k (||c_k||^2 - 2 x_n . c_k)``: one GEMM,
  without the per-point ``||x_n||^2``, which does not change the arg-min.
  """
  score = jnp.sum(jnp.square(centers), 1)[None] - 2.0 * x @ centers.T
  score = jnp.where(active[None], score, jnp.inf)
  return jax.nn.one_hot(jnp.argmin(score, 1), centers.shape[0], dtype=x.dtype)


def lloyd(x: jax.Array, centers: jax.Array, active: jax.Array,
          n_iter: int) -> jax.Array:
  """`n_iter` Lloyd iterations of k-means; empty clusters keep their centre.

  Args:
    x: data, [N, D].
    centers: initial centres, [K, D].
    active: which centres take part, [K] bool.
    n_iter: number of iterations (static).

  Returns:
    Centres after the iterations, [K, D].

  References:
    Lloyd (1982), Least squares quantization in PCM.
  """
  def body(_, centers):
    resp = nearest_responsibilities(x, centers, active)
    counts = resp.sum(0)
    new = (resp.T @ x) / jnp.maximum(counts, 1.0)[:, None]
    return jnp.where((counts > 0)[:, None], new, centers)

  return jax.lax.fori_loop(0, n_iter, body, centers)


def _kmeans_pp(key, x, active, n_kmeans_iter):
  del n_kmeans_iter
  centers = x[kmeans_plusplus(key, x, active.shape[0])]
  return nearest_responsibilities(x, centers, active)


def _kmeans(key, x, active, n_kmeans_iter):
  centers = lloyd(x, x[kmeans_plusplus(key, x, active.shape[0])], active,
                  n_kmeans_iter)
  return nearest_responsibilities(x, centers, active)


def random_subset(key: jax.Array, n: int, k: int) -> jax.Array:
  """`k` distinct indices drawn uniformly from ``0..n-1``, [k] int32.

  The positions of the `k` largest of `n` i.i.d. uniform numbers form a
  uniformly drawn k-subset (every ordering of the numbers is equally likely);
  ``lax.top_k`` finds them in O(n), where ``jax.random.choice(...,
  replace=False)`` sorts all `n`.

  Args:
    key: PRNG key.
    n: population size.
    k: subset size, at most `n`.

  Returns:
    Indices, [k].
  """
  return jax.lax.top_k(jax.random.uniform(key, (n,)), k)[1]


def _random_from_data(key, x, active, n_kmeans_iter):
  del n_kmeans_iter
  idx = random_subset(key, x.shape[0], active.shape[0])
  return nearest_responsibilities(x, x[idx], active)


def _random(key, x, active, n_kmeans_iter):
  del n_kmeans_iter
  resp = jax.random.uniform(key, (x.shape[0], active.shape[0]), x.dtype)
  resp = jnp.where(active[None], resp, 0.0)
  return resp / resp.sum(1, keepdims=True)


# Registry of initialisers by name (scikit-learn's `init_params` names).
INITS = {
    "kmeans": _kmeans,
    "k-means++": _kmeans_pp,
    "random_from_data": _random_from_data,
    "random": _random,
}


def initial_responsibilities(key: jax.Array, x: jax.Array, active: jax.Array,
                             init: str, n_kmeans_iter: int = 10) -> jax.Array:
  """Initial responsibilities by the named method.

  Methods: ``kmeans`` (k-means++ seeding then `n_kmeans_iter` Lloyd steps, the
  scikit-learn default), ``k-means++`` (seeding, then nearest centre),
  ``random_from_data`` (K distinct data points as centres, then nearest
  centre), ``random`` (uniform random responsibilities, normalised).

  Args:
    key: PRNG key.
    x: data, [N, D].
    active: which components take part, [K] bool.
    init: one of ``INITS``.
    n_kmeans_iter: Lloyd iterations for ``kmeans``.

  Returns:
    Responsibilities, [N, K]; zero in inactive columns.
  """
  return INITS[init](key, x, active, n_kmeans_iter)
