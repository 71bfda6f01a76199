r"""Train the MNIST classifier whose features jgen's image-GAN metrics use.

  python -m launch.train_classifier --out=jgen/metrics/mnist_cnn.npz

Trains :class:`jgen.nets.ConvClassifier` with ``jgen.classifiers.
cross_entropy_loss`` and Adam on mnist5k's 4,000 training images (random
shifts of up to ``--max_shift`` pixels as augmentation), seeded, and writes
the float16 weights with their mnist5k test accuracy to ``--out`` (the
shipped file is ``jgen/metrics/mnist_cnn.npz``, read by
``jgen.metrics.mnist_features``) and ``result.json`` to ``--workdir``.
"""

from __future__ import annotations

import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import classifiers
from jgen import data
from jgen import metrics
from jgen import nets
from jgen import train
from launch import common

_STEPS = flags.DEFINE_integer("num_steps", 4000, "Adam steps.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Minibatch size.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_SHIFT = flags.DEFINE_integer("max_shift", 2, "Largest random shift (pixels).")
_FEATURES = flags.DEFINE_integer("features", 64, "Embedding width.")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_OUT = flags.DEFINE_string("out", "runs/classifier/mnist_cnn.npz",
                           "Weights file to write.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/classifier", "Output folder.")

for _name in ("num_steps", "batch_size", "features"):
  common.validate(_name, common.at_least(1))
common.validate("max_shift", common.at_least(0))
common.validate("learning_rate", lambda v: _checks.real(v, "learning_rate",
                                                        low=1e-300))


def _check_out(path: str) -> None:
  if not str(path).endswith(".npz"):
    raise ValueError(f"must be a path ending in .npz, got {path!r}.")


common.validate("out", _check_out)


def shifted_minibatch(batch_size: int, max_shift: int):
  """``batch_fn`` drawing a minibatch and shifting each image by up to
  ``max_shift`` pixels in each direction (zeros enter at the border)."""
  draw = train.minibatch(batch_size)

  def batch_fn(key, d):
    k_b, k_s = jax.random.split(key)
    batch = draw(k_b, d)
    if not max_shift:
      return batch
    s = jax.random.randint(k_s, (batch_size, 2), -max_shift, max_shift + 1)
    pad = max_shift

    def move(img, sh):
      big = jnp.pad(img.reshape(28, 28), pad)
      return jax.lax.dynamic_slice(big, (pad - sh[0], pad - sh[1]),
                                   (28, 28)).reshape(-1)
    return {**batch, "x": jax.vmap(move)(batch["x"], s)}
  return batch_fn


def main(argv):
  del argv
  common.quiet_logs()
  config = {"num_steps": _STEPS.value, "batch_size": _BATCH.value,
            "learning_rate": _LR.value, "max_shift": _SHIFT.value,
            "features": _FEATURES.value, "seed": _SEED.value}
  workdir = _WORKDIR.value
  common.claim_workdir(workdir, config)
  ds = data.load("mnist5k")
  model = nets.ConvClassifier(n_classes=10, features=config["features"])
  apply = lambda p, x: model.apply(p, x)[1]
  key = jax.random.PRNGKey(config["seed"])
  params = model.init(key, jnp.zeros((1, 784)))
  opt = optax.adam(config["learning_rate"])
  chunk = min(25, config["num_steps"])      # unrolled: convs on CPU
  steps = config["num_steps"] // chunk * chunk
  res = train.train(
      train.init_state(params, opt, key),
      train.gradient_step(classifiers.cross_entropy_loss(apply), opt),
      {"x": jnp.asarray(ds.x_train), "y": jnp.asarray(ds.y_train)}, {},
      num_steps=steps, chunk_size=chunk,
      batch_fn=shifted_minibatch(config["batch_size"], config["max_shift"]),
      workdir=workdir, checkpoint_every=40, unroll=True)
  params = res.state.params
  # The accuracy of the float16 weights that are shipped.
  shipped = jax.tree.map(lambda a: a.astype(jnp.float16).astype(jnp.float32),
                         params)
  predict = jax.jit(apply)
  accuracy = {name: float(np.mean(np.argmax(np.asarray(predict(
      p, jnp.asarray(ds.x_test))), 1) == ds.y_test))
              for name, p in (("float16", shipped), ("float32", params))}
  os.makedirs(os.path.dirname(os.path.abspath(_OUT.value)), exist_ok=True)
  metrics.save_classifier(_OUT.value, params, {
      **config, "n_classes": 10, "num_steps": steps, "dataset": "mnist5k",
      "test_accuracy": accuracy["float16"]})
  out = {"test_accuracy": accuracy["float16"],
         "test_accuracy_float32": accuracy["float32"],
         "n_test": len(ds.y_test), "out": _OUT.value, "num_steps": steps}
  train.write_json(os.path.join(workdir, "result.json"), out)
  print(out)


if __name__ == "__main__":
  common.run(main)
