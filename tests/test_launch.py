"""End-to-end smoke tests of the launch scripts and the notebook (tiny configs)."""

import ast
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from tests import processes


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, timeout=600):
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=timeout)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return proc


@pytest.fixture(scope="module")
def launcher():
  """``launcher([module, *args]) -> (exit status, stderr)`` of ``python -m
  module args``, each run forked from one process that imported JAX, Flax,
  scikit-learn and jgen once (``tests/forkrun.py``)."""
  env = dict(os.environ, PYTHONPATH=ROOT)
  server = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests",
                                                          "forkrun.py")],
                            cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

  def launch(argv):
    server.stdin.write(json.dumps(argv) + "\n")
    server.stdin.flush()
    reply = json.loads(server.stdout.readline())
    return reply["rc"], reply["stderr"]

  yield launch
  server.stdin.close()
  server.wait(timeout=60)


def test_fit_gmm_script(tmp_path):
  _run(["launch.fit_gmm", "--dataset=blobs", "--n_components=4",
        "--labelled_fraction=0.05", "--n_init=2", f"--workdir={tmp_path}"])
  result = json.loads((tmp_path / "result.json").read_text())
  assert {"log_likelihood", "n_iter", "converged", "bic",
          "fit_seconds_including_compile", "test_accuracy"} <= set(result)
  assert result["test_accuracy"] > 0.8
  assert (tmp_path / "gmm.png").stat().st_size > 1000


@pytest.mark.parametrize("args,name", [
    (["launch.fit_gmm", "--covariance_type=banana"], "covariance_type"),
    (["launch.hybrid", "--num_steps=7"], "num_steps"),
    (["launch.dynamics", "--n_lr=0"], "n_lr"),
    (["launch.fit_gmm", "--labelled_fraction=1.5"], "--labelled_fraction"),
    (["launch.fit_gmm", "--dataset=cifar"], "--dataset"),
    (["launch.fit_gmm", "--n_components=0"], "--n_components"),
    (["launch.hybrid", "--n_draws=0"], "--n_draws"),
    (["launch.dynamics", "--tol=0"], "--tol"),
    (["launch.bench.gmm", "--covariance_types=full,banana"], "--covariance_types"),
    (["launch.bench.gmm", "--peak_gflops=0"], "--peak_gflops"),
    (["launch.bench.sweep", "--batch_size=0"], "--batch_size"),
    (["launch.bench.vae", "--steps=150", "--chunk=100"], "--steps"),
    (["launch.reproduce", "--sections=em,gans"], "--sections"),
    (["launch.train_classifier", "--out=weights.pt"], "--out"),
    (["launch.bench.gan", "--steps=15", "--chunk=10"], "--steps"),
    (["launch.bench.ssvae", "--draws=0"], "--draws"),
    # launch.train: a config file's field, an unknown field, a missing file
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.n_critic=0"], "--config: n_critic must be in"),
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.num_steps=abc"], "--config.num_steps"),
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.n_critc=2"], "--config.n_critc: not a field"),
    (["launch.train", "--config=launch/configs/nope.py"],
     "--config: cannot load launch/configs/nope.py"),
    (["launch.train"], "--config"),
    (["launch.train", "--config=launch/configs/cgan.py",
      "--config.q_trains_body=false"],
     "--config: q_trains_body: an option of model=infogan"),
    (["launch.train", "--config=launch/configs/vae.py",
      "--config.dataset=imagenet21k"], "--config: dataset must be one of"),
    (["launch.train", "--config=launch/configs/ring8.py", "stray"],
     "unexpected arguments"),
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.lr_decay_steps=100"],
     "--config: lr_decay_start + lr_decay_steps = 20100 < num_steps"),
    # launch.train over several processes: the flags, the devices
    (["launch.train", "--config=launch/configs/ring8.py", "--num_processes=2"],
     "coordinator_address, num_processes and process_id go together"),
    (["launch.train", "--config=launch/configs/ring8.py", "--num_processes=2",
      "--process_id=2", "--coordinator_address=127.0.0.1:1234"],
     "process_id must be below num_processes"),
    (["launch.train", "--config=launch/configs/ring8.py", "--num_processes=2",
      "--process_id=0", "--coordinator_address=localhost"],
     "coordinator_address must be host:port"),
    (["launch.train", "--config=launch/configs/ring8.py", "--auto_distributed",
      "--num_processes=2", "--process_id=0", "--coordinator_address=a:1"],
     "--auto_distributed: JAX detects"),
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.devices=64"], "--config: devices: 64 asked for"),
    (["launch.train", "--config=launch/configs/ring8.py",
      "--config.devices=8", "--config.batch_size=12"],
     "--config: n_data: the batch size 12 must be a multiple"),
    (["launch.sample"], "holds no config.json"),
    (["launch.sample", "--n=0"], "--n"),
])
def test_scripts_reject_bad_flags(launcher, tmp_path, args, name):
  """One line on stderr naming the flag, exit status 2, nothing written."""
  workdir = tmp_path / "run"
  rc, stderr = launcher([*args, f"--workdir={workdir}"])
  assert rc == 2 and name in stderr, stderr
  assert len(stderr.strip().splitlines()) == 1, stderr
  assert not workdir.exists()


