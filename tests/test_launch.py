"""End-to-end smoke tests of the launch scripts and the notebook (tiny configs)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, timeout=600):
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=timeout)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc


def test_fit_gmm_script(tmp_path):
  _run(["launch.fit_gmm", "--dataset=blobs", "--n_components=4",
        "--labelled_fraction=0.05", "--n_init=2", f"--workdir={tmp_path}"])
  result = json.loads((tmp_path / "result.json").read_text())
  assert {"log_likelihood", "n_iter", "converged", "bic",
          "fit_seconds_including_compile", "test_accuracy"} <= set(result)
  assert result["test_accuracy"] > 0.8
  assert (tmp_path / "gmm.png").stat().st_size > 1000


def test_fit_gmm_script_rejects_bad_flags(tmp_path):
  env = dict(os.environ, PYTHONPATH=ROOT)
  proc = subprocess.run([sys.executable, "-m", "launch.fit_gmm",
                         "--covariance_type=banana", f"--workdir={tmp_path}"],
                        cwd=ROOT, env=env, capture_output=True, text=True)
  assert proc.returncode != 0 and "covariance_type" in proc.stderr


def test_bench_gmm_script_tiny(tmp_path):
  _run(["launch.bench_gmm", "--n_samples=500", "--n_features=2",
        "--n_components=3", "--iterations=3", "--n_init=2", "--repeats=1",
        f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_gmm.json").read_text())
  for ct in ("full", "diag"):
    for tool in ("jgen", "sklearn", "gmmx"):
      entry = out["results"][ct][tool]
      assert {"iter_s", "overhead_s", "fit_n_init_s"} <= set(entry)
      assert entry["fit_n_init_s"] > 0


def test_reproduce_quick(tmp_path):
  _run(["launch.reproduce", "--quick", f"--workdir={tmp_path}"], timeout=900)
  results = json.loads((tmp_path / "results.json").read_text())
  agree = results["em"]["sklearn_agreement"]
  assert all(v["max_rel_diff_per_iteration"] < 1e-6 for v in agree.values())
  report = (tmp_path / "report.md").read_text()
  assert "## EM" in report
  for png in ("em_choose_k.png", "em_restarts.png"):
    assert (tmp_path / png).stat().st_size > 1000


def test_em_notebook_runs():
  nbformat = pytest.importorskip("nbformat")
  nbclient = pytest.importorskip("nbclient")
  nb = nbformat.read(os.path.join(ROOT, "notebooks", "em.ipynb"), as_version=4)
  nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": os.path.join(
                              ROOT, "notebooks")}}).execute()
