"""The EM section of ``launch.reproduce``: EM for Gaussian mixtures and PPCA.

1. jgen's EM iterates against scikit-learn (float64, same start), all four
   covariance types.
2. Choosing k on ``grid25`` by BIC and 5-fold held-out log-likelihood (one
   compiled sweep).
3. Soft vs hard EM and one start vs restarts on ``ring8``.
4. Semi-supervised EM and the Gaussian-mixture Bayes classifier on ``digits``
   (projected on 10 principal directions by PPCA).
5. PPCA on ``digits``: closed form, EM and scikit-learn's PCA.
"""

from __future__ import annotations

import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from jgen import data
from jgen import em
from jgen import plotting


def _sklearn_agreement(quick: bool) -> dict:
  ds = data.load("blobs", n_samples=500, seed=0)
  x = ds.x_train.astype(np.float64)
  k, n_iter = 4, (10 if quick else 30)
  rng = np.random.default_rng(0)
  means = x[rng.choice(len(x), k, replace=False)]
  weights = np.full(k, 1 / k)
  out = {}
  for ct in ("full", "tied", "diag", "spherical"):
    prec = {"full": np.stack([np.eye(2)] * k), "tied": np.eye(2),
            "diag": np.ones((k, 2)), "spherical": np.ones(k)}[ct]
    sk = GaussianMixture(k, covariance_type=ct, weights_init=weights,
                         means_init=means, precisions_init=prec, max_iter=1,
                         tol=0.0, warm_start=True)
    bounds = []
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")
      for _ in range(n_iter):
        bounds.append(sk.fit(x).lower_bound_)
    res = em.fit_gmm(jax.random.key(0), x, k, covariance_type=ct,
                     weights_init=weights, means_init=means,
                     precisions_init=prec, max_iter=n_iter, tol=0.0, warn=False)
    rel = np.abs(np.asarray(res.history[:n_iter]) - bounds) / np.abs(bounds)
    out[ct] = {"max_rel_diff_per_iteration": float(rel.max()),
               "iterations": n_iter}
  return out


def _choose_k(workdir: str, quick: bool) -> dict:
  ds = data.load("grid25", n_samples=1500 if quick else 4000, seed=0)
  k_values = [5, 15, 20, 25, 30] if quick else list(range(5, 36, 5)) + [24, 26]
  k_values = sorted(k_values)
  sel = em.select_n_components(jax.random.key(0), ds.x_train, k_values,
                               n_folds=3 if quick else 5,
                               n_init=2 if quick else 4)
  fig, axes = plotting.figure(2)
  axes[0, 0].plot(sel.k_values, sel.bic, marker="o")
  axes[0, 0].set(xlabel="k", ylabel="BIC (lower is better)", title="grid25")
  axes[0, 1].errorbar(sel.k_values, sel.cv_log_likelihood, sel.cv_std,
                      marker="o")
  axes[0, 1].set(xlabel="k", ylabel="held-out log-likelihood per point",
                 title="cross-validation")
  plotting.save(fig, os.path.join(workdir, "em_choose_k.png"))
  return {"k_values": sel.k_values.tolist(), "bic": sel.bic.tolist(),
          "cv_log_likelihood": sel.cv_log_likelihood.tolist(),
          "best_k_bic": sel.best_k_bic, "best_k_cv": sel.best_k_cv,
          "true_k": 25}


def _restarts(workdir: str, quick: bool) -> dict:
  x = data.load("ring8", n_samples=1600, seed=0).x_train
  runs = {}
  for name, kwargs in {"soft, 1 start": dict(n_init=1),
                       "soft, 10 starts": dict(n_init=10),
                       "hard, 10 starts": dict(n_init=10, mode="hard")}.items():
    res = em.fit_gmm(jax.random.key(1), x, 8, init="random_from_data",
                     max_iter=100 if quick else 300, warn=False, **kwargs)
    runs[name] = res
  fig, axes = plotting.figure(3)
  for ax, (name, res) in zip(axes[0], runs.items()):
    plotting.gmm_2d(ax, x, res.params,
                    f"{name}: LL={float(res.log_likelihood):.3f}")
  plotting.save(fig, os.path.join(workdir, "em_restarts.png"))
  return {name: {"log_likelihood": float(r.log_likelihood),
                 "n_iter": int(r.n_iter),
                 "restart_objectives": np.asarray(r.restart_objectives).tolist()}
          for name, r in runs.items()}