def test_bench_gmm_script_tiny(tmp_path):
  _run(["launch.bench.gmm", "--n_samples=500", "--n_features=2",
        "--n_components=3", "--iterations=3", "--n_init=2", "--repeats=1",
        f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_gmm.json").read_text())
  for ct in ("full", "diag"):
    for tool in ("jgen", "sklearn", "gmmx"):
      entry = out["results"][ct][tool]
      assert {"iter_s", "overhead_s", "fit_n_init_s"} <= set(entry)
      assert entry["fit_n_init_s"] > 0
    for kind in ("kmeans", "random_from_data"):
      assert out["results"][ct][f"speedup_vs_sklearn_default_call_{kind}"] > 0
  assert out["host_matmul_gflops"] > 0


_SECTION_CHECKS = {
    "em": lambda r, md: all(
        v["max_rel_diff_per_iteration"] < 1e-6
        for v in r["sklearn_agreement"].values()) and "## EM" in md,
    # launch.hybrid --quick: the alpha grid, errors in [0, 1], the
    # hypernetwork's metrics
    "hybrid": lambda r, md: r["alpha"] == [round(0.1 * i, 1)
                                           for i in range(11)]
    and len(r["test_error_mean"]) == len(r["test_error_std"]) == 11
    and all(0 <= e <= 1 for e in r["test_error_mean"])
    and "## Generative vs discriminative" in md,
    "dynamics": lambda r, md: set(r) >= {"bilinear", "dirac_gan",
                                         "dirac_gan_r1"}
    and "## Minimax dynamics" in md,
    # the fair IWAE-VAE comparison: one selected state per model (quick),
    # with its training log p(x), and the gain in the report
    "vae": lambda r, md: len(r["beta_sweep"]["rate"]) == 4
    and all(len(r["fair"][m]["test"]) == len(r["fair"][m]["train"]) == 1
            and r["fair"][m]["step"][0] in (50, 100) for m in ("vae", "iwae"))
    and "IWAE minus VAE" in md and "## VAE family" in md,
    # launch.train on images: the shipped classifier's metrics, and a
    # generator after a few steps is worse than the real-data floor
    "gan": lambda r, md: {"fid", "inception_score", "precision", "recall",
                          "density", "coverage"} <= set(r["mnist"])
    and 0 < r["mnist"]["fid_real_floor"] < r["mnist"]["fid"]
    and "## GANs" in md and "VEEGAN" in md,
    "ssvae": lambda r, md: len(r["table"]["M2 (jgen)"]["50"]) == 2
    and len(r["table"]["M1 (jgen: VAE + RBF SVM)"]["50"]) == 2
    and len(r["table"]["M1 (jgen: VAE + label spreading)"]["50"]) == 2
    and len(r["table"]["M1 (jgen: VAE + self-trained RBF SVM)"]["50"]) == 2
    and 0 <= r["config"]["m1"]["active_dims"] <= 50   # 50 quick steps
    and "## Semi-supervised VAEs" in md,
    # every model through launch.train: its headline keys are read from
    # its result.json, and its figure is in the report
    "gan_zoo": lambda r, md: set(r["runs"]) == {
        "cgan", "acgan", "infogan", "vaegan", "ss_aae", "pix2pix", "cyclegan"}
    and all(len(rs) == r["seeds"] == 2 for rs in r["runs"].values())
    and all(np.isfinite(v) for rs in r["runs"].values() for x in rs
            for v in x.values())
    and r["vae_fid"] > 0 and "## Structured GANs" in md
    and r["num_steps"] == dict.fromkeys(r["runs"], 2)   # quick: 2 steps
    and "`--config.dense=16`" in md and "launch/configs/" in md,
}


def test_every_report_section_is_checked():
  text = (pathlib.Path(ROOT) / "launch" / "reproduce.py").read_text()
  names = ast.literal_eval(re.search(r"SECTION_NAMES = (\([^)]*\))",
                                     text).group(1))
  assert set(names) == set(_SECTION_CHECKS)


@pytest.mark.parametrize("name", list(_SECTION_CHECKS))
def test_reproduce_quick(tmp_path, name):
  """Each section of the quick report, one process each (so the suite's
  workers share them out); every figure the report names exists."""
  _run(["launch.reproduce", "--quick", f"--sections={name}",
        f"--workdir={tmp_path}"], timeout=900)
  results = json.loads((tmp_path / "results.json").read_text())
  report = (tmp_path / "report.md").read_text()
  assert results["quick"] and _SECTION_CHECKS[name](results[name], report)
  figures = re.findall(r"\]\(([^)]+\.png)\)", report)
  assert figures or name == "dynamics"
  for png in figures:
    assert (tmp_path / png).stat().st_size > 1000, png


def test_launch_modules_import_only_shared_helpers():
  """Scripts, sections and benchmarks import ``launch.common`` and the
  config files only, the benchmarks their timing helpers and the sections
  their script runner too; the report (``launch.reproduce``) imports its
  sections."""
  launch = pathlib.Path(ROOT) / "launch"
  sections = {f"launch.sections.{p.stem}"
              for p in (launch / "sections").glob("*.py")}
  for path in launch.rglob("*.py"):
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
      if isinstance(node, ast.ImportFrom) and node.module.startswith("launch"):
        names |= {f"{node.module}.{a.name}" for a in node.names}
      elif isinstance(node, ast.Import):
        names |= {a.name for a in node.names if a.name.startswith("launch")}
    configs = {"launch.configs"} | {
        f"launch.configs.{p.stem}" for p in (launch / "configs").glob("*.py")}
    allowed = {"launch.common"} | configs | (
        sections if path.name == "reproduce.py" else set()) | (
        {"launch.bench.timing"} if path.parent.name == "bench" else set()) | (
        {"launch.sections.scripts"} if path.parent.name == "sections"
        else set())
    assert names <= allowed, (path, names - allowed)


def test_bench_sweep_script_tiny(tmp_path):
  _run(["launch.bench.sweep", "--num_steps=10", "--repeats=1", "--notorch",
        f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_sweep.json").read_text())
  assert {"vmapped_s", "loop_s", "torch_loop_s", "compile_s"} <= set(out)
  assert out["members"] == 64
  assert out["max_abs_diff_vmapped_vs_loop_final_loss"] < 1e-4


_TINY_VAE = ["launch.train", "--config=launch/configs/vae.py",
             "--config.dataset=digits", "--config.latent_dim=2",
             "--config.hidden=(32,)", "--config.num_steps=40",
             "--config.eval_samples=20", "--config.amortization_gap=5"]


def test_train_resumes_continues_refuses_and_samples(tmp_path):
  """A tiny VAE through ``launch.train``: its files; another config is
  refused naming every differing field; a larger ``num_steps`` continues
  the run and keeps the first process's evaluation in its history over
  training; ``launch.sample`` re-evaluates the last state without training
  and gets the run's own figures."""
  args = [*_TINY_VAE, f"--workdir={tmp_path}"]
  _run(args)
  result = json.loads((tmp_path / "result.json").read_text())
  assert result["eval_samples"] == 20 and result["amortization_gap"]["n"] == 5
  assert result["test_log_likelihood"] < 0 and result["test_elbo"] < 0
  for png in ("samples.png", "reconstructions.png", "manifold.png",
              "losses.png"):
    assert (tmp_path / png).stat().st_size > 1000
  config = json.loads((tmp_path / "config.json").read_text())
  assert config["model"] == "vae" and config["hidden"] == [32]
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  proc = subprocess.run([sys.executable, "-m", *args,
                         "--config.learning_rate=0.01",
                         "--config.num_steps=20"], cwd=ROOT, env=env,
                        capture_output=True, text=True)
  assert proc.returncode == 2, proc.stderr
  assert ("learning_rate: 0.001 there, 0.01 now; num_steps: 40 there, 20 "
          "now" in proc.stderr), proc.stderr
  assert len(proc.stderr.strip().splitlines()) == 1
  _run([*args, "--config.num_steps=140"])
  first = result
  result = json.loads((tmp_path / "result.json").read_text())
  assert result["num_steps"] == 140
  # the first process's evaluation stays in the history over training
  over = {r["step"]: r for r in result["over_training"]}
  assert over[40]["test_elbo"] == first["test_elbo"]
  assert max(over) == 140 and over[140]["test_elbo"] == result["test_elbo"]
  steps = [json.loads(line)["step"] for line in
           (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert steps == sorted(set(steps)) and steps[-1] == 140 and 40 in steps
  _run(["launch.sample", f"--workdir={tmp_path}"])
  again = json.loads((tmp_path / "sample" / "evaluation.json").read_text())
  assert again["step"] == 140
  assert again["runs"][0]["test_elbo"] == result["test_elbo"]
  assert (tmp_path / "sample" / "samples.png").stat().st_size > 1000
  assert (tmp_path / "sample" / "manifold.png").stat().st_size > 1000


@pytest.mark.parametrize("config,overrides", [
    ("vae.py", ["--config.dataset=digits", "--config.hidden=(16,)",
                "--config.num_steps=200", "--config.learning_rate=1e8"]),
    ("ring8.py", ["--config.hidden=(8,8,8)", "--config.num_steps=1000",
                  "--config.lr_d=1e30", "--config.lr_g=1e30",
                  "--config.loss=wasserstein", "--config.penalty=none"]),
])
def test_train_divergence_stops_with_a_message(tmp_path, config, overrides):
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  proc = subprocess.run([sys.executable, "-m", "launch.train",
                         f"--config=launch/configs/{config}", *overrides,
                         f"--workdir={tmp_path}"],
                        cwd=ROOT, env=env, capture_output=True, text=True)
  assert proc.returncode != 0
  assert "training diverged at step" in proc.stderr, proc.stderr[-2000:]


def test_train_mog_vae_reports_cluster_accuracy(tmp_path):
  _run([*_TINY_VAE, "--config.model=mog_vae", "--config.amortization_gap=0",
        "--config.eval_samples=10", f"--workdir={tmp_path}"])
  result = json.loads((tmp_path / "result.json").read_text())
  assert 0.0 < result["cluster_accuracy"] <= 1.0


def test_bench_vae_script_tiny(tmp_path):
  _run(["launch.bench.vae", "--steps=20", "--chunk=10", "--repeats=1",
        "--notorch", f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_vae.json").read_text())
  assert out["jgen_steps_per_s"] > 0 and "torch_steps_per_s" in out


def test_bench_processes_script_tiny(tmp_path):
  _run(["launch.bench.processes", "--steps=20", "--chunk=10", "--members=2",
        f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_processes.json").read_text())
  assert [r["layout"] for r in out["layouts"]] == [
      "one_device", "devices", "processes", "processes_data"]
  assert [(r["processes"], r["devices"]) for r in out["layouts"]] == [
      (1, 1), (1, 2), (2, 2), (2, 2)]
  assert out["layouts"][3]["mesh"] == {"sweep": 1, "data": 2}
  assert all(r["member_steps_per_s"] > 0 for r in out["layouts"])


def test_bench_gan_script_tiny(tmp_path):
  _run(["launch.bench.gan", "--steps=2", "--chunk=2", "--repeats=1",
        "--width=4", "--seeds=2", "--sweep_steps=5", "--max_configs=1",
        "--notorch", f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_gan.json").read_text())
  for k in ("dcgan_jgen_steps_per_s", "dcgan_torch_steps_per_s",
            "sweep_jgen_s", "sweep_jgen_loop_s", "sweep_torch_loop_s",
            "members_unroll_speedup_vs_vmap"):
    assert k in out
  assert out["dcgan_jgen_steps_per_s"] > 0 and out["sweep_jgen_s"] > 0
  assert out["members"] == 3 and out["members_unroll_steps_per_s"] > 0


def test_train_ssvae_models_tiny(tmp_path):
  """M2, M1 and M1+M2 through ``launch.train``: two label draws as one
  computation each, their test errors over training, M2's figures."""
  common = ["--config.dataset=digits", "--config.n_labels=50",
            "--config.n_seeds=2", "--config.hidden=(16,)",
            "--config.batch_size=16", "--config.num_steps=20"]
  _run(["launch.train", "--config=launch/configs/m2.py", *common,
        "--config.latent_dim=2", "--config.eval_samples=10",
        f"--workdir={tmp_path / 'm2'}"])
  result = json.loads((tmp_path / "m2" / "result.json").read_text())
  assert [len(r["labelled"]) for r in result["runs"]] == [50, 50]
  assert 0 <= result["mean"]["test_error"] <= 1
  assert all(r["test_log_likelihood"] < 0 for r in result["runs"])
  assert result["runs"][0]["over_training"][-1]["step"] == 20
  for png in ("analogies.png", "styles.png", "samples.png"):
    assert (tmp_path / "m2" / png).stat().st_size > 1000
  for model in ("m1", "m1_m2"):
    _run(["launch.train", f"--config=launch/configs/{model}.py", *common,
          "--config.m1_latent_dim=4", "--config.m1_steps=20",
          "--config.m1_hidden=(16,)", "--config.m1_validate_every=10",
          f"--workdir={tmp_path / model}"])
    result = json.loads((tmp_path / model / "result.json").read_text())
    assert len(result["runs"]) == 2, result
    assert 0 <= result["mean"]["test_error"] <= 1
  m1 = json.loads((tmp_path / "m1" / "result.json").read_text())
  assert all(0 <= r["test_error_svm"] <= 1 and 0 <= r["active_dims"] <= 4
             for r in m1["runs"])


def test_train_ssvae_divergence_stops_with_a_message(tmp_path):
  env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
  env.pop("XLA_FLAGS", None)
  proc = subprocess.run([sys.executable, "-m", "launch.train",
                         "--config=launch/configs/m2.py",
                         "--config.dataset=digits", "--config.n_labels=20",
                         "--config.n_seeds=1", "--config.hidden=(8,)",
                         "--config.num_steps=100",
                         "--config.learning_rate=1e12",
                         f"--workdir={tmp_path}"],
                        cwd=ROOT, env=env, capture_output=True, text=True)
  assert proc.returncode != 0
  assert "training diverged at step" in proc.stderr, proc.stderr[-2000:]


def test_bench_ssvae_script_tiny(tmp_path):
  _run(["launch.bench.ssvae", "--steps=2", "--chunk=2", "--repeats=1",
        "--draws=2", "--run_steps=2", "--notorch", f"--workdir={tmp_path}"])
  out = json.loads((tmp_path / "bench_ssvae.json").read_text())
  assert out["jgen_steps_per_s"] > 0 and "pyro_steps_per_s" in out
  assert out["draws_vmapped_s"] > 0 and out["draws_loop_s"] > 0


def test_dynamics_script_tiny_over_two_processes(tmp_path):
  """The convergence maps' sweeps sharded over two processes (JAX's
  runtime, gloo); process 0 writes the files."""
  logs = processes.pair(lambda i, port: [
      sys.executable, "-m", "launch.dynamics", "--n_lr=3", "--n_gamma=2",
      "--num_steps=300", f"--workdir={tmp_path}",
      f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2",
      f"--process_id={i}"], timeout=300)
  assert "bilinear" in logs[0] and "bilinear" not in logs[1]
  result = json.loads((tmp_path / "result.json").read_text())
  assert set(result) == {"bilinear", "dirac_gan", "dirac_gan_r1"}
  for game in result.values():
    assert set(game) == {"simultaneous", "alternating", "extragradient",
                         "optimistic", "consensus"}
    for entry in game.values():
      assert set(entry) == {"converged_fraction", "final_distance"}
      assert 0.0 <= entry["converged_fraction"] <= 1.0
  # Theory: plain simultaneous GDA never converges on the bilinear game.
  assert result["bilinear"]["simultaneous"]["converged_fraction"] == 0.0
  assert result["bilinear"]["simultaneous"]["final_distance"] > 1.4
  assert (tmp_path / "convergence_maps.png").stat().st_size > 1000


@pytest.mark.parametrize("name", ["em", "hybrid", "gradient_dynamics", "vae",
                                  "gan", "ssvae", "gan_zoo"])
def test_notebook_runs(name):
  nbformat = pytest.importorskip("nbformat")
  nbclient = pytest.importorskip("nbclient")
  nb = nbformat.read(os.path.join(ROOT, "notebooks", f"{name}.ipynb"),
                     as_version=4)
  nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": os.path.join(
                              ROOT, "notebooks")}}).execute()
