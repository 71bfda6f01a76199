r"""Train a VAE-family model and evaluate its bound and importance-sampled log p(x).

  python -m launch.train_vae --model=vae --dataset=mnist5k --workdir=runs/vae

Writes into ``--workdir``: ``config.json``; ``metrics.jsonl`` and orbax
``checkpoints/`` (a diverging run stops with a message naming the step and
keeps its last good checkpoint; the same command resumes); ``result.json``
with ``test_elbo`` and ``test_log_likelihood`` (nats per example, importance
sampled with ``eval_samples`` = K samples, K stated in the file) and, with
``--eval_dataset``, the same keys under ``eval``; ``samples.png``,
``reconstructions.png`` and, for ``--latent_dim=2``, ``manifold.png`` (the
decoded latent grid of Kingma & Welling 2014, Fig. 4).

Pixel data in [0, 1] are binarised dynamically for the Bernoulli decoder; the
test data are binarised once with a fixed seed. The 200-image amortisation
gap (Cremer et al. 2018) is in ``result.json`` for the plain VAE and IWAE.
"""

from __future__ import annotations

import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import data
from jgen import models
from jgen import nets
from jgen import train
from jgen import variational
from launch import common

_MODEL = flags.DEFINE_enum("model", "vae", list(variational.OBJECTIVES), "Objective.")
_DATASET = flags.DEFINE_string("dataset", "mnist5k", "A jgen.data name.")
_EVAL_DATASET = flags.DEFINE_string("eval_dataset", None,
                                    "Optional second dataset to evaluate.")
_LATENT = flags.DEFINE_integer("latent_dim", 20, "Latent dimension L.")
_HIDDEN = flags.DEFINE_integer("hidden", 400, "Hidden width of the MLPs.")
_CONV = flags.DEFINE_bool("conv", False, "Convolutional networks.")
_BETA = flags.DEFINE_float("beta", 1.0, "KL weight (beta_vae).")
_CLUSTERS = flags.DEFINE_integer("n_clusters", 10,
                                 "Mixture components of the mog_vae prior.")
_SAMPLES = flags.DEFINE_integer("num_samples", 1,
                                "Samples of z per example (K for iwae).")
_STEPS = flags.DEFINE_integer("num_steps", 10_000, "Adam steps.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Minibatch size.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_EVAL_SAMPLES = flags.DEFINE_integer("eval_samples", 1000,
                                     "K of the importance-sampled log p(x).")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/vae", "Output folder.")

common.validate("dataset", data.check_name)
common.validate("eval_dataset", lambda v: v is None or data.check_name(v))
for _name in ("latent_dim", "hidden", "n_clusters", "num_samples", "num_steps",
              "batch_size", "eval_samples"):
  common.validate(_name, common.at_least(1))
common.validate("beta", lambda v: _checks.real(v, "beta", low=0.0))
common.validate("learning_rate", lambda v: _checks.real(v, "learning_rate",
                                                        low=1e-300))
flags.register_multi_flags_validator(
    ["model", "beta"], lambda f: f["beta"] == 1.0 or
    variational.OBJECTIVES[f["model"]].uses_beta,
    message="--beta: the objective of --model has no KL term to weight.")



# values per example -> image shape, for the conv networks
_SHAPES = {h * w: (h, w) for h, w in nets.IMAGE_SHAPES}


def _flat(x: np.ndarray, conv: bool, name: str) -> np.ndarray:
  x = x.reshape(x.shape[0], -1)
  if conv and x.shape[1] not in _SHAPES:
    raise ValueError(f"{name}: the convolutional networks take 28x28 or 8x8 "
                     f"images, got {x.shape[1]} values per example.")
  return x


def check_data(config: dict) -> None:
  """Loads the datasets of ``config`` and checks their shapes against the
  model settings; raises ``ValueError`` starting with the setting's name."""
  x = _flat(data.load(config["dataset"], seed=config["seed"]).x_train,
            config["conv"], "dataset")
  if config.get("eval_dataset"):
    ev = data.load(config["eval_dataset"], seed=config["seed"])
    xe = _flat(ev.x_train, config["conv"], "eval_dataset")
    if xe.shape[1] != x.shape[1]:
      raise ValueError(f"eval_dataset: examples have {xe.shape[1]} values, "
                       f"the model is trained on {x.shape[1]}.")