def _digits_classifiers(quick: bool) -> dict:
  ds = data.load("digits", seed=0)
  proj = em.ppca_closed_form(ds.x_train, 10)
  basis = np.linalg.qr(np.asarray(proj.weight))[0]
  z_train = (ds.x_train - np.asarray(proj.mean)) @ basis
  z_test = (ds.x_test - np.asarray(proj.mean)) @ basis
  out = {}
  clf = em.fit_gmm_classifier(jax.random.key(0), z_train, ds.y_train, 2,
                              n_init=3)
  out["gmm_bayes_classifier_test_accuracy"] = float(np.mean(
      np.asarray(em.classifier.predict(clf, z_test)) == ds.y_test))
  rng = np.random.default_rng(0)
  semi = {}
  for frac in ((0.02, 0.1) if quick else (0.01, 0.02, 0.05, 0.1, 0.5)):
    given = rng.random(len(z_train)) < frac
    res = em.fit_gmm(jax.random.key(0), z_train, 10,
                     labels=np.where(given, ds.y_train, -1), max_iter=300,
                     warn=False)
    pred = np.asarray(em.predict_proba(res.params, z_test)).argmax(1)
    semi[str(frac)] = {"n_labelled": int(given.sum()),
                       "test_accuracy": float(np.mean(pred == ds.y_test))}
  out["semi_supervised_gmm"] = semi
  return out


def _ppca(quick: bool) -> dict:
  x = data.load("digits", seed=0).x_train.astype(np.float64)
  out = {}
  for q in ((5,) if quick else (2, 5, 10, 20)):
    closed = float(jnp.mean(em.ppca_log_prob(em.ppca_closed_form(x, q, ddof=1),
                                             jnp.asarray(x))))
    mle = float(jnp.mean(em.ppca_log_prob(em.ppca_closed_form(x, q),
                                          jnp.asarray(x))))
    state = em.ppca_em(jax.random.key(0), x, q, max_iter=3000, tol=1e-10)
    out[str(q)] = {"closed_form_ddof1": closed,
                   "sklearn_pca_score": float(PCA(q).fit(x).score(x)),
                   "closed_form_mle": mle,
                   "em": float(state.log_likelihood),
                   "em_iterations": int(state.n_iter)}
  return out


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """Runs the EM experiments; returns ``(results, markdown)``."""
  res = {"sklearn_agreement": _sklearn_agreement(quick),
         "choose_k": _choose_k(workdir, quick),
         "restarts": _restarts(workdir, quick),
         "digits": _digits_classifiers(quick),
         "ppca": _ppca(quick)}
  agree = res["sklearn_agreement"]
  ck = res["choose_k"]
  md = ["## EM for latent-variable models", "",
        "Per-iteration log-likelihood vs scikit-learn's GaussianMixture "
        "(float64, same start), max relative difference:", ""]
  md += [f"- {ct}: {v['max_rel_diff_per_iteration']:.2e} over "
         f"{v['iterations']} iterations" for ct, v in agree.items()]
  md += ["", f"Choosing k on grid25 (true k = 25): BIC picks "
         f"{ck['best_k_bic']}, cross-validation picks {ck['best_k_cv']}.", "",
         "![choose k](em_choose_k.png)", "",
         "Restarts on ring8 (mean log-likelihood per point):", ""]
  md += [f"- {name}: {v['log_likelihood']:.4f}"
         for name, v in res["restarts"].items()]
  md += ["", "![restarts](em_restarts.png)", "",
         "Digits (10 PPCA dimensions): Gaussian-mixture Bayes classifier "
         f"(2 components per class) test accuracy "
         f"{res['digits']['gmm_bayes_classifier_test_accuracy']:.3f}; "
         "semi-supervised EM (10 components, labelled fraction -> test "
         "accuracy): " + ", ".join(
             f"{f}: {v['test_accuracy']:.3f}"
             for f, v in res["digits"]["semi_supervised_gmm"].items()), "",
         "PPCA on digits, mean log-likelihood (closed form with scikit-learn's "
         "covariance / scikit-learn PCA.score / closed-form MLE / EM):", ""]
  md += [f"- q={q}: {v['closed_form_ddof1']:.6f} / {v['sklearn_pca_score']:.6f}"
         f" / {v['closed_form_mle']:.6f} / {v['em']:.6f}"
         for q, v in res["ppca"].items()]
  return res, "\n".join(md) + "\n"
