r"""Benchmark: jgen's Gaussian-mixture EM against scikit-learn and gmmx.

Times, in one run and on the same float32 data, initial parameters and
iteration count: seconds per EM iteration (the marginal cost: the time of a
fit with 2 x `iterations` minus one with `iterations`, divided by
`iterations`, so set-up is excluded for every tool alike; the set-up is
reported as ``overhead_s``), and a whole fit with ``n_init``
restarts (jgen runs them as one vmapped call; scikit-learn and gmmx in
sequence), and each library's default call (``em.fit_gmm(key, x, k,
max_iter=iterations, tol=0)`` against ``GaussianMixture(k,
max_iter=iterations, tol=0).fit(x)``: each its own initialisation code,
one start, with k-means and with random points from the data as the
initialisation on both sides), what a user's first call gets. Compile time
is reported apart, and the host's measured matmul GFLOP/s beside the
figures. Writes
``bench_gmm.json`` and ``bench_gmm.md`` into ``--workdir``.

  python -m launch.bench.gmm --workdir=runs/bench_gmm
"""

from __future__ import annotations

import os
import platform
import warnings

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from jgen import _checks
from jgen import em
from jgen import train
from launch import common
from launch.bench import timing

_WORKDIR = flags.DEFINE_string("workdir", "runs/bench_gmm", "Output folder.")
_N = flags.DEFINE_integer("n_samples", 100_000, "Number of points.")
_D = flags.DEFINE_integer("n_features", 16, "Dimension.")
_K = flags.DEFINE_integer("n_components", 16, "Mixture components.")
_ITERS = flags.DEFINE_integer("iterations", 20, "EM iterations per fit.")
_N_INIT = flags.DEFINE_integer("n_init", 10, "Restarts of the whole fit.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed repeats (median kept).")
_COV = flags.DEFINE_list("covariance_types", ["full", "diag"],
                         "Covariance types to time.")
_PEAK = timing.peak_gflops_flag()

for _name, _low in (("n_samples", 2), ("n_features", 1), ("n_components", 1),
                    ("iterations", 1), ("n_init", 1), ("repeats", 1)):
  common.validate(_name, common.at_least(_low))
common.validate("covariance_types", lambda v: [
    _checks.choice(c, "covariance_type", ("full", "diag")) for c in v])


def _data(n, d, k, seed=0):
  rng = np.random.default_rng(seed)
  centers = rng.normal(size=(k, d)) * 3
  y = rng.integers(0, k, n)
  x = centers[y] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2, (k, 1))[y]
  return x.astype(np.float32)


def _init(x, k, covariance_type, seed=1):
  rng = np.random.default_rng(seed)
  d = x.shape[1]
  means = x[rng.choice(len(x), k, replace=False)].astype(np.float32)
  weights = np.full(k, 1.0 / k, np.float32)
  var = float(x.var(0).mean())
  cov = {"full": np.stack([np.eye(d, dtype=np.float32) * var] * k),
         "diag": np.full((k, d), var, np.float32)}[covariance_type]
  prec = {"full": np.stack([np.eye(d, dtype=np.float32) / var] * k),
          "diag": np.full((k, d), 1 / var, np.float32)}[covariance_type]
  return weights, means, cov, prec


def _jgen(x, k, ct, iters, n_init, repeats, init):
  w, m, _, p = init
  xj = jnp.asarray(x)

  def per_iter(n_iter):
    return lambda: em.fit_gmm(
        jax.random.key(0), xj, k, covariance_type=ct, weights_init=w,
        means_init=m, precisions_init=p, max_iter=n_iter, tol=0.0,
        warn=False).params.means

  def restarts():
    return em.fit_gmm(jax.random.key(0), xj, k, covariance_type=ct,
                      n_init=n_init, init="k-means++", max_iter=iters,
                      tol=0.0, warn=False).params.means

  def default_call(kind):  # what a user's first call gets: one start
    return lambda: em.fit_gmm(jax.random.key(0), xj, k, covariance_type=ct,
                              max_iter=iters, tol=0.0, init=kind,
                              warn=False).params.means

  first_it, it = timing.time_call(per_iter(iters), repeats)
  _, it2 = timing.time_call(per_iter(2 * iters), repeats)
  first_fit, fit = timing.time_call(restarts, repeats)
  return {**_marginal(it, it2, iters),
          "fit_n_init_s": timing.median(fit),
          **_default_calls(default_call, repeats),
          "compile_s": first_it - timing.median(it),
          "compile_n_init_s": first_fit - timing.median(fit)}


