"""One process of the two-process sweep test (tests/test_sweep.py): with
``num_processes`` 2, joins JAX's distributed runtime on 127.0.0.1 with 2
forced CPU devices, runs a sweep over the 4-device global mesh and saves it
(process 0 writes); with 1, the same sweep in one process (the reference,
in the same float precision)."""

import os
import sys

port, process_id, n, out = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                            sys.argv[4])
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
os.environ["JAX_PLATFORMS"] = "cpu"

import jax  # noqa: E402  (after the flags above)

if n > 1:
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=n,
                             process_id=process_id)

import numpy as np  # noqa: E402

from tests import sweep_member  # noqa: E402

result = sweep_member.run()
assert (jax.process_count(), jax.device_count()) == (n, 2 * n)
np.save(f"{out}.{process_id}.npy", np.asarray(result.outputs))
from jgen import sweep  # noqa: E402
sweep.save(result, f"{out}.saved.{process_id}")
