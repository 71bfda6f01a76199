r"""Sweeps: one compiled, vmapped call over a grid of hyperparameters x seeds.

A sweep member is a pure function ``fn(key, hparams, *args)`` (typically a
whole training run, :func:`jgen.train.make_run`). :func:`run` stacks the
grid's hyperparameters, derives one key per member by ``fold_in(key, seed)``,
and evaluates ``jit(vmap(fn))`` once. With several devices the sweep axis is
sharded over a ``("sweep", "data")`` :class:`jax.sharding.Mesh` and the
broadcast ``args`` may be sharded over ``"data"`` on their leading (batch)
axis; the code path is the same on one device, with a 1 x 1 mesh.

Multi-host: call :func:`jgen.distributed.initialize` on every host before
anything else (on TPU pods and SLURM clusters JAX takes its arguments from
the environment), then build the mesh from ``jax.devices()`` as here; every
host runs the same script, and :func:`run` shards the sweep over all devices
of all hosts. :func:`run` gathers the members' outputs to every process
(:func:`jgen.distributed.host`), so each holds the single-process result;
:func:`save` writes from process 0.

References:
  purejaxrl ``jax.jit(jax.vmap(make_train(config)))`` (Lu et al. 2022).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from jgen import _checks
from jgen import distributed


@dataclasses.dataclass(frozen=True)
class Grid:
  """A flattened sweep: member ``m`` has ``hparams[name][m]`` and ``seeds[m]``.

  Attributes:
    hparams: name -> float array ``[M]`` (the traced values given to ``fn``).
    seeds: int array ``[M]``.
    coords: axis name -> values along that axis (``"seed"`` last).
    shape: the grid's shape (``M = prod(shape)``); for random search
      ``(n, n_seeds)`` with coordinate ``"sample"``.
  """
  hparams: dict[str, np.ndarray]
  seeds: np.ndarray
  coords: dict[str, np.ndarray]
  shape: tuple[int, ...]

  @property
  def size(self) -> int:
    return int(np.prod(self.shape))


def _axis(values: Any, name: str) -> np.ndarray:
  try:
    arr = np.asarray(values, dtype=np.float64)
  except (TypeError, ValueError):
    raise ValueError(f"sweep axis {name!r} must be a flat list of numbers "
                     f"(got a ragged or non-numeric value {values!r}).") from None
  if arr.ndim != 1 or arr.size == 0:
    raise ValueError(f"sweep axis {name!r} must be a non-empty 1-D list of "
                     f"numbers, got shape {arr.shape}.")
  if not np.all(np.isfinite(arr)):
    raise ValueError(f"sweep axis {name!r} must hold finite numbers.")
  return arr


def _seeds(seeds: Any) -> np.ndarray:
  arr = _axis(seeds, "seeds")
  if not np.all(arr == np.round(arr)) or np.any(arr < 0):
    raise ValueError(f"seeds must be non-negative integers, got {seeds!r}.")
  return arr.astype(np.int64)


def grid(*, seeds: Sequence[int] = (0,), check: Callable | None = None,
         **axes: Sequence[float]) -> Grid:
  """The Cartesian product of the named axes and the seeds.

  Args:
    seeds: run seeds (the last grid axis).
    check: optional validator called as ``check(**axes)`` before anything
      else, e.g. ``jgen.hybrid.check_hparams`` (lam, alpha in [0, 1]).
    **axes: hyperparameter name -> list of values, e.g. ``lam=[0, 0.5, 1]``.

  Returns:
    A :class:`Grid` of shape ``(len(axis_1), ..., len(seeds))``.

  Raises:
    ValueError: an axis (or ``seeds``) is empty, ragged, not numeric, not
      finite; there are no axes at all and no seeds.
  """
  coords = {name: _axis(v, name) for name, v in axes.items()}
  if check is not None:
    check(**coords)
  seed_values = _seeds(seeds)
  shape = tuple(len(v) for v in coords.values()) + (len(seed_values),)
  members = list(itertools.product(*coords.values(), seed_values))
  hparams = {name: np.array([m[i] for m in members], np.float32)
             for i, name in enumerate(coords)}
  coords["seed"] = seed_values
  return Grid(hparams=hparams,
              seeds=np.array([m[-1] for m in members], np.int64),
              coords=coords, shape=shape)


def random_grid(key: jax.Array, n: int, *, seeds: Sequence[int] = (0,),
                **ranges: tuple[float, float] | tuple[str, float, float]
                ) -> Grid:
  """Random search: ``n`` samples of the hyperparameters, each run per seed.

  Args:
    key: PRNG key of the search.
    n: number of hyperparameter samples.
    seeds: run seeds.
    **ranges: name -> ``(low, high)`` (uniform) or ``("log", low, high)``
      (log-uniform, ``low > 0``).

  Returns:
    A :class:`Grid` of shape ``(n, len(seeds))`` whose coordinate ``"sample"``
    indexes the draws; the drawn values are ``grid.hparams[name]`` (per
    member, like every grid).
  """
  _checks.integer(n, "n", low=1)
  if not ranges:
    raise ValueError("random_grid needs at least one hyperparameter range.")
  seed_values = _seeds(seeds)
  values = {}
  for i, (name, spec) in enumerate(sorted(ranges.items())):
    log = len(spec) == 3 and spec[0] == "log"
    low, high = (spec[1], spec[2]) if log else (spec + (0, -1))[:2]
    valid = (len(spec) == 2 + log and np.isfinite(low) and np.isfinite(high)
             and low < high and (low > 0 or not log))
    if not valid:
      raise ValueError(f"range {name!r} must be (low, high) or ('log', low, "
                       f"high) with low < high (low > 0 for log), got {spec!r}.")
    u = np.asarray(jax.random.uniform(jax.random.fold_in(key, i), (n,),
                                      dtype=jnp.float32), np.float64)
    values[name] = (np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
                    if log else low + u * (high - low))
  k = len(seed_values)
  return Grid(hparams={nm: np.repeat(v, k).astype(np.float32)
                       for nm, v in values.items()},
              seeds=np.tile(seed_values, n),
              coords={"sample": np.arange(n), "seed": seed_values},
              shape=(n, k))


def make_mesh(n_data: int = 1, devices: Sequence[Any] | None = None) -> Mesh:
  """A ``("sweep", "data")`` mesh over all (or the given) devices.

  Args:
    n_data: devices along the data axis; must divide the device count.
    devices: devices to use; ``jax.devices()`` by default.

  Returns:
    The mesh, of shape ``(n_devices // n_data, n_data)``.
  """
  devices = list(jax.devices() if devices is None else devices)
  if n_data < 1 or len(devices) % n_data:
    raise ValueError(f"n_data must divide the device count {len(devices)}, "
                     f"got {n_data}.")
  return Mesh(np.array(devices).reshape(-1, n_data), ("sweep", "data"))


_VMAPPED: "weakref.WeakKeyDictionary[Callable, dict]" = weakref.WeakKeyDictionary()


def vmapped(fn: Callable, n_args: int) -> Callable:
  """``jit(vmap(fn))`` over ``(keys, hparams)``, broadcasting ``n_args`` args.

  Cached per ``fn`` (so a second grid of the same shape does not retrace)
  without keeping ``fn`` alive: the compiled wrapper holds only a weak
  reference, and the entry goes when ``fn`` is garbage-collected.

  Args:
    fn: the member function ``fn(key, hparams, *args)``.
    n_args: number of broadcast arguments.

  Returns:
    The jitted, vmapped function.
  """
  per_fn = _VMAPPED.setdefault(fn, {})
  if n_args not in per_fn:
    ref = weakref.ref(fn)
    per_fn[n_args] = jax.jit(jax.vmap(lambda *a: ref()(*a),
                                      in_axes=(0, 0) + (None,) * n_args))
  return per_fn[n_args]


@dataclasses.dataclass(frozen=True)
class SweepResult:
  """Outputs of a sweep with their grid coordinates.

  Attributes:
    outputs: ``fn``'s output pytree, each leaf of shape ``grid.shape + ...``
      (NumPy arrays).
    grid: the :class:`Grid` that produced it.
  """
  outputs: Any
  grid: Grid


def _place(tree, mesh: Mesh, spec: P):
  return jax.device_put(tree, NamedSharding(mesh, spec))


def _data_spec(leaf, mesh: Mesh) -> P:
  n = mesh.shape["data"]
  if n > 1 and np.ndim(leaf) >= 1 and np.shape(leaf)[0] % n == 0:
    return P("data")
  return P()


def run(fn: Callable, grid_: Grid, key: jax.Array, *args,
        mesh: Mesh | None = None) -> SweepResult:
  """Evaluates ``fn(member_key, member_hparams, *args)`` for every member.

  Args:
    fn: pure function of ``(key, hparams dict of scalars, *args)``.
    grid_: the sweep (:func:`grid` or :func:`random_grid`).
    key: base key; member ``m`` gets ``fold_in(key, seeds[m])`` so a seed gives
      the same numbers whatever else is in the grid.
    *args: arrays shared by all members (e.g. the data set).
    mesh: a ``("sweep", "data")`` mesh; by default :func:`make_mesh` over all
      devices. The sweep axis is padded to a multiple of the mesh's sweep size.

  Returns:
    A :class:`SweepResult` with outputs reshaped to ``grid.shape + ...``.
  """
  if not isinstance(grid_, Grid):
    raise TypeError(f"grid_ must be a jgen.sweep.Grid, got {type(grid_)}.")
  mesh = make_mesh() if mesh is None else mesh
  m, n_sweep = grid_.size, mesh.shape["sweep"]
  pad = (-m) % n_sweep
  index = np.concatenate([np.arange(m), np.full(pad, m - 1)]).astype(int)
  keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(
      key, jnp.asarray(grid_.seeds[index], jnp.uint32))
  hparams = {k: v[index] for k, v in grid_.hparams.items()}
  keys, hparams = _place((keys, hparams), mesh, P("sweep"))
  args = tuple(jax.tree.map(lambda a: _place(a, mesh, _data_spec(a, mesh)), a)
               for a in args)
  out = vmapped(fn, len(args))(keys, hparams, *args)
  out = jax.tree.map(
      lambda a: a[:m].reshape(grid_.shape + a.shape[1:]),
      distributed.host(out))
  return SweepResult(outputs=out, grid=grid_)


def _flatten(tree) -> dict[str, np.ndarray]:
  leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {jax.tree_util.keystr(path).strip("[]'\"").replace("']['", "/")
          or "output": np.asarray(v) for path, v in leaves}


def save(result: SweepResult, path: str) -> None:
  """Writes ``path + ".npz"`` (all arrays) and ``path + ".json"`` (coords,
  hyperparameters and outputs as nested lists indexed like ``grid.shape``);
  in a multi-process run, from process 0 only (every process holds the
  same gathered result).

  Args:
    result: a :class:`SweepResult`.
    path: file prefix.
  """
  if not distributed.is_main():
    return
  flat = _flatten(result.outputs)
  g = result.grid
  hparams = {k: v.reshape(g.shape) for k, v in g.hparams.items()}
  np.savez(path + ".npz", **flat,
           **{f"coord/{k}": np.asarray(v) for k, v in g.coords.items()},
           **{f"hparam/{k}": v for k, v in hparams.items()})
  with open(path + ".json", "w") as f:
    json.dump({"shape": list(g.shape),
               "coords": {k: np.asarray(v).tolist() for k, v in g.coords.items()},
               "hparams": {k: v.tolist() for k, v in hparams.items()},
               "outputs": {k: v.tolist() for k, v in flat.items()}}, f)


def member(result: SweepResult, **where: float) -> Any:
  """Outputs of the members matching coordinate values, e.g. ``lam=0.5``.

  Returns:
    The output pytree indexed on the given axes (other axes kept).
  """
  names = list(result.grid.coords)
  index: list[Any] = [slice(None)] * len(names)
  for name, value in where.items():
    if name not in result.grid.coords:
      raise ValueError(f"{name!r} is not a grid axis; axes: {names}.")
    hits = np.flatnonzero(np.isclose(result.grid.coords[name], value))
    if hits.size == 0:
      raise ValueError(f"{name}={value} is not on the grid "
                       f"({result.grid.coords[name].tolist()}).")
    index[names.index(name)] = int(hits[0])
  return jax.tree.map(lambda a: a[tuple(index)], result.outputs)

