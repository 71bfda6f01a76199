"""Sweeps: grid construction, vmapped = loop, sharded over 8 CPU devices."""

import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgen import sweep
from jgen import train


def _member():
  opt = lambda hp: optax.adam(hp["lr"])

  def loss(params, key, batch, *, hparams):
    del key
    pred = batch["x"] @ params
    return jnp.mean((pred - batch["y"]) ** 2) + hparams["l2"] * jnp.sum(
        params**2), {}
  run = train.make_run(
      lambda k, h, d: train.init_state(jax.random.normal(k, (4,)), opt, k, h),
      train.gradient_step(loss, opt), train.minibatch(16), 30)

  def member(key, hparams, data):
    state, metrics = run(key, hparams, data)
    return {"params": state.params, "loss": metrics["loss"]}
  return member


def _data():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(64, 4)).astype(np.float32)
  return {"x": jnp.asarray(x), "y": jnp.asarray(x @ np.arange(4.0, dtype=np.float32))}


def test_grid_shape_and_order():
  g = sweep.grid(lr=[0.1, 0.2], l2=[0.0, 1.0, 2.0], seeds=[0, 5])
  assert g.shape == (2, 3, 2) and g.size == 12
  np.testing.assert_array_equal(g.seeds, np.tile([0, 5], 6))
  np.testing.assert_allclose(g.hparams["l2"].reshape(g.shape)[:, 1, :], 1.0)


@pytest.mark.parametrize("n_data", [1, 2])
def test_sharded_sweep_equals_loop(n_data):
  assert jax.device_count() == 8
  data = _data()
  g = sweep.grid(lr=[0.01, 0.03, 0.1], l2=[0.0, 0.1], seeds=[0, 1])
  member = _member()
  key = jax.random.PRNGKey(42)
  one = sweep.run(member, g, key, data, mesh=sweep.make_mesh(
      1, jax.devices()[:1]))
  many = sweep.run(member, g, key, data, mesh=sweep.make_mesh(n_data))
  np.testing.assert_allclose(many.outputs["params"], one.outputs["params"],
                             rtol=1e-5, atol=1e-6)
  single = jax.jit(member)
  for m in (0, 5, 11):
    idx = np.unravel_index(m, g.shape)
    out = single(jax.random.fold_in(key, int(g.seeds[m])),
                 {k: jnp.float32(v[m]) for k, v in g.hparams.items()}, data)
    np.testing.assert_allclose(one.outputs["params"][idx], out["params"],
                               rtol=1e-5, atol=1e-6)
  assert one.outputs["loss"].shape == (3, 2, 2, 30)


def test_sweep_compiles_once():
  data = _data()
  g = sweep.grid(lr=[0.01, 0.1], l2=[0.0], seeds=[0])
  counted = chex.assert_max_traces(_member(), n=1)
  sweep.run(counted, g, jax.random.PRNGKey(0), data)
  g2 = sweep.grid(lr=[0.02, 0.3], l2=[0.5], seeds=[3])
  sweep.run(counted, g2, jax.random.PRNGKey(0), data)


def test_random_grid_and_save(tmp_path):
  g = sweep.random_grid(jax.random.PRNGKey(0), 5, lr=("log", 1e-3, 1e-1),
                        l2=(0.0, 0.1), seeds=[0, 1])
  assert g.shape == (5, 2)
  assert np.all((g.hparams["lr"] >= 1e-3) & (g.hparams["lr"] <= 1e-1))
  res = sweep.run(_member(), g, jax.random.PRNGKey(0), _data())
  path = str(tmp_path / "sweep")
  sweep.save(res, path)
  npz = np.load(path + ".npz")
  np.testing.assert_allclose(npz["params"], res.outputs["params"])
  with open(path + ".json") as f:
    meta = json.load(f)
  assert meta["shape"] == [5, 2] and len(meta["hparams"]["lr"]) == 5
  np.testing.assert_allclose(sweep.member(res, seed=1)["params"],
                             res.outputs["params"][:, 1])


@pytest.mark.parametrize("axes,match", [
    ({"lam": []}, "non-empty"), ({"lam": [[0.1, 0.2], [0.3]]}, "ragged"),
    ({"lam": [0.1, np.nan]}, "finite"), ({"seeds": [0.5]}, "seeds"),
])
def test_bad_grids_raise(axes, match):
  with pytest.raises(ValueError, match=match):
    sweep.grid(**axes)


def test_bad_random_ranges_raise():
  with pytest.raises(ValueError, match="lr"):
    sweep.random_grid(jax.random.PRNGKey(0), 3, lr=("log", 0.0, 1.0))


def test_vmapped_cache_does_not_keep_functions_alive():
  import gc
  import weakref

  def member(key, hp):
    return hp["a"] * 2.0
  ref = weakref.ref(member)
  g = sweep.grid(a=[1.0, 2.0])
  np.testing.assert_allclose(sweep.run(member, g, jax.random.PRNGKey(0))
                             .outputs[:, 0], [2.0, 4.0])
  del member
  gc.collect()
  assert ref() is None