def run(config: dict, workdir: str) -> dict:
  """Trains and evaluates; returns the contents of ``result.json``."""
  ds = data.load(config["dataset"], seed=config["seed"])
  x = _flat(ds.x_train, config["conv"], "dataset")
  d = x.shape[1]
  name = config["model"]
  entry = models.get(name)
  own = {"cvae": {"n_classes": int(ds.y_train.max()) + 1},
         "mog_vae": {"n_clusters": config["n_clusters"]}}.get(name, {})
  if variational.OBJECTIVES[name].uses_beta:
    own["beta"] = config["beta"]
  m = entry.make(entry.config(
      data_dim=d, image_shape=_SHAPES[d] if config["conv"] else None,
      latent_dim=config["latent_dim"], hidden=(config["hidden"],),
      binarize=bool(x.min() >= 0 and x.max() <= 1),
      num_samples=config["num_samples"],
      learning_rate=config["learning_rate"], batch_size=config["batch_size"],
      eval_samples=config["eval_samples"], **own))
  key = jax.random.PRNGKey(config["seed"])
  steps = config["num_steps"]
  chunk = train.largest_divisor(steps, 100)
  result = train.train(
      m.init(key), m.step, m.train_data(ds), m.hparams, num_steps=steps,
      batch_fn=m.batch_fn, chunk_size=chunk, workdir=workdir,
      checkpoint_every=5, checkpoint_seconds=30.0)
  state = result.state
  test = m.evaluate(state, ds, seed=config["seed"])
  out = {k: v for k, v in test.items() if k != "n"}
  out.update(num_steps=steps, final_train_loss=result.history[-1]["loss"])
  if config.get("eval_dataset"):
    ev = data.load(config["eval_dataset"], seed=config["seed"])
    if not len(ev.x_test):
      ev = ev._replace(x_test=ev.x_train, y_test=ev.y_train)
    ev = ev._replace(x_test=_flat(ev.x_test, config["conv"], "eval_dataset"))
    r = m.evaluate(state, ev, seed=config["seed"])
    out["eval"] = {k: r[k] for k in ("test_elbo", "test_log_likelihood",
                                     "eval_samples", "n")}
  if name in ("vae", "beta_vae", "iwae"):
    # 200 test images at an even stride (mnist5k is ordered by class).
    x_test = _flat(ds.x_test, config["conv"], "dataset")
    if m.config.binarize:
      x_test = np.asarray(data.binarize(key, jnp.asarray(x_test,
                                                         jnp.float32)))
    fns = variational.bound_fns(m.parts.net, state.params)
    gap = jax.jit(lambda xb: variational.amortization_gap(
        jax.random.fold_in(key, 3), xb, fns["encode"], fns["decoder_log_prob"],
        num_steps=500, learning_rate=optax.exponential_decay(0.05, 250, 0.1),
        fit_samples=4, eval_samples=100))(
            jnp.asarray(x_test[np.linspace(0, len(x_test) - 1, 200).astype(int)]))
    out["amortization_gap"] = {k: float(jnp.mean(v)) for k, v in gap.items()}
    out["amortization_gap"]["n"] = 200
  m.figures(state, ds, workdir, seed=config["seed"])
  train.write_json(os.path.join(workdir, "result.json"), out)
  return out


def main(argv):
  del argv
  common.quiet_logs()
  config = common.flag_config((
      "model", "dataset", "eval_dataset", "latent_dim", "hidden", "conv",
      "beta", "n_clusters", "num_samples", "num_steps", "batch_size",
      "learning_rate", "eval_samples", "seed"), check_data)
  common.claim_workdir(_WORKDIR.value, config)
  res = run(config, _WORKDIR.value)
  print({k: v for k, v in res.items() if k != "eval"}, res.get("eval", ""))


if __name__ == "__main__":
  common.run(main)
