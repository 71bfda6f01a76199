"""Gaussian-mixture EM against scikit-learn (float64) and EM theory."""

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from scipy import special
from scipy import stats
from sklearn.mixture import GaussianMixture

import jgen.em as em
from jgen import likelihoods
from jgen.em import gmm
from jgen.em import init as initialisers

COV_TYPES = likelihoods.COVARIANCE_TYPES


def _blobs(seed=0, n=300, d=3, k=3, spread=4.0):
  rng = np.random.default_rng(seed)
  centers = rng.normal(size=(k, d)) * spread
  y = rng.integers(0, k, n)
  return centers[y] + rng.normal(size=(n, d)) * rng.uniform(0.5, 1.5, (k, 1))[y], y


def _initial_params(x, k, covariance_type, seed=1):
  """Initial parameters in scikit-learn's `*_init` shapes."""
  rng = np.random.default_rng(seed)
  d = x.shape[1]
  means = x[rng.choice(len(x), k, replace=False)]
  weights = np.full(k, 1.0 / k)
  prec = {"full": np.stack([np.eye(d) * 0.5] * k), "tied": np.eye(d) * 0.5,
          "diag": np.full((k, d), 0.5), "spherical": np.full(k, 0.5)}
  return weights, means, prec[covariance_type]


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_iterates_equal_sklearn_float64(covariance_type):
  x, _ = _blobs()
  k, n_iter = 3, 15
  w0, m0, p0 = _initial_params(x, k, covariance_type)
  sk = GaussianMixture(k, covariance_type=covariance_type, weights_init=w0,
                       means_init=m0, precisions_init=p0, max_iter=1, tol=0.0,
                       reg_covar=1e-4, warm_start=True)
  lower_bounds = []
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _ in range(n_iter):
      sk.fit(x)
      lower_bounds.append(sk.lower_bound_)
  res = em.fit_gmm(jax.random.key(0), x, k, covariance_type=covariance_type,
                   weights_init=w0, means_init=m0, precisions_init=p0,
                   max_iter=n_iter, tol=0.0, reg_covar=1e-4, warn=False)
  assert res.params.means.dtype == jnp.float64
  np.testing.assert_allclose(res.history[:n_iter], lower_bounds, rtol=1e-6)
  np.testing.assert_allclose(res.params.means, sk.means_, rtol=1e-6, atol=1e-8)
  np.testing.assert_allclose(res.params.covariances, sk.covariances_,
                             rtol=1e-6, atol=1e-8)
  np.testing.assert_allclose(res.params.weights, sk.weights_, rtol=1e-6)
  np.testing.assert_allclose(res.log_likelihood, sk.score(x), rtol=1e-6)
  np.testing.assert_allclose(em.score_samples(res.params, x),
                             sk.score_samples(x), rtol=1e-6)


def test_float32_fit_is_close_to_float64_sklearn():
  x, _ = _blobs(seed=3, n=2000, d=4, k=4)
  w0, m0, p0 = _initial_params(x, 4, "full")
  sk = GaussianMixture(4, weights_init=w0, means_init=m0, precisions_init=p0,
                       max_iter=50, tol=0.0).fit(x)
  res = em.fit_gmm(jax.random.key(0), x.astype(np.float32), 4,
                   weights_init=w0, means_init=m0, precisions_init=p0,
                   max_iter=50, tol=0.0, warn=False)
  assert res.params.means.dtype == jnp.float32
  np.testing.assert_allclose(res.log_likelihood, sk.score(x), rtol=1e-5)


