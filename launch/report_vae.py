r"""VAE training runs (``launch.train_vae``), the beta sweep and the VAE
section of ``launch.reproduce``.

On mnist5k (binarised, 784-400-20 MLPs, Adam 1e-3, batch 128):

1. the VAE and IWAE (K = 5) trained for the same steps by :func:`run`, test
   log-likelihood by importance sampling, and the amortisation gap;
2. beta-VAE at beta = 0.5, 1, 2, 4 as one vmapped call (``jgen.sweep``):
   test ELBO, rate (KL) and distortion (-E log p(x|z)), test log-likelihood,
   the rate-distortion plot and a sample grid per beta;
3. a decoder trained by variational Bayes with per-datapoint q_n
   (:func:`per_datapoint`), its held-out ELBO.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jgen import _checks
from jgen import data
from jgen import metrics
from jgen import nets
from jgen import plotting
from jgen import sweep
from jgen import train
from jgen import variational
from launch import common

BETAS = (0.5, 1.0, 2.0, 4.0)


IMAGE_SHAPES = {784: (28, 28), 64: (8, 8)}


def check_config(config: dict) -> None:
  """Raises ``ValueError`` naming the bad setting."""
  _checks.choice(config["model"], "model", variational.OBJECTIVES)
  _checks.integer(config["latent_dim"], "latent_dim", low=1)
  _checks.real(config["beta"], "beta", low=0.0)
  _checks.integer(config["num_samples"], "num_samples", low=1)
  _checks.integer(config["eval_samples"], "eval_samples", low=1)
  _checks.integer(config["num_steps"], "num_steps", low=1)
  _checks.integer(config["batch_size"], "batch_size", low=1)
  _checks.integer(config.get("n_clusters", 10), "n_clusters", low=1)


def _flat(x: np.ndarray, conv: bool, name: str) -> np.ndarray:
  x = x.reshape(x.shape[0], -1)
  if conv and x.shape[1] not in IMAGE_SHAPES:
    raise ValueError(f"{name}: the convolutional networks take 28x28 or 8x8 "
                     f"images, got {x.shape[1]} values per example.")
  return x


def check_data(config: dict) -> None:
  """Loads the datasets of ``config`` and checks their shapes against the
  model settings; raises ``ValueError`` starting with the setting's name."""
  x = _flat(data.load(config["dataset"], seed=config["seed"]).x_train,
            config["conv"], "dataset")
  if config.get("eval_dataset"):
    ev = data.load(config["eval_dataset"], seed=config["seed"])
    xe = _flat(ev.x_train, config["conv"], "eval_dataset")
    if xe.shape[1] != x.shape[1]:
      raise ValueError(f"eval_dataset: examples have {xe.shape[1]} values, "
                       f"the model is trained on {x.shape[1]}.")


def _fixed_binarized(x, seed):
  return np.asarray(data.binarize(jax.random.PRNGKey(seed),
                                  jnp.asarray(x, jnp.float32)))