# Each library's default call with each initialisation kind both share:
# "kmeans" (both libraries' default) and "random_from_data".
DEFAULT_INITS = ("kmeans", "random_from_data")


def _default_calls(call, repeats):
  """Median seconds of ``call(kind)()`` for each of :data:`DEFAULT_INITS`."""
  return {f"default_call_{kind}_s": timing.median(
      timing.time_call(call(kind), repeats)[1]) for kind in DEFAULT_INITS}


def _marginal(times, times_double, iters):
  """Per-iteration cost and fixed overhead from fits of n and 2n iterations."""
  t1, t2 = timing.median(times), timing.median(times_double)
  return {"iter_s": (t2 - t1) / iters, "overhead_s": 2 * t1 - t2,
          "fit_iters_s": t1}


def _sklearn(x, k, ct, iters, n_init, repeats, init):
  from sklearn.mixture import GaussianMixture
  w, m, _, p = init
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    its = [timing.time_call(lambda n=n: GaussianMixture(
        k, covariance_type=ct, weights_init=w, means_init=m,
        precisions_init=p, max_iter=n, tol=0.0).fit(x).means_, repeats)[1]
           for n in (iters, 2 * iters)]
    fit, _ = timing.time_call(lambda: GaussianMixture(
        k, covariance_type=ct, n_init=n_init, init_params="k-means++",
        max_iter=iters, tol=0.0, random_state=0).fit(x).means_, 0)
    defaults = _default_calls(lambda kind: lambda: GaussianMixture(
        k, covariance_type=ct, max_iter=iters, tol=0.0, init_params=kind,
        random_state=0).fit(x).means_, repeats)
  return {**_marginal(*its, iters), "fit_n_init_s": fit, **defaults}


def _gmmx(x, k, ct, iters, n_init, repeats, init):
  from gmmx import EMFitter, GaussianMixtureModelJax
  w, m, c, _ = init
  xj = jnp.asarray(x)
  def one(means, n_iter=iters):
    fitter = EMFitter(max_iter=n_iter, tol=-1.0, reg_covar=1e-6)
    gmm = GaussianMixtureModelJax.from_squeezed(means=means, covariances=c,
                                                weights=w, covariance_type=ct)
    return fitter.fit(xj, gmm).gmm.means

  first, it = timing.time_call(lambda: one(m), repeats)
  _, it2 = timing.time_call(lambda: one(m, 2 * iters), repeats)
  rng = np.random.default_rng(2)
  starts = [x[rng.choice(len(x), k, replace=False)] for _ in range(n_init)]
  fit, _ = timing.time_call(lambda: [one(s) for s in starts], 0)
  return {**_marginal(it, it2, iters), "fit_n_init_s": fit,
          "compile_s": first - timing.median(it)}


