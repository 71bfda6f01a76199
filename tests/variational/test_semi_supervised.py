"""M2's bounds (Kingma et al. 2014, eq. 6-9) against an exact class-conditional
linear-Gaussian model, float64 NumPy/SciPy references, and the M2 module."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special
from scipy import stats

from jgen import likelihoods
from jgen import nets
from jgen import variational

D, L, C, SIGMA = 5, 2, 3, 0.5


def _model():
  """p(y) p(z) N(x | W_y z + mu_y, sigma^2 I): exact log p(x, y) and exact
  posteriors q(z | x, y) (W_y with orthogonal columns: diagonal posterior)."""
  rng = np.random.default_rng(0)
  ws, mus = [], []
  for _ in range(C):
    q, _ = np.linalg.qr(rng.normal(size=(D, L)))
    ws.append(q * rng.uniform(0.5, 2.0, size=L))
    mus.append(rng.normal(scale=1.5, size=D))
  ws, mus = np.stack(ws), np.stack(mus)
  log_py = np.log(np.array([0.2, 0.3, 0.5]))
  x = rng.normal(scale=2.0, size=(6, D))
  log_joint = np.stack([
      log_py[c] + stats.multivariate_normal(
          mus[c], ws[c] @ ws[c].T + SIGMA**2 * np.eye(D)).logpdf(x)
      for c in range(C)], axis=1)                                # [B, C]
  m = np.einsum("cdl,cdl->cl", ws, ws) + SIGMA**2               # [C, L]
  w_j, mu_j = jnp.asarray(ws), jnp.asarray(mus)

  def exact_encode(xx, y):
    mean = jnp.einsum("bd,bdl->bl", xx - mu_j[y], w_j[y]) / jnp.asarray(m)[y]
    return mean, 0.5 * jnp.log(SIGMA**2 / jnp.asarray(m)[y])

  def decoder_log_prob(z, xx, y):
    mean = jnp.einsum("sbl,bdl->sbd", z, w_j[y]) + mu_j[y]
    return likelihoods.gaussian_log_prob(xx, mean=mean, log_scale=np.log(SIGMA))
  fns = {"encode": exact_encode, "decoder_log_prob": decoder_log_prob,
         "log_prior_y": jnp.asarray(log_py)}
  return jnp.asarray(x), log_joint, fns


def test_labelled_bound_is_log_p_xy_at_the_exact_posterior_and_below_it_elsewhere():
  x, log_joint, fns = _model()
  for c in range(C):
    y = jnp.full((x.shape[0],), c)
    got = variational.labelled_bound(jax.random.PRNGKey(c), x, y,
                                     num_samples=200_000, **fns)
    np.testing.assert_allclose(got, log_joint[:, c], atol=0.03)
  wrong = dict(fns, encode=lambda xx, y: tuple(a + 0.3 for a in
                                               fns["encode"](xx, y)))
  y = jnp.zeros((x.shape[0],), int)
  got = variational.labelled_bound(jax.random.PRNGKey(0), x, y,
                                   num_samples=200_000, **wrong)
  assert np.all(np.asarray(got) < log_joint[:, 0] - 1e-3)


def test_unlabelled_bound_enumerates_classes_like_numpy():
  x, log_joint, fns = _model()
  key, n = jax.random.PRNGKey(2), 100_000
  logits = jax.random.normal(jax.random.PRNGKey(1), (x.shape[0], C))
  out = variational.unlabelled_bound(key, x, class_logits=logits,
                                     num_samples=n, **fns)
  per_class = np.stack([np.asarray(variational.labelled_bound(
      key, x, jnp.full((x.shape[0],), c), num_samples=n, **fns))
                        for c in range(C)], axis=1)   # one class at a time
  np.testing.assert_allclose(out["labelled"], per_class, rtol=1e-10)
  log_q = special.log_softmax(np.asarray(logits, np.float64), axis=1)
  ref = np.sum(np.exp(log_q) * (per_class - log_q), axis=1)   # float64 NumPy
  np.testing.assert_allclose(out["bound"], ref, rtol=1e-10)
  log_px = special.logsumexp(log_joint, axis=1)
  assert np.all(np.asarray(out["bound"]) < log_px - 0.05)      # -U <= log p(x)
  exact = variational.unlabelled_bound(
      key, x, class_logits=jnp.asarray(log_joint), num_samples=n, **fns)
  np.testing.assert_allclose(exact["bound"], log_px, atol=0.03)  # q = p(y|x)


def test_m2_log_likelihood_sums_classes_inside_each_weight():
  x, log_joint, fns = _model()
  log_px = special.logsumexp(log_joint, axis=1)
  exact = variational.m2_log_likelihood(jax.random.PRNGKey(0), x,
                                        num_samples=20, chunk_size=10, **fns)
  np.testing.assert_allclose(exact, log_px, rtol=1e-10)   # every weight = p(x)
  wrong = dict(fns, encode=lambda xx, y: (fns["encode"](xx, y)[0] + 0.3,
                                          fns["encode"](xx, y)[1] + 0.2))
  def gap(k, n_keys):     # log p(x) - E[estimate], averaged over keys and x
    est = jax.vmap(lambda key: variational.m2_log_likelihood(
        key, x, num_samples=k, chunk_size=min(k, 100), **wrong))(
            jax.random.split(jax.random.PRNGKey(1), n_keys))
    return float(np.mean(log_px - np.asarray(est)))
  gaps = [gap(1, 400), gap(10, 400), gap(1000, 20)]
  assert gaps[0] > gaps[1] > gaps[2] > -0.01 and gaps[2] < 0.05, gaps


def _m2_and_batch(likelihood="bernoulli"):
  model = nets.M2(latent_dim=2, output_dim=6, n_classes=3, hidden=(8,),
                  likelihood=likelihood, learn_prior=True)
  rng = np.random.default_rng(0)
  batch = {"x_l": jnp.asarray(rng.uniform(size=(4, 6)) > 0.5, jnp.float32),
           "y_l": jnp.asarray([0, 1, 2, 1]),
           "x_u": jnp.asarray(rng.uniform(size=(5, 6)) > 0.5, jnp.float32)}
  params = model.init(jax.random.PRNGKey(0), batch["x_l"], batch["y_l"])
  return model, params, batch


def test_m2_loss_is_the_sum_of_its_terms():
  model, params, batch = _m2_and_batch()
  loss = variational.make_m2_loss(model)
  key = jax.random.PRNGKey(3)
  total, aux = loss(params, key, batch, hparams={"alpha": 2.5})
  np.testing.assert_allclose(
      total, -aux["labelled_bound"] - aux["unlabelled_bound"]
      + 2.5 * aux["cross_entropy"], rtol=1e-6)
  logits = model.apply(params, batch["x_l"], method=nets.M2.class_logits)
  ref = -np.mean(special.log_softmax(np.asarray(logits, np.float64), 1)[
      np.arange(4), np.asarray(batch["y_l"])])
  np.testing.assert_allclose(aux["cross_entropy"], ref, rtol=1e-5)
  lp = model.apply(params, method=nets.M2.log_prior_y)
  np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-6)


def test_alpha_gradient_flows_only_into_the_classifier():
  model, params, batch = _m2_and_batch()
  loss = variational.make_m2_loss(model)
  grad = lambda a: jax.grad(lambda p: loss(p, jax.random.PRNGKey(0), batch,
                                           hparams={"alpha": a})[0])(params)
  diff = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), grad(1.0),
                      grad(0.0))["params"]
  assert max(jax.tree.leaves(diff["classifier"])) > 1e-4
  others = {k: v for k, v in diff.items() if k != "classifier"}
  assert max(jax.tree.leaves(others)) == 0.0, others


@pytest.mark.parametrize("fn,name", [
    (lambda: variational.make_m2_loss(nets.M2(2, 6, n_classes=3),
                                      num_samples=0), "num_samples"),
    (lambda: nets.M2(2, 6, n_classes=1).init(
        jax.random.PRNGKey(0), jnp.ones((1, 6)), jnp.zeros(1, int)),
     "n_classes"),
    (lambda: nets.M2(2, 6, likelihood="poisson").init(
        jax.random.PRNGKey(0), jnp.ones((1, 6)), jnp.zeros(1, int)),
     "likelihood"),
    (lambda: variational.check_alpha(-0.1), "alpha"),
])
def test_bad_m2_arguments(fn, name):
  with pytest.raises(ValueError, match=name):
    fn()


def test_negative_alpha_in_hparams_is_refused_before_tracing():
  model, params, batch = _m2_and_batch()
  loss = variational.make_m2_loss(model)
  with pytest.raises(ValueError, match="alpha"):
    loss(params, jax.random.PRNGKey(0), batch, hparams={"alpha": -1.0})
