r"""Train semi-supervised VAEs (M1, M2, M1+M2; Kingma et al. 2014) over label draws.

  python -m launch.train_ssvae --model=m2 --n_labels=100 --workdir=runs/m2

Every label draw (``--n_draws`` class-balanced subsets of ``--n_labels``
labelled images, seeded) trains its own model; the draws train together as
one vmapped computation (:func:`jgen.train.train` with ``batched=True``).
Every training image is also an unlabelled example. Writes into
``--workdir``: ``config.json``; ``metrics.jsonl``, ``test_error.jsonl`` and
orbax ``checkpoints/`` (the same command resumes; a diverging run stops with
a message naming the step and keeps its last good checkpoint); ``result.json``
with ``test_error_mean``, ``test_error_std`` (over draws), ``test_error``
(per draw) and, for M2, ``test_log_likelihood`` (importance sampled, the sum
over classes inside each weight, ``--eval_samples`` samples); figures
``test_error.png`` (over training), ``analogies.png`` (a test image's z
decoded with every class) and, with ``--latent_dim=2``, ``styles.png`` (one
row per class, z over a 2-D grid; Kingma et al. 2014, Fig. 1).

``--alpha`` is jgen's per-example weight of the classification term (the
loss is ``mean L + mean U + alpha mean(-log q(y | x))``); the paper's
``alpha = 0.1 N`` on data-set sums is ``0.1 N / n_labels`` here. The
defaults are the best of a search on mnist5k at 100 labels (alpha x
learning rate x latent size).
"""

from __future__ import annotations

import json
import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import data
from jgen import metrics
from jgen import models
from jgen import nets
from jgen import plotting
from jgen import ssvae
from jgen import train
from jgen import variational
from launch import common

_MODEL = flags.DEFINE_enum("model", "m2", list(ssvae.MODELS), "Model.")
_DATASET = flags.DEFINE_string("dataset", "mnist5k",
                               "A labelled jgen.data name (mnist5k, digits, "
                               "npz:PATH, tfds:mnist).")
_N_LABELS = flags.DEFINE_integer("n_labels", 100,
                                 "Labelled training images (class-balanced).")
_ALPHA = flags.DEFINE_float("alpha", 1000.0, "Weight of the classification "
                            "term per example (the paper's alpha = 0.1 N is "
                            "0.1 N / n_labels here).")
_LATENT = flags.DEFINE_integer("latent_dim", 10, "Size of M2's z.")
_HIDDEN = flags.DEFINE_integer("hidden", 500, "Hidden width of the MLPs.")
_M1_LATENT = flags.DEFINE_integer("m1_latent_dim", 50, "Size of M1's z1.")
_M1_STEPS = flags.DEFINE_integer("m1_steps", 30_000, "Adam steps of M1.")
_STEPS = flags.DEFINE_integer("num_steps", 30_000, "Adam steps of M2.")
_BATCH = flags.DEFINE_integer("batch_size", 100,
                              "Labelled and unlabelled examples per step.")
_LR = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_DRAWS = flags.DEFINE_integer("n_draws", 5, "Label draws.")
_EVAL_SAMPLES = flags.DEFINE_integer("eval_samples", 1000,
                                     "Importance samples of log p(x) (M2).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the label draws and runs.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/ssvae", "Output folder.")

common.validate("dataset", data.check_name)
for _name in ("n_labels", "latent_dim", "hidden", "m1_latent_dim", "m1_steps",
              "num_steps", "batch_size", "n_draws", "eval_samples"):
  common.validate(_name, common.at_least(1))
common.validate("seed", common.at_least(0))
common.validate("alpha", variational.check_alpha)
common.validate("learning_rate", lambda v: _checks.real(
    v, "learning_rate", low=1e-300))

_SHAPES = {h * w: (h, w) for h, w in nets.IMAGE_SHAPES}


def load(config: dict):
  """The dataset as float32 ``[N, D]`` and labels; ``ValueError`` starting
  with the flag's name for unlabelled data, labels outside 0..C-1 or an
  ``n_labels`` the data cannot give."""
  ds = data.load(config["dataset"], seed=config["seed"])
  if ds.y_train is None or len(ds.x_test) == 0 or ds.y_test is None:
    raise ValueError("dataset: needs labels and a test split.")
  y = np.asarray(ds.y_train)
  if y.dtype.kind not in "iu" and not np.all(y == np.round(y)):
    raise ValueError("dataset: labels must be integers 0..C-1.")
  c = int(y.max()) + 1
  if y.min() < 0 or np.any(np.bincount(y.astype(int)) == 0):
    raise ValueError(f"dataset: labels must cover 0..C-1 with C={c}, got "
                     f"values {sorted(set(y.tolist()))[:12]}.")
  if not (c <= config["n_labels"] <= len(y)) or config["n_labels"] % c:
    raise ValueError(f"n_labels: must be a multiple of the {c} classes "
                     f"between {c} and {len(y)} (the training set), got "
                     f"{config['n_labels']}.")
  per_class = np.bincount(y.astype(int)).min()
  if config["n_labels"] // c > per_class:
    raise ValueError(f"n_labels: {config['n_labels'] // c} per class, but "
                     f"a class has only {per_class} training images.")
  flat = lambda a: np.asarray(a, np.float32).reshape(len(a), -1)
  return flat(ds.x_train), y.astype(np.int32), flat(ds.x_test), \
      np.asarray(ds.y_test, np.int32), c


