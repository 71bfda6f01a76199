"""Several processes on JAX's distributed runtime (``jgen.distributed``):
the helpers in one process (8 forced CPU devices, tests/conftest.py), and
two local processes (gloo, 2 forced CPU devices each, a 4-device global
mesh) running a sweep, data-parallel training with a resume, per-process
data and ``launch.train``, each against one device's numbers."""

import json
import os
import sys

import jax
import numpy as np
import pytest

from jgen import distributed
from jgen import sweep
from tests import processes

ROOT = processes.ROOT


@pytest.mark.parametrize("args,match", [
    (("127.0.0.1:1234", 2, None), "go together"),
    ((None, 2, 0), "go together"),
    (("127.0.0.1", 2, 0), "coordinator_address must be host:port"),
    (("127.0.0.1:0", 2, 0), "coordinator_address must be host:port"),
    (("127.0.0.1:70000", 2, 0), "coordinator_address must be host:port"),
    (("127.0.0.1:1234", 0, 0), "num_processes must be in"),
    (("127.0.0.1:1234", 2, 2), "process_id must be below num_processes"),
    (("127.0.0.1:1234", 2, -1), "process_id must be in"),
])
def test_bad_process_arguments_are_named(args, match):
  with pytest.raises(ValueError, match=match):
    distributed.check_processes(*args)
  with pytest.raises(ValueError, match=match):
    distributed.initialize(*args)


def test_one_process_is_a_no_op_and_the_helpers_answer_locally():
  distributed.check_processes("[::1]:8476", 4, 3)         # IPv6 is fine
  distributed.check_processes("host-0.cluster:8476", 4, 0)
  distributed.initialize()                        # nothing to join
  distributed.initialize("127.0.0.1:1234", 1, 0)  # one process: nothing
  with pytest.raises(ValueError, match="auto: JAX detects"):
    distributed.initialize("127.0.0.1:1234", 2, 0, auto=True)
  assert distributed.is_main() and distributed.agree(True)
  distributed.barrier("alone")
  mesh = sweep.make_mesh(n_data=4)                # 2 x 4 over 8 devices
  assert distributed.process_rows(12, mesh) == slice(0, 12)
  with pytest.raises(ValueError, match="do not split evenly"):
    distributed.process_rows(10, mesh)
  with pytest.raises(ValueError, match="axis: the mesh has axes"):
    distributed.process_rows(12, mesh, axis="model")
  with pytest.raises(TypeError, match="mesh must be a jax.sharding.Mesh"):
    distributed.process_rows(12, "mesh")
  x = np.arange(24.0).reshape(12, 2)
  g = distributed.shard_rows({"x": x}, mesh, 12)["x"]
  assert g.sharding.spec == jax.sharding.PartitionSpec("data")
  np.testing.assert_array_equal(distributed.host(g), x)
  assert distributed.local(g).sharding.device_set == {jax.devices()[0]}
  with pytest.raises(ValueError, match="each leaf must hold this process's "
                                       "12 rows"):
    distributed.shard_rows(x[:6], mesh, 12)


def test_two_processes_give_one_devices_numbers(tmp_path):
  """A sweep sharded over both processes' devices and gathered, a
  data-parallel run, the same run resumed, and one on per-process rows
  equal one device's numbers in both processes; files are written once,
  the best validated state collectively."""
  processes.pair(lambda i, port: [sys.executable, os.path.join(ROOT, "tests",
                                                      "process_child.py"),
                         str(port), str(i), str(tmp_path)])
  got = [np.load(tmp_path / f"process.{i}.npz") for i in range(2)]
  for i, p in enumerate(got):
    assert p["counts"].tolist() == [2, 4, 2]
    np.testing.assert_allclose(p["sweep"], p["sweep_one_device"], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(p["full"], p["one_device"], rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_array_equal(p["resumed"], p["full"])  # bit-identical
    assert int(p["resumed_from"]) == 10
    np.testing.assert_allclose(p["sharded"], p["full"], rtol=1e-5, atol=1e-7)
    assert p["rows"].tolist() == [800 * i, 800 * (i + 1)]   # half each
    for k in ("sweep", "full", "sharded"):
      np.testing.assert_array_equal(p[k], got[0][k])   # the same everywhere
  assert not (tmp_path / "sweep.1.json").exists()       # process 0 only
  saved = json.loads((tmp_path / "sweep.0.json").read_text())
  np.testing.assert_allclose(saved["outputs"]["output"],
                             got[0]["sweep_one_device"], rtol=1e-5, atol=1e-6)
  for run in ("full", "resumed"):
    rows = (tmp_path / run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["step"] for r in rows] == [10, 20]    # once each
  assert sorted(os.listdir(tmp_path / "full" / "checkpoints")) == ["10", "20"]
  best = json.loads((tmp_path / "best" / "best" / "best.json").read_text())
  assert [best["step"], best["value"]] == got[0]["best"].tolist()
  assert got[1]["best"].tolist() == got[0]["best"].tolist()
  assert os.listdir(tmp_path / "best" / "best") != ["best.json"]  # a state


def test_launch_train_runs_one_run_over_two_processes(tmp_path):
  """``launch.train`` started twice with the process flags trains one
  run over the 4 devices of both (two members, each batch over 2 devices,
  the data's rows split) into one workdir; process 0 writes it."""
  work = tmp_path / "run"
  logs = processes.pair(lambda i, port: [
      sys.executable, "-m", "launch.train", "--config=launch/configs/ring8.py",
      "--config.hidden=(8,8,8)", "--config.num_steps=20",
      "--config.batch_size=16", "--config.n_seeds=2",
      "--config.shard_data=True", f"--workdir={work}",
      f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
      f"--process_id={i}"], devices=2)
  assert "mode_kl" in logs[0] and "mode_kl" not in logs[1]  # 0 reports
  config = json.loads((work / "config.json").read_text())
  assert config["devices"] == 0 and config["n_seeds"] == 2
  result = json.loads((work / "result.json").read_text())
  assert result["seeds"] == [0, 1] and len(result["runs"]) == 2
  assert result["mesh"] == {"sweep": 2, "data": 2}     # 4 devices
  rows = (work / "metrics.jsonl").read_text().splitlines()
  assert [json.loads(r)["step"] for r in rows] == [20]
  assert (work / "samples.png").exists() and (work / "losses.png").exists()
