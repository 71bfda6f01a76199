"""Training loop: interrupted-and-resumed runs are bit-identical; NaN stops."""

import json
import os
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jgen import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILD = os.path.join(ROOT, "tests", "train_child.py")
ENV = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu",
       "XLA_FLAGS": ""}


def _child(model, workdir, out, sleep):
  return subprocess.Popen([sys.executable, CHILD, model, workdir, out,
                           str(sleep)],
                          env=ENV, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)


@pytest.mark.parametrize("model", ["logistic", "gan"])
def test_killed_run_resumes_bit_identical(tmp_path, model):
  """One player (softmax regression) and two (a GAN on ring8, alternating
  steps, minibatches drawn from the data array) resume bit-identically."""
  ref_out, out = str(tmp_path / "ref.npz"), str(tmp_path / "out.npz")
  workdir = str(tmp_path / "run")
  assert _child(model, "", ref_out, 0.0).wait(timeout=300) == 0
  proc = _child(model, workdir, out, 0.3)
  ckpt = os.path.join(workdir, "checkpoints")
  for _ in range(6000):                   # poll (up to 5 minutes) for a checkpoint
    steps = [d for d in os.listdir(ckpt) if d.isdigit()] if os.path.isdir(
        ckpt) else []
    if steps and max(map(int, steps)) >= 80:
      break
    time.sleep(0.05)
  proc.send_signal(signal.SIGKILL)
  proc.wait()
  assert not os.path.exists(out), "the run finished before it was killed"
  assert _child(model, workdir, out, 0.0).wait(timeout=300) == 0
  ref, got = np.load(ref_out), np.load(out)
  assert 80 <= int(got["resumed_from"]) < 400
  np.testing.assert_array_equal(got["params"], ref["params"])
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    steps = [json.loads(line)["step"] for line in f]
  assert steps == list(range(20, 401, 20))      # no duplicated chunks


def _quadratic_loss(params, key, batch, *, hparams):
  del key
  return jnp.sum((params - batch) ** 2) * hparams["scale"], {}


def test_nan_stops_with_step_and_metric(tmp_path):
  opt = optax.sgd(1.0)
  # scale 1.5 with lr 1: x <- x - 3 (x - b) diverges geometrically to inf.
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  step = train.gradient_step(_quadratic_loss, opt)
  with pytest.raises(train.TrainingDiverged,
                     match=r"diverged at step \d+: .* became NaN/inf; last good "
                           r"checkpoint: step \d+") as err:
    train.train(state, step, jnp.zeros(3), {"scale": jnp.float32(1.5)},
                num_steps=4000, chunk_size=200, workdir=str(tmp_path),
                progress=False)
  bad_step = int(str(err.value).split("step ")[1].split(":")[0])
  last_good = int(str(err.value).rsplit("step ", 1)[1].rstrip("."))
  assert last_good < bad_step <= last_good + 200
  assert os.path.isdir(tmp_path / "checkpoints" / str(last_good))


def test_training_converges_and_logs(tmp_path):
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  res = train.train(state, train.gradient_step(_quadratic_loss, opt),
                    jnp.arange(3.0), {"scale": jnp.float32(1.0)},
                    num_steps=100, chunk_size=50, workdir=str(tmp_path),
                    progress=False)
  # Closed form of gradient descent on a quadratic: x_t = b + (1 - 2 lr)^t (x_0 - b).
  np.testing.assert_allclose(res.state.params,
                             np.arange(3.0) + 0.8**100 * (1 - np.arange(3.0)),
                             atol=1e-12)
  assert [r["step"] for r in res.history] == [50, 100]
  assert os.path.exists(tmp_path / "metrics.jsonl")


def test_a_finished_run_continues_to_more_steps(tmp_path):
  """A run continued from step 40 to 70 with a chunk size that does not
  divide the 30 steps left (35) ends where the closed form of gradient
  descent puts step 70; a step before the checkpoint is refused."""
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  kw = dict(step=train.gradient_step(_quadratic_loss, opt), data=jnp.arange(
      3.0), hparams={"scale": jnp.float32(1.0)}, workdir=str(tmp_path),
            progress=False)
  train.train(state, num_steps=40, chunk_size=20, **kw)
  res = train.train(state, num_steps=70, chunk_size=35, **kw)
  assert res.resumed_from == 40 and res.history[-1]["step"] == 70
  np.testing.assert_allclose(res.state.params, np.arange(3.0) + 0.8**70 * (
      1 - np.arange(3.0)), atol=1e-12)
  with pytest.raises(ValueError, match="past num_steps=35"):
    train.train(state, num_steps=35, chunk_size=35, **kw)


