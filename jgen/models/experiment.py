"""A training run of a registered model on a named dataset: the settings
(:class:`Experiment`), the model built to fit the data (:func:`build`), and
training, evaluation and figures into a work directory (:func:`run`,
:func:`restore`).

One flat mapping of fields describes a run: the :class:`Experiment` fields
(``model``, ``dataset``, ``num_steps``, ``seed``, ...) and the fields of the
model's config (:func:`jgen.models.get`). ``data_dim``, ``n_classes`` and
``label_seed`` are taken from the data and the seed unless given
(:data:`DERIVED`). ``launch.train`` reads such a mapping from a config
file; the same mapping written to ``config.json`` rebuilds the run.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from jgen import _checks
from jgen import data
from jgen import distributed
from jgen import metrics
from jgen import plotting
from jgen import sweep
from jgen import train
from jgen.models import _base

# fields the data (and the seed) give unless the config sets them
DERIVED = ("data_dim", "n_classes", "label_seed")
# models whose n_classes is the data's number of classes
_LABELLED = ("cgan", "acgan", "ss_aae", "cvae", "m1", "m2", "m1_m2")
# validation metrics of the models' evaluate: whether larger is better
METRICS = {
    **dict.fromkeys(("test_elbo", "test_log_likelihood", "modes_covered",
                     "high_quality_fraction", "inception_score", "precision",
                     "recall", "density", "coverage", "conditional_accuracy",
                     "code_accuracy", "code_information", "class_kept",
                     "psnr", "cluster_accuracy"), True),
    **dict.fromkeys(("fid", "mode_kl", "test_error", "l1", "cycle_l1"),
                    False)}
SNAPSHOTS = 4       # evaluations (and sample panels) over training


@dataclasses.dataclass(frozen=True)
class Experiment:
  """How a model is trained and evaluated, every field checked when built.

  Attributes:
    model: a name of :func:`jgen.models.names`.
    dataset: a :func:`jgen.data.load` name, or a :data:`jgen.data.TASKS`
      name for the translation models.
    num_steps: training steps.
    seed: the seed of the data, of the initialisation (member ``i`` of
      ``n_seeds`` takes ``seed + i``) and of the labelled subsets.
    n_seeds: members trained as one compiled computation (vmapped; on CPU,
      convolutional ones unrolled), member ``i`` on draw ``i`` of the
      labelled subsets.
    validate_every: steps between evaluations of the validation metric on
      ``validation_size`` training examples held out; the best state is
      kept in ``workdir/best/`` (0: no validation).
    validation_metric: a key of :data:`METRICS` that the model's
      ``evaluate`` reports.
    validation_size: training examples held out for validation.
    patience: stop after this many validations without improvement (0:
      train to ``num_steps``; Prechelt 1998).
    devices: devices the run is spread over: the members (``n_seeds``)
      over a ``"sweep"`` axis, each batch over a ``"data"`` axis
      (:func:`jgen.sweep.make_mesh`); 0 (the default) is one device in a
      single process and every device of every process after
      :func:`jgen.distributed.initialize`, where nothing else is allowed.
    n_data: devices of the ``"data"`` axis (0: those the members leave,
      ``devices // gcd(n_seeds, devices)``); must divide ``devices``, and
      ``devices // n_data`` must divide ``n_seeds``.
    shard_data: split the training set's rows over the ``"data"`` axis,
      each process holding only its devices' rows
      (:func:`jgen.distributed.shard_rows`), instead of a copy on every
      device; arrays whose rows do not split evenly stay replicated.
    tensorboard: also write TensorBoard event files to
      ``workdir/tensorboard`` (tensorboardX, the ``tensorboard`` extra):
      the training metrics and traced hyperparameters (the learning rates)
      of every chunk, the validation value, the evaluations over training
      and sample grids.

  Raises:
    ValueError: naming the field: an unknown model or dataset, a count out
      of range, validation without a metric (or a metric with none), with
      ``n_seeds > 1`` or on a translation task.
    TypeError: a field of the wrong type.
  """
  model: str = "gan"
  dataset: str = "ring8"
  num_steps: int = 10_000
  seed: int = 0
  n_seeds: int = 1
  validate_every: int = 0
  validation_metric: str = ""
  validation_size: int = 500
  patience: int = 0
  devices: int = 0
  n_data: int = 0
  shard_data: bool = False
  tensorboard: bool = False

  def __post_init__(self):
    from jgen import models       # the registry imports this module
    _checks.choice(self.model, "model", models.names())
    if not isinstance(self.dataset, str):
      raise TypeError(f"dataset must be a string, got {self.dataset!r}.")
    translation = self.model in models.translation.MODELS
    if translation:
      _checks.choice(self.dataset, "dataset", data.TASKS)
    elif self.dataset in data.TASKS:
      raise ValueError(f"dataset: {self.dataset!r} is a translation task, "
                       f"for model=pix2pix or cyclegan.")
    else:
      data.check_name(self.dataset, "dataset")
    _checks.integer(self.num_steps, "num_steps", low=1)
    _checks.integer(self.seed, "seed", low=0)
    _checks.integer(self.n_seeds, "n_seeds", low=1)
    _checks.integer(self.validate_every, "validate_every", low=0)
    _checks.integer(self.validation_size, "validation_size", low=1)
    _checks.integer(self.patience, "patience", low=0)
    _checks.integer(self.devices, "devices", low=0)
    _checks.integer(self.n_data, "n_data", low=0)
    _checks.boolean(self.shard_data, "shard_data")
    _checks.boolean(self.tensorboard, "tensorboard")
    if self.tensorboard and importlib.util.find_spec("tensorboardX") is None:
      raise ValueError("tensorboard: needs the tensorboardX package (pip "
                       "install -e '.[tensorboard]').")
    if self.validate_every:
      _checks.choice(self.validation_metric, "validation_metric", METRICS)
      if self.n_seeds > 1:
        raise ValueError("validate_every: validation keeps one best state; "
                         f"train one member (n_seeds=1), got n_seeds="
                         f"{self.n_seeds}.")
      if translation:
        raise ValueError("validate_every: the translation tasks have no "
                         "validation split.")
    elif self.validation_metric or self.patience:
      raise ValueError("validation_metric/patience: need validate_every > "
                       "0.")


class Setup(NamedTuple):
  """A run ready to train: its :class:`Experiment`, the
  :class:`jgen.models.Model`, the data it trains on (a
  :class:`jgen.data.Dataset`, a :class:`jgen.data.Task` for translation),
  the validation split (a Dataset whose test split is the held-out
  training examples) or None, and the ``("sweep", "data")`` mesh of a run
  over several devices or None."""
  experiment: Experiment
  model: _base.Model
  dataset: Any
  validation: Any
  mesh: Mesh | None = None


def _mesh(e: Experiment, m: _base.Model, ds) -> Mesh | None:
  """The mesh of ``e``'s ``devices``/``n_data``, checked against the
  devices there are and the model's batch (None: one device)."""
  total, processes = jax.device_count(), jax.process_count()
  devices = e.devices or (total if processes > 1 else 1)
  if devices > total:
    raise ValueError(f"devices: {devices} asked for, {total} available.")
  if processes > 1 and devices != total:
    raise ValueError(f"devices: a run over {processes} processes spans all "
                     f"their {total} devices (devices=0 or {total}), got "
                     f"{devices}.")
  n_data = e.n_data or devices // math.gcd(e.n_seeds, devices)
  if devices % n_data:
    raise ValueError(f"n_data: must divide devices ({devices}), got "
                     f"{n_data}.")
  if e.n_seeds % (devices // n_data):
    raise ValueError(f"n_data: the n_seeds={e.n_seeds} members must split "
                     f"evenly over devices // n_data = {devices // n_data} "
                     f"'sweep' devices; choose n_data, devices or n_seeds "
                     f"so that they do.")
  if devices == 1:
    return None
  mesh = sweep.make_mesh(n_data, jax.devices()[:devices])
  try:
    train.check_mesh(mesh, m.batch_fn, m.train_data(ds))
  except ValueError as err:
    raise ValueError(f"n_data: {err} Set n_data or the batch size so that "
                     f"it is.") from None
  return mesh


def _load(e: Experiment):
  """The dataset of an experiment (the translation task for pix2pix and
  CycleGAN) and its validation split."""
  if e.dataset in data.TASKS:
    task = data.load_task(e.dataset, seed=e.seed)
    if e.model == "pix2pix" and not task.paired:
      raise ValueError(f"dataset: pix2pix needs paired domains and "
                       f"{e.dataset!r} is unpaired (see jgen.data.TASKS).")
    return task, None
  ds = data.load(e.dataset, seed=e.seed,
                 n_samples=50_000 if e.dataset in data.MODES else 2000)
  if not e.validate_every:
    return ds, None
  n = len(ds.x_train)
  if e.validation_size >= n:
    raise ValueError(f"validation_size: must leave training examples; the "
                     f"dataset has {n}, got {e.validation_size}.")
  order = np.random.default_rng(e.seed).permutation(n)
  held, kept = order[:e.validation_size], order[e.validation_size:]
  train_split = ds._replace(x_train=ds.x_train[kept], y_train=ds.y_train[kept])
  return train_split, ds._replace(x_train=ds.x_train[kept],
                                  y_train=ds.y_train[kept],
                                  x_test=ds.x_train[held],
                                  y_test=ds.y_train[held])


def build(fields: Mapping) -> Setup:
  """The run that ``fields`` describe, checked, with its data loaded.

  Args:
    fields: the :class:`Experiment` fields and the model config's (the
      :data:`DERIVED` ones optional: absent or None, the data give them).

  Returns:
    A :class:`Setup`.

  Raises:
    ValueError: naming the field: a bad experiment or model field, a field
      the model does not have, a dataset without the labels the model
      needs or with examples of another size than the config states, a
      learning-rate decay that ends before ``num_steps``.
    TypeError: a field of the wrong type.
  """
  from jgen import models
  names = {f.name for f in dataclasses.fields(Experiment)}
  e = Experiment(**{k: v for k, v in fields.items() if k in names})
  own = {k: v for k, v in fields.items() if k not in names
         and not (k in DERIVED and v is None)}
  entry = models.get(e.model)
  ds, validation = _load(e)
  known = {f.name for f in dataclasses.fields(models.REGISTRY[e.model][0])}
  if "data_dim" in known and "data_dim" not in own:
    own["data_dim"] = int(np.prod(np.shape(ds.x_train)[1:]))
  if "label_seed" in known and "label_seed" not in own:
    own["label_seed"] = e.seed
  if e.model in _LABELLED and "n_classes" not in own:
    y = np.concatenate([ds.y_train, ds.y_test])
    if np.min(y) < 0:
      raise ValueError(f"dataset: {e.model} needs labels and {e.dataset!r} "
                       f"has none (an npz file needs an array 'y' of classes "
                       f"0..C-1).")
    own["n_classes"] = int(y.max()) + 1
  config = entry.config(**own)
  decay = getattr(config, "lr_decay_steps", 0)
  if decay and config.lr_decay_start + decay < e.num_steps:
    end = config.lr_decay_start + decay
    raise ValueError(
        f"lr_decay_start + lr_decay_steps = {end} < num_steps = "
        f"{e.num_steps}: the learning rates would be 0 for the last "
        f"{e.num_steps - end} steps; end the decay at num_steps or later.")
  m = entry.make(config)
  m.train_data(ds)                  # the data fit the model (checked once)
  return Setup(e, m, ds, validation, _mesh(e, m, ds))


def defaults(model: str) -> dict:
  """Every field of a run of ``model`` with its default: the
  :class:`Experiment`'s (``model`` set) and the model config's, less the
  :data:`DERIVED` ones and the config's own ``model``; the fields a config
  file starts from. Fields whose default is None are left out."""
  from jgen import models
  config, _, preset = models.REGISTRY[model]
  out = {f.name: f.default for f in dataclasses.fields(Experiment)}
  out["model"] = model
  out.update({f.name: f.default for f in dataclasses.fields(config)
              if f.name not in DERIVED and f.name not in preset
              and f.default is not None})
  return out


def members(state, n: int) -> list:
  """The ``n`` members of a state (members stacked on a leading axis when
  ``n > 1``), each a single run's state.

  Args:
    state: a state of :func:`run` or :func:`restore`.
    n: the experiment's ``n_seeds``.

  Returns:
    A list of ``n`` states.
  """
  if n == 1:
    return [state]
  return [jax.tree.map(lambda a, i=i: a[i], state) for i in range(n)]


class Inputs(NamedTuple):
  """What :func:`jgen.train.train` takes for a run (:func:`inputs`).

  Attributes:
    state: the initial state, members stacked when ``n_seeds > 1``
      (``jax.ShapeDtypeStruct`` leaves when asked for shapes only).
    data: the members' training data: shared leaves once (their rows split
      over the mesh with ``shard_data``), leaves that differ between
      members (their labelled draws) stacked.
    data_axes: ``train.train``'s ``data_axes`` (None for one member).
    hparams: the traced hyperparameters, per member when ``n_seeds > 1``.
    per: each member's own ``train_data``.
  """
  state: Any
  data: Any
  data_axes: Any
  hparams: Any
  per: list


def inputs(s: Setup, *, shapes_only: bool = False) -> Inputs:
  """The initial state, data and hyperparameters of a run, as
  :func:`run` hands them to :func:`jgen.train.train` (with ``mesh=s.mesh``,
  ``batched=n_seeds > 1``).

  Args:
    s: the :func:`build` setup.
    shapes_only: the state's shapes and dtypes alone (``jax.eval_shape``:
      a restore target, no initialisation run).

  Returns:
    :class:`Inputs`; member ``i`` is initialised from ``PRNGKey(seed + i)``
    on its draw ``i`` of the data.
  """
  e = s.experiment
  n = e.n_seeds
  per = [s.model.train_data(s.dataset, draw=d) for d in range(n)]
  hparams = s.model.hparams
  if n == 1:
    data_, axes = per[0], None
  else:
    same = jax.tree.map(lambda *xs: all(np.array_equal(xs[0], x)
                                        for x in xs[1:]), *per)
    data_ = jax.tree.map(lambda keep, *xs: xs[0] if keep else jnp.stack(xs),
                         same, *per)
    axes = jax.tree.map(lambda keep: None if keep else 0, same)
    hparams = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,)), hparams)
  if e.shard_data and s.mesh is not None:
    data_ = _shard(data_, axes, s.mesh)
  keys = jnp.stack([jax.random.PRNGKey(e.seed + i) for i in range(n)])
  if n == 1:
    init = lambda: s.model.init(keys[0], data_)
  else:
    init = lambda: jax.vmap(s.model.init, (0, axes))(keys, data_)
  state = jax.eval_shape(init) if shapes_only else init()
  return Inputs(state, data_, axes, hparams, per)


