r"""Train a GAN on 2-D mixtures or images and evaluate it honestly.

  python -m launch.train_gan --dataset=ring8 --workdir=runs/gan_ring8
  python -m launch.train_gan --dataset=mnist5k --num_steps=10000 \
      --workdir=runs/gan_mnist
  python -m launch.train_gan --dataset=mnist5k --model=acgan \
      --num_steps=5000 --workdir=runs/acgan_mnist

Every loss, penalty and schedule of ``jgen.adversarial``/``jgen.minimax`` is
a flag. Writes into ``--workdir``: ``config.json``; ``metrics.jsonl`` and
orbax ``checkpoints/`` (the same command resumes; a diverging run stops with
a message naming the step and keeps its last good checkpoint);
``result.json`` (also the metrics below at every snapshot, under
``over_training``); ``samples.png`` (samples over training: for 2-D data a
scatter with the modes marked, for images grids) and ``losses.png``.

``result.json`` for ``ring8``/``grid25`` holds the VEEGAN/PacGAN protocol on
2,500 samples (``modes_covered``, ``n_modes``, ``high_quality_fraction``,
``mode_kl``); for images, on the features and class probabilities of jgen's
shipped MNIST classifier (``jgen.metrics.mnist_features``), against the test
split: ``fid``, ``inception_score``, improved ``precision``/``recall``
(Kynkaanniemi et al. 2019, k = 3), ``density``/``coverage`` (Naeem et al.
2020, k = 5), and ``fid_real_floor`` (test images against as many training
images), the value a perfect generator would get.

``--model`` picks the game (``jgen.models.gan.MODELS``): ``gan``; ``cgan``
(Mirza & Osindero 2014; ``--conditioning`` projection or concat) and
``acgan`` (Odena et al. 2017; ``--aux_weight``) on labelled data, whose
``result.json`` adds ``conditional_accuracy`` (the shipped classifier's
accuracy on samples asked for classes ``i mod C``) and who draw
``classes.png`` (one row per class); ``infogan`` (Chen et al. 2016;
``--n_categorical``, ``--n_continuous``, ``--info_weight``,
``--continuous_weight``), which adds
``code_accuracy`` (Q's categorical code as a classifier of the test images,
codes matched to classes one-to-one) and draws ``traversals.png``.

The networks of these four models are DCGAN-style for images; ``--dense``
adds a fully connected layer to both and ``--generator_norm``/
``--critic_norm`` normalise their hidden layers (Chen et al. 2016, Table 1:
``--width=64 --dense=1024 --generator_norm=batch --critic_norm=batch
--penalty=none``; with a penalty the critic takes layer norm, as penalties
need a per-example critic).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import adversarial
from jgen import data
from jgen import models
from jgen import metrics
from jgen import minimax
from jgen import nets
from jgen import plotting
from jgen import train
from launch import common

_PENALTIES = ["none"] + list(adversarial.PENALTIES)
_TRANSLATION = models.translation.MODELS
_MODEL = flags.DEFINE_enum(
    "model", "gan", list(models.gan.MODELS) + ["vaegan", "aae", *_TRANSLATION],
    "gan; cgan (critic conditioned on the class); acgan (critic with a class "
    "head); infogan (codes recovered by a Q head); vaegan; aae (adversarial "
    "autoencoder; semi-supervised with --n_labels); pix2pix and cyclegan "
    "(translation; --dataset a task of jgen.data.TASKS). cgan, acgan and "
    "the semi-supervised aae need a labelled dataset.")
_CONDITIONING = flags.DEFINE_enum("conditioning", "projection",
                                  list(nets.CONDITIONING),
                                  "cgan: how the label enters the critic.")
_AUX_WEIGHT = flags.DEFINE_float("aux_weight", 1.0, "acgan: weight of the "
                                 "classification terms.")
_INFO_WEIGHT = flags.DEFINE_float("info_weight", 1.0, "infogan: lambda, the "
                                  "weight of the mutual-information bound "
                                  "of the categorical code.")
_CONT_WEIGHT = flags.DEFINE_float("continuous_weight", 0.1, "infogan: the "
                                  "weight of the continuous codes' bound "
                                  "(Chen et al.: smaller than lambda).")
_N_CAT = flags.DEFINE_integer("n_categorical", 10, "infogan: categories of "
                              "the categorical code (0: none).")
_N_CONT = flags.DEFINE_integer("n_continuous", 2, "infogan: continuous codes "
                               "U(-1, 1).")
_Q_HIDDEN = flags.DEFINE_integer("q_hidden", 128, "infogan: hidden units of "
                                 "the Q head (0: linear).")
_Q_BODY = flags.DEFINE_bool(
    "q_trains_body", True, "infogan: the critic's mutual-information term "
    "trains the body Q shares with D (Chen et al.); --noq_trains_body: the Q "
    "head alone, on the features the adversarial loss shapes.")
_PRIOR = flags.DEFINE_enum("prior", "gaussian", list(adversarial.PRIORS),
                           "aae: the prior the codes are matched to.")
_N_LABELS = flags.DEFINE_integer("n_labels", 0, "aae: labelled images of "
                                 "the semi-supervised AAE (0: unsupervised).")
_ALPHA = flags.DEFINE_float("alpha", 100.0, "semi-supervised aae: weight of "
                            "the labelled cross-entropy against the "
                            "per-image reconstruction (nats).")
_RECON = flags.DEFINE_float("recon_weight", 1.0, "vaegan: gamma, the "
                            "decoder's weight of the feature reconstruction.")
_L1 = flags.DEFINE_float("l1_weight", 100.0, "pix2pix: lambda of the L1 "
                         "term (Isola et al.: 100).")
_CYCLE = flags.DEFINE_float("cycle_weight", 10.0, "cyclegan: lambda of the "
                            "cycle-consistency term (Zhu et al.: 10).")
_IDENTITY = flags.DEFINE_float("identity_weight", 5.0, "cyclegan: weight of "
                               "the identity term (0: off; Zhu et al.: 0.5 "
                               "lambda).")
_DATASET = flags.DEFINE_string("dataset", "ring8", "ring8, grid25, mnist5k, "
                               "digits or npz:PATH (images 28x28 or 8x8 in "
                               "[0, 1], or 2-D points).")
_LOSS = flags.DEFINE_enum("loss", "non_saturating", list(adversarial.LOSSES),
                          "GAN loss.")
_PENALTY = flags.DEFINE_enum("penalty", "r1", _PENALTIES, "Critic penalty.")
_WEIGHT = flags.DEFINE_float("penalty_weight", 0.1,
                             "Penalty weight (gamma of R1/R2, lambda of "
                             "WGAN-GP).")
_METHOD = flags.DEFINE_enum("method", "simultaneous",
                            ["simultaneous", "alternating"], "Update schedule.")
_ORDER = flags.DEFINE_enum("order", "v_first", list(minimax.ORDERS),
                           "alternating: critic (v) or generator (u) first.")
_N_CRITIC = flags.DEFINE_integer("n_critic", 1,
                                 "Critic steps per generator step.")
_LR_G = flags.DEFINE_float("lr_g", 1e-3, "Generator Adam learning rate.")
_LR_D = flags.DEFINE_float("lr_d", 1e-3, "Critic Adam learning rate.")
_BETA1 = flags.DEFINE_float("beta1", 0.5, "Adam b1 of both players.")
_BATCH = flags.DEFINE_integer("batch_size", 128, "Real examples per step.")
_STEPS = flags.DEFINE_integer("num_steps", 30_000, "Generator steps.")
_EMA = flags.DEFINE_float("ema", 0.999, "EMA decay of the generator's "
                          "parameters used for samples (0: no EMA).")
_LATENT = flags.DEFINE_integer("latent_dim", 0, "Latent size (0: 2 for 2-D "
                               "data, 64 for images).")
_LATENT_STD = flags.DEFINE_float(
    "latent_std", 1.0, "Std of the GAN's z ~ N(0, s^2 I) (ClusterGAN's "
    "discrete-continuous prior: 0.1).")
_HIDDEN = flags.DEFINE_integer("hidden", 128, "MLP width (2-D data).")
_WIDTH = flags.DEFINE_integer("width", 32, "Conv channels (images).")
_DENSE = flags.DEFINE_integer("dense", 0, "A fully connected hidden layer "
                              "of this width in both conv networks (0: "
                              "none; InfoGAN's Table 1: 1024).")
_G_NORM = flags.DEFINE_enum("generator_norm", "none",
                            list(nets.GENERATOR_NORMS), "Normalisation of "
                            "the generator's hidden layers (batch: by the "
                            "batch's statistics, as DCGAN and InfoGAN).")
_D_NORM = flags.DEFINE_enum("critic_norm", "none", list(nets.CRITIC_NORMS),
                            "Normalisation of the critic's hidden layers "
                            "but the first (batch: only with "
                            "--penalty=none).")
_SN = flags.DEFINE_bool("spectral_norm", False, "Spectrally normalised critic.")
_NOISE = flags.DEFINE_float("noise_std", 0.0, "Instance-noise std.")
_SMOOTH = flags.DEFINE_float("label_smoothing", 0.0, "One-sided label "
                             "smoothing (minimax, non_saturating).")
_CLIP = flags.DEFINE_float("clip", 0.0, "WGAN weight clipping bound (0: off).")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")
_N_SEEDS = flags.DEFINE_integer(
    "n_seeds", 1, "Train seeds seed, seed+1, ... as one compiled computation "
    "(vmapped; for convolutional models on CPU, unrolled; members share "
    "--seed's data; member d of the semi-supervised aae takes draw d of "
    "--seed's labelled subsets, jgen.data.labelled_subset, and lists them "
    "under 'labelled'). result.json then holds each "
    "member's results under 'runs' and their mean and std.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/gan", "Output folder.")

def _check_dataset(name):
  if name in data.TASKS:
    return
  try:
    data.check_name(name)
  except ValueError as err:
    raise ValueError(f"{err} (or a translation task: {list(data.TASKS)})"
                     ) from None


common.validate("dataset", _check_dataset)
for _name in ("n_critic", "batch_size", "num_steps", "hidden", "width",
              "n_seeds"):
  common.validate(_name, common.at_least(1))
for _name in ("latent_dim", "n_categorical", "n_continuous", "n_labels",
              "q_hidden", "dense"):
  common.validate(_name, common.at_least(0))
for _name in ("lr_g", "lr_d", "penalty_weight", "noise_std", "clip",
              "aux_weight", "info_weight", "continuous_weight", "alpha",
              "recon_weight", "l1_weight", "cycle_weight", "identity_weight"):
  common.validate(_name, lambda v, n=_name: _checks.real(v, n, low=0.0,
                                                         high=1e30))
common.validate("latent_std", lambda v: _checks.real(v, "latent_std",
                                                     low=1e-6, high=1e6))
common.validate("beta1", lambda v: _checks.real(v, "beta1", low=0.0,
                                                high=0.999))
common.validate("ema", lambda v: _checks.real(v, "ema", low=0.0, high=0.99999))
common.validate("label_smoothing", lambda v: _checks.real(
    v, "label_smoothing", low=0.0, high=1.0))
flags.register_multi_flags_validator(
    ["loss", "label_smoothing"], lambda f: f["label_smoothing"] == 0.0 or
    f["loss"] in ("minimax", "non_saturating"),
    message="--label_smoothing: only the minimax and non_saturating critics "
            "take label smoothing.")

flags.register_multi_flags_validator(
    ["model", "n_categorical", "n_continuous"], lambda f: f["model"] !=
    "infogan" or (f["n_categorical"] != 1 and f["n_categorical"] +
                  f["n_continuous"] > 0),
    message="--n_categorical/--n_continuous: infogan needs a code "
            "(n_categorical 0 or >= 2, and at least one code).")

flags.register_multi_flags_validator(
    ["model", "q_trains_body"], lambda f: f["model"] == "infogan" or
    f["q_trains_body"], message="--q_trains_body: an option of "
    "--model=infogan.")

flags.register_multi_flags_validator(
    ["model", "dense", "generator_norm", "critic_norm", "latent_std"],
    lambda f: f["model"] in models.gan.MODELS or (
        f["dense"] == 0 and f["generator_norm"] == "none" and
        f["critic_norm"] == "none" and f["latent_std"] == 1.0),
    message="--dense/--generator_norm/--critic_norm/--latent_std: options "
            f"of the GAN networks of --model={'/'.join(models.gan.MODELS)}.")

flags.register_multi_flags_validator(
    ["critic_norm", "penalty"], lambda f: f["critic_norm"] != "batch" or
    f["penalty"] == "none", message="--critic_norm=batch needs "
    "--penalty=none: batch statistics couple the examples that a gradient "
    "penalty differentiates one at a time.")

_SNAPSHOTS = 4        # sample panels over training
_EVAL_SAMPLES = 2500  # VEEGAN/PacGAN protocol
_SHAPES = {h * w: (h, w) for h, w in nets.IMAGE_SHAPES}


class Loaded(NamedTuple):
  """What :func:`load` gives: flat float32 arrays, the image shape (None for
  points), ``(means, std)`` of a known mixture or None, ``(y_train, y_test,
  n_classes)`` when the data are labelled (else None), and the
  :class:`jgen.data.Task` of a translation model (else None; then
  ``x_train``/``x_test`` are its domain B)."""
  x_train: np.ndarray
  x_test: np.ndarray
  image_shape: tuple[int, int] | None
  modes: tuple | None
  labels: tuple | None
  task: data.Task | None


def load(config: dict) -> Loaded:
  """The training data and what to compare samples with.

  Raises:
    ValueError: starting with ``dataset:`` when the examples are neither 2-D
      points nor 28x28/8x8 images, when a model that needs labels gets a
      dataset without them, when a translation model gets no task (or
      pix2pix an unpaired one), or another model a task.
  """
  name, model = config["dataset"], config["model"]
  if model in _TRANSLATION:
    if name not in data.TASKS:
      raise ValueError(f"dataset: {model} translates between the two domains "
                       f"of a task, one of {list(data.TASKS)}; got {name!r}.")
    task = data.load_task(name, seed=config["seed"])
    if model == "pix2pix" and not task.paired:
      raise ValueError(f"dataset: pix2pix needs paired domains and {name!r} "
                       f"is unpaired (see jgen.data.TASKS).")
    b = task.b
    return Loaded(b.x_train, b.x_test, (28, 28), None,
                  (b.y_train, b.y_test, 10), task)
  if name in data.TASKS:
    raise ValueError(f"dataset: {name!r} is a translation task, for "
                     f"--model=pix2pix or cyclegan.")
  ds = data.load(name, seed=config["seed"],
                 n_samples=50_000 if name in data.MODES else 2000)
  x_train = np.asarray(ds.x_train, np.float32).reshape(len(ds.x_train), -1)
  x_test = np.asarray(ds.x_test, np.float32).reshape(len(ds.x_test), -1)
  d = x_train.shape[1]
  if d != 2 and d not in _SHAPES:
    raise ValueError(f"dataset: the networks take 2-D points or 28x28/8x8 "
                     f"images, got {d} values per example.")
  labels = None
  if np.min(ds.y_train) >= 0:
    labels = (np.asarray(ds.y_train, np.int32), np.asarray(ds.y_test,
                                                           np.int32),
              int(max(ds.y_train.max(), ds.y_test.max())) + 1)
  elif model in ("cgan", "acgan") or (model == "aae" and config["n_labels"]):
    raise ValueError(f"dataset: {model} needs labels and {name!r} has none "
                     f"(an npz file needs an array 'y' of classes 0..C-1).")
  if model in ("aae", "vaegan") and d == 2:
    raise ValueError(f"dataset: {model} is built for images; got 2-D points.")
  return Loaded(x_train, x_test, _SHAPES.get(d), data.MODES.get(name), labels,
                None)


class Setup(NamedTuple):
  """A model ready for ``train.train`` and for evaluation."""
  init: Callable            # key -> state
  step: Callable
  data: Any
  batch_fn: Callable
  hparams: dict
  draw: Callable            # state -> samples [n, D] (snapshots)
  final: Callable           # (state, member, samples) -> the last scores
  figures: Callable         # (workdir, state) -> None
  data_axes: Any = None     # with --n_seeds: the members' own data leaves
  score: Callable | None = None   # samples -> dict (default: image quality)


# Each model's own flags (the library's config refuses them elsewhere).
_OWN = {"cgan": ("conditioning",), "acgan": ("aux_weight",),
        "infogan": ("n_categorical", "n_continuous", "q_hidden",
                    "q_trains_body", "info_weight", "continuous_weight"),
        "aae": ("prior",), "ss_aae": ("n_labels", "alpha"),
        "vaegan": ("recon_weight",), "pix2pix": ("l1_weight",),
        "cyclegan": ("cycle_weight", "identity_weight")}
_GAN_NETWORKS = ("latent_std", "width", "dense", "generator_norm",
                 "critic_norm", "spectral_norm", "label_smoothing",
                 "noise_std", "n_critic", "order", "clip")


def _name(config: dict) -> str:
  """The registry name: ``--model=aae --n_labels=N`` is the ss_aae."""
  return ("ss_aae" if config["model"] == "aae" and config["n_labels"] else
          config["model"])


def _fields(config: dict, loaded: Loaded) -> dict:
  """The model config's fields from the flags and the data."""
  name, shape = _name(config), loaded.image_shape
  fields = {k: config[k] for k in ("loss", "penalty", "method", "lr_g",
                                   "lr_d", "penalty_weight", "batch_size")}
  fields["betas"] = (config["beta1"], 0.999)
  fields.update({k: config[k] for k in _OWN.get(name, ())})
  # another model's option set away from its default: the model's config
  # refuses it (jgen.models.get(name).config names the option)
  fields.update({k: config[k] for own in _OWN.values() for k in own
                 if k not in fields and config[k] != flags.FLAGS[k].default})
  if name in models.gan.MODELS:
    fields.update({k: config[k] for k in _GAN_NETWORKS})
    fields.update(hidden=(config["hidden"],) * 3, ema_decay=config["ema"],
                  latent_dim=config["latent_dim"] or (2 if shape is None
                                                      else 64))
    if name in ("cgan", "acgan"):
      fields["n_classes"] = loaded.labels[2]
  elif name in ("aae", "ss_aae"):
    fields.update(hidden=(config["hidden"],) * 2,
                  latent_dim=config["latent_dim"] or 2)
    if name == "ss_aae":
      fields.update(n_classes=loaded.labels[2], label_seed=config["seed"])
  elif name == "vaegan":
    fields.update(hidden=(config["hidden"],), width=config["width"],
                  latent_dim=config["latent_dim"] or 32)
  else:
    fields.update(width=config["width"])
  if name not in models.translation.MODELS:
    fields["data_dim"] = loaded.x_train.shape[1]
  if name in models.gan.MODELS or name == "vaegan":
    fields["image_shape"] = shape
  return fields


