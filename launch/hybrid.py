r"""Generative vs discriminative classifiers and their hybrids.

  python -m launch.hybrid --workdir=runs/hybrid [--quick]

1. Bishop & Lasserre (2007): ``bishop_lasserre`` data (jgen.data), 2
   labelled points per class drawn from a pool of unlabelled points; alpha in
   0, 0.1, ..., 1 x ``n_draws`` draws of the labelled points as one vmapped
   call; held-out error vs alpha; decision boundaries for alpha in
   {0, 0.4, 0.6, 0.7, 0.8, 1} (draw 0).
2. lambda hybrid on digits (16 principal components): per-lambda training as
   one vmapped sweep, and a hypernetwork G(lambda) trained with lambda drawn
   per batch (Ha et al. 2016; Lorraine & Duvenaud 2018); the gap between the
   two paths.
3. Evidence vs 5-fold cross-validation for the prior precision of logistic
   regression (digits 3 vs 8) and of polynomial regression (noisy sine).
4. Mixture of linear experts vs one logistic regression on two_moons.

Writes into ``--workdir``: ``config.json``; ``result.json`` with ``alpha``,
``test_error_mean`` and ``test_error_std`` (the alpha sweep) plus
``lambda_path``, ``evidence`` and ``mixture_of_experts``; figures
``alpha_sweep.png``, ``boundaries.png``, ``lambda_path.png``,
``evidence.png``; the hypernetwork's ``hypernet/metrics.jsonl`` and orbax
checkpoints. Runs in float64 where the data are float64.
"""

from __future__ import annotations

import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from jgen import classifiers
from jgen import data
from jgen import evidence
from jgen import hybrid
from jgen import likelihoods
from jgen import metrics
from jgen import nets
from jgen import plotting
from jgen import sweep
from jgen import train
from launch import common

_WORKDIR = flags.DEFINE_string("workdir", "runs/hybrid", "Output folder.")
_QUICK = flags.DEFINE_bool("quick", False, "Reduced run (tests, --quick report).")
_N_DRAWS = flags.DEFINE_integer("n_draws", 50, "Draws of the labelled points.")
_NUM_STEPS = flags.DEFINE_integer("num_steps", 2000, "Adam steps per run.")
_SEED = flags.DEFINE_integer("seed", 0, "Random seed.")


def _multiple_of_20(value: int) -> None:
  if value < 20 or value % 20:
    raise ValueError(f"must be a positive multiple of 20, got {value}.")


common.validate("n_draws", common.at_least(1))
common.validate("num_steps", _multiple_of_20)


def config_from_flags() -> dict:
  """The run's config; ``--quick`` overrides the draws and steps."""
  quick = _QUICK.value
  return {"quick": quick, "n_draws": 20 if quick else _N_DRAWS.value,
          "num_steps": 400 if quick else _NUM_STEPS.value, "seed": _SEED.value}



ALPHAS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
BOUNDARY_ALPHAS = (0.0, 0.4, 0.6, 0.7, 0.8, 1.0)
BL = {"n_pool": 400, "n_test": 5000, "labelled_per_class": 2,
      "prior_precision": 0.01, "learning_rate": 0.02}


def _bl_member(num_steps: int, seed: int):
  opt = optax.adam(BL["learning_rate"])
  step = train.gradient_step(hybrid.bishop_lasserre_loss, opt)

  def init(key, hparams, d):
    del hparams
    w0 = hybrid.init_gaussian(d["x"], d["y"], 2)
    return train.init_state({"generative": w0, "discriminative": w0}, opt, key)

  run = train.make_run(init, step, train.full_batch, num_steps)

  def member(key, hparams, x_pool, y_pool, x_test, y_test):
    idx = data.labelled_subset(y_pool, 2 * BL["labelled_per_class"],
                               n_classes=2, seed=seed, draw=hparams["draw"])
    batch = {"x": x_pool[idx], "y": y_pool[idx], "x_unlabelled": x_pool}
    state, metrics = run(key, hparams, batch)
    w_d = hybrid.discriminative_params(state.params, hparams["alpha"])
    return {"test_error": jnp.mean(hybrid.predict(w_d, x_test) != y_test),
            "final_loss": metrics["loss"][-1], "params": w_d,
            "labelled": idx}
  return member