def _ridge_slack(x, weights, means, covariances, covariance_type, reg_covar):
  """How far one EM step from these parameters may lower the mean
  log-likelihood because of the ridge (float64 NumPy, independent of jgen).

  EM's inequality (Dempster et al. 1977, Thm 1) gives ``L(theta') - L(theta)
  >= Q(theta' | theta) - Q(theta | theta)``. The exact M-step maximises Q, so
  the step never lowers L; the ridge M-step takes ``S + r I`` for the
  weighted scatter ``S`` and so falls short of Q's maximum by ``m / 2
  sum_j [log(1 + r / l_j) - r / (l_j + r)]`` per covariance block, ``l_j``
  the eigenvalues of ``S`` and ``m`` the block's responsibility mass; an
  infinite slack where a component sits on at most D points (``l = 0``: the
  exact M-step's likelihood is unbounded there).
  """
  n, d = x.shape
  k = len(weights)
  full = {"full": lambda c: c, "tied": lambda c: np.stack([c] * k),
          "diag": lambda c: np.stack([np.diag(v) for v in c]),
          "spherical": lambda c: c[:, None, None] * np.eye(d)}[
              covariance_type](np.asarray(covariances, np.float64))
  # The Gaussian log-density by hand: scipy's multivariate_normal rejects the
  # ill-conditioned covariances of nearly collapsed components.
  log_p = np.stack([np.log(weights[j]) - 0.5 * (
      d * np.log(2 * np.pi) + np.linalg.slogdet(full[j])[1]
      + np.sum((x - means[j]) * np.linalg.solve(full[j], (x - means[j]).T).T,
               1)) for j in range(k)], 1)
  resp = np.exp(log_p - special.logsumexp(log_p, 1, keepdims=True))
  mass = resp.sum(0)
  centred = [x - resp[:, j] @ x / mass[j] for j in range(k)]
  scatter = np.stack([(resp[:, j, None] * centred[j]).T @ centred[j] / mass[j]
                      for j in range(k)])
  blocks = {"full": [(mass[j], np.linalg.eigvalsh(scatter[j]))
                     for j in range(k)],
            "tied": [(n, np.linalg.eigvalsh(
                np.tensordot(mass, scatter, 1) / n))],
            "diag": [(mass[j], np.diag(scatter[j])) for j in range(k)],
            "spherical": [(mass[j] * d, np.trace(scatter[j])[None] / d)
                          for j in range(k)]}[covariance_type]
  with np.errstate(divide="ignore"):   # l = 0: a component on <= D points
    return sum(np.sum(m / 2 * (np.log1p(reg_covar / lam)
                               - reg_covar / (lam + reg_covar)))
               for m, lam in ((m, np.maximum(lam, 0.0)) for m, lam in blocks)
               ) / n


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4),
       covariance_type=st.sampled_from(COV_TYPES),
       init=st.sampled_from(["kmeans", "k-means++", "random",
                             "random_from_data"]))
@example(seed=1077, k=2, covariance_type="full", init="kmeans")
def test_soft_em_never_decreases_log_likelihood(seed, k, covariance_type, init):
  # Exact EM never lowers the likelihood; the default ridge (reg_covar 1e-6)
  # may, by at most _ridge_slack. The explicit example is such a case: one
  # step falls by 3.4e-7 of the objective, far beyond float64 round-off and
  # within the slack (a zero slack fails it).
  rng = np.random.default_rng(seed)
  x = rng.standard_t(3, size=(60, 2)) * rng.uniform(0.1, 10)
  fit = functools.partial(em.fit_gmm, jax.random.key(seed), x, k,
                          covariance_type=covariance_type, max_iter=1,
                          tol=0.0, warn=False)
  res = fit(init=init)    # the initialiser, then one EM step
  for _ in range(30):     # one EM step per call, each from the last
    weights, means, covariances = (np.asarray(a, np.float64) for a in (
        res.params.weights, res.params.means, res.params.covariances))
    res = fit(weights_init=weights, means_init=means,
              precisions_init=np.linalg.inv(covariances) if covariance_type
              in ("full", "tied") else 1.0 / covariances)
    before, after = np.asarray(res.history[:2])
    assert np.isfinite(after) and int(res.n_resets) == 0
    slack = _ridge_slack(x, weights, means, covariances, covariance_type,
                         1e-6)
    assert after - before >= -slack - 1e-12 * abs(before), (before, after,
                                                            slack)


def test_hard_em_recovers_separated_clusters_and_increases_its_objective():
  x, y = _blobs(seed=4, n=400, spread=10.0)
  res = em.fit_gmm(jax.random.key(0), x, 3, mode="hard", n_init=3)
  h = np.asarray(res.history[: int(res.n_iter) + 1])
  assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
  pred = np.asarray(em.predict_proba(res.params, x)).argmax(1)
  # The clustering equals the truth up to a permutation of the labels.
  assert len(set(zip(pred.tolist(), y.tolist()))) == 3


def test_fully_labelled_em_gives_the_closed_form_class_mle():
  x, y = _blobs(seed=5)
  reg = 1e-6
  res = em.fit_gmm(jax.random.key(0), x, 3, labels=y, reg_covar=reg, tol=0.0,
                   max_iter=3, warn=False)
  for c in range(3):
    xc = x[y == c]
    np.testing.assert_allclose(res.params.weights[c], np.mean(y == c), rtol=1e-9)
    np.testing.assert_allclose(res.params.means[c], xc.mean(0), rtol=1e-9)
    np.testing.assert_allclose(res.params.covariances[c],
                               np.cov(xc.T, bias=True) + reg * np.eye(3),
                               rtol=1e-8)


