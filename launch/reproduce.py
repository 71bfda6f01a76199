r"""The main job: run jgen's experiments and write a report.

  python -m launch.reproduce --workdir=runs/report [--quick]

Writes ``report.md`` (with PNG figures beside it) and ``results.json`` into
``--workdir``. ``--quick`` runs reduced versions (a few minutes on 2 CPU
cores). Each section is a module of ``launch/sections/`` registered in
``SECTIONS``; sections that have a launch script run it (``launch.sections.scripts.run_script``)
into a subfolder of ``--workdir``.
"""

from __future__ import annotations

import os
import time

from absl import flags
import jax

from jgen import _checks
from jgen import train
from launch import common
from launch.sections import dynamics
from launch.sections import em
from launch.sections import gan
from launch.sections import gan_zoo
from launch.sections import hybrid
from launch.sections import ssvae
from launch.sections import vae

SECTION_NAMES = ("em", "hybrid", "dynamics", "vae", "gan", "ssvae",
                 "gan_zoo")
_WORKDIR = flags.DEFINE_string("workdir", "runs/report", "Output folder.")
_QUICK = flags.DEFINE_bool("quick", False, "Reduced report (minutes).")
_SECTIONS = flags.DEFINE_list("sections", None,
                              "Sections to run (default: all).")

common.validate("sections", lambda v: v is None or [
    _checks.choice(n, "sections", SECTION_NAMES) for n in v])

# name -> section(workdir, quick) -> (results dict, markdown)
SECTIONS = dict(zip(SECTION_NAMES, (em.section, hybrid.section,
                                    dynamics.section, vae.section,
                                    gan.section, ssvae.section,
                                    gan_zoo.section)))


def run(workdir: str, quick: bool = False, sections=None) -> dict:
  """Runs the named sections (all by default) and writes the report.

  Args:
    workdir: output folder (created).
    quick: run reduced experiments.
    sections: names from ``SECTIONS``; None for all.

  Returns:
    The contents of ``results.json``.
  """
  names = list(SECTIONS) if sections is None else list(sections)
  unknown = set(names) - set(SECTIONS)
  if unknown:
    raise ValueError(f"sections must be among {sorted(SECTIONS)}, got "
                     f"{sorted(unknown)}.")
  jax.config.update("jax_enable_x64", True)   # float64 where data are float64
  common.workdir(workdir)
  results, parts = {"quick": quick}, ["# jgen report", ""]
  for name in names:
    t0 = time.perf_counter()
    res, md = SECTIONS[name](workdir, quick)
    res["seconds"] = time.perf_counter() - t0
    results[name] = res
    parts.append(md)
    print(f"section {name}: {res['seconds']:.1f} s")
  with open(os.path.join(workdir, "report.md"), "w") as f:
    f.write("\n".join(parts))
  train.write_json(os.path.join(workdir, "results.json"), results)
  return results


def main(argv):
  del argv
  common.quiet_logs()
  run(_WORKDIR.value, _QUICK.value, _SECTIONS.value)


if __name__ == "__main__":
  common.run(main)
