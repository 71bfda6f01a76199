"""ELBO, IWAE and importance sampling against the exact PPCA likelihood."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate
from scipy import stats

from jgen import divergences
from jgen import likelihoods
from jgen import variational

D, L, SIGMA = 5, 2, 0.5


def _ppca():
  rng = np.random.default_rng(0)
  q, _ = np.linalg.qr(rng.normal(size=(D, L)))
  w = q * np.array([2.0, 0.7])              # orthogonal columns: W^T W diagonal
  mu = rng.normal(size=D)
  x = rng.multivariate_normal(mu, w @ w.T + SIGMA**2 * np.eye(D), size=4)
  exact = stats.multivariate_normal(mu, w @ w.T + SIGMA**2 * np.eye(D)).logpdf(x)
  m = np.diag(w.T @ w) + SIGMA**2           # M = W^T W + sigma^2 I (diagonal)
  post_mean = (x - mu) @ w / m
  post_log_scale = np.broadcast_to(0.5 * np.log(SIGMA**2 / m), post_mean.shape)

  def decoder_log_prob(z, xx):
    return likelihoods.gaussian_log_prob(xx, mean=z @ jnp.asarray(w.T) + mu,
                                         log_scale=np.log(SIGMA))
  return w, mu, jnp.asarray(x), exact, post_mean, post_log_scale, decoder_log_prob


def test_exact_posterior_gives_log_p_for_every_sample():
  _, _, x, exact, pm, pls, dec = _ppca()
  encode = lambda xx: (jnp.asarray(pm), jnp.asarray(pls))
  log_w = variational.log_importance_weights(jax.random.PRNGKey(0), x, encode, dec, 50)
  np.testing.assert_allclose(log_w, np.broadcast_to(exact, (50, 4)), rtol=1e-10)
  out = variational.elbo(jax.random.PRNGKey(1), x, encode, dec, num_samples=20000)
  np.testing.assert_allclose(out["elbo"], exact, atol=0.02)


def test_elbo_matches_closed_form_and_is_below_log_p():
  w, mu, x, exact, pm, pls, dec = _ppca()
  m = pm + 0.4                              # a wrong q
  log_s = pls + 0.3
  s2 = np.exp(2 * log_s)
  resid = np.asarray(x) - mu - m @ w.T
  rec = (-0.5 * D * np.log(2 * np.pi * SIGMA**2)
         - (np.sum(resid**2, 1) + s2 @ np.sum(w**2, 0)) / (2 * SIGMA**2))
  kl = 0.5 * np.sum(s2 + m**2 - 1 - 2 * log_s, 1)
  encode = lambda xx: (jnp.asarray(m), jnp.asarray(log_s))
  out = variational.elbo(jax.random.PRNGKey(2), x, encode, dec, num_samples=400000)
  np.testing.assert_allclose(out["kl"], kl, rtol=1e-10)
  np.testing.assert_allclose(out["reconstruction"], rec, atol=0.02)
  assert np.all(rec - kl < exact)
  beta = variational.elbo(jax.random.PRNGKey(2), x, encode, dec, num_samples=400000,
                   beta=3.0)
  np.testing.assert_allclose(beta["elbo"], out["reconstruction"] - 3 * kl,
                             rtol=1e-10)


def test_iwae_rises_with_k_towards_log_p():
  _, _, x, exact, pm, pls, dec = _ppca()
  encode = lambda xx: (jnp.asarray(pm + 0.15), jnp.asarray(pls + 0.15))
  gaps = []                       # log p(x) - E[IWAE_K], averaged over x
  for k in (1, 10, 100, 1000):
    vals = jax.vmap(lambda key: variational.iwae(key, x, encode, dec, num_samples=k))(
        jax.random.split(jax.random.PRNGKey(3), 1000))
    gaps.append(float(np.mean(exact - np.asarray(vals))))
  assert gaps[0] > gaps[1] > gaps[2] > 0, gaps
  assert abs(gaps[3]) < 2e-3, gaps


def test_importance_estimate_converges_in_chunks():
  _, _, x, exact, pm, pls, dec = _ppca()
  encode = lambda xx: (jnp.asarray(pm + 0.05), jnp.asarray(pls + 0.05))
  key = jax.random.PRNGKey(4)
  est = variational.importance_log_likelihood(key, x, encode, dec, num_samples=5000,
                                       chunk_size=250)
  # sd(w / p) = 0.23 for this q, so the estimate's sd is 0.23 / sqrt(5000) = 0.003.
  np.testing.assert_allclose(est, exact, atol=0.015)
  # The chunks combine exactly: log (1/K) sum over both chunks' weights.
  two = variational.importance_log_likelihood(key, x, encode, dec, num_samples=500,
                                       chunk_size=250)
  log_w = np.concatenate([np.asarray(variational.log_importance_weights(
      jax.random.fold_in(key, c), x, encode, dec, 250)) for c in (0, 1)])
  ref = np.log(np.mean(np.exp(log_w - log_w.max(0)), 0)) + log_w.max(0)
  np.testing.assert_allclose(two, ref, rtol=1e-12)


def test_kl_closed_form_vs_quadrature_and_monte_carlo():
  mq, lq = np.array([0.3, -1.0]), np.array([-0.2, 0.4])
  mp, lp = np.array([0.1, 0.5]), np.array([0.3, -0.1])
  ref = 0.0
  for d in range(2):
    q, p = stats.norm(mq[d], np.exp(lq[d])), stats.norm(mp[d], np.exp(lp[d]))
    ref += integrate.quad(lambda t: q.pdf(t) * (q.logpdf(t) - p.logpdf(t)),
                          -30, 30)[0]
  got = divergences.kl_diag_gaussians(jnp.asarray(mq), jnp.asarray(lq),
                                      jnp.asarray(mp), jnp.asarray(lp))
  np.testing.assert_allclose(got, ref, rtol=1e-8)
  mc = divergences.kl_monte_carlo(
      jax.random.PRNGKey(5),
      lambda key, n: variational.reparameterize(key, jnp.asarray(mq), jnp.asarray(lq), n),
      lambda z: likelihoods.gaussian_log_prob(z, mean=mq, log_scale=lq),
      lambda z: likelihoods.gaussian_log_prob(z, mean=mp, log_scale=lp), 200000)
  np.testing.assert_allclose(mc, ref, rtol=0.02)


def test_bad_bound_arguments():
  x = jnp.ones((2, 3))
  encode = lambda x: (jnp.zeros((2, 1)), jnp.zeros((2, 1)))
  dec = lambda z, x: jnp.zeros(z.shape[:2])
  key = jax.random.PRNGKey(0)
  with pytest.raises(ValueError, match="beta"):
    variational.elbo(key, x, encode, dec, beta=-0.5)
  with pytest.raises(ValueError, match="num_samples"):
    variational.elbo(key, x, encode, dec, num_samples=0)
  with pytest.raises(ValueError, match="num_samples"):
    variational.iwae(key, x, encode, dec, num_samples=0)
  with pytest.raises(ValueError, match="chunk_size"):
    variational.importance_log_likelihood(key, x, encode, dec, num_samples=10,
                                          chunk_size=0)
  with pytest.raises(ValueError, match="num_samples"):
    variational.importance_log_likelihood(key, x, encode, dec, num_samples=0)
