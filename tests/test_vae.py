"""VAE models and objectives: shapes, conditioning, bounds, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgen import elbo
from jgen import nets
from jgen import train
from jgen import vae


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
  model = vae.VAE(latent_dim=3, output_dim=10, hidden=(8,))
  x = (jax.random.uniform(jax.random.PRNGKey(1), (4, 10)) > 0.5).astype(
      jnp.float32)
  params = model.init(jax.random.PRNGKey(0), x)
  z = jax.random.normal(jax.random.PRNGKey(2), (2, 4, 3))
  logits = np.asarray(model.apply(params, z, method=lambda m, zz: m.decoder(zz)))
  p = 1 / (1 + np.exp(-logits))
  ref = np.sum(np.asarray(x) * np.log(p) + (1 - np.asarray(x)) * np.log1p(-p), -1)
  got = model.apply(params, z, x, method=vae.VAE.log_prob)
  np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_objectives_and_beta():
  model = vae.VAE(latent_dim=3, output_dim=10, hidden=(8,), n_classes=2)
  x = jax.random.uniform(jax.random.PRNGKey(1), (6, 10))
  batch = {"x": x, "y": jnp.asarray([0, 1, 0, 1, 0, 1])}
  params = model.init(jax.random.PRNGKey(0), x, batch["y"])
  key = jax.random.PRNGKey(3)
  out = {}
  for name in vae.OBJECTIVES:
    loss = vae.make_loss(model, name, num_samples=4)
    out[name] = loss(params, key, batch, hparams={"beta": jnp.float32(2.0)})
  # beta-VAE: -(rec - 2 KL); vae: -(rec - KL); iwae >= elbo (K = 4, same z).
  aux = out["vae"][1]
  np.testing.assert_allclose(out["vae"][0], -(aux["reconstruction"] - aux["kl"]),
                             rtol=1e-5)
  np.testing.assert_allclose(out["beta_vae"][0],
                             -(aux["reconstruction"] - 2.0 * aux["kl"]),
                             rtol=1e-5)
  assert out["iwae"][0] <= out["vae"][0] + 1e-5


def test_training_improves_the_importance_log_likelihood():
  from jgen import data
  ds = data.load("digits", seed=0)
  x = jnp.asarray(ds.x_train)
  model = vae.VAE(latent_dim=4, output_dim=64, hidden=(64,))
  params = model.init(jax.random.PRNGKey(0), x[:2])
  loss = vae.make_loss(model, "vae", binarize_data=True)
  opt = optax.adam(3e-3)
  res = train.train(train.init_state(params, opt, jax.random.PRNGKey(0)),
                    train.gradient_step(loss, opt), {"x": x}, {},
                    num_steps=600, batch_fn=train.minibatch(64),
                    chunk_size=300, progress=False)
  xt = jnp.asarray((np.random.default_rng(0).random(ds.x_test.shape)
                    < ds.x_test).astype(np.float32))

  def ll(p):
    encode, log_prob = vae.bound_fns(model, p)
    return float(jnp.mean(elbo.importance_log_likelihood(
        jax.random.PRNGKey(5), xt, encode, log_prob, num_samples=200,
        chunk_size=100)))
  before, after = ll(params), ll(res.state.params)
  assert after > before + 5.0, (before, after)
  assert after < 0


@pytest.mark.parametrize("kwargs,name", [
    ({"objective": "vq_vae"}, "objective"), ({"num_samples": 0}, "num_samples"),
])
def test_bad_objective_arguments(kwargs, name):
  model = vae.VAE(latent_dim=2, output_dim=4)
  args = {"objective": "vae", **kwargs}
  with pytest.raises(ValueError, match=name):
    vae.make_loss(model, **args)
  with pytest.raises(ValueError, match="n_classes"):
    vae.make_loss(model, "cvae")