def _draws(y, config, c):
  return np.stack([np.asarray(data.labelled_subset(
      y, config["n_labels"], n_classes=c, seed=config["seed"], draw=d))
                   for d in range(config["n_draws"])])


def _train_m1(x, binary, config, workdir):
  """M1: a VAE on every training image (one model shared by the draws)."""
  entry = models.get("vae")
  m = entry.make(entry.config(
      data_dim=x.shape[1], latent_dim=config["m1_latent_dim"],
      hidden=(config["hidden"],),
      likelihood="bernoulli" if binary else "gaussian", binarize=binary,
      learning_rate=config["learning_rate"],
      batch_size=config["batch_size"]))
  chunk = train.largest_divisor(config["m1_steps"], 500)
  res = train.train(m.init(jax.random.PRNGKey(config["seed"])), m.step,
                    {"x": jnp.asarray(x)}, m.hparams,
                    num_steps=config["m1_steps"], chunk_size=chunk,
                    batch_fn=m.batch_fn, workdir=os.path.join(workdir, "m1"),
                    checkpoint_seconds=60.0)
  return m.parts.net, res.state.params


class _ErrorLog:
  """Test error per draw after every chunk, in ``test_error.jsonl``."""

  def __init__(self, path, s, x_test, y_test):
    self.path, self.rows = path, {}
    if os.path.exists(path):
      with open(path) as f:
        for line in f:
          row = json.loads(line)
          self.rows[row["step"]] = row["test_error"]
    self.error = jax.jit(jax.vmap(lambda p: metrics.error_rate(
        ssvae.class_logits(s, p, jnp.asarray(x_test)), jnp.asarray(y_test))))

  def __call__(self, step, record, state):
    del record
    self.rows[step] = np.asarray(self.error(state.params)).tolist()
    with open(self.path, "w") as f:
      for k in sorted(self.rows):
        f.write(json.dumps({"step": k, "test_error": self.rows[k]}) + "\n")


def run(config: dict, workdir: str) -> dict:
  """Trains the model of ``config`` on every draw; returns ``result.json``."""
  x, y, x_test, y_test, c = load(config)
  binary = bool(x.min() >= 0 and x.max() <= 1)
  idx = _draws(y, config, c)
  alpha = config["alpha"]
  out = {"model": config["model"], "n_labels": config["n_labels"],
         "n_unlabelled": len(x), "alpha": alpha, "n_draws": config["n_draws"]}
  features = None
  if config["model"] in ("m1", "m1_m2"):
    vae, vae_params = _train_m1(x, binary, config, workdir)
    features = ssvae.m1_features(vae, vae_params)
  if config["model"] == "m1":
    errors = []
    for i in idx:
      predict = ssvae.fit_m1_classifier(features[1], x[i], y[i], n_classes=c)
      errors.append(float(jnp.mean(predict(jnp.asarray(x_test)) != y_test)))
    out["classifier"] = "jgen.classifiers.fit_logistic (l2 = 1)"
  else:
    s = ssvae.make(x.shape[1] if features is None else config["m1_latent_dim"],
                   n_classes=c, latent_dim=config["latent_dim"],
                   hidden=(config["hidden"],),
                   likelihood="bernoulli" if binary and features is None
                   else "gaussian",
                   binarize_data=binary and features is None,
                   features=None if features is None else features[0],
                   test_features=None if features is None else features[1])
    n = config["n_draws"]
    hp = {"alpha": jnp.full(n, alpha, jnp.float32),
          "lr": jnp.full(n, config["learning_rate"], jnp.float32)}
    keys = jax.vmap(jax.random.fold_in, (None, 0))(
        jax.random.PRNGKey(config["seed"]), jnp.arange(n))
    states = jax.vmap(s.init)(keys, hp)
    per_draw = {"x_l": jnp.asarray(x[idx]), "y_l": jnp.asarray(y[idx]),
                "x_u": jnp.asarray(x)}
    log = _ErrorLog(os.path.join(workdir, "test_error.jsonl"), s, x_test,
                    y_test)
    res = train.train(states, s.step, per_draw, hp,
                      num_steps=config["num_steps"],
                      chunk_size=train.largest_divisor(config["num_steps"],
                                                        500),
                      batch_fn=ssvae.batches(config["batch_size"]),
                      batched=True, data_axes={"x_l": 0, "y_l": 0, "x_u": None},
                      workdir=os.path.join(workdir, "m2"),
                      checkpoint_seconds=60.0, callback=log)
    errors = log.rows[config["num_steps"]]
    out["final_train_loss"] = res.history[-1]["loss"]
    first = jax.tree.map(lambda a: a[0], res.state.params)
    if features is None:
      xt = (np.asarray(data.binarize(jax.random.PRNGKey(config["seed"]),
                                     jnp.asarray(x_test))) if binary else x_test)
      out["test_log_likelihood"] = _log_likelihood(s, first, xt, config)
      out["eval_samples"] = config["eval_samples"]
      _figures(workdir, s, first, x_test, y_test, config, c)
    _error_figure(workdir, log.rows)
  out.update(test_error=errors, test_error_mean=float(np.mean(errors)),
             test_error_std=float(np.std(errors)))
  train.write_json(os.path.join(workdir, "result.json"), out)
  return out


