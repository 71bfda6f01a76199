"""Classifiers against scikit-learn in float64 (issue 3 quality bars)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import datasets
from sklearn import discriminant_analysis
from sklearn import linear_model
from sklearn import naive_bayes

from jgen import classifiers
from jgen import likelihoods
from jgen import nets


@pytest.fixture(scope="module")
def iris():
  x, y = datasets.load_iris(return_X_y=True)
  return x.astype(np.float64), y


def _posterior(params, x):
  return np.exp(likelihoods.log_posterior(
      classifiers.gaussian_log_joint(params, jnp.asarray(x))))


@pytest.mark.parametrize("covariance_type,reference", [
    ("tied", discriminant_analysis.LinearDiscriminantAnalysis(solver="lsqr")),
    ("full", discriminant_analysis.QuadraticDiscriminantAnalysis()),
])
def test_lda_qda_posterior_matches_sklearn(iris, covariance_type, reference):
  x, y = iris
  params = classifiers.fit_gaussian_classifier(
      x, y, covariance_type=covariance_type)
  np.testing.assert_allclose(_posterior(params, x),
                             reference.fit(x, y).predict_proba(x), atol=1e-10)


def test_gaussian_nb_joint_matches_sklearn(iris):
  x, y = iris
  ref = naive_bayes.GaussianNB().fit(x, y)
  params = classifiers.fit_gaussian_classifier(
      x, y, covariance_type="diag", reg_covar=1e-9 * x.var(0).max())
  np.testing.assert_allclose(
      classifiers.gaussian_log_joint(params, jnp.asarray(x)),
      ref.predict_joint_log_proba(x), rtol=1e-10, atol=1e-9)


def test_bernoulli_nb_joint_matches_sklearn():
  x, y = datasets.load_digits(return_X_y=True)
  ref = naive_bayes.BernoulliNB(alpha=0.5, binarize=4.0).fit(x, y)
  params = classifiers.fit_bernoulli_nb(x, y, alpha=0.5, threshold=4.0)
  got = classifiers.bernoulli_log_joint(params, jnp.asarray(
      (x > 4.0).astype(np.float64)))
  np.testing.assert_allclose(got, ref.predict_joint_log_proba(x), rtol=1e-10)


def test_lda_posterior_is_a_softmax_of_closed_form_weights(iris):
  """Notes 000: with a shared covariance the decision function is a sigmoid."""
  x, y = iris
  params = classifiers.fit_gaussian_classifier(x, y, covariance_type="tied")
  w = classifiers.lda_logistic_weights(params)
  # Independent closed form: Sigma^-1 mu_c from NumPy.
  cov = sum(np.cov(x[y == c].T, bias=True) * (y == c).sum() for c in range(3))
  cov /= len(x)
  means = np.stack([x[y == c].mean(0) for c in range(3)])
  np.testing.assert_allclose(w["w"], np.linalg.solve(cov, means.T).T,
                             rtol=1e-8)
  np.testing.assert_allclose(
      jax.nn.softmax(classifiers.linear_logits(w, jnp.asarray(x))),
      _posterior(params, x), atol=1e-12)
  # Two classes: a sigmoid of (w_1 - w_0)^T x + b_1 - b_0.
  binary = classifiers.fit_gaussian_classifier(x[y > 0], y[y > 0] - 1)
  wb = classifiers.lda_logistic_weights(binary)
  a = x[y > 0] @ np.asarray(wb["w"][1] - wb["w"][0]) + float(
      wb["b"][1] - wb["b"][0])
  np.testing.assert_allclose(1 / (1 + np.exp(-a)),
                             _posterior(binary, x[y > 0])[:, 1], atol=1e-12)


@pytest.mark.parametrize("binary", [True, False])
def test_logistic_regression_matches_sklearn(iris, binary):
  x, y = iris
  if binary:
    x, y = x[:, :2], (y == 2).astype(int)
  ref = linear_model.LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000)
  ref.fit(x, y)
  params = classifiers.fit_logistic(x, y, l2=2.0)
  logits = classifiers.linear_logits(params, jnp.asarray(x))
  prob = (jax.nn.sigmoid(logits) if binary else jax.nn.softmax(logits))
  expected = ref.predict_proba(x)[:, 1] if binary else ref.predict_proba(x)
  np.testing.assert_allclose(prob, expected, atol=1e-6)
  if binary:
    np.testing.assert_allclose(params["w"], ref.coef_[0], rtol=1e-5)


def test_logistic_log_likelihood_against_numpy():
  rng = np.random.default_rng(0)
  x, w = rng.normal(size=(20, 3)), rng.normal(size=3)
  y = rng.integers(0, 2, 20)
  a = x @ w + 0.3
  expected = y * np.log(1 / (1 + np.exp(-a))) + (1 - y) * np.log(
      1 / (1 + np.exp(a)))
  got = classifiers.logistic_log_likelihood(
      {"w": jnp.asarray(w), "b": jnp.asarray(0.3)}, jnp.asarray(x),
      jnp.asarray(y))
  np.testing.assert_allclose(got, expected, rtol=1e-12)
  wm = rng.normal(size=(4, 3))
  ym = rng.integers(0, 4, 20)
  logits = x @ wm.T
  ref = logits[np.arange(20), ym] - np.log(np.exp(logits).sum(1))
  got = classifiers.logistic_log_likelihood(
      {"w": jnp.asarray(wm), "b": jnp.zeros(4)}, jnp.asarray(x),
      jnp.asarray(ym))
  np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_mlp_forward_matches_numpy():
  x = np.random.default_rng(1).normal(size=(5, 4))
  model = nets.MLP(features=(8, 3))
  params = model.init(jax.random.PRNGKey(0), jnp.asarray(x))["params"]
  h = np.maximum(x @ np.asarray(params["Dense_0"]["kernel"])
                 + np.asarray(params["Dense_0"]["bias"]), 0)
  ref = h @ np.asarray(params["Dense_1"]["kernel"]) + np.asarray(
      params["Dense_1"]["bias"])
  np.testing.assert_allclose(model.apply({"params": params}, jnp.asarray(x)),
                             ref, rtol=1e-6, atol=1e-6)


def test_mixture_of_experts_is_gated_weights():
  x = jnp.asarray(np.random.default_rng(2).normal(size=(6, 3)))
  model = nets.MixtureOfExperts(n_experts=3, n_classes=2)
  params = model.init(jax.random.PRNGKey(0), x)
  logits, gates = model.apply(params, x)
  p = params["params"]
  g = np.asarray(jax.nn.softmax(x @ p["gate"]["kernel"] + p["gate"]["bias"]))
  w_moe = np.einsum("nk,kcd->ncd", g, np.asarray(p["w"]))
  ref = np.einsum("ncd,nd->nc", w_moe, np.asarray(x)) + g @ np.asarray(p["b"])
  np.testing.assert_allclose(gates, g, rtol=1e-6)
  np.testing.assert_allclose(logits, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad,match", [
    (dict(y=np.array([0, 1, 2])), "one label per row"),
    (dict(y=np.array([0, 1, 5, 1]), n_classes=3), "0..2"),
    (dict(y=np.array([0, -1, 1, 1])), "lie in"),
])
def test_bad_labels_raise(bad, match):
  x = np.zeros((4, 2))
  with pytest.raises(ValueError, match=match):
    classifiers.fit_gaussian_classifier(x, **bad)


def test_cross_entropy_loss_against_sklearn_log_loss():
  from sklearn import metrics
  rng = np.random.default_rng(0)
  x = rng.normal(size=(50, 4))
  y = rng.integers(0, 3, 50)
  w = rng.normal(size=(4, 3))
  loss, aux = classifiers.cross_entropy_loss(lambda p, xx: xx @ p)(
      jnp.asarray(w), None, {"x": jnp.asarray(x), "y": jnp.asarray(y)},
      hparams={})
  logits = x @ w
  prob = np.exp(logits - logits.max(1, keepdims=True))
  prob /= prob.sum(1, keepdims=True)
  np.testing.assert_allclose(float(loss), metrics.log_loss(y, prob), rtol=1e-5)
  assert float(aux["accuracy"]) == pytest.approx(
      np.mean(logits.argmax(1) == y))


def test_fit_logistic_compiles_once_per_shape():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
  classifiers.fit_logistic(x, y, l2=1.0)
  before = classifiers._fit_logistic._cache_size()
  classifiers.fit_logistic(x + 1.0, y, l2=2.0)
  assert classifiers._fit_logistic._cache_size() == before


def test_softmax_intercepts_stay_centred_on_nearly_constant_features():
  """Softmax logistic regression is flat along a common shift of the
  intercepts; on features with almost no spread (an untrained encoder's)
  float32 Newton steps drifted them to ~1e10 and every logit became equal.
  The fit keeps sum(b) at 0 and its predictions match scikit-learn's."""
  rng = np.random.default_rng(0)
  y = np.arange(100) % 10
  x = (0.01 * rng.normal(size=(100, 4)) + 0.002 * y[:, None]).astype(
      np.float32)
  fit = classifiers.fit_logistic(x, y, l2=1.0, n_classes=10)
  assert abs(float(jnp.sum(fit["b"]))) < 1e-3
  assert float(jnp.max(jnp.abs(fit["b"]))) < 10
  ref = linear_model.LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000)
  ref.fit(x.astype(np.float64), y)
  ours = np.argmax(np.asarray(classifiers.linear_logits(fit, x)), 1)
  np.testing.assert_array_equal(ours, ref.predict(x.astype(np.float64)))
