r"""Several processes (hosts) on JAX's own multi-process runtime.

JAX runs one Python process per host (multi-controller SPMD): every process
runs the same program, sees the devices of all processes in
``jax.devices()`` and its own in ``jax.local_devices()``, and an array on a
mesh over all devices (a global array) holds on each process only the
shards of its devices. This module is the thin layer jgen needs on top:

* :func:`initialize` joins the runtime (``jax.distributed.initialize``):
  explicit coordinator, process count and id, or JAX's own detection on a
  TPU pod slice, under SLURM or Open MPI; a no-op for one process;
* :func:`is_main` and :func:`barrier`: only process 0 writes files; the
  others wait where a file must exist before they go on;
* :func:`host` fetches a global pytree to NumPy on every process (shards of
  other processes' devices gathered with ``process_allgather``);
* :func:`process_rows` and :func:`shard_rows`: per-process data, each process
  holding only the rows of its devices, the global array built with
  ``jax.make_array_from_process_local_data`` (big_vision's input pipeline,
  MaxText's multihost data loading).

References:
  JAX documentation, "Multi-host and multi-process environments"
  (``jax.distributed``, ``jax.experimental.multihost_utils``).
"""

from __future__ import annotations

import re
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from jgen import _checks

_ADDRESS = re.compile(r"^\[?[A-Za-z0-9_.:-]+\]?:(\d{1,5})$")


def check_address(address: str, argument: str = "coordinator_address") -> None:
  """Checks a coordinator address ``host:port`` (port 1..65535).

  Args:
    address: the address.
    argument: the name the error gives.

  Raises:
    ValueError: naming ``argument``, an address that is not ``host:port``.
  """
  match = _ADDRESS.match(address) if isinstance(address, str) else None
  if match is None or not 0 < int(match.group(1)) < 65536:
    raise ValueError(f"{argument} must be host:port (port 1..65535), e.g. "
                     f"10.0.0.1:1234, got {address!r}.")


def check_processes(coordinator_address: str | None,
                    num_processes: int | None,
                    process_id: int | None) -> None:
  """Checks :func:`initialize`'s arguments without joining anything.

  Args:
    coordinator_address: ``host:port`` of process 0, or None.
    num_processes: processes in the run (>= 1), or None.
    process_id: this process, ``0 <= process_id < num_processes``, or None.

  Raises:
    ValueError: naming the argument: a bad address, count or id; some
      of the three given and others not (all three, or none for one
      process or JAX's detection).
  """
  given = [v is not None for v in (coordinator_address, num_processes,
                                   process_id)]
  if any(given) and not all(given):
    raise ValueError("coordinator_address, num_processes and process_id go "
                     "together: give all three (or none, for one process or "
                     "JAX's detection on TPU/SLURM/MPI).")
  if not any(given):
    return
  check_address(coordinator_address)
  _checks.integer(num_processes, "num_processes", low=1)
  _checks.integer(process_id, "process_id", low=0)
  if process_id >= num_processes:
    raise ValueError(f"process_id must be below num_processes "
                     f"({num_processes}), got {process_id}.")


def initialize(coordinator_address: str | None = None,
               num_processes: int | None = None,
               process_id: int | None = None, *,
               auto: bool = False, timeout_s: int = 300) -> None:
  """Joins JAX's multi-process runtime, before any other JAX call.

  With the three arguments, process ``process_id`` of ``num_processes``
  connects to the coordinator (process 0 serves it at
  ``coordinator_address``). With ``auto``, JAX reads them from the
  environment (TPU pod slices, SLURM, Open MPI). With neither, or one
  process, nothing happens: the code is the same on one host. On CPU the
  processes' collectives go over gloo.

  Args:
    coordinator_address: ``host:port`` of process 0 (reachable from all).
    num_processes: processes in the run.
    process_id: this process's index.
    auto: let ``jax.distributed.initialize()`` detect the cluster.
    timeout_s: seconds to wait for all processes to join.

  Raises:
    ValueError: a bad argument (:func:`check_processes`), ``auto`` with
      explicit arguments.
    RuntimeError: JAX already ran a computation in this process (JAX's own
      error: the runtime must be joined first).
  """
  check_processes(coordinator_address, num_processes, process_id)
  _checks.boolean(auto, "auto")
  _checks.integer(timeout_s, "timeout_s", low=1)
  if auto and num_processes is not None:
    raise ValueError("auto: JAX detects the cluster; give either auto=True "
                     "or coordinator_address/num_processes/process_id.")
  if not auto and (num_processes is None or num_processes == 1):
    return
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  if auto:
    jax.distributed.initialize(initialization_timeout=timeout_s)
  else:
    jax.distributed.initialize(coordinator_address, num_processes=num_processes,
                               process_id=process_id,
                               initialization_timeout=timeout_s)


