r"""jgen's best mode-coverage GAN on grid25 (VEEGAN's protocol).

  python -m launch.train --config=launch/configs/grid25.py --workdir=runs/grid25

Result (launch.reproduce --sections=gan, 10 seeds, 2 CPU cores, 2026-11;
carried over): 24.9 ± 0.1 modes of 25, 89.6% ± 3.7% high-quality samples
(mean ± s.e.).
"""

from launch import configs


def get_config():
  return configs.decay_over_last_third(
      configs.make("gan", configs.MODES_GAN, dataset="grid25"))
