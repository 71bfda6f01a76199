"""The dynamics section of ``launch.reproduce``: runs ``launch.dynamics``
(convergence maps of the minimax methods on the bilinear game and the
Dirac-GAN) and formats its results."""

from __future__ import annotations

import json
import os

from launch.sections import scripts


def section(workdir: str, quick: bool) -> tuple[dict, str]:
  """The dynamics section of ``launch.reproduce``: ``(results, markdown)``."""
  n = 8 if quick else 24
  res = scripts.run_script("launch.dynamics", os.path.join(workdir, "dynamics"),
                          n_lr=n, n_gamma=n)
  with open(os.path.join(workdir, "dynamics", "config.json")) as f:
    config = json.load(f)
  defaults = config["defaults"]
  methods = list(next(iter(res.values())))
  md = ["## Minimax dynamics", "",
        f"Fraction of a {config['n_lr']} x {config['n_gamma']} grid "
        "(learning rate 0.01-1 x consensus gamma 0-2) that converges from "
        f"(1, 1) within {config['num_steps']} steps / distance to the "
        f"equilibrium at lr {defaults['lr']}, gamma {defaults['gamma']}:", "",
        "| game | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 1) + "|"]
  for name, row in res.items():
    md.append(f"| {name} | " + " | ".join(
        f"{row[m]['converged_fraction']:.2f} / {row[m]['final_distance']:.2g}"
        for m in methods) + " |")
  md += ["", "![convergence maps](dynamics/convergence_maps.png)", ""]
  return res, "\n".join(md)
