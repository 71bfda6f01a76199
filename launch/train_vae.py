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
test data are binarised once with a fixed seed.
"""

from __future__ import annotations

import os

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import data
from jgen import elbo
from jgen import plotting
from jgen import train
from jgen import vae
from launch import common

_MODEL = flags.DEFINE_enum("model", "vae", list(vae.OBJECTIVES), "Objective.")
_DATASET = flags.DEFINE_string("dataset", "mnist5k", "A jgen.data name.")
_EVAL_DATASET = flags.DEFINE_string("eval_dataset", None,
                                    "Optional second dataset to evaluate.")
_LATENT = flags.DEFINE_integer("latent_dim", 20, "Latent dimension L.")
_HIDDEN = flags.DEFINE_integer("hidden", 400, "Hidden width of the MLPs.")
_CONV = flags.DEFINE_bool("conv", False, "Convolutional networks.")
_BETA = flags.DEFINE_float("beta", 1.0, "KL weight (beta_vae).")
_SAMPLES = flags.DEFINE_integer("num_samples", 1,
                                "Samples of z per example (K for iwae).")
_STEPS = flags.DEFINE_integer("num_steps", 10_000, "Adam steps.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Minibatch size.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_EVAL_SAMPLES = flags.DEFINE_integer("eval_samples", 1000,
                                     "K of the importance-sampled log p(x).")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/vae", "Output folder.")

IMAGE_SHAPES = {784: (28, 28), 64: (8, 8)}


def check_config(config: dict) -> None:
  """Raises ``ValueError`` naming the bad setting."""
  _checks.choice(config["model"], "model", vae.OBJECTIVES)
  _checks.integer(config["latent_dim"], "latent_dim", low=1)
  _checks.real(config["beta"], "beta", low=0.0)
  _checks.integer(config["num_samples"], "num_samples", low=1)
  _checks.integer(config["eval_samples"], "eval_samples", low=1)
  _checks.integer(config["num_steps"], "num_steps", low=1)
  _checks.integer(config["batch_size"], "batch_size", low=1)


def _flat(x: np.ndarray, conv: bool, name: str) -> np.ndarray:
  x = x.reshape(x.shape[0], -1)
  if conv and x.shape[1] not in IMAGE_SHAPES:
    raise ValueError(f"{name}: the convolutional networks take 28x28 or 8x8 "
                     f"images, got {x.shape[1]} values per example.")
  return x


def _fixed_binarized(x, seed):
  return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)


def evaluate(model, params, x, y, key, eval_samples, batch=100):
  """Mean test ELBO and importance-sampled log p(x) (nats per example)."""
  chunk = min(100, eval_samples)
  k_total = (eval_samples // chunk) * chunk

  @jax.jit
  def bounds(xb, yb, k):
    encode, log_prob = vae.bound_fns(model, params, yb)
    e = elbo.elbo(k, xb, encode, log_prob, num_samples=10)["elbo"]
    ll = elbo.importance_log_likelihood(jax.random.fold_in(k, 1), xb, encode,
                                        log_prob, num_samples=k_total,
                                        chunk_size=chunk)
    return e, ll
  es, lls = [], []
  for i in range(0, len(x), batch):
    e, ll = bounds(jnp.asarray(x[i:i + batch]), jnp.asarray(y[i:i + batch]),
                   jax.random.fold_in(key, i))
    es.append(np.asarray(e))
    lls.append(np.asarray(ll))
  return {"elbo": float(np.mean(np.concatenate(es))),
          "log_likelihood": float(np.mean(np.concatenate(lls))),
          "eval_samples": int(k_total), "n": int(len(x))}


def run(config: dict, workdir: str) -> dict:
  """Trains and evaluates; returns the contents of ``result.json``."""
  check_config(config)
  common.workdir(workdir)
  common.write_json(os.path.join(workdir, "config.json"), config)
  ds = data.load(config["dataset"], seed=config["seed"])
  conv = config["conv"]
  x = _flat(ds.x_train, conv, "dataset")
  d = x.shape[1]
  model = vae.VAE(latent_dim=config["latent_dim"], output_dim=d,
                  hidden=(config["hidden"],),
                  conv=IMAGE_SHAPES[d] if conv else None,
                  n_classes=int(ds.y_train.max()) + 1 if config["model"] == "cvae"
                  else 0)
  binary = bool(x.min() >= 0 and x.max() <= 1)
  loss = vae.make_loss(model, config["model"], num_samples=config["num_samples"],
                       binarize_data=binary)
  key = jax.random.PRNGKey(config["seed"])
  params = model.init(key, jnp.asarray(x[:2]), jnp.asarray(ds.y_train[:2]))
  opt = optax.adam(config["learning_rate"])
  chunk = min(500, config["num_steps"])
  steps = (config["num_steps"] // chunk) * chunk
  result = train.train(
      train.init_state(params, opt, key), train.gradient_step(loss, opt),
      {"x": jnp.asarray(x), "y": jnp.asarray(ds.y_train)},
      {"beta": jnp.float32(config["beta"])}, num_steps=steps,
      batch_fn=train.minibatch(config["batch_size"]), chunk_size=chunk,
      workdir=workdir, checkpoint_every=4)
  params = result.state.params
  x_test = _flat(ds.x_test, conv, "dataset")
  x_test = _fixed_binarized(x_test, config["seed"]) if binary else x_test
  test = evaluate(model, params, x_test, ds.y_test, jax.random.fold_in(key, 1),
                  config["eval_samples"])
  out = {"test_elbo": test["elbo"], "test_log_likelihood": test["log_likelihood"],
         "eval_samples": test["eval_samples"], "num_steps": steps,
         "final_train_loss": result.history[-1]["loss"]}
  if config.get("eval_dataset"):
    ev = data.load(config["eval_dataset"], seed=config["seed"])
    xe = _flat(ev.x_test if len(ev.x_test) else ev.x_train, conv,
               "eval_dataset")
    ye = ev.y_test if len(ev.x_test) else ev.y_train
    if xe.shape[1] != d:
      raise ValueError(f"eval_dataset: examples have {xe.shape[1]} values, the "
                       f"model was trained on {d}.")
    xe = _fixed_binarized(xe, config["seed"]) if binary else xe
    r = evaluate(model, params, xe, np.clip(ye, 0, None),
                 jax.random.fold_in(key, 2), config["eval_samples"])
    out["eval"] = {"test_elbo": r["elbo"], "test_log_likelihood":
                   r["log_likelihood"], "eval_samples": r["eval_samples"],
                   "n": r["n"]}
  _figures(workdir, model, params, x_test, ds.y_test, config, key, d)
  common.write_json(os.path.join(workdir, "result.json"), out)
  return out


def _images(ax, imgs, shape, n_cols):
  imgs = np.asarray(imgs).reshape(-1, *shape)
  n_rows = int(np.ceil(len(imgs) / n_cols))
  canvas = np.ones((n_rows * shape[0], n_cols * shape[1]))
  for i, im in enumerate(imgs):
    r, c = divmod(i, n_cols)
    canvas[r * shape[0]:(r + 1) * shape[0], c * shape[1]:(c + 1) * shape[1]] = im
  ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
  ax.axis("off")


def _figures(workdir, model, params, x_test, y_test, config, key, d):
  shape = IMAGE_SHAPES.get(d)
  if shape is None:
    return
  y = jnp.asarray(y_test[:64]) if model.n_classes else None
  z = jax.random.normal(key, (64, config["latent_dim"]))
  samples = model.apply(params, z, y, method=vae.VAE.decode_mean)
  fig, axes = plotting.figure(1, 1, 6)
  _images(axes[0, 0], samples, shape, 8)
  plotting.save(fig, os.path.join(workdir, "samples.png"))
  mean, _ = model.apply(params, jnp.asarray(x_test[:32]), y[:32] if y is not None
                        else None, method=vae.VAE.encode)
  recon = model.apply(params, mean, y[:32] if y is not None else None,
                      method=vae.VAE.decode_mean)
  pairs = np.stack([x_test[:32], np.asarray(recon)], 1).reshape(64, -1)
  fig, axes = plotting.figure(1, 1, 6)
  _images(axes[0, 0], pairs, shape, 8)
  axes[0, 0].set_title("data (left) / reconstruction (right), in pairs")
  plotting.save(fig, os.path.join(workdir, "reconstructions.png"))
  if config["latent_dim"] == 2 and not model.n_classes:
    from scipy.stats import norm  # noqa: PLC0415
    g = norm.ppf(np.linspace(0.05, 0.95, 15))
    zz = jnp.asarray(np.stack(np.meshgrid(g, g[::-1]), -1).reshape(-1, 2),
                     jnp.float32)
    fig, axes = plotting.figure(1, 1, 7)
    _images(axes[0, 0], model.apply(params, zz, method=vae.VAE.decode_mean),
            shape, 15)
    plotting.save(fig, os.path.join(workdir, "manifold.png"))


def main(argv):
  del argv
  common.quiet_logs()
  config = {"model": _MODEL.value, "dataset": _DATASET.value,
            "eval_dataset": _EVAL_DATASET.value, "latent_dim": _LATENT.value,
            "hidden": _HIDDEN.value, "conv": _CONV.value, "beta": _BETA.value,
            "num_samples": _SAMPLES.value, "num_steps": _STEPS.value,
            "batch_size": _BATCH.value, "learning_rate": _LR.value,
            "eval_samples": _EVAL_SAMPLES.value, "seed": _SEED.value}
  res = run(config, _WORKDIR.value)
  print({k: v for k, v in res.items() if k != "eval"}, res.get("eval", ""))


if __name__ == "__main__":
  app.run(main)
