"""A small training run used by test_train (run as a subprocess).

  python tests/train_child.py WORKDIR OUT.npz SLEEP_PER_CHUNK
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import classifiers
from jgen import data
from jgen import train


def main(workdir, out, sleep):
  ds = data.load("digits", seed=0)
  batch = {"x": jnp.asarray(ds.x_train), "y": jnp.asarray(ds.y_train)}

  def loss(params, key, b, *, hparams):
    ll = classifiers.logistic_log_likelihood(params, b["x"], b["y"]).mean()
    return -ll + hparams["l2"] * jnp.sum(params["w"] ** 2), {}

  opt = lambda hp: optax.adam(hp["lr"])
  hp = {"l2": jnp.float32(1e-3), "lr": jnp.float32(1e-2)}
  state = train.init_state({"w": jnp.zeros((10, 64)), "b": jnp.zeros(10)},
                           opt, jax.random.PRNGKey(0), hp)
  result = train.train(
      state, train.gradient_step(loss, opt), batch, hp, num_steps=400,
      chunk_size=20, batch_fn=train.minibatch(32), workdir=workdir or None,
      checkpoint_every=2, progress=False,
      callback=lambda step, rec: time.sleep(sleep))
  np.savez(out, **{k: np.asarray(v) for k, v in result.state.params.items()},
           resumed_from=-1 if result.resumed_from is None else
           result.resumed_from)


if __name__ == "__main__":
  main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
