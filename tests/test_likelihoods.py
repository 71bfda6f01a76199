"""jgen.likelihoods against SciPy in float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special
from scipy import stats

from jgen import likelihoods


def _random_spd(rng, d):
  a = rng.normal(size=(d, d))
  return a @ a.T + d * np.eye(d)


@pytest.mark.parametrize("covariance_type", likelihoods.COVARIANCE_TYPES)
def test_mvn_log_prob_matches_scipy(covariance_type):
  rng = np.random.default_rng(0)
  k, d, n = 3, 4, 50
  x = rng.normal(size=(n, d)) * 2
  means = rng.normal(size=(k, d))
  dense = {
      "full": np.stack([_random_spd(rng, d) for _ in range(k)]),
      "tied": np.broadcast_to(_random_spd(rng, d), (k, d, d)),
      "diag": np.stack([np.diag(rng.uniform(0.5, 2, d)) for _ in range(k)]),
      "spherical": np.stack([rng.uniform(0.5, 2) * np.eye(d) for _ in range(k)]),
  }[covariance_type]
  cov = {"full": dense, "tied": dense[0],
         "diag": np.diagonal(dense, axis1=1, axis2=2),
         "spherical": dense[:, 0, 0]}[covariance_type]
  prec_chol = likelihoods.precision_cholesky(jnp.asarray(cov), covariance_type)
  got = likelihoods.mvn_log_prob(jnp.asarray(x), mean=jnp.asarray(means),
                                 precision_cholesky=prec_chol,
                                 covariance_type=covariance_type)
  want = np.stack([stats.multivariate_normal(means[j], dense[j]).logpdf(x)
                   for j in range(k)], 1)
  np.testing.assert_allclose(got, want, rtol=1e-10)


def test_quadratic_features_give_quadratic_forms():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(7, 5))
  a = _random_spd(rng, 5)
  got = likelihoods.quadratic_features(jnp.asarray(x)) @ likelihoods.pack_symmetric(
      jnp.asarray(a))
  np.testing.assert_allclose(got, np.einsum("nd,de,ne->n", x, a, x), rtol=1e-12)
  v = likelihoods.pack_symmetric(jnp.asarray(a)) / np.where(
      np.equal(*np.triu_indices(5)), 1.0, 2.0)
  np.testing.assert_allclose(likelihoods.unpack_symmetric(v, 5), a, rtol=1e-12)


def test_gaussian_log_prob_matches_scipy():
  rng = np.random.default_rng(2)
  x, mean, log_scale = rng.normal(size=(3, 6, 4))
  got = likelihoods.gaussian_log_prob(jnp.asarray(x), mean=jnp.asarray(mean),
                                      log_scale=jnp.asarray(log_scale))
  want = stats.norm(mean, np.exp(log_scale)).logpdf(x).sum(-1)
  np.testing.assert_allclose(got, want, rtol=1e-12)
  got_scalar = likelihoods.gaussian_log_prob(jnp.asarray(x), mean=0.0,
                                             log_scale=0.3)
  np.testing.assert_allclose(got_scalar,
                             stats.norm(0, np.exp(0.3)).logpdf(x).sum(-1),
                             rtol=1e-12)


def test_bernoulli_log_prob_matches_scipy_and_is_stable_in_float32():
  rng = np.random.default_rng(3)
  logits = rng.normal(size=(5, 8)) * 3
  x = rng.integers(0, 2, size=(5, 8))
  got = likelihoods.bernoulli_log_prob(jnp.asarray(x, float),
                                       logits=jnp.asarray(logits))
  want = stats.bernoulli(special.expit(logits)).logpmf(x).sum(-1)
  np.testing.assert_allclose(got, want, rtol=1e-12)
  big = likelihoods.bernoulli_log_prob(
      jnp.array([[1.0, 0.0]], jnp.float32),
      logits=jnp.array([[-200.0, 200.0]], jnp.float32))
  np.testing.assert_allclose(big, [-400.0], rtol=1e-6)


def test_categorical_log_prob_matches_numpy():
  rng = np.random.default_rng(4)
  logits = rng.normal(size=(6, 5))
  y = rng.integers(0, 5, 6)
  got = likelihoods.categorical_log_prob(jnp.asarray(y), logits=jnp.asarray(logits))
  want = logits[np.arange(6), y] - special.logsumexp(logits, 1)
  np.testing.assert_allclose(got, want, rtol=1e-12)


def test_mixture_log_prob_matches_scipy_and_handles_off_components():
  rng = np.random.default_rng(5)
  comp = rng.normal(size=(4, 3)) * 50
  w = np.array([0.2, 0.8, 0.0])
  got = likelihoods.mixture_log_prob(jnp.asarray(comp),
                                     log_weights=jnp.log(jnp.asarray(w)))
  want = special.logsumexp(comp[:, :2] + np.log(w[:2]), 1)
  np.testing.assert_allclose(got, want, rtol=1e-12)
  assert np.all(np.isfinite(jax.device_get(got)))


def test_unknown_covariance_type_is_refused_by_name():
  x, mean = jnp.zeros((3, 2)), jnp.zeros((1, 2))
  with pytest.raises(ValueError, match="covariance_type must be one of"):
    likelihoods.mvn_features(x, "banana")
  with pytest.raises(ValueError, match="covariance_type must be one of"):
    likelihoods.mvn_natural_parameters(mean, jnp.ones((1, 2)), "banana")
  with pytest.raises(ValueError, match="covariance_type must be one of"):
    likelihoods.mvn_log_prob(x, mean=mean, precision_cholesky=jnp.ones((1, 2)),
                             covariance_type="banana")