def is_main() -> bool:
  """Whether this is process 0, the one that writes files."""
  return jax.process_index() == 0


def barrier(name: str) -> None:
  """Waits until every process reaches the barrier ``name`` (the same name
  on all); returns at once with one process.

  Args:
    name: the barrier's name.
  """
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


def agree(value: bool) -> bool:
  """Process 0's ``value`` on every process (a decision all must take
  together, e.g. a time-based checkpoint); ``value`` itself with one
  process.

  Args:
    value: this process's value.

  Returns:
    Process 0's value.
  """
  if jax.process_count() == 1:
    return bool(value)
  return bool(multihost_utils.broadcast_one_to_all(np.bool_(value)))


def host(tree: Any) -> Any:
  """A pytree of (possibly global) arrays as NumPy arrays, the whole value
  on every process: shards on other processes' devices are gathered with
  ``multihost_utils.process_allgather`` (a collective: every process calls
  it), replicated and process-local arrays are read locally.

  Args:
    tree: a pytree of arrays.

  Returns:
    The same pytree of NumPy arrays.
  """
  def fetch(a):
    if (not isinstance(a, jax.Array) or a.is_fully_addressable
        or a.is_fully_replicated):
      return np.asarray(a)
    return np.asarray(multihost_utils.process_allgather(a, tiled=True))
  return jax.tree.map(fetch, tree)


def local(tree: Any) -> Any:
  """:func:`host`'s value as arrays on this process's default device: a copy
  of a global state that process-local code (evaluation, sampling,
  figures) can use, the same on every process.

  Args:
    tree: a pytree of arrays.

  Returns:
    The same pytree of single-device ``jax.Array``.
  """
  return jax.tree.map(jax.numpy.asarray, host(tree))


def process_rows(n: int, mesh: Mesh, axis: str = "data") -> slice:
  """The rows this process holds of ``n`` rows split over ``mesh``'s
  ``axis``: those of its devices' shards (a contiguous block; all ``n``
  when the axis lies within one process).

  Args:
    n: rows of the global array (a multiple of the axis size).
    mesh: the mesh.
    axis: the mesh axis the rows are split over.

  Returns:
    ``slice(start, stop)``.

  Raises:
    ValueError: ``axis`` not in the mesh, ``n`` not a multiple of its size,
      a mesh with no device of this process.
  """
  _check_axis(mesh, axis)
  _checks.integer(n, "n", low=1)
  size = mesh.shape[axis]
  if n % size:
    raise ValueError(f"n: {n} rows do not split evenly over the mesh's "
                     f"{axis!r} axis of {size} devices.")
  index = NamedSharding(mesh, P(axis)).addressable_devices_indices_map((n,))
  if not index:
    raise ValueError("mesh: no device of this process is in the mesh.")
  starts = [s[0].start or 0 for s in index.values()]
  stops = [n if s[0].stop is None else s[0].stop for s in index.values()]
  return slice(min(starts), max(stops))


def shard_rows(tree: Any, mesh: Mesh, n: int, axis: str = "data") -> Any:
  """Global arrays split by rows over ``mesh``'s ``axis``, from each
  process's own rows (``tree[process_rows(n, mesh)]``, what it loaded).

  Args:
    tree: a pytree of arrays, each holding this process's rows.
    mesh: the mesh.
    n: rows of the global arrays.
    axis: the mesh axis.

  Returns:
    The pytree of global ``jax.Array`` of leading size ``n``, sharded
    ``P(axis)``.

  Raises:
    ValueError: a leaf whose rows are not this process's share.
  """
  rows = process_rows(n, mesh, axis)
  want = rows.stop - rows.start
  sharding = NamedSharding(mesh, P(axis))

  def make(a):
    a = np.asarray(a)
    if a.ndim == 0 or a.shape[0] != want:
      raise ValueError(f"tree: each leaf must hold this process's {want} "
                       f"rows ({rows.start}..{rows.stop} of {n}), got shape "
                       f"{a.shape}.")
    return jax.make_array_from_process_local_data(sharding, a,
                                                  (n,) + a.shape[1:])
  return jax.tree.map(make, tree)


def _check_axis(mesh: Mesh, axis: str) -> None:
  if not isinstance(mesh, Mesh):
    raise TypeError(f"mesh must be a jax.sharding.Mesh, got "
                    f"{type(mesh).__name__}.")
  if axis not in mesh.axis_names:
    raise ValueError(f"axis: the mesh has axes {mesh.axis_names}, not "
                     f"{axis!r}.")