def alpha_sweep(workdir: str, n_draws: int, num_steps: int, seed: int) -> dict:
  """Experiment 1; returns the alpha curve and writes two figures."""
  pool = data.load("bishop_lasserre", seed=seed, n_samples=BL["n_pool"],
                   test_fraction=0.0)
  test = data.load("bishop_lasserre", seed=seed + 1,
                   n_samples=BL["n_test"], test_fraction=0.0)
  # draw d of the labelled points: jgen.data.labelled_subset(seed, d)
  g = sweep.grid(alpha=ALPHAS, prior_precision=[BL["prior_precision"]],
                 draw=list(range(n_draws)),
                 check=lambda draw, **hp: hybrid.check_hparams(**hp))
  args = (jnp.asarray(pool.x_train), jnp.asarray(pool.y_train),
          jnp.asarray(test.x_train), jnp.asarray(test.y_train))
  res = sweep.run(_bl_member(num_steps, seed), g, jax.random.PRNGKey(seed),
                  *args)
  err = res.outputs["test_error"][:, 0, :, 0]                     # [A, draws]
  mean, std = metrics.mean_std(err, axis=1)
  best = int(np.argmin(mean))
  fig, axes = plotting.figure(1, 1, 5.0)
  ax = axes[0, 0]
  ax.errorbar(ALPHAS, mean, yerr=std, marker="o", capsize=3)
  ax.set_xlabel("alpha (0 generative, 1 discriminative)")
  ax.set_ylabel(f"test error (mean ± std over {n_draws} draws)")
  ax.set_title("Bishop & Lasserre hybrid, 2 labels per class")
  plotting.save(fig, os.path.join(workdir, "alpha_sweep.png"))
  _boundaries(workdir, res, pool)
  return {"alpha": list(map(float, ALPHAS)),
          "test_error_mean": mean.tolist(), "test_error_std": std.tolist(),
          "n_draws": n_draws, "num_steps": num_steps,
          "best_alpha": float(ALPHAS[best]),
          "best_minus_generative": float(mean[best] - mean[0]),
          "best_minus_discriminative": float(mean[best] - mean[-1]),
          # Paired over the same draws of labelled points: mean difference
          # and its standard error (negative = the best alpha is better).
          "paired_vs_generative": _paired(err[best], err[0]),
          "paired_vs_discriminative": _paired(err[best], err[-1]),
          "settings": {**BL, "data": {k: np.asarray(v).tolist() for k, v in
                                      data.BISHOP_LASSERRE.items()}}}


def _paired(a: np.ndarray, b: np.ndarray) -> dict:
  diff = a - b
  return {"mean": float(diff.mean()),
          "standard_error": float(diff.std(ddof=1) / np.sqrt(len(diff)))
          if len(diff) > 1 else None,
          "fraction_better": float(np.mean(diff < 0)),
          "fraction_worse": float(np.mean(diff > 0))}


def _boundaries(workdir: str, res: sweep.SweepResult, pool) -> None:
  lo, hi = pool.x_train.min(0) - 0.5, pool.x_train.max(0) + 0.5
  gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200),
                       np.linspace(lo[1], hi[1], 200))
  grid_x = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], 1), jnp.float32)
  fig, axes = plotting.figure(3, 2, 3.6)
  for ax, alpha in zip(axes.ravel(), BOUNDARY_ALPHAS):
    out = sweep.member(res, alpha=alpha, draw=0, seed=0)
    params = jax.tree.map(lambda a: a[0], out["params"])       # prior axis
    post = jnp.exp(likelihoods.log_posterior(
        hybrid.gaussian_log_joint(params, grid_x)))[:, 1]
    ax.scatter(*pool.x_train.T, c=pool.y_train, cmap="coolwarm", s=4,
               alpha=0.25)
    lab = np.asarray(out["labelled"][0])
    ax.scatter(*pool.x_train[lab].T, c=pool.y_train[lab], cmap="coolwarm",
               s=80, edgecolors="k", vmin=0, vmax=1)
    ax.contour(gx, gy, np.asarray(post).reshape(gx.shape), levels=[0.5],
               colors="k")
    ax.set_title(f"alpha = {alpha:g}, error {float(out['test_error'][0]):.3f}")
  plotting.save(fig, os.path.join(workdir, "boundaries.png"))


