"""Per-datapoint inference reaches the exact posterior of PPCA; the gap."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import train
from jgen import variational
from tests.variational.test_bounds import _ppca


def test_local_ascent_reaches_the_exact_posterior():
  _, _, x, exact, pm, pls, dec = _ppca()
  zeros = jnp.zeros_like(jnp.asarray(pm))
  mean, log_scale = variational.local_elbo_ascent(
      jax.random.PRNGKey(0), x, dec, zeros, zeros, num_steps=3000,
      learning_rate=0.02, num_samples=8)
  np.testing.assert_allclose(mean, pm, atol=0.05)
  np.testing.assert_allclose(log_scale, pls, atol=0.05)


def test_amortization_gap_of_a_wrong_encoder():
  _, _, x, exact, pm, pls, dec = _ppca()
  encode = lambda xx: (jnp.asarray(pm + 0.5), jnp.asarray(pls + 0.5))
  out = variational.amortization_gap(jax.random.PRNGKey(1), x, encode, dec,
                                   num_steps=3000, learning_rate=
                                   optax.exponential_decay(0.05, 1000, 0.1),
                                   fit_samples=8, eval_samples=20000)
  assert np.all(np.asarray(out["gap"]) > 0.1)
  np.testing.assert_allclose(out["optimized"], exact, atol=0.03)   # q* exact
  assert np.all(np.asarray(out["amortized"]) < exact)


def test_vb_step_runs_in_train_and_improves_the_elbo():
  w, mu, x, exact, _, _, _ = _ppca()
  n = x.shape[0]

  def dec(theta, z, xx):
    return -0.5 * jnp.sum((xx - z @ theta["w"].T - theta["mu"]) ** 2 / 0.25
                          + jnp.log(2 * jnp.pi * 0.25), -1)
  theta = {"w": jnp.asarray(w) * 0.5, "mu": jnp.asarray(mu)}
  params = {"decoder": theta, "mean": jnp.zeros((n, 2)),
            "log_scale": jnp.zeros((n, 2))}
  opt = optax.adam(0.01)
  state = train.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                           opt_state=opt.init(theta), key=jax.random.PRNGKey(0))
  res = train.train(state, variational.vb_step(dec, opt, e_steps=5),
                    {"x": x, "idx": jnp.arange(n)}, {}, num_steps=400,
                    chunk_size=200, progress=False)
  first, last = res.history[0]["elbo"], res.history[-1]["elbo"]
  assert last > first
