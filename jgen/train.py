r"""Training runs: optax gradient steps, ``lax.scan`` chunks, logging, checkpoints.

The contract (docs/design.md, contract 5):

* an objective is ``loss(params, key, batch, *, hparams) -> (loss, aux)``;
* a step is ``step(state, batch, hparams) -> (state, metrics)``, pure;
* a chunk runs ``chunk_size`` steps under ``lax.scan``; the batch of each step
  is drawn inside the chunk by ``batch_fn(key, data)``;
* a whole run is one pure function of ``(key, hparams, data)``
  (:func:`make_run`), which is what :mod:`jgen.sweep` vmaps;
* :func:`train` drives the chunks from the host. Between chunks it updates a
  progress bar, appends to ``metrics.jsonl``, stops on NaN/inf with a message
  naming the step and the metric, and writes orbax checkpoints. Started again
  with the same arguments and ``workdir``, it resumes from the last checkpoint
  and ends with the same bits as an uninterrupted run.

Randomness: step ``t`` uses ``fold_in(state.key, t)``, split into the batch key
and the objective's key, so a run's numbers depend only on its seed and never
on where it was interrupted.

One- and two-player models share this path: any state with ``step``, ``key``
and ``params`` fields (a :class:`TrainState`, or the two-player
:class:`jgen.minimax.MinimaxState`) and any step of the contract run here.

Devices: with ``mesh=`` (a :class:`jax.sharding.Mesh` with a ``"data"``
axis, and a ``"sweep"`` axis for batched members; :func:`jgen.sweep.make_mesh`)
:func:`train` replicates the state over ``"data"`` and constrains every
step's batch to be split along it (XLA inserts the all-reduce of the
gradients); batched members are split over ``"sweep"``, one member per device
when there are as many. The data set is replicated, unless its leaves are
already global arrays on the mesh (e.g. rows split over ``"data"`` by
:func:`jgen.distributed.shard_rows`, each process holding its own). The code
is the same on one device, on many, and on many processes after
:func:`jgen.distributed.initialize`: then every process runs :func:`train`
with the same arguments, process 0 alone writes ``metrics.jsonl`` and the
best state's record, orbax checkpoints are written collectively, and
``validate`` gets a process-local copy of the state
(:func:`jgen.distributed.local`), the same on every process.

Learning rates and other optimiser settings can be swept: pass ``optimizer``
as a function ``hparams -> optax.GradientTransformation``; it is called inside
the traced step, so the values are traced (e.g.
``lambda hp: optax.adam(hp["learning_rate"])``).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
from tqdm.auto import tqdm

from jgen import _checks
from jgen import distributed

Optimizer = optax.GradientTransformation | Callable[[Any], optax.GradientTransformation]


class TrainingDiverged(FloatingPointError):
  """Raised by :func:`train` when a metric or a parameter becomes NaN/inf."""


class TrainState(struct.PyTreeNode):
  """Everything a run needs to continue: step, params, optimiser state, key.

  Attributes:
    step: int32 scalar, number of steps taken.
    params: the model's parameter pytree.
    opt_state: the optax state.
    key: raw uint32[2] PRNG key of the run (never consumed; folded with step).
  """
  step: jax.Array
  params: Any
  opt_state: Any
  key: jax.Array


def _optimizer(optimizer: Optimizer, hparams) -> optax.GradientTransformation:
  if isinstance(optimizer, optax.GradientTransformation):
    return optimizer
  return optimizer(hparams)


def init_state(params, optimizer: Optimizer, key: jax.Array,
               hparams=None) -> TrainState:
  """The state at step 0.

  Args:
    params: initial parameters.
    optimizer: an optax transformation, or ``hparams -> transformation``.
    key: raw PRNG key of the run (``jax.random.PRNGKey(seed)``).
    hparams: passed to ``optimizer`` when it is a function.

  Returns:
    A :class:`TrainState` with ``step = 0``.
  """
  opt_state = _optimizer(optimizer, hparams).init(params)
  return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                    opt_state=opt_state, key=key)


def step_key(state) -> jax.Array:
  """The objective's key of the step at ``state``: ``fold_in(key, step)``,
  then ``fold_in(., 0)`` (the batch key uses 1).

  Args:
    state: any state with ``key`` and ``step`` fields.

  Returns:
    A raw PRNG key.
  """
  return jax.random.fold_in(jax.random.fold_in(state.key, state.step), 0)


def gradient_step(loss_fn: Callable, optimizer: Optimizer) -> Callable:
  """Builds ``step(state, batch, hparams) -> (state, metrics)``.

  Args:
    loss_fn: ``loss(params, key, batch, *, hparams) -> (scalar, aux dict)``.
    optimizer: an optax transformation, or ``hparams -> transformation``.

  Returns:
    The pure step function. ``metrics`` holds ``loss``, the entries of ``aux``
    and ``grad_norm`` (global L2 norm of the gradient).
  """
  def step(state: TrainState, batch, hparams):
    key = step_key(state)
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, key, batch, hparams=hparams)
    tx = _optimizer(optimizer, hparams)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    metrics = {"loss": loss, **aux, "grad_norm": optax.tree.norm(grads)}
    return state.replace(step=state.step + 1, params=params,
                         opt_state=opt_state), metrics
  return step


def full_batch(key, data):
  """``batch_fn`` that uses the whole data set at every step."""
  del key
  return data


def minibatch(batch_size: int) -> Callable:
  """``batch_fn`` drawing ``batch_size`` examples uniformly with replacement.

  i.i.d. minibatches (no per-epoch permutation: a permutation per step costs
  a sort of the whole data set, which dominated small vmapped sweeps). Every
  leaf of ``data`` is indexed along its leading axis with the same rows.
  """
  def batch_fn(key, data):
    n = jax.tree.leaves(data)[0].shape[0]
    idx = jax.random.randint(key, (batch_size,), 0, n)
    return jax.tree.map(lambda a: a[idx], data)
  return batch_fn


MEMBERS = ("vmap", "unroll")


def map_members(fn: Callable, in_axes: tuple, how: str = "vmap",
                spmd_axis_name: str | None = None) -> Callable:
  """``fn`` over a leading member axis (seeds, hyperparameters): vectorised
  with ``jax.vmap`` or unrolled, one member after another in the same program.

  ``"unroll"`` exists for XLA's CPU backend: a convolution whose kernel carries
  a member axis becomes, under ``jax.vmap``, one grouped convolution
  (``feature_group_count`` = members), which the CPU backend runs several
  times slower than the members' separate convolutions (``launch.bench.members``
  measures it). Unrolled, each member compiles to the single run's program, so
  the program (and its compile time) grows with the members while the run
  time is that of the members one by one.

  Args:
    fn: the function of one member.
    in_axes: one entry per positional argument, as ``jax.vmap``'s
      ``in_axes``: ``0`` (the argument's leaves carry the member axis first),
      ``None`` (shared by all members) or a pytree prefix of those.
    how: ``"vmap"`` or ``"unroll"``.
    spmd_axis_name: with ``"vmap"``, the mesh axis the member axis is split
      over (``jax.vmap``'s ``spmd_axis_name``; sharding constraints inside
      ``fn`` then keep it), e.g. ``"sweep"``.

  Returns:
    The mapped function; its outputs carry the member axis first.

  Raises:
    ValueError: ``how`` not one of :data:`MEMBERS`; ``in_axes`` with an entry
      other than 0 or None.
  """
  _checks.choice(how, "members", MEMBERS)
  for ax in jax.tree.leaves(in_axes):
    if ax != 0:
      raise ValueError(f"in_axes entries must be 0 or None, got {ax!r}.")
  if how == "vmap":
    return jax.vmap(fn, in_axes=in_axes, spmd_axis_name=spmd_axis_name)

  def part(tree, axes, pick):
    """``pick`` applied to the subtrees of ``tree`` whose axis is 0."""
    return jax.tree.map(lambda ax, sub: pick(ax, sub), axes, tree,
                        is_leaf=lambda x: x is None)

  def mapped(*args):
    sizes = {a.shape[0] for arg, ax in zip(args, in_axes)
             for a in jax.tree.leaves(part(arg, ax, lambda ax, sub:
                                           None if ax is None else sub))}
    if len(sizes) != 1:
      raise ValueError(f"the mapped arguments must share one leading member "
                       f"axis, got sizes {sorted(sizes)}.")
    outs = [fn(*(part(arg, ax, lambda ax, sub, i=i: sub if ax is None else
                      jax.tree.map(lambda a: a[i], sub))
                 for arg, ax in zip(args, in_axes)))
            for i in range(sizes.pop())]
    return jax.tree.map(lambda *xs: jnp.stack(xs), *outs)
  return mapped


def _finite(tree) -> jax.Array:
  leaves = [jnp.all(jnp.isfinite(a)) for a in jax.tree.leaves(tree)
            if jnp.issubdtype(a.dtype, jnp.inexact)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def make_chunk(step: Callable, batch_fn: Callable, length: int, *,
               mesh: Mesh | None = None, unroll: int | bool = 1) -> Callable:
  """``chunk(state, data, hparams) -> (state, metrics)`` over ``length`` steps.

  Args:
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    batch_fn: ``batch_fn(key, data) -> batch``.
    length: steps per chunk (static).
    mesh: if given, each batch is constrained to be split along the mesh's
      ``"data"`` axis (leading axis of every leaf).
    unroll: ``lax.scan``'s ``unroll``; ``True`` compiles the chunk's steps
      without a loop. On CPU, convolutions inside an XLA loop run about 15x
      slower than outside one (jax-ml/jax#12868), so convolutional models
      train with ``unroll=True`` and short chunks there.

  Returns:
    The chunk function. ``metrics`` leaves have a leading axis of ``length``;
    ``metrics["finite"]`` says whether that step's metrics and parameters
    were all finite.
  """
  def draw(key, data):
    batch = batch_fn(key, data)
    if mesh is None:
      return batch
    split = NamedSharding(mesh, P("data"))
    return jax.tree.map(
        lambda a: jax.lax.with_sharding_constraint(a, split)
        if jnp.ndim(a) else a, batch)

  def chunk(state, data, hparams):
    def body(state, _):
      key = jax.random.fold_in(jax.random.fold_in(state.key, state.step), 1)
      state, metrics = step(state, draw(key, data), hparams)
      metrics["finite"] = _finite(metrics) & _finite(state.params)
      return state, metrics
    return jax.lax.scan(body, state, None, length=length, unroll=unroll)
  return chunk


def make_run(init_fn: Callable, step: Callable, batch_fn: Callable,
             num_steps: int, *, unroll: int | bool = 1) -> Callable:
  """A whole training run as one pure function (what sweeps vmap).

  Args:
    init_fn: ``init_fn(key, hparams, data) -> TrainState``.
    step: the step function (e.g. from :func:`gradient_step`).
    batch_fn: ``batch_fn(key, data) -> batch``.
    num_steps: number of steps.
    unroll: ``lax.scan``'s ``unroll`` (see :func:`make_chunk`).

  Returns:
    ``run(key, hparams, data) -> (state, metrics)`` with metrics of shape
    ``[num_steps]`` per entry.
  """
  chunk = make_chunk(step, batch_fn, num_steps, unroll=unroll)

  def run(key, hparams, data):
    return chunk(init_fn(key, hparams, data), data, hparams)
  return run


class TrainResult(NamedTuple):
  """What :func:`train` returns.

  Attributes:
    state: the final :class:`TrainState`.
    history: list of per-chunk records ``{"step": int, metric: mean, ...}``
      (the lines of ``metrics.jsonl``, including those of earlier sessions).
    resumed_from: step restored from a checkpoint, or None.
    best_step: with ``validate``, the step of the best validation value
      (its state is kept in ``workdir/best/``), else None.
    best_value: that value, else None.
  """
  state: TrainState
  history: list
  resumed_from: int | None
  best_step: int | None = None
  best_value: float | None = None


def _checkpointer(workdir: str, folder: str = "checkpoints", keep: int = 2):
  import orbax.checkpoint as ocp  # imported lazily: slow, and only for disk runs
  return ocp, ocp.CheckpointManager(
      os.path.abspath(os.path.join(workdir, folder)),
      options=ocp.CheckpointManagerOptions(max_to_keep=keep))


def _restore(manager, ocp, step: int, like, shardings=None):
  """The checkpoint of ``step`` in the structure of ``like``, placed by
  ``shardings`` (a pytree like ``like``; None: one local device)."""
  target = flax.serialization.to_state_dict(like)
  place = (flax.serialization.to_state_dict(shardings) if shardings is not None
           else jax.tree.map(lambda _: jax.sharding.SingleDeviceSharding(
               jax.local_devices()[0]), target))
  abstract = jax.tree.map(lambda a, sh: jax.ShapeDtypeStruct(
      np.shape(a), a.dtype, sharding=sh), target, place)
  restored = manager.restore(step, args=ocp.args.StandardRestore(abstract))
  return flax.serialization.from_state_dict(like, restored)


def restore(workdir: str, like, *, step: int | None = None,
            best: bool = False):
  """The state a run wrote to ``workdir``, without training it again.

  Args:
    workdir: the ``workdir`` a :func:`train` call checkpointed into.
    like: a state of the same structure, shapes and dtypes (e.g. the
      model's ``init(key)``); its values are not used.
    step: the checkpoint's step (default: the latest one kept).
    best: the state of the best validation value (``train(validate=...)``)
      instead of the latest.

  Returns:
    ``(state, step)``.

  Raises:
    ValueError: ``workdir`` holds no checkpoint (or no best one), or none
      at ``step`` (the message lists the steps kept).
  """
  folder = "best" if best else "checkpoints"
  if not os.path.isdir(os.path.join(workdir, folder)):
    raise ValueError(f"workdir: {workdir} holds no {folder}/ folder.")
  ocp, manager = _checkpointer(workdir, folder)
  try:
    steps = sorted(manager.all_steps())
    if not steps:
      raise ValueError(f"workdir: {workdir} holds no checkpoint.")
    step = steps[-1] if step is None else step
    if step not in steps:
      raise ValueError(f"step: {workdir} keeps the checkpoints of steps "
                       f"{steps}, not {step}.")
    return _restore(manager, ocp, step, like), step
  finally:
    manager.close()



def largest_divisor(n: int, at_most: int) -> int:
  """The largest divisor of ``n`` not above ``at_most``: a ``chunk_size``
  that splits ``n`` steps without a remainder.

  Args:
    n: steps (>= 1).
    at_most: the largest chunk wanted (>= 1).

  Returns:
    The chunk size.
  """
  _checks.integer(n, "n", low=1)
  _checks.integer(at_most, "at_most", low=1)
  return max(c for c in range(1, min(n, at_most) + 1) if n % c == 0)


def write_json(path: str, obj) -> None:
  """Writes ``obj`` as indented JSON (NumPy/JAX arrays and scalars become
  Python lists and numbers); in a multi-process run, from process 0 only
  (every process holds the same results).

  Args:
    path: the file.
    obj: a JSON-able pytree of dicts, lists, numbers and arrays.
  """
  def default(o):
    try:
      return o.tolist()
    except AttributeError:
      return str(o)
  if not distributed.is_main():
    return
  with open(path, "w") as f:
    json.dump(obj, f, indent=2, default=default)
    f.write("\n")

def _read_history(path: str, upto: int) -> list:
  if not os.path.exists(path):
    return []
  with open(path) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return [r for r in rows if r["step"] <= upto]


def _write_history(path: str, rows: list) -> None:
  with open(path, "w") as f:
    for r in rows:
      f.write(json.dumps(r) + "\n")


def _chunk_record(step_end: int, metrics: dict) -> dict:
  rec = {"step": step_end}
  for name, v in metrics.items():
    if name != "finite":
      rec[name] = float(np.mean(v))
  return rec


def _divergence(start: int, metrics: dict, last_good: int | None) -> str:
  finite = np.asarray(metrics["finite"])
  steps_axis = finite.reshape(finite.shape[0], -1).all(axis=1)
  first = int(np.argmin(steps_axis))
  bad = [n for n, v in metrics.items() if n != "finite"
         and not np.all(np.isfinite(np.asarray(v)[first]))] or ["params"]
  where = (f"last good checkpoint: step {last_good}" if last_good is not None
           else "no checkpoint was written")
  return (f"training diverged at step {start + first + 1}: "
          f"{', '.join(bad)} became NaN/inf; {where}.")


def map_data_leaves(fn: Callable, data, data_axes) -> Any:
  """``fn(axis, leaf)`` on every leaf of ``data``, ``axis`` being the leaf's
  entry of ``data_axes`` (0: the members' own, None: shared).

  Args:
    fn: ``fn(axis, leaf) -> new leaf``.
    data: a pytree of arrays.
    data_axes: :func:`train`'s ``data_axes``: a pytree prefix of ``data``
      with entries 0 or None, or None (every leaf shared).

  Returns:
    The mapped pytree.
  """
  axes = jax.tree.map(lambda _: None, data) if data_axes is None else data_axes
  return jax.tree.map(lambda ax, sub: jax.tree.map(lambda a: fn(ax, a), sub),
                      axes, data, is_leaf=lambda x: x is None)


def _on_mesh(a, mesh: Mesh) -> bool:
  """Whether ``a`` is already a global array on ``mesh`` (kept as it is)."""
  sharding = getattr(a, "sharding", None)
  return isinstance(sharding, NamedSharding) and sharding.mesh == mesh


def check_mesh(mesh: Mesh, batch_fn: Callable, data, *,
               members: int | None = None) -> None:
  """Checks that a run fits ``mesh`` (what :func:`train` checks first).

  Args:
    mesh: the mesh.
    batch_fn: the run's ``batch_fn``.
    data: one member's data (shapes are enough: ``jax.ShapeDtypeStruct``).
    members: the number of batched members, or None for one run.

  Raises:
    TypeError: ``mesh`` is not a :class:`jax.sharding.Mesh`.
    ValueError: a mesh without a ``"data"`` axis (or ``"sweep"`` with
      members), a batch size that is not a multiple of the ``"data"``
      size, members that are not a multiple of the ``"sweep"`` size.
  """
  if not isinstance(mesh, Mesh):
    raise TypeError(f"mesh must be a jax.sharding.Mesh, got "
                    f"{type(mesh).__name__}.")
  for axis in ("data",) if members is None else ("sweep", "data"):
    if axis not in mesh.axis_names:
      raise ValueError(f"mesh must have a {axis!r} axis"
                       f"{' for batched members' if axis == 'sweep' else ''}"
                       f", got axes {mesh.axis_names}.")
  if members is not None and members % mesh.shape["sweep"]:
    raise ValueError(f"the {members} members must be a multiple of the "
                     f"mesh's 'sweep' axis ({mesh.shape['sweep']} devices).")
  n = mesh.shape["data"]
  for leaf in jax.tree.leaves(jax.eval_shape(batch_fn, jax.random.PRNGKey(0),
                                             data)):
    if leaf.ndim and leaf.shape[0] % n:
      raise ValueError(f"the batch size {leaf.shape[0]} must be a multiple "
                       f"of the mesh's 'data' axis ({n} devices).")


def _place(mesh: Mesh, state, data, hparams, batch_fn: Callable,
           batched: bool, data_axes):
  """Checks ``mesh`` against the run and places the run on it.

  The state and ``hparams`` are replicated over ``"data"`` and, with
  ``batched`` members, split over ``"sweep"``; leaves of ``data`` that are
  global arrays on the mesh stay as they are, members' own leaves
  (``data_axes`` 0) are split over ``"sweep"``, the rest replicated.
  Abstract leaves (``jax.ShapeDtypeStruct``, a restore target) are left.

  Returns:
    ``(state, data, hparams, shardings)``, ``shardings`` the state's.
  """
  if batched and not np.ndim(state.step):
    raise ValueError("batched: the state must carry a leading member axis "
                     "(its step is a scalar).")
  one = (map_data_leaves(lambda ax, a: a if ax is None else a[0], data,
                         data_axes) if batched else data)   # one member's
  check_mesh(mesh, batch_fn, one,
             members=int(np.shape(state.step)[0]) if batched else None)
  members = P("sweep") if batched else P()
  shardings = jax.tree.map(lambda _: NamedSharding(mesh, members), state)
  put = lambda a, sh: (a if isinstance(a, jax.ShapeDtypeStruct)
                       else jax.device_put(a, sh))
  state = jax.tree.map(put, state, shardings)
  hparams = jax.device_put(hparams, NamedSharding(mesh, members))
  data = map_data_leaves(lambda ax, a: a if _on_mesh(a, mesh) else
                         jax.device_put(a, NamedSharding(
                             mesh, P() if ax is None else P("sweep"))),
                         data, data_axes)
  return state, data, hparams, shardings


def _for_host(state):
  """``state`` itself, or, when it spans other processes' devices, a
  process-local copy (:func:`jgen.distributed.local`) for host code."""
  spans = any(isinstance(a, jax.Array) and not a.is_fully_addressable
              for a in jax.tree.leaves(state))
  return distributed.local(state) if spans else state


def train(state: TrainState, step: Callable, data, hparams, *,
          num_steps: int, batch_fn: Callable = full_batch,
          chunk_size: int = 100, workdir: str | None = None,
          checkpoint_every: int = 1, checkpoint_seconds: float | None = None,
          progress: bool | None = None, batched: bool = False,
          data_axes: Any = None, members: str = "vmap",
          mesh: Mesh | None = None, unroll: int | bool = 1,
          callback: Callable[[int, dict, Any], None] | None = None,
          validate: Callable[[Any], float] | None = None,
          validate_every: int = 1, maximize: bool = False,
          patience: int | None = None) -> TrainResult:
  """Runs ``num_steps`` steps in compiled chunks, with logging and checkpoints.

  Args:
    state: the initial state, a :class:`TrainState` or any state of the
      same contract (``step``, ``key``, ``params``), e.g. a
      :class:`jgen.minimax.MinimaxState`; ignored for the values when a
      checkpoint exists in ``workdir`` (its structure is the restore target).
    step: ``step(state, batch, hparams) -> (state, metrics)``.
    data: pytree of arrays handed to ``batch_fn`` each step.
    hparams: pytree of arrays (traced).
    num_steps: total number of steps of the run (a multiple of ``chunk_size``).
    batch_fn: ``batch_fn(key, data) -> batch``; :func:`full_batch` by default.
    chunk_size: steps per compiled ``lax.scan`` chunk.
    workdir: folder for ``metrics.jsonl`` and ``checkpoints/``; None keeps
      everything in memory.
    checkpoint_every: checkpoint every this many chunks (and at the end).
    checkpoint_seconds: also checkpoint after any chunk that ends this many
      seconds or more after the last checkpoint (None: by chunks only).
    progress: show a tqdm bar; None shows it only when stderr is a terminal.
    batched: ``state`` and ``hparams`` carry a leading sweep axis (vmapped
      chunks; metrics are logged as means over members).
    data_axes: with ``batched``, ``jax.vmap``'s ``in_axes`` for ``data``:
      None shares ``data`` between members; ``0`` (or a pytree prefix such
      as ``{"x_l": 0, "y_l": 0, "x_u": None}``) gives each member its own
      slice, e.g. its own labelled subset.
    members: with ``batched``, how the chunk maps over the members:
      ``"vmap"`` or ``"unroll"`` (convolutional models on CPU; see
      :func:`map_members`).
    mesh: a mesh over the devices of the run (of every process), with a
      ``"data"`` axis: the state is replicated over it and each batch split
      along it (the batch size must be a multiple of its size); with
      ``batched``, also a ``"sweep"`` axis that the members are split over
      (their number a multiple of its size). ``data`` leaves already on the
      mesh stay as they are (:func:`jgen.distributed.shard_rows`), the rest
      are replicated (members' own leaves split over ``"sweep"``).
    unroll: ``lax.scan``'s ``unroll`` within a chunk (``True`` for
      convolutional models on CPU; see :func:`make_chunk`).
    callback: called on the host after each chunk as ``callback(step,
      record, state)`` (e.g. to draw samples over training); on every
      process, with the state as it is (over several processes,
      :func:`jgen.distributed.local` gives a process-local copy).
    validate: ``validate(state) -> float``, a validation metric (held-out
      ELBO, FID, error) computed on the host every ``validate_every``
      chunks and at the end, logged as ``validation``; the best state is
      kept in ``workdir/best/`` beside the latest (``restore(workdir, like,
      best=True)``; Prechelt 1998's early stopping).
    validate_every: chunks between validations.
    maximize: a larger validation value is better (else smaller).
    patience: stop after this many validations without improvement (the
      final state is checkpointed as usual); None trains to ``num_steps``.

  Returns:
    A :class:`TrainResult`.

  Raises:
    ValueError: bad ``num_steps``/``chunk_size``/``checkpoint_every``/
      ``checkpoint_seconds``/``members``, a state without
      ``step``/``key``/``params``, ``data_axes`` or ``members`` without
      ``batched``, a ``mesh`` without a ``"data"`` axis (or ``"sweep"``
      with ``batched``), whose ``"data"`` size does not divide the batch
      size or whose ``"sweep"`` size does not divide the members.
    TrainingDiverged: a metric or parameter became NaN/inf; the message names
      the step and the metric; the checkpoints on disk are the last good ones.
  """
  _checks.integer(chunk_size, "chunk_size", low=1)
  _checks.integer(num_steps, "num_steps", low=1)
  _checks.integer(checkpoint_every, "checkpoint_every", low=1)
  _checks.integer(validate_every, "validate_every", low=1)
  if patience is not None:
    _checks.integer(patience, "patience", low=1)
    if validate is None:
      raise ValueError("patience needs a validate function.")
  if num_steps % chunk_size:
    raise ValueError(f"num_steps ({num_steps}) must be a multiple of "
                     f"chunk_size ({chunk_size}).")
  if checkpoint_seconds is not None:
    _checks.real(checkpoint_seconds, "checkpoint_seconds", low=0.0)
  for field in ("step", "key", "params"):
    if not hasattr(state, field):
      raise ValueError(f"state must have a {field!r} field (a "
                       f"jgen.train.TrainState or jgen.minimax.MinimaxState), "
                       f"got {type(state).__name__}.")
  _checks.choice(members, "members", MEMBERS)
  if not batched and (data_axes is not None or members != "vmap"):
    raise ValueError("data_axes and members need batched=True.")
  shardings = None
  if mesh is not None:
    state, data, hparams, shardings = _place(mesh, state, data, hparams,
                                             batch_fn, batched, data_axes)
  main = distributed.is_main()

  def compiled_chunk(length):
    chunk = make_chunk(step, batch_fn, length, mesh=mesh, unroll=unroll)
    if batched:
      chunk = map_members(chunk, (0, data_axes, 0), members,
                          spmd_axis_name=None if mesh is None else "sweep")
    if mesh is None:
      return jax.jit(chunk)

    def placed(state, data, hparams):    # the state stays where _place put it
      state, metrics = chunk(state, data, hparams)
      return jax.lax.with_sharding_constraint(state, shardings), metrics
    return jax.jit(placed)
  chunk = compiled_chunk(chunk_size)

  history, resumed_from, manager, ocp = [], None, None, None
  best = {"step": None, "value": None, "since": 0}
  if workdir is not None:
    os.makedirs(workdir, exist_ok=True)
    ocp, manager = _checkpointer(workdir)
    latest = manager.latest_step()
    if latest is not None:
      state = _restore(manager, ocp, latest, state, shardings)
      resumed_from = latest
    metrics_path = os.path.join(workdir, "metrics.jsonl")
    history = _read_history(metrics_path, resumed_from or 0)
    best_path = os.path.join(workdir, "best", "best.json")
    if validate is not None and os.path.exists(best_path):
      with open(best_path) as f:
        best.update(json.load(f))
    distributed.barrier("jgen.train: read")     # before process 0 rewrites
    if main:
      _write_history(metrics_path, history)
  start = resumed_from or 0
  if start > num_steps:
    raise ValueError(f"num_steps: the checkpoint in {workdir} is at step "
                     f"{start}, past num_steps={num_steps}.")
  if (num_steps - start) % chunk_size:
    # a run continued to more steps: chunks that divide what is left (each
    # step's randomness is keyed by its number, so chunking changes nothing)
    chunk_size = math.gcd(chunk_size, num_steps - start)
    chunk = compiled_chunk(chunk_size)
  if progress is None:
    progress = sys.stderr.isatty()
  bar = tqdm(total=num_steps, initial=start, disable=not (progress and main),
             unit="step", dynamic_ncols=True)
  last_good, last_save = resumed_from, time.monotonic()
  try:
    for i, t in enumerate(range(start, num_steps, chunk_size)):
      state, metrics = chunk(state, data, hparams)
      metrics = distributed.host(metrics)
      if not np.all(metrics["finite"]):
        raise TrainingDiverged(_divergence(t, metrics, last_good))
      record = _chunk_record(t + chunk_size, metrics)
      stop = False
      if validate is not None and ((i + 1) % validate_every == 0
                                   or t + chunk_size == num_steps):
        stop = _validated(validate, state, record, best, maximize, patience,
                          workdir)
      history.append(record)
      if workdir is not None:
        if main:
          with open(metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        end = t + chunk_size == num_steps or stop
        due = checkpoint_seconds is not None and distributed.agree(
            time.monotonic() - last_save >= checkpoint_seconds)
        if (i + 1) % checkpoint_every == 0 or end or due:
          manager.save(t + chunk_size, args=ocp.args.StandardSave(
              flax.serialization.to_state_dict(state)))
          manager.wait_until_finished()
          last_good, last_save = t + chunk_size, time.monotonic()
      bar.update(chunk_size)
      bar.set_postfix({k: f"{v:.4g}" for k, v in record.items()
                       if k.startswith("loss")})
      if callback is not None:
        callback(t + chunk_size, record, state)
      if stop:
        break
  finally:
    bar.close()
    if manager is not None:
      manager.wait_until_finished()
      manager.close()
  return TrainResult(state, history, resumed_from, best["step"],
                     best["value"])


def _validated(validate: Callable, state, record: dict, best: dict,
               maximize: bool, patience: int | None,
               workdir: str | None) -> bool:
  """Validates ``state`` into ``record``; keeps the best (its state in
  ``workdir/best/``, written collectively; ``best.json`` by process 0);
  returns whether ``patience`` says stop."""
  value = float(validate(_for_host(state)))
  record["validation"] = value
  old = best["value"]
  better = np.isfinite(value) and (old is None or (
      value > old if maximize else value < old))
  if not better:
    best["since"] += 1
    return patience is not None and best["since"] >= patience
  best.update(step=record["step"], value=value, since=0)
  if workdir is not None:
    ocp, manager = _checkpointer(workdir, "best", keep=1)
    manager.save(record["step"], args=ocp.args.StandardSave(
        flax.serialization.to_state_dict(state)), force=True)
    manager.wait_until_finished()
    manager.close()
    if distributed.is_main():
      with open(os.path.join(workdir, "best", "best.json"), "w") as f:
        json.dump(best, f)
  return False
