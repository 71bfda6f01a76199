r"""jgen's best mode-coverage GAN on ring8 (VEEGAN's protocol: 2,500
samples, high quality within 3 standard deviations of a mode).

  python -m launch.train --config=launch/configs/ring8.py --workdir=runs/ring8

Result (launch.reproduce --sections=gan, 10 seeds as one vmapped call,
2 CPU cores, 2026-11; carried over): 8.0 ± 0.0 modes of 8, 96.5% ± 1.6%
high-quality samples (mean ± s.e.); nine seeds of ten at >= 90%.
"""

from launch import configs


def get_config():
  return configs.decay_over_last_third(
      configs.make("gan", configs.MODES_GAN, dataset="ring8"))
