r"""Train any model of ``jgen.models`` from a config file, evaluate it, draw it.

  python -m launch.train --config=launch/configs/ring8.py --workdir=runs/ring8
  python -m launch.train --config=launch/configs/cgan.py \
      --config.num_steps=2000 --config.n_seeds=3 --workdir=runs/cgan

A config file (``launch/configs/<experiment>.py``) defines ``get_config()``
returning one flat ``ml_collections.ConfigDict``: the run's fields
(``model``, ``dataset``, ``num_steps``, ``seed``, ``n_seeds``, validation;
``jgen.models.experiment.Experiment``) and the model config's
(``jgen.models.get(model).config``); ``--config.<field>=<value>`` overrides
any. ``data_dim``, ``n_classes`` and ``label_seed`` come from the data and
the seed unless set. A bad value, an unknown field or a missing file is
answered in one line naming it, with exit status 2, before any work.

Writes into ``--workdir`` (``jgen.models.experiment.run``):
``config.json`` (every field); ``metrics.jsonl`` and orbax
``checkpoints/`` (the same config resumes, a larger ``num_steps``
continues, any other change is refused; a diverging run stops with a
message and keeps its last good checkpoint); with ``validate_every``,
``best/`` (the state of the best ``validation_metric`` on held-out
training examples); ``evaluations.jsonl`` (each evaluation over training
as it is made, kept when the run resumes); ``result.json`` (the model's
``evaluate`` of the last state and over training); ``samples.png``, ``losses.png`` and the model's
own figures. ``python -m launch.sample --workdir=DIR`` re-evaluates and
re-draws a finished run without training.

Several processes (hosts): run the same command on each with
``--coordinator_address=HOST0:PORT --num_processes=N --process_id=i`` (or
``--auto_distributed`` on a TPU pod slice, under SLURM or Open MPI). They
join JAX's runtime (``jgen.distributed``) before anything else and train
one run over all their devices (the config's ``devices``, ``n_data`` and
``shard_data``); ``--workdir`` must be a folder they share, and process 0
alone writes into it.
"""

from __future__ import annotations

from absl import flags
from ml_collections import config_flags

from jgen import distributed
from jgen import models
from jgen import train
from launch import common

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "A config file, launch/configs/<experiment>.py; "
    "--config.<field>=<value> overrides a field.", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "Output folder.")
flags.mark_flags_as_required(["config", "workdir"])
common.process_flags()


def fields() -> dict:
  """The ``--config`` file's fields with the overrides, as plain values;
  exits (one line, status 2) when the file could not be loaded."""
  try:
    return _CONFIG.value.to_dict()
  except (OSError, AttributeError):     # config_flags' stand-in for a failure
    common.fail("config", f"cannot load {flags.FLAGS['config'].config_filename}"
                f": no such file, or no get_config() returning a ConfigDict.")


def setup(values: dict) -> models.experiment.Setup:
  """:func:`jgen.models.experiment.build`; a bad field exits (one line
  ``--config: <field>: <message>``, status 2)."""
  try:
    return models.experiment.build(values)
  except (ValueError, TypeError) as err:
    common.fail("config", str(err))


def main(argv):
  del argv
  common.quiet_logs()
  common.join()
  values = fields()
  s = setup(values)
  common.claim_workdir(_WORKDIR.value, values)
  try:
    res = models.experiment.run(s, _WORKDIR.value)
  except train.TrainingDiverged as err:
    raise SystemExit(f"train: {err}") from None
  if distributed.is_main():
    print({k: v for k, v in res.items() if k not in (
        "counts", "final", "over_training", "runs", "labelled")})


if __name__ == "__main__":
  common.run(main)