def build(config: dict, loaded: Loaded) -> Setup:
  """The model of a configuration (:func:`jgen.models.get`), its data and
  its evaluation."""
  name = _name(config)
  entry = models.get(name)
  m = entry.make(entry.config(**_fields(config, loaded)))
  labels = loaded.labels
  if loaded.task is not None:
    ds = loaded.task
  else:
    unlabelled = lambda x: np.full(len(x), -1)
    ds = data.Dataset(loaded.x_train, labels[0] if labels else
                      unlabelled(loaded.x_train), loaded.x_test,
                      labels[1] if labels else unlabelled(loaded.x_test))
  data_axes = None
  try:
    members = [m.train_data(ds, draw=d) for d in range(config["n_seeds"])]
  except ValueError as err:           # a labelled subset the data can't give
    raise ValueError(f"n_labels: {err}") from None
  train_data = members[0]
  if name == "ss_aae" and config["n_seeds"] > 1:   # member d: draw d
    train_data = {"x_l": jnp.stack([t["x_l"] for t in members]),
                  "y_l": jnp.stack([t["y_l"] for t in members]),
                  "x_u": train_data["x_u"]}
    data_axes = {"x_l": 0, "y_l": 0, "x_u": None}
  sample_key = jax.random.PRNGKey(10_000 + config["seed"])
  if m.sample is None:                # translation: its outputs are drawn
    translate = jax.jit(m.parts.translate, static_argnums=2)
    a_test = jnp.asarray(loaded.task.a.x_test)
    draw = lambda state: np.asarray(translate(state.u, a_test, "ab"))
  else:
    sample = jax.jit(m.sample, static_argnums=2)
    draw = lambda state: np.asarray(sample(state, sample_key,
                                           _EVAL_SAMPLES))

  options = {"modes": loaded.modes} if name in models.gan.MODELS else {}

  def final(state, member, samples):
    """The model's whole evaluation of the last state (its last snapshot's
    samples scored once), and a semi-supervised member's labelled draw."""
    if loaded.task is not None:             # scores the test translations
      return m.evaluate(state, ds)
    out = m.evaluate(state, ds, samples=samples, **options)
    if name == "ss_aae":
      out.update(n_labels=config["n_labels"], labelled=np.asarray(
          data.labelled_subset(ds.y_train, config["n_labels"],
                               n_classes=labels[2], seed=config["seed"],
                               draw=member)).tolist())
    return out

  score = None                 # over training: the samples' scores alone
  if loaded.task is None:
    score = lambda samples: m.evaluate(None, ds, samples=samples, **options)

  def figures(workdir, state):
    m.figures(state, ds, workdir)

  return Setup(m.init, m.step, train_data, m.batch_fn, m.hparams, draw,
               final, figures, data_axes, score)


