"""VAE models and objectives: shapes, conditioning, bounds, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgen import nets
from jgen import train
from jgen import variational


@pytest.mark.parametrize("conv,d", [(None, 64), ((8, 8), 64), ((28, 28), 784)])
def test_encoder_decoder_shapes(conv, d):
  x = jnp.ones((3, d))
  enc = nets.GaussianEncoder(latent_dim=4, hidden=(16,), conv=conv)
  mean, log_scale = enc.apply(enc.init(jax.random.PRNGKey(0), x), x)
  assert mean.shape == log_scale.shape == (3, 4)
  dec = nets.Decoder(output_dim=d, hidden=(16,), conv=conv)
  z = jnp.ones((2, 3, 4))
  assert dec.apply(dec.init(jax.random.PRNGKey(0), z), z).shape == (2, 3, d)


def test_vae_bound_uses_the_bernoulli_decoder():
  """The model's log p(x|z) equals a NumPy Bernoulli log-likelihood."""
  model = nets.VAE(latent_dim=3, output_dim=10, hidden=(8,))
  x = (jax.random.uniform(jax.random.PRNGKey(1), (4, 10)) > 0.5).astype(
      jnp.float32)
  params = model.init(jax.random.PRNGKey(0), x)
  z = jax.random.normal(jax.random.PRNGKey(2), (2, 4, 3))
  logits = np.asarray(model.apply(params, z, method=lambda m, zz: m.decoder(zz)))
  p = 1 / (1 + np.exp(-logits))
  ref = np.sum(np.asarray(x) * np.log(p) + (1 - np.asarray(x)) * np.log1p(-p), -1)
  got = model.apply(params, z, x, method=nets.VAE.log_prob)
  np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_objectives_and_beta():
  model = nets.VAE(latent_dim=3, output_dim=10, hidden=(8,), n_classes=2)
  x = jax.random.uniform(jax.random.PRNGKey(1), (6, 10))
  batch = {"x": x, "y": jnp.asarray([0, 1, 0, 1, 0, 1])}
  params = model.init(jax.random.PRNGKey(0), x, batch["y"])
  key = jax.random.PRNGKey(3)
  out = {}
  two = {"beta": jnp.float32(2.0)}
  for name, hp in [("vae", {}), ("beta_vae", two), ("iwae", {}), ("cvae", two),
                   ("vae_beta2", two)]:
    loss = variational.make_loss(model, name.split("_beta")[0], num_samples=4)
    out[name] = loss(params, key, batch, hparams=hp)
  # beta-VAE: -(rec - 2 KL); vae: -(rec - KL); iwae >= elbo (K = 4, same z).
  aux = out["vae"][1]
  np.testing.assert_allclose(out["vae"][0], -(aux["reconstruction"] - aux["kl"]),
                             rtol=1e-5)
  np.testing.assert_allclose(out["beta_vae"][0],
                             -(aux["reconstruction"] - 2.0 * aux["kl"]),
                             rtol=1e-5)
  assert out["iwae"][0] <= out["vae"][0] + 1e-5
  # beta is honoured wherever there is a KL term (vae and beta_vae are one
  # objective), and refused where there is none.
  np.testing.assert_allclose(out["vae_beta2"][0], out["beta_vae"][0], rtol=1e-6)
  np.testing.assert_allclose(out["cvae"][0], -(out["cvae"][1]["reconstruction"]
                                               - 2.0 * out["cvae"][1]["kl"]),
                             rtol=1e-5)
  with pytest.raises(ValueError, match="'iwae' has no KL term.*beta"):
    variational.make_loss(model, "iwae", num_samples=4)(params, key, batch,
                                                         hparams=two)
  with pytest.raises(ValueError, match="beta"):
    variational.make_loss(model, "vae")(params, key, batch,
                                        hparams={"beta": -1.0})


def test_training_improves_the_importance_log_likelihood():
  from jgen import data
  ds = data.load("digits", seed=0)
  x = jnp.asarray(ds.x_train)
  model = nets.VAE(latent_dim=4, output_dim=64, hidden=(64,))
  params = model.init(jax.random.PRNGKey(0), x[:2])
  loss = variational.make_loss(model, "vae", binarize_data=True)
  opt = optax.adam(3e-3)
  res = train.train(train.init_state(params, opt, jax.random.PRNGKey(0)),
                    train.gradient_step(loss, opt), {"x": x}, {},
                    num_steps=600, batch_fn=train.minibatch(64),
                    chunk_size=300, progress=False)
  xt = jnp.asarray((np.random.default_rng(0).random(ds.x_test.shape)
                    < ds.x_test).astype(np.float32))

  def ll(p):
    return float(jnp.mean(variational.importance_log_likelihood(
        jax.random.PRNGKey(5), xt, **variational.bound_fns(model, p), num_samples=200,
        chunk_size=100)))
  before, after = ll(params), ll(res.state.params)
  assert after > before + 5.0, (before, after)
  assert after < 0


