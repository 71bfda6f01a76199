"""The hybrid section of ``launch.reproduce``: runs ``launch.hybrid`` (the
Bishop & Lasserre alpha sweep, the lambda path and its hypernetwork, evidence
vs cross-validation, the mixture of experts) and formats its results."""

from __future__ import annotations

import os

from launch.sections import scripts


def _fmt(p: dict) -> str:
  se = p["standard_error"]
  return (f"{p['mean']:+.3f}" + (f" ± {se:.3f} (s.e.)" if se else "")
          + f", better in {p['fraction_better']:.0%} of draws, worse in "
          f"{p['fraction_worse']:.0%}")


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """The hybrid section of ``launch.reproduce``: ``(results, markdown)``."""
  res = scripts.run_script("launch.hybrid", os.path.join(workdir, "hybrid"),
                          quick=quick)
  lp, ev, moe = res["lambda_path"], res["evidence"], res["mixture_of_experts"]
  md = ["## Generative vs discriminative: hybrids", "",
        f"Bishop & Lasserre (2007) on `bishop_lasserre` data, 2 labelled "
        f"points per class + {res['settings']['n_pool']} unlabelled, {res['n_draws']} "
        f"draws, {res['num_steps']} Adam steps (test error, mean ± std):", "",
        "| alpha | " + " | ".join(f"{a:g}" for a in res["alpha"]) + " |",
        "|---" * (len(res["alpha"]) + 1) + "|",
        "| error | " + " | ".join(
            f"{m:.3f} ± {s:.3f}" for m, s in
            zip(res["test_error_mean"], res["test_error_std"])) + " |", "",
        f"Best alpha {res['best_alpha']:g}; paired over the draws, its error "
        f"minus the generative end's: {_fmt(res['paired_vs_generative'])}; "
        f"minus the discriminative end's: "
        f"{_fmt(res['paired_vs_discriminative'])}.", "",
        "![alpha sweep](hybrid/alpha_sweep.png)", "",
        "![boundaries](hybrid/boundaries.png)",
        "", "lambda hybrid on digits (16 PCs): hypernetwork path vs "
        f"per-lambda training, objective gap mean {lp['mean_objective_gap']:.4f}"
        f", max {lp['max_objective_gap']:.4f} (nats per example).", "",
        "![lambda path](hybrid/lambda_path.png)", "",
        "Prior precision h chosen by the evidence / by 5-fold CV: logistic "
        f"(digits 3 vs 8, {ev['logistic']['n_train']} points) "
        f"{ev['logistic']['h_evidence']:.3g} / {ev['logistic']['h_cv']:.3g} "
        f"(test error {ev['logistic']['test_error_h_evidence']:.3f} / "
        f"{ev['logistic']['test_error_h_cv']:.3f}); polynomial regression "
        f"{ev['linear']['h_evidence']:.3g} / {ev['linear']['h_cv']:.3g}.", "",
        "![evidence](hybrid/evidence.png)", "",
        "Mixture of experts on two_moons, test accuracy: 1 expert "
        f"{moe['1_experts_test_accuracy']:.3f}, 4 experts "
        f"{moe['4_experts_test_accuracy']:.3f}.", ""]
  return res, "\n".join(md)
