"""Small training runs used by test_train (run as a subprocess).

  python tests/train_child.py MODEL WORKDIR OUT.npz SLEEP_PER_CHUNK

MODEL is ``logistic`` (softmax regression on digits, one player) or ``gan``
(MLP generator and critic on ring8, two players, alternating steps).
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from jgen import adversarial
from jgen import classifiers
from jgen import data
from jgen import minimax
from jgen import nets
from jgen import train


def logistic():
  ds = data.load("digits", seed=0)
  batch = {"x": jnp.asarray(ds.x_train), "y": jnp.asarray(ds.y_train)}

  def loss(params, key, b, *, hparams):
    ll = classifiers.logistic_log_likelihood(params, b["x"], b["y"]).mean()
    return -ll + hparams["l2"] * jnp.sum(params["w"] ** 2), {}

  opt = lambda hp: optax.adam(hp["lr"])
  hp = {"l2": jnp.float32(1e-3), "lr": jnp.float32(1e-2)}
  state = train.init_state({"w": jnp.zeros((10, 64)), "b": jnp.zeros(10)},
                           opt, jax.random.PRNGKey(0), hp)
  return state, train.gradient_step(loss, opt), batch, hp, 32


def gan():
  x = jnp.asarray(data.load("ring8", seed=0).x_train)
  gen, critic = nets.MLP((64, 64, 2)), nets.MLP((64, 64, 1))
  game = adversarial.gan(
      critic=lambda v, x: critic.apply(v, x)[:, 0],
      generator=lambda u, z: gen.apply(u, z),
      sample_latent=lambda key, n: jax.random.normal(key, (n, 2)),
      loss="non_saturating", penalty="r1")
  players = minimax.Players(optax.scale_by_adam(b1=0.5),
                            optax.scale_by_adam(b1=0.5))
  k_u, k_v = jax.random.split(jax.random.PRNGKey(1))
  state = minimax.init(gen.init(k_u, jnp.zeros((1, 2))),
                       critic.init(k_v, jnp.zeros((1, 2))), players,
                       key=jax.random.PRNGKey(0))
  hp = {"lr_u": jnp.float32(1e-3), "lr_v": jnp.float32(1e-3),
        "reg_weight": jnp.float32(0.1)}
  step = minimax.make_step(game, "alternating", players, n_v=2)
  return state, step, x, hp, 64


def main(model, workdir, out, sleep):
  state, step, batch, hp, batch_size = {"logistic": logistic, "gan": gan}[model]()
  result = train.train(
      state, step, batch, hp, num_steps=400, chunk_size=20,
      batch_fn=train.minibatch(batch_size), workdir=workdir or None,
      checkpoint_every=2, progress=False,
      callback=lambda step, rec, state: time.sleep(sleep))
  flat = ravel_pytree(result.state.params)[0]
  np.savez(out, params=np.asarray(flat),
           resumed_from=-1 if result.resumed_from is None else
           result.resumed_from)


if __name__ == "__main__":
  main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
