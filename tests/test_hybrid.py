"""Hybrid objectives against SciPy in float64; limits of alpha; bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import special
from scipy import stats

from jgen import classifiers
from jgen import hybrid
from jgen import sweep
from jgen import train


def _params(rng, c=2, d=3):
  return {"prior_logits": jnp.asarray(rng.normal(size=c)),
          "mean": jnp.asarray(rng.normal(size=(c, d))),
          "log_scale": jnp.asarray(0.3 * rng.normal(size=(c, d)))}


def _scipy_log_joint(p, x):
  prior = special.log_softmax(np.asarray(p["prior_logits"]))
  return np.stack([prior[c] + stats.norm(
      np.asarray(p["mean"][c]), np.exp(np.asarray(p["log_scale"][c]))
  ).logpdf(x).sum(1) for c in range(len(prior))], 1)


def test_lambda_hybrid_against_scipy():
  rng = np.random.default_rng(0)
  p, x, y = _params(rng), rng.normal(size=(15, 3)), rng.integers(0, 2, 15)
  lj = _scipy_log_joint(p, x)
  joint = lj[np.arange(15), y]
  cond = joint - special.logsumexp(lj, 1)
  for lam in (0.0, 0.3, 1.0):
    loss, aux = hybrid.lambda_hybrid_loss(
        p, None, {"x": jnp.asarray(x), "y": jnp.asarray(y)},
        hparams={"lam": lam})
    np.testing.assert_allclose(loss, -(lam * joint + (1 - lam) * cond).mean(),
                               rtol=1e-12)
    np.testing.assert_allclose(aux["discriminative"], cond.mean(), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.7, 1.0])
def test_bishop_lasserre_against_scipy(alpha):
  rng = np.random.default_rng(1)
  w_g, w_d = _params(rng), _params(rng)
  xl, yl, xu = rng.normal(size=(4, 3)), np.array([0, 0, 1, 1]), rng.normal(
      size=(10, 3))
  h = 0.1
  d_eff = w_g if alpha == 0 else w_d
  lj = _scipy_log_joint(d_eff, xl)
  cond = (lj[np.arange(4), yl] - special.logsumexp(lj, 1)).sum()
  marg = special.logsumexp(_scipy_log_joint(w_g, np.vstack([xl, xu])), 1).sum()
  flat = lambda w: np.concatenate([np.ravel(v) for v in jax.tree.leaves(w)])
  sq = np.sum((flat(w_g) - flat(d_eff)) ** 2)
  sigma2 = alpha / (1 - alpha) if 0 < alpha < 1 else np.inf
  coupling = 0.0 if alpha in (0.0, 1.0) else -0.5 * sq / sigma2
  prior = -0.5 * h * (np.sum(flat(w_g) ** 2) + np.sum(flat(d_eff) ** 2))
  expected = -(cond + marg + coupling + prior) / 14
  loss, _ = hybrid.bishop_lasserre_loss(
      {"generative": w_g, "discriminative": w_d}, None,
      {"x": jnp.asarray(xl), "y": jnp.asarray(yl),
       "x_unlabelled": jnp.asarray(xu)},
      hparams={"alpha": alpha, "prior_precision": h})
  np.testing.assert_allclose(loss, expected, rtol=1e-12)


def test_generative_limit_fits_the_closed_form_mle():
  """lam = 1 is maximum likelihood: Adam reaches the closed-form estimate."""
  rng = np.random.default_rng(2)
  y = np.repeat([0, 1, 2], [30, 50, 20])
  x = rng.normal(size=(100, 2)) * [1.0, 0.5] + 2.0 * y[:, None]
  batch = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
  opt = optax.adam(optax.exponential_decay(0.05, 1000, 0.1))
  state = train.init_state(hybrid.init_gaussian(x, y, 3), opt,
                           jax.random.PRNGKey(0))
  step = train.gradient_step(hybrid.lambda_hybrid_loss, opt)
  out = train.train(state, step, batch, {"lam": jnp.float64(1.0)},
                    num_steps=3000, chunk_size=1000, progress=False)
  ref = classifiers.fit_gaussian_classifier(x, y, covariance_type="diag")
  p = out.state.params
  np.testing.assert_allclose(p["mean"], ref.mean, atol=1e-4)
  np.testing.assert_allclose(np.exp(-p["log_scale"]), ref.precision_cholesky,
                             rtol=1e-3)
  np.testing.assert_allclose(jax.nn.log_softmax(p["prior_logits"]),
                             ref.log_prior, atol=1e-4)


def test_alpha_sweep_is_one_vmapped_call():
  rng = np.random.default_rng(3)
  xl = jnp.asarray(rng.normal(size=(4, 2)))
  batch = {"x": xl, "y": jnp.asarray([0, 0, 1, 1]),
           "x_unlabelled": jnp.asarray(rng.normal(size=(20, 2)))}
  w0 = hybrid.init_gaussian(xl, batch["y"], 2)
  opt = optax.adam(0.05)
  run = train.make_run(
      lambda k, h, d: train.init_state(
          {"generative": w0, "discriminative": w0}, opt, k),
      train.gradient_step(hybrid.bishop_lasserre_loss, opt),
      train.full_batch, 50)
  g = sweep.grid(alpha=[0.0, 0.5, 1.0], seeds=[0, 1])
  res = sweep.run(lambda k, h, d: run(k, h, d)[1]["loss"][-1], g,
                  jax.random.PRNGKey(0), batch)
  assert res.outputs.shape == (3, 2)
  for i, alpha in enumerate((0.0, 0.5, 1.0)):
    single = run(jax.random.fold_in(jax.random.PRNGKey(0), 0),
                 {"alpha": jnp.float32(alpha)}, batch)[1]["loss"][-1]
    np.testing.assert_allclose(res.outputs[i, 0], single, rtol=1e-5)


def test_alpha_sigma_map():
  np.testing.assert_allclose(hybrid.alpha_from_sigma([0.0, 1.0, np.inf]),
                             [0.0, 0.5, 1.0])
  np.testing.assert_allclose(hybrid.coupling_precision(jnp.asarray(0.5)), 1.0)


@pytest.mark.parametrize("kwargs,name", [
    ({"lam": 1.5}, "lam"), ({"alpha": [0.2, -0.1]}, "alpha"),
    ({"sigma": -1.0}, "sigma"), ({"prior_precision": -2}, "prior_precision"),
])
def test_bad_hparams_raise(kwargs, name):
  with pytest.raises(ValueError, match=name):
    hybrid.check_hparams(**kwargs)


def test_out_of_range_values_raise_at_the_boundary():
  with pytest.raises(ValueError, match="alpha"):
    sweep.grid(alpha=[0.0, 1.1], check=hybrid.check_hparams)
  p = _params(np.random.default_rng(0))
  batch = {"x": jnp.ones((4, 3)), "y": jnp.asarray([0, 0, 1, 1])}
  with pytest.raises(ValueError, match="lam"):
    hybrid.lambda_hybrid_loss(p, None, batch, hparams={"lam": -0.2})
  with pytest.raises(ValueError, match="alpha"):
    hybrid.bishop_lasserre_loss(
        {"generative": p, "discriminative": p}, None,
        {**batch, "x_unlabelled": jnp.ones((2, 3))}, hparams={"alpha": 2.0})


def test_labels_out_of_range_or_of_the_wrong_length_raise():
  p = _params(np.random.default_rng(0))
  x = jnp.ones((4, 3))
  for y, match in (([0, 0, 1, 2], "0..1"), ([0, 1, 1], "shape")):
    batch = {"x": x, "y": jnp.asarray(y)}
    with pytest.raises(ValueError, match=match):
      hybrid.lambda_hybrid_loss(p, None, batch, hparams={"lam": 0.5})
    with pytest.raises(ValueError, match=match):
      hybrid.bishop_lasserre_loss(
          {"generative": p, "discriminative": p}, None,
          {**batch, "x_unlabelled": x}, hparams={"alpha": 0.5})
    with pytest.raises(ValueError):
      hybrid.init_gaussian(x, np.asarray(y), 2)


def test_hypernetwork_loss_is_the_hybrid_at_the_drawn_lambda():
  from jgen import nets
  rng = np.random.default_rng(1)
  w0 = _params(rng)
  g = nets.HyperNetwork(num_outputs=2 + 6 + 6, hidden=(8,))
  u = g.init(jax.random.PRNGKey(0), jnp.zeros(()))
  x = rng.normal(size=(10, 3))
  y = rng.integers(0, 2, 10)
  batch = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
  key = jax.random.PRNGKey(5)
  loss, aux = hybrid.make_hypernetwork_loss(g, w0)(u, key, batch, hparams={})
  lam = float(jax.random.uniform(key))
  assert float(aux["lam"]) == pytest.approx(lam)
  # Reference: offsets added leaf by leaf in ravel order (sorted keys),
  # then the hybrid objective in SciPy.
  off = np.asarray(g.apply(u, jnp.float32(lam)))
  w = {"log_scale": np.asarray(w0["log_scale"]) + off[0:6].reshape(2, 3),
       "mean": np.asarray(w0["mean"]) + off[6:12].reshape(2, 3),
       "prior_logits": np.asarray(w0["prior_logits"]) + off[12:14]}
  lj = _scipy_log_joint(w, x)
  joint = lj[np.arange(10), y]
  cond = joint - special.logsumexp(lj, axis=1)
  ref = -(lam * joint.sum() + (1 - lam) * cond.sum()) / 10
  np.testing.assert_allclose(float(loss), ref, rtol=1e-4)
  with pytest.raises(ValueError, match="lam"):
    hybrid.make_hypernetwork_loss(g, w0)(u, key, batch, hparams={"lam": 0.3})