@pytest.mark.parametrize("kwargs,name", [
    ({"objective": "vq_vae"}, "objective"), ({"num_samples": 0}, "num_samples"),
])
def test_bad_objective_arguments(kwargs, name):
  model = nets.VAE(latent_dim=2, output_dim=4)
  args = {"objective": "vae", **kwargs}
  with pytest.raises(ValueError, match=name):
    variational.make_loss(model, **args)
  with pytest.raises(ValueError, match="n_classes"):
    variational.make_loss(model, "cvae")
  with pytest.raises(ValueError, match="n_clusters"):
    variational.make_loss(model, "mog_vae")


def test_mog_bound_matches_monte_carlo():
  """The closed-form mixture-prior terms equal a Monte Carlo estimate of
  E_q[log p(z, c) - log q(z, c | x)] with q(z, c | x) = q(z | x) q(c | x)."""
  model = nets.VAE(latent_dim=2, output_dim=6, hidden=(8,), n_clusters=3)
  x = jax.random.uniform(jax.random.PRNGKey(1), (4, 6))
  params = model.init(jax.random.PRNGKey(0), x)
  mean, log_scale = model.apply(params, x, method=nets.VAE.encode)
  logits = model.apply(params, x, method=nets.VAE.cluster_logits)
  closed = variational.mixture_prior_terms(
      mean, log_scale, logits, params["params"]["cluster_means"])
  qc = jax.nn.softmax(logits)
  mu = np.asarray(params["params"]["cluster_means"])
  z = np.asarray(variational.reparameterize(jax.random.PRNGKey(2), mean, log_scale,
                                     200000))                # [S, B, L]
  m, s = np.asarray(mean), np.exp(np.asarray(log_scale))
  log_qz = np.sum(-0.5 * np.log(2 * np.pi) - np.log(s)
                  - 0.5 * ((z - m) / s) ** 2, -1)             # [S, B]
  qc = np.asarray(qc)
  log_pz_c = np.stack([np.sum(-0.5 * np.log(2 * np.pi) - 0.5 * (z - mu[c]) ** 2,
                              -1) for c in range(3)], -1)     # [S, B, K]
  per_c = log_pz_c + np.log(1 / 3) - np.log(qc)               # [S, B, K]
  mc = np.mean(np.sum(qc * per_c, -1) - log_qz, 0)
  np.testing.assert_allclose(closed, mc, atol=0.02)


def test_one_cluster_at_the_origin_is_the_vae_kl():
  model = nets.VAE(latent_dim=3, output_dim=6, hidden=(8,), n_clusters=1)
  x = jax.random.uniform(jax.random.PRNGKey(1), (4, 6))
  params = model.init(jax.random.PRNGKey(0), x)
  params = jax.tree_util.tree_map_with_path(
      lambda p, a: jnp.zeros_like(a) if "cluster_means" in str(p) else a, params)
  mean, log_scale = model.apply(params, x, method=nets.VAE.encode)
  closed = variational.mixture_prior_terms(
      mean, log_scale, model.apply(params, x, method=nets.VAE.cluster_logits),
      params["params"]["cluster_means"])
  s2 = np.exp(2 * np.asarray(log_scale))
  kl = 0.5 * np.sum(s2 + np.asarray(mean) ** 2 - 1 - 2 * np.asarray(log_scale),
                    -1)
  np.testing.assert_allclose(closed, -kl, rtol=1e-5, atol=1e-5)


def test_cluster_accuracy_uses_the_best_matching():
  from jgen import metrics
  labels = np.array([0, 0, 1, 1, 2, 2])
  assert metrics.cluster_accuracy(np.array([2, 2, 0, 0, 1, 1]), labels) == 1.0
  assert metrics.cluster_accuracy(np.array([1, 1, 1, 0, 0, 2]), labels) == 4 / 6
  with pytest.raises(ValueError, match="equal length"):
    metrics.cluster_accuracy(np.array([0, 1]), labels)


