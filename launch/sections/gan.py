r"""The GAN section of ``launch.reproduce``.

1. **Mode collapse** on ``ring8`` and ``grid25`` (VEEGAN's Table 1 protocol:
   2,500 samples, high quality within 3 standard deviations of a mode): every
   loss of ``jgen.adversarial.LOSSES`` x {no penalty, R1, WGAN-GP} x
   {simultaneous, alternating}, each configuration's seeds as one vmapped
   ``jgen.sweep`` call, modes covered and % high-quality samples (mean and
   standard error over seeds), beside the published rows of Srivastava et al.
   (2017), Table 1, and Lin et al. (2018), Table 2. Then jgen's best
   configuration (``launch/configs/ring8.py``, ``grid25.py``) trained longer, same
   protocol.
2. **MNIST**: the DCGAN-style non-saturating GAN with R1 on ``mnist5k``
   (``launch/configs/dcgan_mnist.py``), classifier FID, Inception-style score,
   precision/recall and density/coverage of its samples over training against
   the test split, with the real-vs-real floor, and sample grids.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from jgen import adversarial
from jgen import data
from jgen import models
from jgen import metrics
from jgen import plotting
from jgen import sweep
from launch import configs
from launch.configs import dcgan_mnist
from launch.configs import modes_table
from launch.configs import ring8
from launch.sections import scripts

DATASETS = ("ring8", "grid25")
PENALTIES = ("none", "r1", "wgan_gp")
METHODS = ("simultaneous", "alternating")
# The table's runs (launch/configs/modes_table.py, the loss, penalty and
# schedule varied), jgen's best configuration trained longer
# (launch/configs/ring8.py and grid25.py) and the MNIST run
# (launch/configs/dcgan_mnist.py).
TABLE = modes_table.get_config().to_dict()
BEST = ring8.get_config().to_dict()
MNIST = dcgan_mnist.get_config().to_dict()
# Srivastava et al. (2017), Table 1 (2-D rows), and Lin et al. (2018),
# Table 2 (PacGAN4): (modes covered, % high-quality samples).
PUBLISHED = {
    "GAN (Srivastava et al.)": {"ring8": (1.0, 99.3), "grid25": (3.3, 0.5)},
    "ALI": {"ring8": (2.8, 0.13), "grid25": (15.8, 1.6)},
    "Unrolled GAN": {"ring8": (7.6, 35.6), "grid25": (23.6, 16.0)},
    "VEEGAN": {"ring8": (8.0, 52.9), "grid25": (24.6, 40.0)},
    "PacGAN4 (Lin et al.)": {"ring8": (7.8, 95.9), "grid25": (24.8, 93.6)},
}


def best_fields(num_steps: int) -> dict:
  """The best configuration's fields at ``num_steps`` (its learning-rate
  decay over the last third moves with them)."""
  c = ring8.get_config()
  c.num_steps = num_steps
  return c.to_dict()


def coverage_sweep(fields: dict, n_seeds: int) -> dict:
  """One configuration (``launch.train`` fields of the 2-D GAN), ``n_seeds``
  seeds as one vmapped call; the mode coverage of each seed's 2,500
  samples, and the mean and standard error."""
  s = models.experiment.build(fields)
  c = s.model.config
  run = models.gan.make_run(s.model, num_steps=s.experiment.num_steps)
  grid = sweep.grid(seeds=range(n_seeds), lr_u=[c.lr_g], lr_v=[c.lr_d],
                    reg_weight=[c.penalty_weight])
  res = sweep.run(run, grid, jax.random.PRNGKey(0),
                  s.model.train_data(s.dataset))
  samples = res.outputs[0].reshape(n_seeds, -1, 2)
  modes, std = s.dataset.modes
  per_seed = []
  for x in samples:
    if np.all(np.isfinite(x)):
      per_seed.append(metrics.mode_coverage(x, modes, std))
    else:                               # a diverged run covers nothing
      per_seed.append({"modes_covered": 0, "high_quality_fraction": 0.0,
                       "mode_kl": float("inf"), "n_modes": len(modes)})
  covered = np.array([r["modes_covered"] for r in per_seed], float)
  hq = 100 * np.array([r["high_quality_fraction"] for r in per_seed])
  se = lambda a: float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else 0.0
  return {"modes": float(covered.mean()), "modes_se": se(covered),
          "hq_percent": float(hq.mean()), "hq_se": se(hq),
          "all_modes_all_seeds": bool(np.all(covered == len(modes))),
          "min_hq_percent": float(hq.min()), "n_seeds": n_seeds,
          "num_steps": s.experiment.num_steps, "samples": samples[0],
          "per_seed": [{k: r[k] for k in ("modes_covered",
                                          "high_quality_fraction", "mode_kl")}
                       for r in per_seed]}


def _table(rows: dict, n_seeds: int) -> list[str]:
  md = ["| model | ring8 modes (max 8) | ring8 % high quality | grid25 modes "
        "(max 25) | grid25 % high quality |", "|---|---|---|---|---|"]
  for name, pub in PUBLISHED.items():
    md.append(f"| {name} (published) | {pub['ring8'][0]} | {pub['ring8'][1]} "
              f"| {pub['grid25'][0]} | {pub['grid25'][1]} |")
  for name, r in rows.items():
    cells = [f"{r[d]['modes']:.1f} ± {r[d]['modes_se']:.1f} | "
             f"{r[d]['hq_percent']:.1f} ± {r[d]['hq_se']:.1f}"
             if d in r else "- | -" for d in DATASETS]
    md.append(f"| {name} | {' | '.join(cells)} |")
  md.append("")
  md.append(f"jgen rows: mean ± standard error over {n_seeds} seeds.")
  return md


def _scatter(path: str, panels: dict) -> None:
  fig, axes = plotting.figure(len(panels), 1, 3.0)
  for ax, (title, (dataset, s)) in zip(axes[0], panels.items()):
    ax.scatter(*s[:1000].T, s=2, c="C0")
    ax.scatter(*data.MODES[dataset][0].T, marker="x", c="C3", s=30)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=8)
  plotting.save(fig, path)


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """Mode-collapse table and the MNIST GAN: ``(results, markdown)``."""
  steps = 200 if quick else TABLE["num_steps"]
  best_steps = 400 if quick else BEST["num_steps"]
  n_seeds = 2 if quick else 10
  losses = ("non_saturating",) if quick else tuple(adversarial.LOSSES)
  penalties = ("r1",) if quick else PENALTIES
  datasets = ("ring8",) if quick else DATASETS
  rows, results, panels = {}, {"table": {}}, {}
  for loss in losses:
    for pen in penalties:
      for method in METHODS:
        name = (f"jgen {loss}, {'no penalty' if pen == 'none' else pen}, "
                f"{method}")
        rows[name] = {}
        for d in datasets:
          r = coverage_sweep({
              **TABLE, "dataset": d, "loss": loss, "penalty": pen,
              "method": method, "penalty_weight": configs.PENALTY_WEIGHTS[pen],
              "num_steps": steps}, n_seeds)
          if method == "simultaneous" and pen in ("none", "r1"):
            panels[f"{d}: {loss}, {pen or 'none'}"] = (d, r.pop("samples"))
          else:
            r.pop("samples")
          rows[name][d] = r
  results["table"] = rows
  best_name = (f"jgen best ({BEST['loss']}, {BEST['penalty']}, "
               f"{BEST['method']}, {best_steps} steps)")
  best = {}
  for d in datasets:
    best[d] = coverage_sweep({**best_fields(best_steps), "dataset": d},
                             n_seeds)
    panels[f"{d}: best"] = (d, best[d].pop("samples"))
  rows_md = {**rows, best_name: best}
  results["best"] = best
  _scatter(os.path.join(workdir, "gan_modes.png"), dict(list(panels.items())[-8:]))

  mnist_dir = os.path.join(workdir, "gan_mnist")
  results["mnist"] = scripts.run_script(
      "launch.train", mnist_dir, config=os.path.join(
          "launch", "configs", "dcgan_mnist.py"),
      **({"config.num_steps": 2} if quick else {}))
  m = results["mnist"]
  md = ["## GANs: mode collapse and MNIST", "",
        f"**Mode collapse** (2,500 samples per seed; high quality = within 3 "
        f"standard deviations of a mode; ring8: radius 2, std 0.02; grid25: "
        f"{{-4, -2, 0, 2, 4}}^2, std 0.05). jgen "
        f"(`launch/configs/modes_table.py`): 3x{BEST['hidden'][0]} MLPs, "
        f"2-D latent, Adam (0.5, 0.999) at {BEST['lr_g']:g} for both players, "
        f"generator EMA {BEST['ema_decay']}, batch {TABLE['batch_size']} and "
        f"{steps} steps per run (the best configuration: batch "
        f"{BEST['batch_size']}, {best_steps} steps, both learning rates "
        f"decaying linearly to 0 over the last third); R1 "
        f"gamma = {configs.PENALTY_WEIGHTS['r1']}, WGAN-GP lambda = "
        f"{configs.PENALTY_WEIGHTS['wgan_gp']}; "
        f"each configuration's seeds are one vmapped call.", ""]
  md += _table(rows_md, n_seeds)
  for d in datasets:
    b = best[d]
    md.append(f"- best configuration on {d}: all modes in every seed: "
              f"{b['all_modes_all_seeds']}; lowest % high quality over seeds: "
              f"{b['min_hq_percent']:.1f}.")
  md += ["", "![samples](gan_modes.png)", "",
         f"**MNIST** (`launch/configs/dcgan_mnist.py`: mnist5k, DCGAN-style "
         f"non-saturating GAN, {MNIST['width']} base channels, a "
         f"{MNIST['dense']}-unit dense layer, {MNIST['generator_norm']} norm "
         f"in G and {MNIST['critic_norm']} norm in D, R1 gamma = "
         f"{MNIST['penalty_weight']:g}, Adam {MNIST['lr_g']:g} (G) and "
         f"{MNIST['lr_d']:g} (D), batch {MNIST['batch_size']}, "
         f"{m['num_steps']} steps; 2,500 samples; "
         f"metrics on the shipped classifier's features against the "
         f"{m['n_test']} test images):", "",
         "| step | FID | IS | precision | recall | density | coverage |",
         "|---|---|---|---|---|---|---|"]
  for r in m["over_training"]:
    md.append(f"| {r['step']} | {r['fid']:.2f} | {r['inception_score']:.2f} | "
              f"{r['precision']:.3f} | {r['recall']:.3f} | {r['density']:.3f} "
              f"| {r['coverage']:.3f} |")
  md += ["", f"Real test vs real train images (the floor): FID "
         f"{m['fid_real_floor']:.2f}.", "",
         "![samples](gan_mnist/samples.png)", ""]
  return results, "\n".join(md)