def test_best_checkpoint_and_early_stopping(tmp_path):
  """A validation metric smallest at step 30 (|step - 30|): the best state
  is kept and restored (the closed form at step 30), patience 2 stops the
  run at step 50, and each validated row of metrics.jsonl holds it."""
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  res = train.train(state, train.gradient_step(_quadratic_loss, opt),
                    jnp.arange(3.0), {"scale": jnp.float32(1.0)},
                    num_steps=100, chunk_size=10, workdir=str(tmp_path),
                    progress=False, patience=2,
                    validate=lambda s: abs(float(s.step) - 30.0))
  assert (res.best_step, res.best_value) == (30, 0.0)
  assert [r["step"] for r in res.history][-1] == 50
  assert [r["validation"] for r in res.history] == [20, 10, 0, 10, 20]
  best, step = train.restore(str(tmp_path), state, best=True)
  assert step == 30
  np.testing.assert_allclose(best.params, np.arange(3.0) + 0.8**30 * (
      1 - np.arange(3.0)), atol=1e-12)
  assert train.restore(str(tmp_path), state)[1] == 50    # the latest
  with pytest.raises(ValueError, match="patience needs a validate"):
    train.train(state, train.gradient_step(_quadratic_loss, opt),
                jnp.arange(3.0), {"scale": 1.0}, num_steps=10, patience=1)
  with pytest.raises(ValueError, match="no best/ folder"):
    train.restore(str(tmp_path / "other"), state, best=True)


def test_restore_gives_back_a_finished_run(tmp_path):
  """A finished run's state comes back from its workdir without training;
  an earlier kept step, the closed form at that step."""
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  res = train.train(state, train.gradient_step(_quadratic_loss, opt),
                    jnp.arange(3.0), {"scale": jnp.float32(1.0)},
                    num_steps=100, chunk_size=50, workdir=str(tmp_path),
                    checkpoint_every=1, progress=False)
  got, step = train.restore(str(tmp_path), state)
  assert step == 100
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(res.state)):
    np.testing.assert_array_equal(a, b)
  half, step = train.restore(str(tmp_path), state, step=50)
  np.testing.assert_allclose(half.params, np.arange(3.0) + 0.8**50 * (
      1 - np.arange(3.0)), atol=1e-12)
  with pytest.raises(ValueError, match="steps .50, 100., not 7"):
    train.restore(str(tmp_path), state, step=7)
  with pytest.raises(ValueError, match="no checkpoints"):
    train.restore(str(tmp_path / "nothing"), state)


def test_bad_arguments_raise():
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  step = train.gradient_step(_quadratic_loss, opt)
  with pytest.raises(ValueError, match="multiple of chunk_size"):
    train.train(state, step, jnp.zeros(3), {"scale": 1.0}, num_steps=30,
                chunk_size=20)
  with pytest.raises(ValueError, match="chunk_size"):
    train.train(state, step, jnp.zeros(3), {"scale": 1.0}, num_steps=30,
                chunk_size=0)


@pytest.mark.parametrize("members", ["vmap", "unroll"])
def test_batched_train_equals_single_runs(members):
  """batched=True maps the chunks over a leading sweep axis of the state
  (vectorised or unrolled), each member as its own single run."""
  opt = optax.sgd(0.1)
  step = train.gradient_step(_quadratic_loss, opt)
  scales = jnp.asarray([0.5, 1.0, 2.0])
  states = jax.vmap(lambda k: train.init_state(jnp.ones(3), opt, k))(
      jax.random.split(jax.random.PRNGKey(0), 3))
  res = train.train(states, step, jnp.arange(3.0), {"scale": scales},
                    num_steps=20, chunk_size=10, batched=True, progress=False,
                    members=members)
  for i, s in enumerate(np.asarray(scales)):
    single = train.train(jax.tree.map(lambda a: a[i], states), step,
                         jnp.arange(3.0), {"scale": jnp.asarray(s)},
                         num_steps=20, chunk_size=10, progress=False)
    np.testing.assert_allclose(res.state.params[i], single.state.params,
                               rtol=1e-12)