# results that are settings, the same for every member and snapshot
_SETTINGS = ("num_steps", "n_test", "n_samples", "fid_real_floor", "n_modes", "n",
             "eval_samples")


def _summary(runs: list) -> dict:
  """Mean and sample std (:func:`jgen.metrics.mean_std`, ddof 1) over
  members of each scalar result (a diverged mode KL of inf gives mean inf,
  std nan)."""
  keys = [k for k, v in runs[0].items() if k not in _SETTINGS
          and isinstance(v, (int, float)) and not isinstance(v, bool)]
  spread = {k: metrics.mean_std([r[k] for r in runs]) for k in keys}
  return {stat: {k: ms[i] for k, ms in spread.items()}
          for i, stat in enumerate(("mean", "std"))}


def run(s: Setup, workdir: str) -> dict:
  """Trains, evaluates and draws a run into ``workdir``.

  Over several processes every process calls it alike (on a shared
  ``workdir``): training is collective, each evaluates its own copy of
  the state, and process 0 alone writes the files.

  :func:`jgen.train.train` writes ``metrics.jsonl`` and ``checkpoints/``
  (the same setup resumes; a larger ``num_steps`` continues; a diverging
  run raises :class:`jgen.train.TrainingDiverged` and keeps its last good
  checkpoint) and, with validation, ``best/``. The model's ``evaluate``
  runs :data:`SNAPSHOTS` times over training; the last is the result.
  Each evaluation's scalars are appended to ``evaluations.jsonl`` as it
  is made, so a resumed run's ``over_training`` keeps those of the
  processes before it.

  Args:
    s: the :func:`build` setup.
    workdir: the output folder.

  Returns:
    The contents of the ``result.json`` written: the last evaluation (of
    every member under ``runs``, with their ``mean`` and ``std``, when
    ``n_seeds > 1``), ``over_training`` (the evaluations over training),
    ``final`` (the last chunk's training metrics), ``mesh`` (its axes'
    sizes, over several devices), ``best_step``, ``best_validation`` and
    ``selected`` (the best-on-validation state evaluated on the test split,
    and on as many training examples under ``train``) with validation,
    and a semi-supervised member's
    ``labelled`` indices. Figures: ``samples.png`` (samples over
    training, for models that generate), ``losses.png`` and the model's
    own.
  """
  e, m, ds = s.experiment, s.model, s.dataset
  n, steps = e.n_seeds, e.num_steps
  main = distributed.is_main()
  folder = os.path.join(workdir, "checkpoints")
  resumed = os.path.isdir(folder) and any(f.isdigit()
                                          for f in os.listdir(folder))
  start = inputs(s, shapes_only=resumed)
  # Conv networks: short unrolled chunks (convolutions inside an XLA loop
  # are slow on CPU, jax-ml/jax#12868); on CPU their members are unrolled
  # too (vmapped, a convolution becomes a grouped one, several times slower
  # there; launch.bench.gan).
  conv = getattr(m.config, "image_shape", None) is not None
  chunk = train.largest_divisor(steps, 10 if conv else 100)
  every = max(1, steps // chunk // SNAPSHOTS)
  written = os.path.join(workdir, "evaluations.jsonl")
  # a resumed run keeps the evaluations of its earlier processes
  evaluations = _read_evaluations(written) if resumed else {}
  if main and not resumed and os.path.exists(written):
    os.remove(written)
  panels = {}
  sample = jax.jit(m.sample, static_argnums=2) if m.sample else None
  log = _Events(workdir, m, start.hparams) if e.tensorboard and main else None

  def snapshot(step, record, state):
    if (step // chunk) % every == 0 or step == steps:
      states = members(distributed.local(state) if s.mesh else state, n)
      evaluations[step] = [m.evaluate(x, ds) for x in states]
      if main:
        with open(written, "a") as f:
          f.write(json.dumps({"step": step, "runs": [
              _scalars(ev) for ev in evaluations[step]]}) + "\n")
      if sample is not None:
        panels[step] = np.asarray(sample(states[0], jax.random.PRNGKey(1),
                                         1000))
    if log is not None:
      log.write(step, record, evaluations.get(step), panels.get(step))

  validate = None
  if e.validate_every:
    validate = lambda state: m.evaluate(state, s.validation)[
        e.validation_metric]
  result = train.train(
      start.state, m.step, start.data, start.hparams,
      num_steps=steps, batch_fn=m.batch_fn,
      chunk_size=chunk, workdir=workdir,
      checkpoint_every=max(1, 2000 // chunk), checkpoint_seconds=60.0,
      callback=snapshot, unroll=conv, batched=n > 1,
      data_axes=start.data_axes,
      mesh=s.mesh,
      members="unroll" if conv and n > 1 and jax.default_backend() == "cpu"
      else "vmap", validate=validate,
      validate_every=max(1, e.validate_every // chunk),
      maximize=METRICS.get(e.validation_metric, False),
      patience=e.patience or None)
  state = distributed.local(result.state) if s.mesh else result.state
  last = result.history[-1]["step"]
  if last not in evaluations:         # a finished run resumed: no chunk ran
    snapshot(last, result.history[-1], state)
  if log is not None:
    log.close()
  runs = []
  for i in range(n):
    over = [{"step": t, **{k: v for k, v in _scalars(ev[i]).items()
                           if k not in _SETTINGS}}
            for t, ev in sorted(evaluations.items()) if t <= last]
    r = {"num_steps": last, **evaluations[last][i], "over_training": over}
    own = start.per[i]
    if isinstance(own, dict) and "labelled" in own:
      r["labelled"] = np.asarray(own["labelled"]).tolist()
    runs.append(r)
  final = {k: v for k, v in result.history[-1].items() if k != "step"}
  out = {**runs[0]} if n == 1 else {
      "num_steps": last, "seeds": [e.seed + i for i in range(n)],
      "runs": runs, **_summary(runs)}
  out["final"] = final
  if s.mesh is not None:
    out["mesh"] = dict(s.mesh.shape)
  if validate is not None:
    out.update(best_step=result.best_step, best_validation=result.best_value)
    if result.best_step is not None:
      out["selected"] = _selected(workdir, state, m, ds, result.best_step)
  if main:                            # every process holds the same results
    _figures(workdir, panels, result.history, m, ds)
    m.figures(members(state, n)[0], ds, workdir)
    train.write_json(os.path.join(workdir, "result.json"), out)
  return out


def _scalars(evaluation: dict) -> dict:
  """The scalar entries of one ``evaluate`` result, as JSON numbers."""
  return {k: v if isinstance(v, str) else np.asarray(v).item()
          for k, v in evaluation.items() if np.ndim(v) == 0}


def _read_evaluations(path: str) -> dict:
  """The evaluations an earlier process of a run wrote (``snapshot``),
  by step; a step evaluated twice keeps its later line."""
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    lines = [json.loads(line) for line in f if line.strip()]
  return {r["step"]: r["runs"] for r in lines}


def _shard(data_, axes, mesh: Mesh):
  """The shared training arrays whose rows split evenly over the mesh's
  ``"data"`` axis as global arrays, each process keeping its devices'
  rows (:func:`jgen.distributed.shard_rows`); the rest as they are."""
  n = mesh.shape["data"]

  def shard(ax, a):
    rows = np.shape(a)[0] if np.ndim(a) else 0
    if ax is not None or not rows or rows % n:
      return a
    mine = np.asarray(a)[distributed.process_rows(rows, mesh)]
    return distributed.shard_rows(mine, mesh, rows)
  return train.map_data_leaves(shard, data_, axes)


class _Events:
  """TensorBoard event files (tensorboardX) of a run: scalars per chunk,
  evaluations (member 0) and sample grids at the snapshots."""

  def __init__(self, workdir: str, m: _base.Model, hparams):
    from tensorboardX import SummaryWriter    # the optional extra
    self.writer = SummaryWriter(os.path.join(workdir, "tensorboard"))
    self.shape = image_shape(m)
    self.constants = {f"hparams/{k}": float(np.mean(v))
                      for k, v in hparams.items()}
    if hasattr(m.config, "learning_rate"):
      self.constants["hparams/learning_rate"] = m.config.learning_rate

  def write(self, step: int, record: dict | None, evaluation, panel):
    scalars = {**self.constants, **{f"train/{k}": v for k, v in (
        record or {}).items() if k != "step" and np.ndim(v) == 0}}
    if evaluation is not None:
      scalars.update({f"eval/{k}": v for k, v in evaluation[0].items()
                      if np.ndim(v) == 0 and not isinstance(v, bool)})
    for k, v in scalars.items():
      self.writer.add_scalar(k, float(v), step)
    if panel is not None and self.shape is not None:
      h, w = self.shape
      grid = panel[:64].reshape(8, 8, h, w).transpose(0, 2, 1, 3)
      self.writer.add_image("samples", np.clip(grid.reshape(8 * h, 8 * w),
                                               0, 1), step,
                            dataformats="HW")

  def close(self):
    self.writer.close()


def _selected(workdir: str, like, m: _base.Model, ds,
              step: int) -> dict:
  """The evaluation of the state selected on validation (model selection;
  Prechelt 1998): on the test split, and on as many training examples
  (``train``) for the train-test gap of each scalar metric."""
  best, _ = train.restore(workdir, like, best=True)
  best = distributed.local(best)
  n = min(len(ds.x_test), len(ds.x_train))
  seen = ds._replace(x_test=ds.x_train[:n], y_test=ds.y_train[:n])
  test, on_train = m.evaluate(best, ds), m.evaluate(best, seen)
  return {"step": step, **test,
          "train": {k: v for k, v in on_train.items() if np.ndim(v) == 0
                    and not isinstance(v, str)}}


def restore(workdir: str, *, best: bool = False):
  """A finished (or interrupted) run of :func:`run`, without training.

  Args:
    workdir: the run's folder (its ``config.json`` holds the fields).
    best: the state of the best validation value instead of the latest.

  Returns:
    ``(setup, state, step)``; ``state`` holds the members stacked when
    ``n_seeds > 1``.

  Raises:
    ValueError: ``workdir`` holds no ``config.json`` or no checkpoint.
  """
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise ValueError(f"workdir: {workdir} holds no config.json (not a run "
                     f"of launch.train).")
  with open(path) as f:
    s = build(json.load(f))
  state, step = train.restore(workdir, inputs(s, shapes_only=True).state,
                              best=best)
  return s, state, step


def image_shape(m: _base.Model) -> tuple[int, int] | None:
  """The ``(H, W)`` a model's flat examples are drawn in: its config's
  image shape, else the 28x28 or 8x8 shape of its ``data_dim``, else None
  (points)."""
  return (getattr(m.config, "image_shape", None)
          or _base.image_shape(getattr(m.config, "data_dim", None)))


def _figures(workdir: str, panels: dict, history: list, m: _base.Model,
             ds) -> None:
  """``samples.png`` (samples at the last :data:`SNAPSHOTS` evaluations:
  image grids, or points over the test data with the modes marked) and
  ``losses.png`` (every ``loss*`` metric over training)."""
  shape = image_shape(m)
  steps = sorted(panels)[-SNAPSHOTS:]
  if steps:
    fig, axes = plotting.figure(len(steps), 1, 3.2)
    for ax, t in zip(axes[0], steps):
      if shape is None and panels[t].shape[1] == 2:
        ax.scatter(*np.asarray(ds.x_test)[:500].T, s=2, c="0.8",
                   label="data")
        ax.scatter(*panels[t].T, s=2, c="C0", label="samples")
        if getattr(ds, "modes", None) is not None:
          ax.scatter(*ds.modes[0].T, marker="x", c="C3", s=30,
                     label="modes")
        ax.set_aspect("equal")
      elif shape is not None:
        plotting.image_grid(ax, panels[t][:64], shape, 8)
      ax.set_title(f"step {t}")
    plotting.save(fig, os.path.join(workdir, "samples.png"))
  keys = [k for k in history[-1] if k.startswith("loss")]
  fig, axes = plotting.figure(1, 1, 4)
  plotting.history(axes[0, 0], {
      k: np.array([[r["step"], r[k]] for r in history]) for k in keys},
      "loss (chunk mean)")
  plotting.save(fig, os.path.join(workdir, "losses.png"))
