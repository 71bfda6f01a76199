"""Evidence: closed form vs SciPy, Laplace vs quadrature (seed 000)."""

import jax.numpy as jnp
import numpy as np
from scipy import integrate
from scipy import special
from scipy import stats

from jgen import evidence


def _linear_data():
  rng = np.random.default_rng(0)
  phi = rng.standard_normal((30, 4))
  t = phi @ rng.standard_normal(4) + 0.3 * rng.standard_normal(30)
  return phi, t


def test_linear_evidence_equals_gaussian_marginal():
  phi, t = _linear_data()
  for h, beta in [(2.0, 5.0), (0.01, 100.0)]:
    ref = stats.multivariate_normal(
        np.zeros(30), np.eye(30) / beta + phi @ phi.T / h).logpdf(t)
    got = evidence.linear_regression_log_evidence(
        jnp.asarray(phi), jnp.asarray(t), prior_precision=h,
        noise_precision=beta)
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_laplace_is_exact_for_a_gaussian_posterior():
  phi, t = _linear_data()
  h, beta = 2.0, 5.0

  def neg_log_joint(w):
    return -(jnp.sum(stats.norm.logpdf(0) - 0.5 * beta * (t - phi @ w) ** 2)
             + 15 * np.log(beta)) - (
                 2 * np.log(h / (2 * np.pi)) - 0.5 * h * jnp.sum(w**2))
  w_map = np.linalg.solve(h * np.eye(4) + beta * phi.T @ phi, beta * phi.T @ t)
  ref = stats.multivariate_normal(
      np.zeros(30), np.eye(30) / beta + phi @ phi.T / h).logpdf(t)
  np.testing.assert_allclose(
      evidence.laplace_log_evidence(neg_log_joint, jnp.asarray(w_map)), ref,
      rtol=1e-10)


def test_logistic_laplace_close_to_quadrature():
  rng = np.random.default_rng(0)
  x = rng.standard_normal((200, 1))
  y = (rng.random(200) < special.expit(1.5 * x[:, 0])).astype(int)
  for h in (0.1, 1.0):
    lap = float(evidence.logistic_log_evidence(
        jnp.asarray(x), jnp.asarray(y), prior_precision=h))

    def integrand(w, h=h):
      return np.exp(np.sum(np.log(special.expit((2 * y - 1) * w * x[:, 0])))
                    + stats.norm(0, 1 / np.sqrt(h)).logpdf(w) - lap)
    val, _ = integrate.quad(integrand, -10, 10, points=[1.5], limit=200)
    # Laplace error is O(1/N) in the log evidence.
    assert abs(np.log(val)) < 0.02, (h, np.log(val))


def test_cross_validation_linear_against_numpy():
  phi, t = _linear_data()
  folds = np.arange(30) % 3
  h, beta = 1.0, 10.0
  total = 0.0
  for f in range(3):
    tr, te = folds != f, folds == f
    m = np.linalg.solve(h * np.eye(4) + beta * phi[tr].T @ phi[tr],
                        beta * phi[tr].T @ t[tr])
    total += stats.norm(phi[te] @ m, 1 / np.sqrt(beta)).logpdf(t[te]).sum()
  got = evidence.cross_validation(jnp.asarray(phi), jnp.asarray(t),
                                  jnp.asarray(folds), model="linear",
                                  prior_precision=h, noise_precision=beta)
  np.testing.assert_allclose(got, total / 30, rtol=1e-10)
