r"""The IWAE (K = 5) of Burda et al. (2016) on mnist5k, against
``burda_vae.py``: the same networks, data, steps and model selection
(``configs.BURDA``).

  python -m launch.train --config=launch/configs/burda_iwae.py --workdir=runs/burda_iwae

Result (2 CPU cores, 2026-12-06, seeds 0-2): the selected state's test log
p(x) -102.06 ± 0.33, 1.44 nats above the VAE's (docs/results.md).
"""

from launch import configs


def get_config():
  return configs.make("iwae", configs.BURDA, num_samples=5)