def test_semi_supervised_em_keeps_labels_and_fixes_component_identity():
  x, y = _blobs(seed=6, n=600, spread=6.0)
  labels = np.where(np.arange(600) % 20 == 0, y, -1)
  res = em.fit_gmm(jax.random.key(0), x, 3, labels=labels)
  pred = np.asarray(em.predict_proba(res.params, x)).argmax(1)
  assert np.mean(pred == y) > 0.95           # no permutation: labels anchor ids


def test_restarts_return_the_best_run():
  x, _ = _blobs(seed=7, n=300, k=5)
  res = em.fit_gmm(jax.random.key(1), x, 5, n_init=6, init="random", warn=False)
  assert res.restart_objectives.shape == (6,)
  np.testing.assert_allclose(res.objective, np.max(res.restart_objectives))
  keys = jax.random.split(jax.random.key(1), 6)
  config = em.EMConfig(covariance_type="full")
  singles = [float(gmm.fit(kk, jnp.asarray(x), -jnp.ones(300, jnp.int32),
                           jnp.ones(5, bool), config, init="random").objective)
             for kk in keys]
  np.testing.assert_allclose(sorted(singles), sorted(res.restart_objectives),
                             rtol=1e-10)


def test_same_key_same_numbers():
  x, _ = _blobs(seed=8)
  a = em.fit_gmm(jax.random.key(3), x, 3, n_init=2)
  b = em.fit_gmm(jax.random.key(3), x, 3, n_init=2)
  np.testing.assert_array_equal(a.params.means, b.params.means)
  np.testing.assert_array_equal(a.history, b.history)


def test_collapsing_component_is_reset_not_nan():
  x = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 10, axis=0)
  x = np.concatenate([x, np.random.default_rng(0).normal(size=(20, 2))])
  with pytest.warns(RuntimeWarning, match="positive"):
    res = em.fit_gmm(jax.random.key(0), x, 6, reg_covar=0.0, max_iter=20,
                     init="random_from_data")
  assert int(res.n_resets) > 0
  for leaf in jax.tree.leaves(res.params):
    assert np.all(np.isfinite(leaf))
  assert np.isfinite(res.log_likelihood)


def test_non_convergence_is_flagged_and_warned():
  x, _ = _blobs(seed=9)
  with pytest.warns(em.ConvergenceWarning):
    res = em.fit_gmm(jax.random.key(0), x, 3, max_iter=1, init="random")
  assert not bool(res.converged)


