r"""The VAE section of ``launch.reproduce``.

On mnist5k (binarised, 784-400-20 MLPs, Adam 1e-3, batch 128):

1. the VAE and IWAE (K = 5) trained for the same steps by ``launch.train``
   (``launch/configs/vae.py``, ``iwae.py``),
   test log-likelihood by importance sampling, and the amortisation gap;
2. beta-VAE at beta = 0.5, 1, 2, 4 as one vmapped call (``jgen.sweep``):
   test ELBO, rate (KL) and distortion (-E log p(x|z)), test log-likelihood,
   the rate-distortion plot and a sample grid per beta;
3. a decoder trained by variational Bayes with per-datapoint q_n
   (:func:`per_datapoint`), its held-out ELBO;
4. the VAE and IWAE (K = 5) compared as Burda et al. (2016) did
   (``launch/configs/burda_vae.py``, ``burda_iwae.py``: 784-200-200-50,
   dynamic binarisation, each selected by its own log p(x) on held-out
   training images), over seeds, with the train-test gap (:func:`fair`).
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import data
from jgen import metrics
from jgen import models
from jgen import nets
from jgen import plotting
from jgen import sweep
from jgen import train
from jgen import variational
from launch.sections import scripts

BETAS = (0.5, 1.0, 2.0, 4.0)
FAIR_SEEDS = (0, 1, 2)
# Burda et al. (2016), Table 1 (one stochastic layer, MNIST): IWAE at K = 5
# above the VAE at K = 5 by about 1.2 nats of test log p(x).
BURDA_GAIN = 1.2


def fair(workdir: str, quick: bool) -> dict:
  """The Burda et al. comparison: each model's ``selected`` state (best
  log p(x) on the validation slice) over :data:`FAIR_SEEDS`.

  Returns:
    ``{"vae", "iwae"}``: per seed the test and training log p(x) of the
    selected state and its step, and their mean and std; ``gain``: IWAE's
    mean test log p(x) minus the VAE's.
  """
  quick_flags = ({"config.num_steps": 100, "config.validate_every": 50,
                  "config.eval_samples": 20} if quick else {})
  out = {}
  for name in ("vae", "iwae"):
    runs = [scripts.run_script(
        "launch.train", os.path.join(workdir, f"burda_{name}_s{seed}"),
        config=os.path.join("launch", "configs", f"burda_{name}.py"),
        **{"config.seed": seed, **quick_flags})["selected"]
            for seed in (FAIR_SEEDS[:1] if quick else FAIR_SEEDS)]
    test = [r["test_log_likelihood"] for r in runs]
    train_ll = [r["train"]["test_log_likelihood"] for r in runs]
    out[name] = {"test": test, "train": train_ll,
                 "step": [r["step"] for r in runs],
                 **dict(zip(("test_mean", "test_std"), metrics.mean_std(test))),
                 "gap_mean": float(np.mean(np.subtract(train_ll, test)))}
  out["gain"] = out["iwae"]["test_mean"] - out["vae"]["test_mean"]
  return out


def beta_sweep(workdir: str, num_steps: int, eval_samples: int,
               n_test: int = 1000) -> dict:
  """Trains beta-VAEs for ``BETAS`` in one vmapped call and evaluates them."""
  ds = data.load("mnist5k", seed=0)
  x = jnp.asarray(ds.x_train)
  # mnist5k is ordered by class: take an even stride, not the first n_test.
  keep = np.linspace(0, len(ds.x_test) - 1, n_test).astype(int)
  x_test = data.binarize(jax.random.PRNGKey(0), jnp.asarray(ds.x_test))[keep]
  entry = models.get("beta_vae")
  m = entry.make(entry.config(data_dim=784, latent_dim=20, hidden=(400,)))
  model = m.parts.net
  run = train.make_run(lambda k, h, d: m.init(k), m.step, m.batch_fn,
                       num_steps)
  chunk = min(100, eval_samples)

  def member(key, hparams, d, xt):
    state, _ = run(key, hparams, d)
    fns = variational.bound_fns(model, state.params)
    terms = variational.elbo(jax.random.fold_in(key, 1), xt, **fns, num_samples=10)
    ll = variational.importance_log_likelihood(
        jax.random.fold_in(key, 2), xt, **fns,
        num_samples=(eval_samples // chunk) * chunk, chunk_size=chunk)
    samples = model.apply(state.params, jax.random.normal(
        jax.random.fold_in(key, 3), (64, 20)), method=nets.VAE.decode_mean)
    return {"elbo": jnp.mean(terms["elbo"]), "rate": jnp.mean(terms["kl"]),
            "distortion": -jnp.mean(terms["reconstruction"]),
            "log_likelihood": jnp.mean(ll), "samples": samples}
  g = sweep.grid(beta=BETAS)
  res = sweep.run(member, g, jax.random.PRNGKey(0), {"x": x}, x_test)
  out = {k: res.outputs[k][:, 0].tolist()
         for k in ("elbo", "rate", "distortion", "log_likelihood")}
  fig, axes = plotting.figure(1, 1, 4.5)
  ax = axes[0, 0]
  ax.plot(out["rate"], out["distortion"], "o-")
  for b, r, dd in zip(BETAS, out["rate"], out["distortion"]):
    ax.annotate(f"beta={b:g}", (r, dd))
  ax.set_xlabel("rate: KL(q(z|x) || p(z)) (nats)")
  ax.set_ylabel("distortion: -E log p(x|z) (nats)")
  plotting.save(fig, os.path.join(workdir, "rate_distortion.png"))
  fig, axes = plotting.figure(len(BETAS), 1, 3.5)
  for ax, b, s in zip(axes[0], BETAS, res.outputs["samples"][:, 0]):
    plotting.image_grid(ax, s, (28, 28), 8)
    ax.set_title(f"beta = {b:g}")
  plotting.save(fig, os.path.join(workdir, "beta_samples.png"))
  return {"beta": list(BETAS), **out, "eval_samples": (eval_samples // chunk)
          * chunk, "num_steps": num_steps, "n_test": int(x_test.shape[0])}


def per_datapoint(num_steps: int, n_test: int = 200) -> dict:
  """Variational Bayes with per-datapoint q_n (gradient E- and M-steps) on
  mnist5k with the 784-400-20 decoder; held-out ELBO after fitting q_n of the
  test points by the same E-steps from q = N(0, I)."""
  ds = data.load("mnist5k", seed=0)
  x = jnp.asarray(ds.x_train)
  n = x.shape[0]
  model = nets.VAE(latent_dim=20, output_dim=784, hidden=(400,))
  theta = model.init(jax.random.PRNGKey(0), x[:2])
  dec = lambda th, z, xx: model.apply(th, z, xx, method=nets.VAE.log_prob)
  opt = optax.adam(1e-3)
  params = {"decoder": theta, "mean": jnp.zeros((n, 20)),
            "log_scale": jnp.zeros((n, 20))}
  state = train.TrainState(step=jnp.zeros((), jnp.int32), params=params,
                           opt_state=opt.init(theta), key=jax.random.PRNGKey(0))
  bin_x = data.binarize(jax.random.PRNGKey(1), x)
  chunk = min(500, num_steps)
  res = train.train(state, variational.vb_step(dec, opt, e_steps=5),
                    {"x": bin_x, "idx": jnp.arange(n)}, {},
                    num_steps=(num_steps // chunk) * chunk,
                    batch_fn=train.minibatch(128), chunk_size=chunk)
  keep = np.linspace(0, len(ds.x_test) - 1, n_test).astype(int)
  xt = data.binarize(jax.random.PRNGKey(0), jnp.asarray(ds.x_test))[keep]
  th = res.state.params["decoder"]
  zeros = jnp.zeros((n_test, 20))

  @jax.jit
  def held_out(xb):
    q = variational.local_elbo_ascent(
        jax.random.PRNGKey(1), xb, lambda z, xx: dec(th, z, xx), zeros, zeros,
        num_steps=500, learning_rate=optax.exponential_decay(0.05, 250, 0.1),
        num_samples=4)
    return variational.elbo(jax.random.PRNGKey(2), xb, lambda _: q,
                     lambda z, xx: dec(th, z, xx), num_samples=100)["elbo"]
  return {"test_elbo": float(jnp.mean(held_out(xt))), "n_test": n_test,
          "train_elbo": res.history[-1]["elbo"], "num_steps": num_steps,
          "e_steps_per_step": 5, "test_e_steps": 500}


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """VAE vs IWAE and the beta sweep: ``(results, markdown)``."""
  steps = 100 if quick else 10_000
  k = 20 if quick else 1000
  res = {}
  for name, config in (("vae", "vae"), ("iwae_k5", "iwae")):
    res[name] = scripts.run_script(
        "launch.train", os.path.join(workdir, f"vae_{name}"),
        config=os.path.join("launch", "configs", f"{config}.py"),
        **{"config.num_steps": steps, "config.eval_samples": k})
  res["beta_sweep"] = beta_sweep(workdir, steps, k,
                                 n_test=200 if quick else 1000)
  res["per_datapoint"] = per_datapoint(steps // 2 if not quick else 100)
  res["fair"] = fair(workdir, quick)
  bs = res["beta_sweep"]
  md = ["## VAE family (mnist5k, 784-400-20)", "",
        f"{steps} Adam steps; test log-likelihood by importance sampling with "
        f"K = {res['vae']['eval_samples']} (nats per example):", "",
        "| model | test ELBO | test log p(x) |", "|---|---|---|",
        f"| VAE | {res['vae']['test_elbo']:.2f} | "
        f"{res['vae']['test_log_likelihood']:.2f} |",
        f"| IWAE (K = 5) | {res['iwae_k5']['test_elbo']:.2f} | "
        f"{res['iwae_k5']['test_log_likelihood']:.2f} |", "",
        f"beta-VAE, one vmapped call ({bs['n_test']} test images):", "",
        "| beta | test ELBO | rate (KL) | distortion | test log p(x) |",
        "|---|---|---|---|---|"]
  md += [f"| {b:g} | {e:.2f} | {r:.2f} | {d:.2f} | {ll:.2f} |" for b, e, r, d, ll
         in zip(bs["beta"], bs["elbo"], bs["rate"], bs["distortion"],
                bs["log_likelihood"])]
  gap, vb = res["vae"]["amortization_gap"], res["per_datapoint"]
  md += ["", f"Amortised vs per-datapoint inference ({gap['n']} test images): "
         f"the VAE's encoder gives ELBO {gap['amortized']:.2f}; fitting each "
         f"q_n by 500 gradient E-steps from the encoder's output gives "
         f"{gap['optimized']:.2f}, an amortisation gap of {gap['gap']:.2f} "
         f"nats. A decoder trained by variational Bayes with per-datapoint "
         f"q_n ({vb['num_steps']} steps of 5 E-steps + 1 M-step) reaches a "
         f"held-out ELBO of {vb['test_elbo']:.2f} (q_n of the test points "
         "fitted by 500 E-steps from N(0, I)).", "",
         "![rate-distortion](rate_distortion.png)", "",
         "![samples per beta](beta_samples.png)", ""]
  f = res["fair"]
  md += ["### IWAE against the VAE, compared fairly", "",
         "Burda et al.'s networks (784-200-200-50), pixels binarised afresh "
         "every minibatch, each model selected by its own importance-sampled "
         "log p(x) on 500 held-out training images (seeds "
         f"{', '.join(str(s) for s in FAIR_SEEDS)}; nats per example):", "",
         "| model | test log p(x), selected state | per seed | training "
         "log p(x) | train-test gap | selected at step |",
         "|---|---|---|---|---|---|"]
  for name, label in (("vae", "VAE"), ("iwae", "IWAE (K = 5)")):
    r = f[name]
    md.append(f"| {label} | {r['test_mean']:.2f} ± {r['test_std']:.2f} | "
              + ", ".join(f"{v:.2f}" for v in r["test"]) + " | "
              + ", ".join(f"{v:.2f}" for v in r["train"])
              + f" | {r['gap_mean']:.2f} | "
              + ", ".join(str(v) for v in r["step"]) + " |")
  md += ["", f"IWAE minus VAE: {f['gain']:+.2f} nats (Burda et al. 2016, "
         f"Table 1: about +{BURDA_GAIN} on MNIST; the target here: +0.5).", ""]
  return res, "\n".join(md)