def lambda_path(workdir: str, num_steps: int, seed: int, quick: bool) -> dict:
  """Experiment 2: per-lambda sweep vs hypernetwork on digits."""
  ds = data.load("digits", seed=seed)
  x, xt = data.pca(ds.x_train, ds.x_test, n_components=16, seed=seed)
  y, yt = ds.y_train, ds.y_test
  d = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
  w0 = hybrid.init_gaussian(x, y, 10)
  lr, batch = 0.01, 128
  opt = optax.adam(lr)
  step = train.gradient_step(hybrid.lambda_hybrid_loss, opt)
  run = train.make_run(lambda k, h, dd: train.init_state(w0, opt, k), step,
                       train.minibatch(batch), num_steps)
  lams = np.round(np.linspace(0, 1, 11), 2)

  def evaluate(params, lam):
    loss, _ = hybrid.lambda_hybrid_loss(params, None, d, hparams={"lam": lam})
    return loss, jnp.mean(hybrid.predict(params, jnp.asarray(xt)) != yt)

  def member(key, hparams, dd):
    state, _ = run(key, hparams, dd)
    loss, err = evaluate(state.params, hparams["lam"])
    return {"objective": loss, "test_error": err}
  direct = sweep.run(member, sweep.grid(lam=lams, check=hybrid.check_hparams),
                     jax.random.PRNGKey(seed), d)

  g = nets.HyperNetwork(num_outputs=ravel_pytree(w0)[0].size, hidden=(64, 64))
  u0 = g.init(jax.random.PRNGKey(seed), jnp.zeros(()))
  hyper_steps = 2 * num_steps
  result = train.train(
      train.init_state(u0, optax.adam(1e-3), jax.random.PRNGKey(seed)),
      train.gradient_step(hybrid.make_hypernetwork_loss(g, w0),
                          optax.adam(1e-3)), d, {},
      num_steps=hyper_steps, batch_fn=train.minibatch(batch),
      chunk_size=hyper_steps // 10,
      workdir=os.path.join(workdir, "hypernet"), checkpoint_every=5)
  hyper = jax.vmap(lambda lam: evaluate(hybrid.hypernetwork_params(
      g, result.state.params, w0, lam), lam))(
          jnp.asarray(lams, jnp.float32))
  d_obj = direct.outputs["objective"][:, 0]
  d_err = direct.outputs["test_error"][:, 0]
  h_obj, h_err = np.asarray(hyper[0]), np.asarray(hyper[1])
  fig, axes = plotting.figure(2, 1, 4.0)
  axes[0, 0].plot(lams, h_obj - d_obj, "o-")
  axes[0, 0].axhline(0.0, color="k", lw=0.5)
  axes[0, 0].set_xlabel("lambda")
  axes[0, 0].set_ylabel("objective gap: hypernetwork - per-lambda (nats)")
  axes[0, 0].set_title("G(lambda) vs per-lambda training (vmapped)")
  axes[0, 1].plot(lams, d_err, "o-", label="per-lambda")
  axes[0, 1].plot(lams, h_err, "s--", label="hypernetwork")
  axes[0, 1].set_xlabel("lambda")
  axes[0, 1].set_ylabel("test error")
  axes[0, 1].legend()
  plotting.save(fig, os.path.join(workdir, "lambda_path.png"))
  return {"lam": lams.tolist(), "direct_objective": d_obj.tolist(),
          "hypernet_objective": h_obj.tolist(),
          "direct_test_error": d_err.tolist(),
          "hypernet_test_error": h_err.tolist(),
          "max_objective_gap": float(np.max(h_obj - d_obj)),
          "mean_objective_gap": float(np.mean(h_obj - d_obj)),
          "num_steps_per_lambda": num_steps, "hypernet_steps": hyper_steps,
          "quick": quick}


