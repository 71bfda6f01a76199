r"""The semi-supervised section of ``launch.reproduce``.

On mnist5k (4,000 training images, every one also unlabelled; 1,000 test):

1. **Table 1** of Kingma et al. (2014) in its format: test error (%) for
   100, 600, 1,000 and 3,000 labels, mean ± std over ``N_DRAWS``
   class-balanced label draws (the draws of one setting are one vmapped
   ``jgen.sweep`` call), rows M1 (VAE + softmax logistic regression, an RBF
   SVM, that SVM self-trained on every training image, and label spreading
   over every training image, on the posterior means), M2, M1+M2, the
   label-only classifier of M2's
   architecture, and semi-supervised EM for a Gaussian mixture (one
   component per class, labelled points clamped) on PCA features; the
   paper's published means beside them (its unlabelled set is 50,000
   images, twelve times this one).
2. **Alpha sweep** at 100 labels: M2's test error against alpha, one
   vmapped call.
3. **Unlabelled data**: M2 at 100 labels with 1,000, 2,000 and 4,000
   training images, the evidence of what the embedded data limit.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from jgen import data
from jgen import em
from jgen import metrics
from jgen import models
from jgen import plotting
from jgen.models import ssvae
from jgen import sweep
from launch.configs import m1 as m1_config
from launch.configs import m1_m2 as m1_m2_config
from launch.configs import m2 as m2_config

LABELS = (100, 600, 1000, 3000)
N_DRAWS = 5
# The config files' settings (launch/configs/m2.py, m1.py, m1_m2.py): the
# best of an alpha x lr x latent search (mnist5k, 100 labels).
_M2, _M1 = m2_config.get_config(), m1_config.get_config()
M2 = {"latent_dim": _M2.latent_dim, "hidden": _M2.hidden[0],
      "alpha": _M2.alpha, "lr": _M2.learning_rate,
      "batch_size": _M2.batch_size, "num_steps": _M2.num_steps,
      "shift": _M2.shift}
M1 = {"latent_dim": _M1.m1_latent_dim, "hidden": tuple(_M1.m1_hidden),
      "lr": _M1.learning_rate, "num_steps": _M1.m1_steps,
      "validation": _M1.m1_validation,
      "validate_every": _M1.m1_validate_every,
      "active_threshold": _M1.active_threshold, "shift": _M1.m1_shift}
# M1+M2 (launch/configs/m1_m2.py): its alpha, whether M2 learns its
# Gaussian's scale per active dimension of M1, its steps and the random
# shifts of M1's and M2's training images
_M1M2 = m1_m2_config.get_config()
M1M2 = {"alpha": _M1M2.alpha, "learn_scale": _M1M2.learn_scale,
        "num_steps": _M1M2.num_steps, "shift": _M1M2.shift,
        "m1_shift": _M1M2.m1_shift}
ALPHAS = (1.0, 10.0, 100.0, 1000.0, 5000.0, 20000.0)
UNLABELLED = (1000, 2000, 4000)
PCA_DIM, BASELINE_STEPS = 30, 2000
# Kingma et al. (2014), Table 1: test error (%) on MNIST, 50,000 unlabelled.
PUBLISHED = {
    "NN (published)": {100: 25.80, 600: 11.44, 1000: 10.70, 3000: 6.04},
    "M1+TSVM (published)": {100: 11.82, 600: 5.72, 1000: 4.24, 3000: 3.49},
    "M2 (published)": {100: 11.97, 600: 4.94, 1000: 3.60, 3000: 3.92},
    "M1+M2 (published)": {100: 3.33, 600: 2.59, 1000: 2.40, 3000: 2.18},
}


def _arrays(x, y, x_test, y_test) -> dict:
  f = lambda a: jnp.asarray(a, jnp.float32)
  i = lambda a: jnp.asarray(a, jnp.int32)
  return {"x": f(x), "y": i(y), "x_test": f(x_test), "y_test": i(y_test)}


def draw_errors(s: ssvae.SSVAE, d: dict, n_labels: int, num_steps: int,
                *, alphas=(M2["alpha"],), draws=N_DRAWS,
                labels_only: bool = False, mask=None,
                shift: int = 0) -> np.ndarray:
  """Test errors of ``draws`` label draws (x ``alphas``), one vmapped call;
  shape ``[len(alphas), draws]`` (``mask``: M1+M2's active dimensions;
  ``shift``: :func:`jgen.models.ssvae.make_run`'s)."""
  run = ssvae.make_run(s, num_steps=num_steps, n_labels=n_labels,
                       batch_size=M2["batch_size"], labels_only=labels_only,
                       mask=mask, shift=shift)
  grid = sweep.grid(seeds=[0], alpha=list(alphas), lr=[M2["lr"]],
                    draw=list(range(draws)))
  res = sweep.run(run, grid, jax.random.PRNGKey(0), d)
  return np.asarray(res.outputs[0]).reshape(len(alphas), draws)


def _m1(d: dict, num_steps: int, validation: int, shift: int):
  """M1 as ``ssvae.fit_m1`` trains it (early stopping on ``validation``
  held-out images, the flat latent dimensions dropped; its images moved by
  random shifts of up to ``shift`` pixels): its features
  ``(sample(key, x), mean(x))`` and the [L1] mask of the dimensions kept."""
  entry = models.get("vae")
  m = entry.make(entry.config(data_dim=d["x"].shape[1],
                              latent_dim=M1["latent_dim"],
                              hidden=M1["hidden"], learning_rate=M1["lr"],
                              batch_size=100, shift=shift))
  fit = ssvae.fit_m1(m, jax.random.PRNGKey(0), d["x"], steps=num_steps,
                     validation=validation,
                     validate_every=M1["validate_every"],
                     active_threshold=M1["active_threshold"])
  sample, mean = ssvae.m1_features(m.parts.net, fit.params, fit.active)
  return sample, mean, fit.active


def _idx(y, n_labels, draw):
  return np.asarray(data.labelled_subset(y, n_labels, n_classes=10, seed=0,
                                         draw=draw))


def m1_errors(mean, d, n_labels, draws) -> np.ndarray:
  """M1: logistic regression and an RBF SVM (scikit-learn's ``SVC``
  defaults) on the posterior means of each draw's labelled images, that
  SVM self-trained on every training image's, and label spreading over
  them; ``[4, draws]``."""
  y, y_test = np.asarray(d["y"]), np.asarray(d["y_test"])
  self_training = lambda f, x, yy: ssvae.fit_m1_svm(f, x, yy, d["x"])
  spreading = lambda f, x, yy: ssvae.fit_m1_spreading(f, x, yy, d["x"])
  errors = []
  for draw in range(draws):
    i = _idx(y, n_labels, draw)
    errors.append([float(np.mean(np.asarray(fit(mean, d["x"][i], y[i])(
        d["x_test"])) != y_test)) for fit in (
            ssvae.fit_m1_classifier, ssvae.fit_m1_svm, self_training,
            spreading)])
  return np.array(errors).T


def gmm_errors(d, n_labels, draws) -> np.ndarray:
  """Semi-supervised EM (Nigam et al. 2000) for a full-covariance Gaussian
  mixture on PCA features, the labelled points clamped to their class."""
  z, zt = data.pca(np.asarray(d["x"]), np.asarray(d["x_test"]),
                   n_components=PCA_DIM)
  y = np.asarray(d["y"])
  out = []
  for draw in range(draws):
    labels = np.full(len(y), -1)
    i = _idx(y, n_labels, draw)
    labels[i] = y[i]
    fit = em.fit_gmm(jax.random.PRNGKey(draw), z, 10, labels=labels,
                     reg_covar=1e-2, max_iter=200, warn=False)
    pred = np.argmax(np.asarray(em.predict_proba(fit.params, zt)), 1)
    out.append(float(np.mean(pred != np.asarray(d["y_test"]))))
  return np.array(out)


def _pm(errors) -> str:
  """``mean ± std`` (sample std) of error rates, in percent."""
  mean, std = metrics.mean_std(errors)
  return f"{100 * mean:.2f} ± {100 * std:.2f}"


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """Table 1, the alpha sweep and the unlabelled-data curve."""
  ds = data.load("digits" if quick else "mnist5k")
  d = _arrays(ds.x_train, ds.y_train, ds.x_test, ds.y_test)
  dim = d["x"].shape[1]
  steps = 50 if quick else M2["num_steps"]
  labels = (50,) if quick else LABELS
  draws = 2 if quick else N_DRAWS
  hidden = (16,) if quick else (M2["hidden"],)
  m2 = ssvae.build_m2(dim, latent_dim=M2["latent_dim"], hidden=hidden,
                  binarize_data=True)
  m1_shifted = lambda shift: _m1(d, 50 if quick else M1["num_steps"],
                                 100 if quick else M1["validation"], shift)
  sample, mean, kept = m1_shifted(M1["shift"])
  active = int(jnp.sum(kept))
  # M1+M2 on its own M1 when its config shifts M1's images otherwise
  m1m2_sample, m1m2_mean, m1m2_kept = (
      (sample, mean, kept) if M1M2["m1_shift"] == M1["shift"]
      else m1_shifted(M1M2["m1_shift"]))
  m1m2_steps = 50 if quick else M1M2["num_steps"]
  m1m2 = ssvae.build_m2(M1["latent_dim"], latent_dim=M2["latent_dim"],
                        hidden=hidden, likelihood="gaussian",
                        learn_scale=M1M2["learn_scale"],
                        features=m1m2_sample, test_features=m1m2_mean)
  rows = {"M1 (jgen: VAE + logistic regression)": {},
          "M1 (jgen: VAE + RBF SVM)": {},
          "M1 (jgen: VAE + self-trained RBF SVM)": {},
          "M1 (jgen: VAE + label spreading)": {},
          "M2 (jgen)": {}, "M1+M2 (jgen)": {},
          "label-only classifier (jgen, M2's q(y|x))": {},
          "semi-supervised GMM, EM on PCA (jgen)": {}}
  names = list(rows)
  for n in labels:
    for name, errors in zip(names[:4], m1_errors(mean, d, n, draws)):
      rows[name][n] = errors
    rows[names[4]][n] = draw_errors(m2, d, n, steps, draws=draws,
                                    shift=M2["shift"])[0]
    rows[names[5]][n] = draw_errors(m1m2, d, n, m1m2_steps,
                                    alphas=(M1M2["alpha"],), draws=draws,
                                    mask=m1m2_kept, shift=M1M2["shift"])[0]
    rows[names[6]][n] = draw_errors(m2, d, n, steps if quick else
                                    BASELINE_STEPS, draws=draws,
                                    labels_only=True, shift=M2["shift"])[0]
    rows[names[7]][n] = gmm_errors(d, n, draws)
    print(f"ssvae: {n} labels: " + ", ".join(
        f"{k.split(' (')[0]} {100 * np.mean(r[n]):.2f}%"
        for k, r in rows.items()), flush=True)
  small = labels[0] if quick else 100
  alphas = ALPHAS[-2:] if quick else ALPHAS
  alpha_err = draw_errors(m2, d, small, steps, alphas=alphas, draws=1,
                          shift=M2["shift"])[:, 0]
  fig, axes = plotting.figure(1, 1, 4)
  axes[0, 0].semilogx(alphas, 100 * alpha_err, "o-")
  axes[0, 0].set_xlabel("alpha")
  axes[0, 0].set_ylabel(f"test error (%), {small} labels")
  plotting.save(fig, os.path.join(workdir, "ssvae_alpha.png"))
  curve = {}
  sizes = (400,) if quick else UNLABELLED
  for size in sizes:
    keep = np.sort(np.random.default_rng(0).permutation(len(ds.x_train))[:size])
    sub = _arrays(ds.x_train[keep], ds.y_train[keep], ds.x_test, ds.y_test)
    curve[size] = draw_errors(m2, sub, small, steps, draws=draws,
                              shift=M2["shift"])[0]

  results = {"table": {k: {n: v.tolist() for n, v in r.items()}
                       for k, r in rows.items()},
             "alpha_sweep": dict(zip(alphas, alpha_err.tolist())),
             "unlabelled_curve": {s: v.tolist() for s, v in curve.items()},
             "config": {"m2": M2, "m1": {**M1, "active_dims": active},
                        "m1_m2": M1M2,
                        "steps": steps, "draws": draws}}
  md = ["## Semi-supervised VAEs (Kingma et al. 2014, Table 1)", "",
        f"{ds.x_train.shape[0]} training images (all also unlabelled), "
        f"{ds.x_test.shape[0]} test images; test error (%), mean ± std over "
        f"{draws} class-balanced label draws. M2: {hidden[0]}-unit MLPs, "
        f"z of size {M2['latent_dim']}, alpha = {M2['alpha']:g} (jgen's "
        f"per-example convention), Adam {M2['lr']:g}, batch {M2['batch_size']} "
        f"labelled + {M2['batch_size']} unlabelled, {steps} steps, images "
        f"moved by random shifts of up to {M2['shift']} pixels (the "
        f"label-only classifier's too); M1: "
        f"{'-'.join(str(h) for h in M1['hidden'])}-{M1['latent_dim']} VAE "
        f"kept at its best ELBO on {M1['validation']} held-out training "
        f"images, {active} of its {M1['latent_dim']} latent dimensions "
        f"active (posterior-mean std > {M1['active_threshold']:g}); M1+M2: "
        f"M2 on a fresh sample of M1's q(z1 | x) every step, through a "
        f"Gaussian with a "
        f"{'learned scale per active dimension' if M1M2['learn_scale'] else 'unit scale'}"
        f", alpha = {M1M2['alpha']:g}, {m1m2_steps} steps, its M1 trained "
        f"on images shifted by up to {M1M2['m1_shift']} pixels and its M2 "
        f"on images shifted by up to {M1M2['shift']}"
        f"; the published rows used 50,000 unlabelled images.", "",
        "| model | " + " | ".join(f"{n} labels" for n in labels) + " |",
        "|---|" + "---|" * len(labels)]
  for name, pub in PUBLISHED.items():
    md.append(f"| {name} | " + " | ".join(
        f"{pub[n]:.2f}" if n in pub else "-" for n in labels) + " |")
  for name, r in rows.items():
    md.append(f"| {name} | " + " | ".join(
        _pm(r[n]) for n in labels) + " |")
  md += ["", f"**Alpha** ({small} labels, draw 0, one vmapped call): " +
         ", ".join(f"alpha {a:g}: {100 * e:.1f}%"
                   for a, e in zip(alphas, alpha_err)), "",
         "![alpha](ssvae_alpha.png)", "",
         f"**Unlabelled images** (M2, {small} labels, {draws} draws): " +
         ", ".join(f"{s}: {_pm(v)}%" for s, v in curve.items()), ""]
  return results, "\n".join(md)