def _seeds(config: dict) -> list[int]:
  return [config["seed"] + i for i in range(config["n_seeds"])]


def _member(state, i: int):
  """Member ``i`` of a batched (``--n_seeds``) state."""
  return jax.tree.map(lambda a: a[i], state)


# results that are settings, the same for every member and snapshot
_SETTINGS = ("num_steps", "n_test", "n_samples", "fid_real_floor", "n_modes",
             "n_labels")


def _summary(runs: list) -> dict:
  """Mean and std over members of each scalar result."""
  keys = [k for k, v in runs[0].items() if k not in _SETTINGS
          and isinstance(v, (int, float)) and not isinstance(v, bool)]
  return {stat: {k: float(f([r[k] for r in runs])) for k in keys}
          for stat, f in (("mean", np.mean), ("std", np.std))}


def run(config: dict, workdir: str) -> dict:
  """Trains, evaluates, draws; returns the contents of ``result.json``.

  With ``n_seeds > 1`` the members train as one compiled computation
  (:func:`jgen.train.train` with ``batched=True``; convolutional models on
  CPU unroll the members, the others vmap them) and ``result.json`` holds
  ``runs`` (each member's results, as a single run's), ``mean`` and ``std``;
  the figures show member 0."""
  loaded = load(config)
  setup = build(config, loaded)
  image_shape = loaded.image_shape
  n = config["n_seeds"]
  hparams = setup.hparams
  if n == 1:
    state = setup.init(jax.random.PRNGKey(config["seed"]))
    members = lambda state: [state]
  else:
    state = jax.vmap(setup.init)(jnp.stack(
        [jax.random.PRNGKey(s) for s in _seeds(config)]))
    hparams = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,)), hparams)
    members = lambda state: [_member(state, i) for i in range(n)]
  # Conv networks: short unrolled chunks (convolutions inside an XLA loop
  # are slow on CPU, jax-ml/jax#12868). The chunk divides num_steps. On CPU
  # their seeds are unrolled too: vmapped, each convolution becomes a grouped
  # one, which XLA's CPU backend runs several times slower (launch.bench.gan).
  steps = config["num_steps"]
  conv = image_shape is not None and config["model"] != "aae"
  unroll_members = conv and n > 1 and jax.default_backend() == "cpu"
  chunk = train.largest_divisor(steps, 10 if conv else 500)
  every = max(1, steps // chunk // _SNAPSHOTS)
  snapshots = {}

  def snapshot(step, record, state):
    del record
    if (step // chunk) % every == 0 or step == steps:
      snapshots[step] = [setup.draw(m) for m in members(state)]

  try:
    result = train.train(state, setup.step, setup.data, hparams,
                         num_steps=steps, batch_fn=setup.batch_fn,
                         chunk_size=chunk, workdir=workdir,
                         checkpoint_every=max(1, 2000 // chunk),
                         checkpoint_seconds=60.0, callback=snapshot,
                         unroll=conv, batched=n > 1,
                         data_axes=setup.data_axes,
                         members="unroll" if unroll_members else "vmap")
  except train.TrainingDiverged as err:
    raise SystemExit(f"train_gan: {err}") from None
  if steps not in snapshots:          # a finished run resumed: no chunk ran
    snapshots[steps] = [setup.draw(m) for m in members(result.state)]
  evaluate = setup.score or metrics.SampleQuality(loaded.x_train,
                                                  loaded.x_test)
  final = {k: v for k, v in result.history[-1].items() if k != "step"}
  runs = []
  for i, state_i in enumerate(members(result.state)):
    scores = {t: evaluate(snapshots[t][i]) for t in sorted(snapshots)
              if t != steps}
    scores[steps] = setup.final(state_i, i, snapshots[steps][i])
    over = [{"step": t, **{k: v for k, v in score.items()
                           if k not in ("counts", "labelled")
                           and k not in _SETTINGS}}
            for t, score in scores.items()]
    runs.append({"num_steps": steps, **scores[steps],
                 "over_training": over})
  out = {**runs[0], "final": final} if n == 1 else {
      "num_steps": steps, "seeds": _seeds(config), "runs": runs,
      **_summary(runs), "final": final}
  _figures(workdir, {t: s[0] for t, s in snapshots.items()}, result.history,
           loaded.x_test, image_shape, loaded.modes)
  setup.figures(workdir, members(result.state)[0])
  train.write_json(os.path.join(workdir, "result.json"), out)
  return out


def _figures(workdir, snapshots, history, x_test, image_shape, modes):
  steps = sorted(snapshots)[-_SNAPSHOTS:]
  fig, axes = plotting.figure(len(steps), 1, 3.2)
  for ax, s in zip(axes[0], steps):
    if image_shape is None:
      ax.scatter(*x_test[:500].T, s=2, c="0.8", label="data")
      ax.scatter(*snapshots[s][:1000].T, s=2, c="C0", label="samples")
      if modes is not None:
        ax.scatter(*modes[0].T, marker="x", c="C3", s=30, label="modes")
      ax.set_aspect("equal")
    else:
      plotting.image_grid(ax, snapshots[s][:64], image_shape, 8)
    ax.set_title(f"step {s}")
  plotting.save(fig, os.path.join(workdir, "samples.png"))
  fig, axes = plotting.figure(1, 1, 4)
  plotting.history(axes[0, 0], {
      "generator loss": np.array([[r["step"], r["loss_u"]] for r in history]),
      "critic loss": np.array([[r["step"], r["loss_v"]] for r in history])},
      "loss (chunk mean)")
  plotting.save(fig, os.path.join(workdir, "losses.png"))


def main(argv):
  del argv
  common.quiet_logs()
  def check(config):
    build(config, load(config))
  config = common.flag_config((
      "dataset", "loss", "penalty", "penalty_weight", "method", "order",
      "n_critic", "lr_g", "lr_d", "beta1", "batch_size", "num_steps", "ema",
      "latent_dim", "latent_std", "hidden", "width", "dense",
      "generator_norm", "critic_norm", "spectral_norm", "noise_std",
      "label_smoothing", "clip", "model", "conditioning", "aux_weight",
      "info_weight", "continuous_weight", "n_categorical", "n_continuous",
      "q_hidden", "q_trains_body", "prior", "n_labels", "alpha",
      "recon_weight", "l1_weight", "cycle_weight", "identity_weight", "seed",
      "n_seeds"), check)
  common.claim_workdir(_WORKDIR.value, config)
  res = run(config, _WORKDIR.value)
  print({k: v for k, v in res.items()
         if k not in ("counts", "final", "over_training", "runs", "labelled")})


if __name__ == "__main__":
  common.run(main)
