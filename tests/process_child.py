"""One of the two processes of tests/test_distributed.py: joins JAX's
distributed runtime on 127.0.0.1 (gloo, 2 forced CPU devices each, a
4-device global mesh) and runs, each beside its single-device reference
computed by this process alone:

* a sweep over the global mesh (tests/sweep_member.py), saved (process 0
  writes);
* the two-player GAN of tests/train_child.py trained data-parallel for 20
  steps into ``OUT/full``; the same run stopped at step 10 and resumed into
  ``OUT/resumed``; validated (the squared norm of the parameters) into
  ``OUT/best``; the same run on rows of the data set split over the
  processes (``jgen.distributed.shard_rows``).

  python tests/process_child.py PORT PROCESS_ID OUT

Writes ``OUT/process.<id>.npz``.
"""

import os
import sys

port, process_id, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
os.environ["JAX_PLATFORMS"] = "cpu"

from jgen import distributed  # noqa: E402  (after the flags above)

distributed.initialize(f"127.0.0.1:{port}", 2, process_id)

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from jgen import sweep  # noqa: E402
from jgen import train  # noqa: E402
from tests import sweep_member  # noqa: E402
from tests import train_child  # noqa: E402

one_device = sweep.make_mesh(devices=jax.local_devices()[:1])
facts = {"counts": [jax.process_count(), jax.device_count(),
                    jax.local_device_count()]}
result = sweep_member.run()
facts["sweep"] = result.outputs
facts["sweep_one_device"] = sweep_member.run(mesh=one_device).outputs
sweep.save(result, os.path.join(out, f"sweep.{process_id}"))

state, step, x, hp, batch_size = train_child.gan()
mesh = sweep.make_mesh(n_data=4)
run = lambda steps, **kw: train.train(
    state, step, kw.pop("data", x), hp, num_steps=steps, chunk_size=10,
    batch_fn=train.minibatch(batch_size), progress=False, **kw)
flat = lambda r: np.asarray(ravel_pytree(distributed.local(r.state.params))[0])
facts["one_device"] = flat(run(20))
facts["full"] = flat(run(20, mesh=mesh, workdir=os.path.join(out, "full")))
run(10, mesh=mesh, workdir=os.path.join(out, "resumed"))
again = run(20, mesh=mesh, workdir=os.path.join(out, "resumed"))
facts["resumed"], facts["resumed_from"] = flat(again), again.resumed_from
norm = lambda st: float(np.sum(ravel_pytree(st.params)[0] ** 2))
kept = run(20, mesh=mesh, workdir=os.path.join(out, "best"), validate=norm)
facts["best"] = [kept.best_step, kept.best_value]
rows = distributed.process_rows(len(x), mesh)
facts["rows"] = [rows.start, rows.stop]
shared = distributed.shard_rows(np.asarray(x)[rows], mesh, len(x))
facts["sharded"] = flat(run(20, mesh=mesh, data=shared))
np.savez(os.path.join(out, f"process.{process_id}.npz"), **facts)