def test_matched_table_puts_the_best_matching_on_its_diagonal():
  from jgen import metrics
  labels = np.array([0, 0, 1, 1, 2, 2])
  # by hand: cluster 1 -> 0 (2 images), cluster 0 -> 1 (1), cluster 2 -> 2
  np.testing.assert_array_equal(
      metrics.matched_table(np.array([1, 1, 1, 0, 0, 2]), labels),
      [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
  # a label without a cluster gets a row of zeros
  np.testing.assert_array_equal(
      metrics.matched_table(np.array([0, 0, 1]), np.array([0, 0, 2])),
      [[2, 0, 0], [0, 0, 0], [0, 0, 1]])
  # clusters beyond the labels follow the matched rows
  more = metrics.matched_table(np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]))
  assert more.shape == (4, 2) and np.trace(more) == 2 and more.sum() == 4
  with pytest.raises(ValueError, match="equal length"):
    metrics.matched_table(np.array([0, 1]), labels)


def test_gaussian_decoder_with_learned_scale_against_scipy():
  from scipy import stats
  model = nets.VAE(latent_dim=2, output_dim=5, hidden=(8,),
                  likelihood="gaussian", learn_scale=True)
  x = jax.random.normal(jax.random.PRNGKey(1), (3, 5))
  params = model.init(jax.random.PRNGKey(0), x)
  params = jax.tree_util.tree_map_with_path(
      lambda p, a: a + 0.3 if "pixel_log_scale" in str(p) else a, params)
  z = jax.random.normal(jax.random.PRNGKey(2), (2, 3, 2))
  mean = np.asarray(model.apply(params, z, method=nets.VAE.decode_mean))
  ref = stats.norm(mean, np.exp(0.3)).logpdf(np.asarray(x)).sum(-1)
  np.testing.assert_allclose(model.apply(params, z, x, method=nets.VAE.log_prob),
                             ref, rtol=1e-5)


def test_masked_gaussian_decoder_sums_the_kept_dimensions_only():
  """log p(x | z) over the dimensions a mask keeps (SciPy, float64); a left
  -out dimension gives its learned scale no gradient, so a constant feature
  cannot collapse it."""
  from scipy import stats
  model = nets.VAE(latent_dim=2, output_dim=5, hidden=(8,),
                   likelihood="gaussian", learn_scale=True)
  x = jax.random.normal(jax.random.PRNGKey(1), (3, 5))
  params = model.init(jax.random.PRNGKey(0), x)
  scales = jnp.array([0.3, -0.2, 0.1, 0.5, -0.4])
  params = jax.tree_util.tree_map_with_path(
      lambda p, a: scales if "pixel_log_scale" in str(p) else a, params)
  mask = jnp.array([1.0, 0.0, 1.0, 1.0, 0.0])
  z = jax.random.normal(jax.random.PRNGKey(2), (2, 3, 2))
  mean = np.asarray(model.apply(params, z, method=nets.VAE.decode_mean))
  per_dim = stats.norm(mean, np.exp(np.asarray(scales))).logpdf(np.asarray(x))
  np.testing.assert_allclose(
      model.apply(params, z, x, None, mask, method=nets.VAE.log_prob),
      (per_dim * np.asarray(mask)).sum(-1), rtol=1e-5)
  grad = jax.grad(lambda p: jnp.sum(model.apply(
      p, z, x, None, mask, method=nets.VAE.log_prob)))(params)
  g = np.asarray(grad["params"]["pixel_log_scale"])
  assert np.all(g[[1, 4]] == 0) and np.all(g[[0, 2, 3]] != 0)
  bernoulli = nets.VAE(latent_dim=2, output_dim=5, hidden=(8,))
  with pytest.raises(ValueError, match="mask: only the Gaussian"):
    bernoulli.apply(bernoulli.init(jax.random.PRNGKey(0), x), z, x, None,
                    mask, method=nets.VAE.log_prob)


@pytest.mark.parametrize("kwargs,name", [
    ({"latent_dim": 0}, "latent_dim"), ({"output_dim": -3}, "output_dim"),
    ({"hidden": (0,)}, "hidden"), ({"conv": (5, 5)}, "conv"),
    ({"conv": (28, 28), "output_dim": 64}, "output_dim"),
    ({"likelihood": "poisson"}, "likelihood"), ({"n_classes": -1}, "n_classes"),
])
def test_bad_vae_module_arguments(kwargs, name):
  args = {"latent_dim": 2, "output_dim": 64, **kwargs}
  with pytest.raises((ValueError, TypeError), match=name):
    nets.VAE(**args)