def evidence_vs_cv(workdir: str, seed: int) -> dict:
  """Experiment 3: prior precision chosen by the evidence and by 5-fold CV."""
  ds = data.load("digits", seed=seed)
  keep = lambda x, y: (np.c_[x[(y == 3) | (y == 8)], np.ones(((y == 3) | (
      y == 8)).sum())].astype(np.float64), (y[(y == 3) | (y == 8)] == 8))
  x, y = keep(ds.x_train, ds.y_train)
  xt, yt = keep(ds.x_test, ds.y_test)
  x, y = x[:40], y[:40]                         # a small sample, where h matters
  hs = np.logspace(-3, 3, 25)
  folds = jnp.asarray(np.arange(len(x)) % 5)
  xj, yj = jnp.asarray(x), jnp.asarray(y.astype(np.int32))
  log_ev = jax.jit(jax.vmap(lambda h: evidence.logistic_log_evidence(
      xj, yj, prior_precision=h)))(jnp.asarray(hs))
  cv = jax.jit(jax.vmap(lambda h: evidence.cross_validation(
      xj, yj, folds, model="logistic", prior_precision=h)))(jnp.asarray(hs))

  def test_error(h):
    w, _ = evidence.logistic_map(xj, yj, prior_precision=h)
    return float(np.mean((np.asarray(xt) @ np.asarray(w) > 0) != yt))
  h_ev, h_cv = hs[int(np.argmax(log_ev))], hs[int(np.argmax(cv))]

  rng = np.random.default_rng(seed)                 # Bishop (2006), Fig. 3.16
  s = rng.uniform(0, 1, 25)
  t = np.sin(2 * np.pi * s) + rng.normal(0, 0.3, 25)
  phi = jnp.asarray(np.vander(s, 10, increasing=True))
  beta = 1 / 0.3**2
  lin_ev = jax.vmap(lambda h: evidence.linear_regression_log_evidence(
      phi, jnp.asarray(t), prior_precision=h, noise_precision=beta))(
          jnp.asarray(hs))
  lin_cv = jax.vmap(lambda h: evidence.cross_validation(
      phi, jnp.asarray(t), jnp.asarray(np.arange(25) % 5), model="linear",
      prior_precision=h, noise_precision=beta))(jnp.asarray(hs))
  fig, axes = plotting.figure(2, 1, 4.0)
  for ax, ev, c, title in ((axes[0, 0], log_ev, cv, "logistic, digits 3 vs 8"),
                           (axes[0, 1], lin_ev, lin_cv,
                            "polynomial (degree 9), noisy sine")):
    ax.semilogx(hs, np.asarray(ev) / (len(x) if ev is log_ev else 25),
                "o-", label="log evidence / N")
    ax.semilogx(hs, np.asarray(c), "s--", label="5-fold CV log-lik / N")
    ax.set_xlabel("prior precision h")
    ax.set_title(title)
    ax.legend()
  plotting.save(fig, os.path.join(workdir, "evidence.png"))
  return {"prior_precision": hs.tolist(),
          "logistic": {"log_evidence": np.asarray(log_ev).tolist(),
                       "cv_log_likelihood": np.asarray(cv).tolist(),
                       "h_evidence": float(h_ev), "h_cv": float(h_cv),
                       "test_error_h_evidence": test_error(h_ev),
                       "test_error_h_cv": test_error(h_cv),
                       "n_train": len(x), "n_test": len(xt)},
          "linear": {"log_evidence": np.asarray(lin_ev).tolist(),
                     "cv_log_likelihood": np.asarray(lin_cv).tolist(),
                     "h_evidence": float(hs[int(np.argmax(lin_ev))]),
                     "h_cv": float(hs[int(np.argmax(lin_cv))])}}


def mixture_of_experts(num_steps: int, seed: int) -> dict:
  """Experiment 4: gated linear experts vs one linear classifier."""
  ds = data.load("two_moons", seed=seed, n_samples=1000)
  d = {"x": jnp.asarray(ds.x_train), "y": jnp.asarray(ds.y_train)}
  out = {}
  for n_experts in (1, 4):
    model = nets.MixtureOfExperts(n_experts=n_experts, n_classes=2)

    loss = classifiers.cross_entropy_loss(
        lambda p, xx, m=model: m.apply(p, xx)[0])
    opt = optax.adam(0.02)
    params = model.init(jax.random.PRNGKey(seed), d["x"])
    result = train.train(train.init_state(params, opt, jax.random.PRNGKey(seed)),
                         train.gradient_step(loss, opt), d, {},
                         num_steps=num_steps, chunk_size=num_steps // 4,
                         progress=False)
    logits, _ = model.apply(result.state.params, jnp.asarray(ds.x_test))
    out[f"{n_experts}_experts_test_accuracy"] = float(
        np.mean(np.argmax(logits, 1) == ds.y_test))
  return out


def run(config: dict, workdir: str) -> dict:
  """Runs the four experiments and writes ``result.json`` and the figures.

  Args:
    config: ``{"quick", "n_draws", "num_steps", "seed"}``.
    workdir: output folder.

  Returns:
    The contents of ``result.json``.
  """
  steps, seed = config["num_steps"], config["seed"]
  res = alpha_sweep(workdir, config["n_draws"], steps, seed)
  res["lambda_path"] = lambda_path(workdir, steps, seed, config["quick"])
  res["evidence"] = evidence_vs_cv(workdir, seed)
  res["mixture_of_experts"] = mixture_of_experts(steps, seed)
  train.write_json(os.path.join(workdir, "result.json"), res)
  return res


def main(argv):
  del argv
  common.quiet_logs()
  jax.config.update("jax_enable_x64", True)   # float64 where data are float64
  config = config_from_flags()
  common.claim_workdir(_WORKDIR.value, config)
  res = run(config, _WORKDIR.value)
  print(common.table([{"alpha": a, "test_error_mean": m, "test_error_std": s}
                      for a, m, s in zip(res["alpha"], res["test_error_mean"],
                                         res["test_error_std"])],
                     ["alpha", "test_error_mean", "test_error_std"]))


if __name__ == "__main__":
  common.run(main)