def run(workdir: str, *, n_samples: int, n_features: int, n_components: int,
        iterations: int, n_init: int, repeats: int,
        covariance_types: list[str]) -> dict:
  """Runs the benchmark and writes ``bench_gmm.json`` / ``bench_gmm.md``."""
  common.workdir(workdir)
  x = _data(n_samples, n_features, n_components)
  flops = 2 * 2 * n_samples * n_components * n_features ** 2  # E + M GEMMs
  results = {"config": dict(n_samples=n_samples, n_features=n_features,
                            n_components=n_components, iterations=iterations,
                            n_init=n_init, repeats=repeats, dtype="float32"),
             "machine": dict(platform=platform.platform(),
                             cpus=os.cpu_count(),
                             jax_backend=jax.default_backend(),
                             jax_devices=[str(dv) for dv in jax.devices()]),
             "gflop_per_iter_full": flops / 1e9, "results": {}}
  rows = []
  for ct in covariance_types:
    init = _init(x, n_components, ct)
    args = (x, n_components, ct, iterations, n_init, repeats, init)
    res = {"jgen": _jgen(*args), "sklearn": _sklearn(*args),
           "gmmx": _gmmx(*args)}
    jg = res["jgen"]
    res["speedup_vs_sklearn_iter"] = res["sklearn"]["iter_s"] / jg["iter_s"]
    # The whole call of `iterations` iterations from the same start: set-up,
    # loop and final pass, as a user times it.
    res["speedup_vs_sklearn_whole"] = (res["sklearn"]["fit_iters_s"]
                                       / jg["fit_iters_s"])
    res["speedup_vs_gmmx_iter"] = res["gmmx"]["iter_s"] / jg["iter_s"]
    res["speedup_vs_sklearn_fit"] = (res["sklearn"]["fit_n_init_s"]
                                     / jg["fit_n_init_s"])
    res["speedup_vs_gmmx_fit"] = res["gmmx"]["fit_n_init_s"] / jg["fit_n_init_s"]
    # each library's default call (its own initialisation code, n_init=1),
    # the same initialisation kind on both sides
    for kind in DEFAULT_INITS:
      res[f"speedup_vs_sklearn_default_call_{kind}"] = (
          res["sklearn"][f"default_call_{kind}_s"]
          / jg[f"default_call_{kind}_s"])
    if ct == "full":
      floor = flops / (_PEAK.value * 1e9)
      res["floor_iter_s"] = floor
      res["peak_gflops_assumed"] = _PEAK.value
      res["jgen_fraction_of_floor"] = floor / jg["iter_s"]
    results["results"][ct] = res
    for tool in ("jgen", "sklearn", "gmmx"):
      rows.append({"covariance": ct, "tool": tool,
                   f"whole {iterations}-iteration fit (s)":
                       res[tool]["fit_iters_s"],
                   "ms / iteration": 1e3 * res[tool]["iter_s"],
                   "set-up (s)": res[tool]["overhead_s"],
                   f"fit n_init={n_init} (s)": res[tool]["fit_n_init_s"],
                   **{f"default call, {kind} (s)":
                          res[tool].get(f"default_call_{kind}_s", "-")
                      for kind in DEFAULT_INITS},
                   "compile (s)": res[tool].get("compile_s", "-")})
  cols = ["covariance", "tool", f"whole {iterations}-iteration fit (s)",
          "ms / iteration", "set-up (s)",
          f"fit n_init={n_init} (s)",
          *[f"default call, {kind} (s)" for kind in DEFAULT_INITS],
          "compile (s)"]
  text = common.table(rows, cols)
  results["host_matmul_gflops"] = timing.host_gflops()
  train.write_json(os.path.join(workdir, "bench_gmm.json"), results)
  with open(os.path.join(workdir, "bench_gmm.md"), "w") as f:
    f.write(text + "\n")
  print(text)
  for ct, res in results["results"].items():
    print(f"{ct}: whole {iterations}-iteration fit "
          f"{res['speedup_vs_sklearn_whole']:.1f}x sklearn; "
          f"{res['speedup_vs_sklearn_iter']:.1f}x sklearn, "
          f"{res['speedup_vs_gmmx_iter']:.1f}x gmmx per iteration; "
          f"{res['speedup_vs_sklearn_fit']:.1f}x / "
          f"{res['speedup_vs_gmmx_fit']:.1f}x for the n_init fit"
          + "; each library's default call: " + ", ".join(
              f"{res[f'speedup_vs_sklearn_default_call_{kind}']:.1f}x "
              f"sklearn ({kind})" for kind in DEFAULT_INITS))
  return results


def main(argv):
  del argv
  run(_WORKDIR.value, n_samples=_N.value, n_features=_D.value,
      n_components=_K.value, iterations=_ITERS.value, n_init=_N_INIT.value,
      repeats=_REPEATS.value, covariance_types=_COV.value)


if __name__ == "__main__":
  common.run(main)
