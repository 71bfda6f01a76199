r"""The IWAE (K = 5) of Burda et al. (2016) on mnist5k, against
``burda_vae.py``: the same networks, data, steps and model selection
(``configs.BURDA``).

  python -m launch.train --config=launch/configs/burda_iwae.py --workdir=runs/burda_iwae

Result: ``result.json``'s ``selected``; docs/results.md gives the figures.
"""

from launch import configs


def get_config():
  return configs.make("iwae", configs.BURDA, num_samples=5)
