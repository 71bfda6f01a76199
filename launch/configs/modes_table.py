r"""The mode-collapse table's runs (launch.reproduce --sections=gan): jgen's
mode-coverage GAN (launch/configs/ring8.py) with batch 64 for 5,000 steps;
the section varies the loss, the penalty (its weight from
``configs.PENALTY_WEIGHTS``), the schedule and the dataset, 10 seeds each as
one vmapped call.

  python -m launch.train --config=launch/configs/modes_table.py \
      --config.loss=hinge --config.penalty=wgan_gp --config.penalty_weight=1 \
      --workdir=runs/modes_hinge_gp

Result: the table in docs/results.md (2 CPU cores, 2026-11).
"""

from launch import configs


def get_config():
  return configs.make("gan", configs.MODES_GAN, dataset="ring8",
                      batch_size=64, num_steps=5000)