def run(config: dict, workdir: str) -> dict:
  """Trains and evaluates; returns the contents of ``result.json``."""
  check_config(config)
  check_data(config)
  common.workdir(workdir)
  common.write_json(os.path.join(workdir, "config.json"), config)
  ds = data.load(config["dataset"], seed=config["seed"])
  conv = config["conv"]
  x = _flat(ds.x_train, conv, "dataset")
  d = x.shape[1]
  model = nets.VAE(latent_dim=config["latent_dim"], output_dim=d,
                  hidden=(config["hidden"],),
                  conv=IMAGE_SHAPES[d] if conv else None,
                  n_classes=int(ds.y_train.max()) + 1 if config["model"] == "cvae"
                  else 0,
                  n_clusters=config.get("n_clusters", 10)
                  if config["model"] == "mog_vae" else 0)
  binary = bool(x.min() >= 0 and x.max() <= 1)
  loss = variational.make_loss(model, config["model"], num_samples=config["num_samples"],
                       binarize_data=binary)
  key = jax.random.PRNGKey(config["seed"])
  params = model.init(key, jnp.asarray(x[:2]), jnp.asarray(ds.y_train[:2]))
  opt = optax.adam(config["learning_rate"])
  chunk = min(100, config["num_steps"])
  steps = (config["num_steps"] // chunk) * chunk
  result = train.train(
      train.init_state(params, opt, key), train.gradient_step(loss, opt),
      {"x": jnp.asarray(x), "y": jnp.asarray(ds.y_train)},
      {"beta": jnp.float32(config["beta"])}
      if variational.OBJECTIVES[config["model"]].uses_beta else {},
      num_steps=steps,
      batch_fn=train.minibatch(config["batch_size"]), chunk_size=chunk,
      workdir=workdir, checkpoint_every=5, checkpoint_seconds=30.0)
  params = result.state.params
  x_test = _flat(ds.x_test, conv, "dataset")
  x_test = _fixed_binarized(x_test, config["seed"]) if binary else x_test
  test = variational.evaluate(model, params, jax.random.fold_in(key, 1),
                              x_test, ds.y_test,
                              num_samples=config["eval_samples"])
  out = {"test_elbo": test["elbo"], "test_log_likelihood": test["log_likelihood"],
         "eval_samples": test["eval_samples"], "num_steps": steps,
         "final_train_loss": result.history[-1]["loss"]}
  if model.n_clusters:
    clusters = np.argmax(model.apply(params, jnp.asarray(x_test),
                                     method=nets.VAE.cluster_logits), axis=1)
    out["cluster_accuracy"] = metrics.cluster_accuracy(clusters, ds.y_test)
  if config.get("eval_dataset"):
    ev = data.load(config["eval_dataset"], seed=config["seed"])
    xe = _flat(ev.x_test if len(ev.x_test) else ev.x_train, conv,
               "eval_dataset")
    ye = ev.y_test if len(ev.x_test) else ev.y_train
    xe = _fixed_binarized(xe, config["seed"]) if binary else xe
    r = variational.evaluate(model, params, jax.random.fold_in(key, 2), xe,
                             np.clip(ye, 0, None),
                             num_samples=config["eval_samples"])
    out["eval"] = {"test_elbo": r["elbo"], "test_log_likelihood":
                   r["log_likelihood"], "eval_samples": r["eval_samples"],
                   "n": r["n"]}
  if not (model.n_classes or model.n_clusters):
    # 200 test images at an even stride (mnist5k is ordered by class).
    fns = variational.bound_fns(model, params)
    gap = jax.jit(lambda xb: variational.amortization_gap(
        jax.random.fold_in(key, 3), xb, fns["encode"], fns["decoder_log_prob"],
        num_steps=500, learning_rate=optax.exponential_decay(0.05, 250, 0.1),
        fit_samples=4, eval_samples=100))(
            jnp.asarray(x_test[np.linspace(0, len(x_test) - 1, 200).astype(int)]))
    out["amortization_gap"] = {k: float(jnp.mean(v)) for k, v in gap.items()}
    out["amortization_gap"]["n"] = 200
  _figures(workdir, model, params, x_test, ds.y_test, config, key, d)
  common.write_json(os.path.join(workdir, "result.json"), out)
  return out


def _figures(workdir, model, params, x_test, y_test, config, key, d):
  shape = IMAGE_SHAPES.get(d)
  if shape is None:
    return
  y = jnp.asarray(y_test[:64]) if model.n_classes else None
  z = jax.random.normal(key, (64, config["latent_dim"]))
  samples = model.apply(params, z, y, method=nets.VAE.decode_mean)
  fig, axes = plotting.figure(1, 1, 6)
  plotting.image_grid(axes[0, 0], samples, shape, 8)
  plotting.save(fig, os.path.join(workdir, "samples.png"))
  mean, _ = model.apply(params, jnp.asarray(x_test[:32]), y[:32] if y is not None
                        else None, method=nets.VAE.encode)
  recon = model.apply(params, mean, y[:32] if y is not None else None,
                      method=nets.VAE.decode_mean)
  pairs = np.stack([x_test[:32], np.asarray(recon)], 1).reshape(64, -1)
  fig, axes = plotting.figure(1, 1, 6)
  plotting.image_grid(axes[0, 0], pairs, shape, 8)
  axes[0, 0].set_title("data (left) / reconstruction (right), in pairs")
  plotting.save(fig, os.path.join(workdir, "reconstructions.png"))
  if config["latent_dim"] == 2 and not model.n_classes:
    from scipy.stats import norm  # noqa: PLC0415
    g = norm.ppf(np.linspace(0.05, 0.95, 15))
    zz = jnp.asarray(np.stack(np.meshgrid(g, g[::-1]), -1).reshape(-1, 2),
                     jnp.float32)
    fig, axes = plotting.figure(1, 1, 7)
    plotting.image_grid(axes[0, 0], model.apply(params, zz, method=nets.VAE.decode_mean),
            shape, 15)
    plotting.save(fig, os.path.join(workdir, "manifold.png"))


def beta_sweep(workdir: str, num_steps: int, eval_samples: int,
               n_test: int = 1000) -> dict:
  """Trains beta-VAEs for ``BETAS`` in one vmapped call and evaluates them."""
  ds = data.load("mnist5k", seed=0)
  x = jnp.asarray(ds.x_train)
  # mnist5k is ordered by class: take an even stride, not the first n_test.
  keep = np.linspace(0, len(ds.x_test) - 1, n_test).astype(int)
  x_test = jnp.asarray(_fixed_binarized(ds.x_test, 0)[keep])
  model = nets.VAE(latent_dim=20, output_dim=784, hidden=(400,))
  opt = optax.adam(1e-3)
  run = train.make_run(
      lambda k, h, d: train.init_state(model.init(k, d["x"][:2]), opt, k),
      train.gradient_step(variational.make_loss(model, "beta_vae", binarize_data=True),
                          opt),
      train.minibatch(128), num_steps)
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
  bin_x = jnp.asarray(_fixed_binarized(x, 1))
  chunk = min(500, num_steps)
  res = train.train(state, variational.vb_step(dec, opt, e_steps=5),
                    {"x": bin_x, "idx": jnp.arange(n)}, {},
                    num_steps=(num_steps // chunk) * chunk,
                    batch_fn=train.minibatch(128), chunk_size=chunk)
  keep = np.linspace(0, len(ds.x_test) - 1, n_test).astype(int)
  xt = jnp.asarray(_fixed_binarized(ds.x_test, 0)[keep])
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
  steps = 300 if quick else 10_000
  k = 50 if quick else 1000
  base = {"dataset": "mnist5k", "eval_dataset": None, "latent_dim": 20,
          "hidden": 400, "conv": False, "beta": 1.0, "num_steps": steps,
          "batch_size": 128, "learning_rate": 1e-3, "eval_samples": k,
          "seed": 0}
  res = {}
  for name, extra in (("vae", {"model": "vae", "num_samples": 1}),
                      ("iwae_k5", {"model": "iwae", "num_samples": 5})):
    res[name] = run({**base, **extra},
                              os.path.join(workdir, f"vae_{name}"))
  res["beta_sweep"] = beta_sweep(workdir, steps, k,
                                 n_test=200 if quick else 1000)
  res["per_datapoint"] = per_datapoint(steps // 2 if not quick else 100)
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
  return res, "\n".join(md)