def test_samples_have_the_mixture_moments():
  x, _ = _blobs(seed=10, d=2)
  for covariance_type in COV_TYPES:
    params = em.fit_gmm(jax.random.key(0), x, 3,
                        covariance_type=covariance_type).params
    xs, comp = em.sample(jax.random.key(1), params, 200_000)
    np.testing.assert_allclose(np.bincount(comp, minlength=3) / 200_000,
                               params.weights, atol=5e-3)
    w, mu = np.asarray(params.weights), np.asarray(params.means)
    dense = {"full": lambda c: c, "tied": lambda c: np.broadcast_to(c, (3, 2, 2)),
             "diag": lambda c: np.stack([np.diag(v) for v in c]),
             "spherical": lambda c: np.stack([v * np.eye(2) for v in c])}
    cov = dense[covariance_type](np.asarray(params.covariances))
    mean = w @ mu
    second = np.einsum("k,kde->de", w, cov + mu[:, :, None] * mu[:, None, :])
    np.testing.assert_allclose(xs.mean(0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(np.asarray(xs).T, bias=True),
                               second - np.outer(mean, mean), rtol=0.03, atol=0.05)


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=np.array([[0.0, np.nan], [1.0, 1.0]])), "x contains NaN"),
    (dict(x=np.array([[0.0, np.inf], [1.0, 1.0]])), "x contains NaN"),
    (dict(x=np.zeros(5)), "x must have rank 2"),
    (dict(n_components=0), "n_components"),
    (dict(n_components=1000), "n_components"),
    (dict(reg_covar=-1.0), "reg_covar"),
    (dict(covariance_type="banana"), "covariance_type"),
    (dict(init="banana"), "init"),
    (dict(mode="banana"), "mode"),
    (dict(labels=np.full(30, 3)), "labels"),
    (dict(labels=np.full(30, -2)), "labels"),
    (dict(labels=np.zeros(10)), "labels"),
    (dict(tol=-1.0), "tol"),
    (dict(max_iter=0), "max_iter"),
    (dict(means_init=np.zeros((3, 2)),
          precisions_init=np.tile(np.diag([1.0, -1.0]), (3, 1, 1))),
     "precisions_init must be positive definite"),
    (dict(means_init=np.zeros((3, 2)),
          precisions_init=np.tile([[1.0, 0.5], [0.0, 1.0]], (3, 1, 1))),
     "precisions_init must hold finite symmetric"),
])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, match):
  args = dict(x=np.random.default_rng(0).normal(size=(30, 2)), n_components=3)
  args.update(kwargs)
  with pytest.raises(ValueError, match=match):
    em.fit_gmm(jax.random.key(0), args.pop("x"), args.pop("n_components"),
               **args)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_padded_row_blocks_give_the_one_block_fit(covariance_type, mode):
  # 307 rows (a prime) in blocks of at most 32: 10 blocks of 31, the last one
  # padded; the one-block fit is the one checked against scikit-learn above.
  n = 307
  assert gmm.steps.row_blocks(n, 32) == (10, 31)
  x, y = _blobs(seed=9, n=n)
  labels = jnp.asarray(np.where(np.arange(n) % 10 == 0, y, -1))
  fits = [gmm.fit(jax.random.key(2), jnp.asarray(x), labels, jnp.ones(3, bool),
                  em.EMConfig(covariance_type=covariance_type, mode=mode,
                              max_iter=8, tol=0.0, block_rows=rows))
          for rows in (8192, 32)]
  one, blocks = fits
  np.testing.assert_allclose(blocks.history, one.history, rtol=1e-10)
  np.testing.assert_allclose(blocks.log_likelihood, one.log_likelihood,
                             rtol=1e-10)
  for a, b in zip(jax.tree.leaves(blocks.params), jax.tree.leaves(one.params)):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_kmeans_plusplus_draws_proportional_to_squared_distance():
  # Arthur & Vassilvitskii (2007): the first centre is uniform, the second is
  # drawn with probability D(x)^2 / sum D^2; exact pair probabilities below.
  x = jnp.asarray([[0.0], [1.0], [3.0], [7.0]])
  d2 = (np.asarray(x) - np.asarray(x).T) ** 2
  exact = d2 / d2.sum(1, keepdims=True) / 4                      # [first, second]
  keys = jax.random.split(jax.random.key(0), 20_000)
  idx = np.asarray(jax.vmap(lambda k: initialisers.kmeans_plusplus(k, x, 2))(keys))
  counts = np.zeros((4, 4))
  np.add.at(counts, (idx[:, 0], idx[:, 1]), 1)
  mask = exact > 0
  assert counts[~mask].sum() == 0                   # a centre is never redrawn
  _, p = stats.chisquare(counts[mask], exact[mask] * len(keys))
  assert p > 1e-3, p
  # All points equal: the draw falls back to uniform and stays in range.
  same = initialisers.kmeans_plusplus(jax.random.key(1), jnp.zeros((5, 2)), 3)
  assert np.all((np.asarray(same) >= 0) & (np.asarray(same) < 5))


def test_random_subset_is_distinct_and_uniform():
  keys = jax.random.split(jax.random.key(0), 6000)
  idx = np.asarray(jax.vmap(lambda k: initialisers.random_subset(k, 6, 2))(keys))
  assert np.all(idx[:, 0] != idx[:, 1])
  # Each of the 15 unordered pairs equally likely.
  pairs = np.bincount(6 * idx.min(1) + idx.max(1), minlength=36)
  pairs = pairs[[6 * a + b for a in range(6) for b in range(a + 1, 6)]]
  _, p = stats.chisquare(pairs, np.full(15, len(keys) / 15))
  assert p > 1e-3, p
  # Through the initialiser: K distinct centres, so no column is empty.
  resp = initialisers.initial_responsibilities(
      jax.random.key(1), jnp.arange(10.0)[:, None], jnp.ones(3, bool),
      "random_from_data")
  assert np.all(np.asarray(resp.sum(0)) >= 1)


def test_em_update_by_hand_equals_the_compiled_loop():
  x, _ = _blobs(seed=10)
  x = jnp.asarray(x)
  labels, active = -jnp.ones(300, jnp.int32), jnp.ones(3, bool)
  config = em.EMConfig(max_iter=5, tol=0.0)
  params = gmm.init_params(jax.random.key(0), x, labels, active, config)
  fallback = gmm.steps.fallback_covariance(x, "full", config.reg_covar)
  state = em.em_init(params, config.max_iter)
  for _ in range(5):
    state = em.em_update(state, x, labels, active, fallback, config)
  loop = gmm.run_em(params, x, labels, active, config)
  np.testing.assert_allclose(state.history[:5], loop.history[:5], rtol=1e-12)
  np.testing.assert_allclose(state.params.means, loop.params.means, rtol=1e-12)