def _log_likelihood(s, params, x_test, config) -> float:
  """Mean importance-sampled log p(x) of draw 0's M2 on the test set."""
  fns = variational.m2_fns(s.model, params)
  k = config["eval_samples"]
  chunk = train.largest_divisor(k, 100)
  est = jax.jit(lambda key, xb: variational.m2_log_likelihood(
      key, xb, num_samples=k, chunk_size=chunk, **fns))
  vals = [np.asarray(est(jax.random.PRNGKey(i), jnp.asarray(x_test[i:i + 100])))
          for i in range(0, len(x_test), 100)]
  return float(np.mean(np.concatenate(vals)))


def _error_figure(workdir, rows):
  steps = sorted(rows)
  err = np.array([rows[k] for k in steps])
  fig, axes = plotting.figure(1, 1, 5)
  ax = axes[0, 0]
  ax.plot(steps, 100 * err, lw=0.8, alpha=0.6)
  ax.plot(steps, 100 * err.mean(1), "k", lw=2, label="mean over draws")
  ax.set_xlabel("step")
  ax.set_ylabel("test error (%)")
  ax.legend()
  plotting.save(fig, os.path.join(workdir, "test_error.png"))


def _figures(workdir, s, params, x_test, y_test, config, c):
  shape = _SHAPES.get(x_test.shape[1])
  if shape is None:
    return
  decode = jax.jit(lambda z, yy: s.model.apply(params, z, yy,
                                               method=nets.M2.decode_mean))
  # analogies: the z of 8 test images (their own label), decoded per class
  pick = np.linspace(0, len(x_test) - 1, 8).astype(int)
  mean, _ = s.model.apply(params, jnp.asarray(x_test[pick]),
                          jnp.asarray(y_test[pick]), method=nets.M2.encode)
  rows = [x_test[pick]] + [np.asarray(decode(mean, jnp.full(8, k)))
                           for k in range(c)]
  grid = np.stack(rows, 1).reshape(-1, x_test.shape[1])
  fig, axes = plotting.figure(1, 1, 7)
  plotting.image_grid(axes[0, 0], grid, shape, c + 1)
  axes[0, 0].set_title("test image, then its z decoded with each class")
  plotting.save(fig, os.path.join(workdir, "analogies.png"))
  if config["latent_dim"] == 2:
    from scipy.stats import norm
    g = jnp.asarray(norm.ppf(np.linspace(0.05, 0.95, 10)), jnp.float32)
    z = jnp.stack([g, jnp.zeros_like(g)], -1)
    z = jnp.concatenate([z, jnp.stack([jnp.zeros_like(g), g], -1)])
    imgs = np.concatenate([np.asarray(decode(z, jnp.full(len(z), k)))
                           for k in range(c)])
    fig, axes = plotting.figure(1, 1, 9)
    plotting.image_grid(axes[0, 0], imgs, shape, len(z))
    axes[0, 0].set_title("one row per class; z varied along each axis")
    plotting.save(fig, os.path.join(workdir, "styles.png"))


def main(argv):
  del argv
  common.quiet_logs()
  config = common.flag_config((
      "model", "dataset", "n_labels", "alpha", "latent_dim", "hidden",
      "m1_latent_dim", "m1_steps", "num_steps", "batch_size", "learning_rate",
      "n_draws", "eval_samples", "seed"), load)
  common.claim_workdir(_WORKDIR.value, config)
  out = run(config, _WORKDIR.value)
  print(json.dumps({k: v for k, v in out.items() if k != "test_error"}))


if __name__ == "__main__":
  common.run(main)
