"""PPCA vs scikit-learn PCA, BIC vs scikit-learn, k selection, GMM classifier."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

import jgen.em as em
from jgen.em import gmm


@pytest.fixture(scope="module")
def digits():
  return load_digits().data.astype(np.float64)


@pytest.mark.parametrize("q", [2, 10, 30])
def test_ppca_closed_form_equals_sklearn_pca_score(digits, q):
  params = em.ppca_closed_form(digits, q, ddof=1)
  got = float(jnp.mean(em.ppca_log_prob(params, jnp.asarray(digits))))
  np.testing.assert_allclose(got, PCA(q).fit(digits).score(digits), rtol=1e-6)


def test_ppca_mle_log_likelihood_has_tipping_bishop_closed_form(digits):
  q = 10
  params = em.ppca_closed_form(digits, q)
  evals = np.sort(np.linalg.eigvalsh(np.cov(digits.T, bias=True)))[::-1]
  sigma2 = evals[q:].mean()
  d = digits.shape[1]
  # Tipping & Bishop (1999), eq. (12)/(17): -N/2 (d log 2pi + sum log l_j
  # + (d - q) log sigma^2 + d), per sample.
  want = -0.5 * (d * np.log(2 * np.pi) + np.log(evals[:q]).sum()
                 + (d - q) * np.log(sigma2) + d)
  np.testing.assert_allclose(jnp.mean(em.ppca_log_prob(params, jnp.asarray(digits))),
                             want, rtol=1e-9)
  cov = params.weight @ params.weight.T + params.noise_variance * np.eye(d)
  np.testing.assert_allclose(
      em.ppca_log_prob(params, jnp.asarray(digits[:5])),
      stats.multivariate_normal(params.mean, cov).logpdf(digits[:5]), rtol=1e-9)


def test_ppca_em_reaches_the_closed_form(digits):
  q = 5
  state = em.ppca_em(jax.random.key(0), digits, q, max_iter=2000, tol=1e-10)
  want = jnp.mean(em.ppca_log_prob(em.ppca_closed_form(digits, q),
                                   jnp.asarray(digits)))
  np.testing.assert_allclose(state.log_likelihood, want, rtol=1e-6)


def test_ppca_bad_input():
  with pytest.raises(ValueError, match="n_components"):
    em.ppca_closed_form(np.ones((5, 3)), 3)
  with pytest.raises(ValueError, match="x contains NaN"):
    em.ppca_em(jax.random.key(0), np.full((5, 3), np.nan), 1)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_bic_aic_equal_sklearn(covariance_type):
  rng = np.random.default_rng(0)
  x = rng.normal(size=(200, 3))
  sk = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(x)
  params = em.GMMParams(weights=jnp.asarray(sk.weights_),
                        means=jnp.asarray(sk.means_),
                        covariances=jnp.asarray(sk.covariances_),
                        precisions_cholesky=jnp.asarray(sk.precisions_cholesky_),
                        covariance_type=covariance_type)
  np.testing.assert_allclose(em.bic(params, jnp.asarray(x)), sk.bic(x), rtol=1e-10)
  np.testing.assert_allclose(em.aic(params, jnp.asarray(x)), sk.aic(x), rtol=1e-10)


def test_masked_padded_fit_equals_unpadded_fit():
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.normal(size=(150, 2)) + rng.integers(0, 3, (150, 1)) * 3)
  labels = -jnp.ones(150, jnp.int32)
  config = em.EMConfig(tol=0.0, max_iter=20)
  small = gmm.fit(jax.random.key(2), x, labels, jnp.ones(3, bool), config)
  padded = gmm.fit(jax.random.key(2), x, labels, jnp.arange(6) < 3, config)
  np.testing.assert_allclose(padded.history, small.history, rtol=1e-10)
  np.testing.assert_allclose(padded.params.means[:3], small.params.means,
                             rtol=1e-10)
  np.testing.assert_array_equal(padded.params.weights[3:], 0.0)


def test_select_n_components_finds_the_true_k():
  rng = np.random.default_rng(2)
  centers = np.array([[0, 0], [8, 0], [0, 8], [8, 8]])
  x = centers[rng.integers(0, 4, 800)] + rng.normal(size=(800, 2))
  sel = em.select_n_components(jax.random.key(0), x, [1, 2, 3, 4, 5, 6],
                               n_folds=4, n_init=2)
  assert sel.best_k_bic == 4
  assert sel.cv_log_likelihood.shape == (6,)
  assert np.argmax(sel.cv_log_likelihood) >= 3        # 4 or more fit as well
  assert sel.cv_log_likelihood[3] > sel.cv_log_likelihood[2] + 0.1
  with pytest.raises(ValueError, match="k_values"):
    em.select_n_components(jax.random.key(0), x, [])


def test_gmm_classifier_posterior_equals_bayes_rule_in_scipy():
  rng = np.random.default_rng(3)
  y = rng.integers(0, 3, 600)
  x = rng.normal(size=(600, 2)) * (1 + y[:, None]) + y[:, None] * 2.0
  clf = em.fit_gmm_classifier(jax.random.key(0), x, y, 1, reg_covar=0.0)
  log_joint = np.stack([
      np.log(np.mean(y == c)) + stats.multivariate_normal(
          x[y == c].mean(0), np.cov(x[y == c].T, bias=True)).logpdf(x)
      for c in range(3)], 1)
  want = np.exp(log_joint - special.logsumexp(log_joint, 1, keepdims=True))
  np.testing.assert_allclose(em.classifier.predict_proba(clf, x), want,
                             rtol=1e-6, atol=1e-10)
  with pytest.raises(ValueError, match="y must have shape"):
    em.fit_gmm_classifier(jax.random.key(0), x, y[:10], 1)