def _targets_loss(params, key, batch, *, hparams):
  del key, hparams
  return jnp.sum((params - batch["own"] - batch["shared"]) ** 2), {}


def test_unrolled_members_take_their_data_slices():
  """map_members("unroll") follows a pytree prefix of in_axes as vmap does:
  member i sees its own ``own`` row and the shared ``shared``; the closed
  form of gradient descent on |p - t|^2 from p0 is t + (1 - 2 lr)^n (p0 - t).
  """
  opt = optax.sgd(0.1)
  step = train.gradient_step(_targets_loss, opt)
  states = jax.vmap(lambda k: train.init_state(jnp.zeros(2), opt, k))(
      jax.random.split(jax.random.PRNGKey(0), 3))
  data = {"own": jnp.arange(6.0).reshape(3, 2), "shared": jnp.ones(2)}
  out = {}
  for members in ("vmap", "unroll"):
    out[members] = train.train(
        states, step, data, {}, num_steps=10, chunk_size=5, batched=True,
        data_axes={"own": 0, "shared": None}, members=members,
        progress=False).state.params
  target = np.arange(6.0).reshape(3, 2) + 1.0
  np.testing.assert_allclose(out["unroll"], target * (1 - 0.8 ** 10),
                             rtol=1e-5)
  np.testing.assert_allclose(out["unroll"], out["vmap"], rtol=1e-6)


def test_map_members_bad_arguments():
  f = lambda a, b: a + b
  with pytest.raises(ValueError, match="members must be one of"):
    train.map_members(f, (0, 0), "loop")
  with pytest.raises(ValueError, match="in_axes entries must be 0 or None"):
    train.map_members(f, (1, None), "unroll")
  with pytest.raises(ValueError, match="one leading member axis"):
    train.map_members(f, (0, 0), "unroll")(jnp.ones(3), jnp.ones(2))
  opt = optax.sgd(0.1)
  state = train.init_state(jnp.ones(3), opt, jax.random.PRNGKey(0))
  step = train.gradient_step(_quadratic_loss, opt)
  with pytest.raises(ValueError, match="members need batched=True"):
    train.train(state, step, jnp.zeros(3), {"scale": 1.0}, num_steps=10,
                chunk_size=10, members="unroll")


@pytest.mark.parametrize("n,at_most,want", [
    (12, 5, 4), (30_000, 500, 500), (7, 100, 7), (13, 10, 1), (1, 1, 1)])
def test_largest_divisor(n, at_most, want):
  # by brute force: the largest c <= at_most with n % c == 0
  assert want == max(c for c in range(1, at_most + 1) if n % c == 0)
  assert train.largest_divisor(n, at_most) == want


def test_write_json_turns_arrays_and_scalars_into_python(tmp_path):
  path = str(tmp_path / "x.json")
  train.write_json(path, {"a": np.arange(3), "b": jnp.float32(0.5),
                          "c": np.int64(2), "d": [np.float64(1.5)]})
  assert json.loads(open(path).read()) == {"a": [0, 1, 2], "b": 0.5, "c": 2,
                                           "d": [1.5]}


def test_map_data_leaves_gives_each_leaf_its_axis():
  data = {"x_l": np.ones((2, 3)), "y_l": np.zeros((2, 3)),
          "x_u": {"a": np.ones(4), "b": np.ones(5)}}
  tag = lambda ax, a: (ax, a.shape)
  got = train.map_data_leaves(tag, data, {"x_l": 0, "y_l": 0, "x_u": None})
  assert got == {"x_l": (0, (2, 3)), "y_l": (0, (2, 3)),
                 "x_u": {"a": (None, (4,)), "b": (None, (5,))}}
  shared = train.map_data_leaves(tag, data, None)
  assert [v[0] for v in jax.tree.leaves(shared, is_leaf=lambda v:
                                        isinstance(v, tuple))] == [None] * 4
  assert train.map_data_leaves(tag, data, 0)["x_u"]["b"] == (0, (5,))
