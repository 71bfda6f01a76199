"""Data-parallel single runs: 8 forced CPU devices give one device's numbers."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from jgen import adversarial
from jgen import data
from jgen import minimax
from jgen import nets
from jgen import sweep
from jgen import train
from jgen import variational


def _vae_run():
  x = jnp.asarray(data.load("mnist5k", seed=0).x_train[:512])
  model = nets.VAE(latent_dim=4, output_dim=784, hidden=(64,))
  params = model.init(jax.random.PRNGKey(1), x[:2])
  opt = optax.adam(1e-3)
  state = train.init_state(params, opt, jax.random.PRNGKey(0))
  step = train.gradient_step(variational.make_loss(model, "vae", binarize_data=True),
                             opt)
  return state, step, {"x": x}, {}


def _gan_run():
  x = jnp.asarray(data.load("ring8", seed=0).x_train)
  gen, critic = nets.MLP((32, 2)), nets.MLP((32, 1))
  game = adversarial.gan(
      critic=lambda v, x: critic.apply(v, x)[:, 0],
      generator=lambda u, z: gen.apply(u, z),
      sample_latent=lambda key, n: jax.random.normal(key, (n, 2)),
      loss="non_saturating", penalty="r1")
  k_u, k_v = jax.random.split(jax.random.PRNGKey(1))
  state = minimax.init(gen.init(k_u, x[:1]), critic.init(k_v, x[:1]),
                       key=jax.random.PRNGKey(0))
  hp = {"lr_u": 1e-2, "lr_v": 1e-2, "reg_weight": 0.1}
  return state, minimax.make_step(game, "simultaneous"), x, hp


@pytest.mark.parametrize("make", [_vae_run, _gan_run], ids=["vae", "gan"])
def test_eight_devices_match_one(make):
  assert jax.device_count() == 8            # tests/conftest.py forces 8
  state, step, d, hp = make()
  kwargs = dict(num_steps=20, chunk_size=10, batch_fn=train.minibatch(64),
                progress=False)
  one = train.train(state, step, d, hp, **kwargs)
  mesh = sweep.make_mesh(n_data=8)
  many = train.train(state, step, d, hp, mesh=mesh, **kwargs)
  losses = [k for k in one.history[-1] if k.startswith("loss")]
  for k in losses:
    np.testing.assert_allclose([r[k] for r in many.history],
                               [r[k] for r in one.history], rtol=1e-5)
  np.testing.assert_allclose(ravel_pytree(many.state.params)[0],
                             ravel_pytree(one.state.params)[0],
                             rtol=1e-4, atol=1e-6)
  leaf = jax.tree.leaves(many.state.params)[0]
  assert len(leaf.sharding.device_set) == 8     # replicated over the mesh


@pytest.mark.parametrize("members", ["vmap", "unroll"])
def test_members_over_the_sweep_axis_match_one_device(members):
  """4 members (two seeds x two learning rates, the second member's own
  data slice) split over a 4 x 2 mesh, one member per "sweep" device and
  each batch over "data", give the one-device batched run's numbers."""
  state, step, d, hp = _gan_run()
  keys = jax.random.split(jax.random.PRNGKey(5), 4)
  states = jax.vmap(lambda k: state.replace(key=k))(keys)
  hps = jax.tree.map(lambda v: jnp.asarray([v, v, 2 * v, 2 * v],
                                           jnp.float32), hp)
  own = {"x": jnp.stack([d[:256], d[256:512], d[:256], d[256:512]]),
         "shared": d[:8]}
  kwargs = dict(num_steps=20, chunk_size=10, batched=True, progress=False,
                data_axes={"x": 0, "shared": None}, members=members,
                batch_fn=lambda key, b: train.minibatch(64)(key, b["x"]))
  one = train.train(states, step, own, hps, **kwargs)
  mesh = sweep.make_mesh(n_data=2)
  many = train.train(states, step, own, hps, mesh=mesh, **kwargs)
  np.testing.assert_allclose(ravel_pytree(many.state.params)[0],
                             ravel_pytree(one.state.params)[0],
                             rtol=1e-4, atol=1e-6)
  leaf = jax.tree.leaves(many.state.params)[0]
  assert leaf.sharding.spec[0] == "sweep"      # one member per sweep device
  assert len(leaf.addressable_shards) == 8


def test_bad_mesh_arguments():
  state, step, d, hp = _gan_run()
  with pytest.raises(ValueError, match="multiple of the mesh's 'data'"):
    train.train(state, step, d, hp, num_steps=10, chunk_size=10,
                batch_fn=train.minibatch(60), mesh=sweep.make_mesh(n_data=8),
                progress=False)
  with pytest.raises(ValueError, match="batched: the state must carry"):
    train.train(state, step, d, hp, num_steps=10, chunk_size=10,
                batched=True, mesh=sweep.make_mesh(n_data=8), progress=False)
  stacked = jax.tree.map(lambda a: jnp.stack([a] * 3), state)
  with pytest.raises(ValueError, match="3 members must be a multiple of the "
                                       "mesh's 'sweep' axis \\(4"):
    train.train(stacked, step, d, hp, num_steps=10, chunk_size=10,
                batched=True, mesh=sweep.make_mesh(n_data=2), progress=False)
  with pytest.raises(ValueError, match="must have a 'sweep' axis"):
    train.train(stacked, step, d, hp, num_steps=10, chunk_size=10,
                batched=True, progress=False,
                mesh=jax.sharding.Mesh(np.array(jax.devices()), ("data",)))
  with pytest.raises(ValueError, match="must have a 'step' field"):
    train.train({"params": 1, "step": 0}, step, d, hp, num_steps=10,
                chunk_size=10)
