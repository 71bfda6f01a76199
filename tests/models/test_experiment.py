"""Runs of ``jgen.models.experiment``: every field checked when a run is
built (the rows ``launch.train`` answers with ``--config: ...``), data
fields from the data, members, continuing, validation, restoring."""

import dataclasses
import importlib
import json
import pathlib
import statistics

import jax
import numpy as np
import pytest

from jgen import data
from jgen import train
from jgen.models import experiment

RING8 = {"model": "gan", "dataset": "ring8", "num_steps": 20,
         "hidden": (8, 8, 8), "batch_size": 16}
DIGITS_GAN = {"model": "gan", "dataset": "digits", "num_steps": 20,
              "image_shape": (8, 8), "width": 4, "batch_size": 8}
VAE = {"model": "vae", "dataset": "digits", "num_steps": 20,
       "hidden": (16,), "latent_dim": 2, "eval_samples": 5}


@pytest.mark.parametrize("fields,error,match", [
    # the run's own fields
    ({"model": "bigan"}, ValueError, "model must be one of"),
    ({"dataset": "two_moons_3d"}, ValueError, "dataset must be one of"),
    ({"dataset": "npz:/nonexistent.npz"}, ValueError, "dataset: npz file"),
    ({"dataset": "mnist5k_inpaint"}, ValueError, "translation task"),
    ({"num_steps": "abc"}, TypeError, "num_steps must be an integer"),
    ({"num_steps": 0}, ValueError, "num_steps"),
    ({"n_seeds": 0}, ValueError, "n_seeds"),
    ({"validate_every": 10}, ValueError, "validation_metric must be one of"),
    ({"validate_every": 10, "validation_metric": "fid", "n_seeds": 2},
     ValueError, "validate_every: validation keeps one best state"),
    ({"patience": 3}, ValueError, "need validate_every"),
    # the GAN family's fields
    ({"loss": "hinge_of_fate"}, ValueError, "loss must be one of"),
    ({"penalty": "r3"}, ValueError, "penalty must be one of"),
    ({"method": "leapfrog"}, ValueError, "method must be one of"),
    ({"n_critic": 0}, ValueError, "n_critic"),
    ({"lr_g": -1e-3}, ValueError, "lr_g"),
    ({"lr_d": float("nan")}, ValueError, "lr_d"),
    ({"penalty_weight": -1.0}, ValueError, "penalty_weight"),
    ({"ema_decay": 1.5}, ValueError, "ema_decay"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"loss": "hinge", "label_smoothing": 0.2}, ValueError,
     "label_smoothing"),
    ({"latent_std": 0.0}, ValueError, "latent_std"),
    ({"dense": -1}, ValueError, "dense"),
    ({"dense": 64}, ValueError, "dense"),                # no image networks
    ({"generator_norm": "group"}, ValueError, "generator_norm"),
    ({"n_continuous": -1}, ValueError, "n_continuous"),
    ({"q_hidden": -1}, ValueError, "q_hidden"),
    ({"continuous_weight": -1.0}, ValueError, "continuous_weight"),
    ({"aux_weight": -1.0}, ValueError, "aux_weight"),
    ({"info_weight": float("nan")}, ValueError, "info_weight"),
    ({"image_shape": (28, 28)}, ValueError, "image_shape"),
    ({"hidden": "abc"}, TypeError, "hidden must be a tuple"),
    ({**DIGITS_GAN, "critic_norm": "batch"}, ValueError,
     "critic_norm"),                                     # with a penalty
    ({"model": "infogan", "n_categorical": 1}, ValueError, "n_categorical"),
    ({"model": "infogan", "n_categorical": 0, "n_continuous": 0},
     ValueError, "n_categorical"),
    ({"model": "cgan", "conditioning": "film"}, ValueError, "conditioning"),
    ({"model": "cgan", "q_trains_body": False}, ValueError,
     "q_trains_body: an option of model=infogan"),
    ({"model": "acgan", "conditioning": "concat"}, ValueError,
     "conditioning: an option of model=cgan"),
    ({"alpha": 3.0}, ValueError, "alpha: not an option of model='gan'"),
    # the other families
    ({"model": "aae", "dataset": "digits", "generator_norm": "batch"},
     ValueError, "generator_norm: not an option of model='aae'"),
    ({"model": "aae", "prior": "cauchy", "dataset": "digits"}, ValueError,
     "prior"),
    ({"model": "aae", "dataset": "ring8"}, ValueError,
     r"dataset.x_train: the Bernoulli decoder models pixel intensities"),
    ({"model": "ss_aae", "dataset": "digits", "n_labels": 55}, ValueError,
     "n_labels: must be a multiple"),
    ({"model": "vaegan", "dataset": "digits", "image_shape": (8, 8),
      "latent_std": 0.1}, ValueError, "latent_std: not an option"),
    ({"model": "vaegan", "dataset": "digits", "image_shape": (8, 8),
      "prior": "mixture"}, ValueError, "prior: not an option of "
     "model='vaegan'"),
    ({"model": "pix2pix", "dataset": "mnist5k"}, ValueError,
     "dataset must be one of"),
    ({"model": "pix2pix", "dataset": "digits_to_mnist5k"}, ValueError,
     "pix2pix needs paired domains"),
    ({"model": "cyclegan", "dataset": "digits_to_mnist5k", "cycle_weight":
      -1.0}, ValueError, "cycle_weight"),
    ({"model": "cyclegan", "dataset": "digits_to_mnist5k", "l1_weight":
      50.0}, ValueError, "l1_weight: an option of model=pix2pix"),
    ({**VAE, "latent_dim": 0}, ValueError, "latent_dim"),
    ({**VAE, "model": "beta_vae", "beta": -1.0}, ValueError, "beta"),
    ({**VAE, "num_samples": 0}, ValueError, "num_samples"),
    ({**VAE, "model": "iwae", "beta": 2.0}, ValueError,
     "beta: an option of model"),
    ({**VAE, "learning_rate": 0.0}, ValueError, "learning_rate"),
    ({**VAE, "image_shape": (28, 28)}, ValueError, "image_shape"),
    ({**VAE, "dataset": "two_moons"}, ValueError,
     "dataset.x_train: the Bernoulli decoder"),
    ({**VAE, "amortization_gap": 5, "model": "cvae"}, ValueError,
     "amortization_gap: an option of model"),
    ({**VAE, "validate_every": 10, "validation_metric": "test_elbo",
      "validation_size": 5000}, ValueError, "validation_size"),
    # devices (tests/conftest.py forces 8 CPU devices)
    ({"devices": -1}, ValueError, "devices must be"),
    ({"devices": 16}, ValueError, "devices: 16 asked for, 8 available"),
    ({"n_data": 1.5}, TypeError, "n_data must be an integer"),
    ({"devices": 8, "n_data": 3}, ValueError, "n_data: must divide devices"),
    ({"devices": 8, "n_data": 2, "n_seeds": 2}, ValueError,
     "n_data: the n_seeds=2 members must split evenly over"),
    ({"devices": 8, "n_data": 8, "batch_size": 12}, ValueError,
     "n_data: the batch size 12 must be a multiple of the mesh's 'data'"),
    ({"devices": 4, "n_seeds": 2, "batch_size": 13}, ValueError,
     "the batch size 13 must be a multiple of the mesh's 'data' axis \\(2"),
    ({"shard_data": "yes"}, TypeError, "shard_data"),
    # DiffAugment's policy
    ({**DIGITS_GAN, "augment": "flip"}, ValueError,
     "augment must be one of"),
    ({**DIGITS_GAN, "augment": ["cutout"]}, TypeError,
     "augment must be a string"),
    ({"augment": "cutout"}, ValueError,
     "augment: the augmentations transform images"),
])
def test_a_bad_field_is_named_before_any_work(fields, error, match):
  fields = {**RING8, **fields}
  if fields["model"] in ("pix2pix", "cyclegan"):    # no MLPs
    del fields["hidden"]
  with pytest.raises(error, match=match):
    experiment.build(fields)


@pytest.mark.parametrize("model", ["acgan", "cvae"])
def test_labels_the_model_needs(tmp_path, model):
  path = tmp_path / "unlabelled.npz"
  np.savez(path, x=np.random.default_rng(0).uniform(size=(50, 4)))
  with pytest.raises(ValueError, match=f"{model} needs labels and .* has "
                     "none"):
    experiment.build({"model": model, "dataset": f"npz:{path}",
                      "num_steps": 2})


def test_the_data_give_data_dim_n_classes_and_label_seed():
  s = experiment.build({**DIGITS_GAN, "model": "cgan"})
  assert (s.model.config.data_dim, s.model.config.n_classes) == (64, 10)
  s = experiment.build({"model": "ss_aae", "dataset": "digits", "seed": 3,
                        "num_steps": 2, "n_labels": 50, "hidden": (8, 8)})
  assert s.model.config.label_seed == 3
  # None (a config file's unset field) is the same as absent
  s = experiment.build({**VAE, "data_dim": None, "n_classes": None})
  assert s.model.config.data_dim == 64


def test_defaults_hold_every_field_a_config_file_overrides():
  d = experiment.defaults("cgan")
  assert d["model"] == "cgan" and d["conditioning"] == "projection"
  assert not set(experiment.DERIVED) & set(d)
  s = experiment.build({**d, "num_steps": 2, "dataset": "ring8"})
  assert s.model.config.model == "cgan"


def test_members_train_on_their_own_labelled_draws(tmp_path):
  """Member d of ``seed=0, n_seeds=N`` trains on draw d of seed 0, the
  labelled subset the label-only baseline of the report
  (``jgen.models.ssvae.make_run``, ``label_seed=0``, ``draw=d``) is given;
  result.json's ``mean`` and ``std`` over the members are Python's
  ``statistics.mean`` and ``statistics.stdev`` (the sample std)."""
  s = experiment.build({"model": "ss_aae", "dataset": "digits", "seed": 0,
                        "n_seeds": 2, "num_steps": 2, "n_labels": 50,
                        "hidden": (16, 16), "batch_size": 8})
  result = experiment.run(s, str(tmp_path))
  runs = result["runs"]
  assert set(result["std"]) == set(result["mean"]) >= {"test_error"}
  for k in result["std"]:
    per = [r[k] for r in runs]
    assert result["mean"][k] == pytest.approx(statistics.mean(per))
    assert result["std"][k] == pytest.approx(statistics.stdev(per))
  assert any(result["std"][k] > 0 for k in result["std"])   # ddof matters
  y = data.load("digits").y_train
  for d, r in enumerate(runs):
    want = data.labelled_subset(y, 50, n_classes=10, seed=0, draw=d)
    assert r["labelled"] == np.asarray(want).tolist()
  assert set(runs[0]["labelled"]) != set(runs[1]["labelled"])


def test_ring8_run_scores_modes_over_training_and_draws(tmp_path):
  s = experiment.build({**RING8, "num_steps": 400, "method": "alternating",
                        "n_critic": 2, "loss": "hinge",
                        "penalty": "wgan_gp"})
  result = experiment.run(s, str(tmp_path))
  assert result["n_modes"] == 8 and 0 <= result["modes_covered"] <= 8
  assert 0 <= result["high_quality_fraction"] <= 1
  assert [r["step"] for r in result["over_training"]][-1] == 400
  assert json.loads((tmp_path / "result.json").read_text()) == json.loads(
      json.dumps(result))
  for png in ("samples.png", "losses.png"):
    assert (tmp_path / png).stat().st_size > 1000


def test_validation_keeps_the_best_state_and_restores_it(tmp_path):
  """The best held-out ELBO's state is in ``best/``; :func:`restore` gives
  it back, and evaluating it on the validation split gives the recorded
  value."""
  fields = {**VAE, "num_steps": 60, "validate_every": 20,
            "validation_metric": "test_elbo", "validation_size": 100}
  s = experiment.build(fields)
  assert len(s.dataset.x_train) + 100 == len(data.load("digits").x_train)
  result = experiment.run(s, str(tmp_path))
  assert result["best_step"] in (20, 40, 60)
  (tmp_path / "config.json").write_text(json.dumps(fields))
  s2, state, step = experiment.restore(str(tmp_path), best=True)
  assert step == result["best_step"]
  again = s2.model.evaluate(state, s2.validation)["test_elbo"]
  assert again == pytest.approx(result["best_validation"], abs=1e-5)
  # The selected state, evaluated on the test split and on training images.
  selected, ds = result["selected"], s2.dataset
  assert selected["step"] == result["best_step"]
  assert selected["test_elbo"] == pytest.approx(
      s2.model.evaluate(state, ds)["test_elbo"], abs=1e-5)
  n = min(len(ds.x_test), len(ds.x_train))
  seen = ds._replace(x_test=ds.x_train[:n], y_test=ds.y_train[:n])
  assert selected["train"]["test_elbo"] == pytest.approx(
      s2.model.evaluate(state, seen)["test_elbo"], abs=1e-5)
  history = [json.loads(line) for line in
             (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert max(r["validation"] for r in history if "validation" in r) == \
      pytest.approx(result["best_validation"])


def test_infogan_keeps_its_best_state_by_code_information(tmp_path):
  """An unsupervised criterion (no labels) selects InfoGAN's state: the
  code's information about the held-out training images."""
  fields = {**experiment.defaults("infogan"), **_TINY, **_TINY_IMAGES,
            "latent_dim": 4, "num_steps": 4, "validate_every": 2,
            "validation_metric": "code_information", "validation_size": 100}
  s = experiment.build(fields)
  result = experiment.run(s, str(tmp_path))
  assert result["best_step"] in (2, 4)
  (tmp_path / "config.json").write_text(json.dumps(fields))
  s2, state, _ = experiment.restore(str(tmp_path), best=True)
  again = s2.model.evaluate(state, s2.validation)["code_information"]
  assert again == pytest.approx(result["best_validation"], abs=1e-5)
  assert 0 < again <= np.log(10) + 1e-6


@pytest.mark.parametrize("name", sorted(
    p.stem for p in pathlib.Path(__file__).parents[2].joinpath(
        "launch", "configs").glob("*.py") if p.stem != "__init__"))
def test_every_config_file_builds_again_from_its_config_json(name):
  """``launch.train`` writes a run's fields to ``config.json``, where
  tuples come back as lists; the model's config is built from them again
  (as ``restore`` and ``launch.sample`` do), including the tuple options of
  another model of the family left at their defaults (an m2 run's
  ``m1_hidden``)."""
  fields = json.loads(json.dumps(importlib.import_module(
      f"launch.configs.{name}").get_config().to_dict()))
  s = experiment.build(fields)
  assert s.model.config.model == fields["model"]
  own = {f.name for f in dataclasses.fields(s.model.config)}
  given = {k: tuple(v) if isinstance(v, list) else v
           for k, v in fields.items() if k in own and v is not None}
  assert {k: getattr(s.model.config, k) for k in given} == given


def test_restore_refuses_a_folder_without_a_run(tmp_path):
  with pytest.raises(ValueError, match="holds no config.json"):
    experiment.restore(str(tmp_path))


def test_a_member_of_a_batched_run_is_its_single_run(tmp_path):
  """``n_seeds=2``: member 1's state equals a single run initialised with
  ``PRNGKey(seed + 1)`` on the same data."""
  both = experiment.build({**RING8, "n_seeds": 2})
  one = experiment.build(RING8)
  start = experiment.inputs(both)
  r2 = train.train(start.state, both.model.step, start.data, start.hparams,
                   data_axes=start.data_axes, num_steps=20,
                   batch_fn=both.model.batch_fn, chunk_size=20, batched=True)
  r1 = train.train(one.model.init(jax.random.PRNGKey(1)), one.model.step,
                   one.model.train_data(one.dataset), one.model.hparams,
                   num_steps=20, batch_fn=one.model.batch_fn, chunk_size=20)
  member = experiment.members(r2.state, 2)[1]
  for a, b in zip(jax.tree.leaves(member.u), jax.tree.leaves(r1.state.u)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_members_and_batches_over_devices_equal_one_device(tmp_path):
  """``n_seeds=2`` on 8 devices (a member per 'sweep' device, each batch
  over 4 'data' devices, the rows of the data set split over them too)
  gives the one-device run's evaluation; the files are those of one run."""
  fields = {**RING8, "n_seeds": 2, "num_steps": 40}
  one = experiment.run(experiment.build(fields), str(tmp_path / "one"))
  fields = {**fields, "devices": 8, "shard_data": True}
  s = experiment.build(fields)
  assert dict(s.mesh.shape) == {"sweep": 2, "data": 4}
  (tmp_path / "many").mkdir()
  train.write_json(str(tmp_path / "many" / "config.json"), fields)
  many = experiment.run(s, str(tmp_path / "many"))
  for k in ("mode_kl", "high_quality_fraction"):
    np.testing.assert_allclose(many["mean"][k], one["mean"][k], rtol=1e-3,
                               atol=1e-3)
  rows = (tmp_path / "many" / "metrics.jsonl").read_text().splitlines()
  assert [json.loads(r)["step"] for r in rows] == [40]     # one chunk, once
  _, state, step = experiment.restore(str(tmp_path / "many"))
  assert step == 40 and state.step.shape == (2,)


def test_diff_augment_changes_what_the_critic_sees(tmp_path):
  """``augment`` reaches the game: the same seed trains to other losses,
  both finite."""
  plain = experiment.run(experiment.build(DIGITS_GAN), str(tmp_path / "a"))
  aug = experiment.run(experiment.build({**DIGITS_GAN,
                                         "augment": "translation,cutout"}),
                       str(tmp_path / "b"))
  assert np.isfinite(aug["final"]["loss_v"])
  assert aug["final"]["loss_v"] != plain["final"]["loss_v"]


def _events(folder) -> dict:
  """``{tag: [steps]}`` of the TensorBoard event files in ``folder`` (the
  TFRecord framing read by hand: length, its CRC, the Event proto, CRC)."""
  import struct
  from tensorboardX.proto import event_pb2
  tags = {}
  for path in folder.iterdir():
    raw, i = path.read_bytes(), 0
    while i < len(raw):
      n = struct.unpack("<Q", raw[i:i + 8])[0]
      event = event_pb2.Event()
      event.ParseFromString(raw[i + 12:i + 12 + n])
      i += 12 + n + 4
      for v in event.summary.value:
        tags.setdefault(v.tag, []).append(event.step)
  return tags


def test_tensorboard_events_hold_metrics_rates_evaluations_and_samples(
    tmp_path):
  pytest.importorskip("tensorboardX")
  s = experiment.build({**DIGITS_GAN, "tensorboard": True})
  experiment.run(s, str(tmp_path))
  tags = _events(tmp_path / "tensorboard")
  assert tags["train/loss_u"] == [10, 20] and tags["hparams/lr_u"] == [10, 20]
  assert {"eval/fid", "samples"} <= set(tags)
  assert tags["samples"][-1] == 20


_TINY = {"num_steps": 2, "batch_size": 8}
_TINY_IMAGES = {"dataset": "digits", "image_shape": (8, 8), "width": 4}
_EVERY_MODEL = {
    **dict.fromkeys(("gan", "cgan", "acgan"), _TINY_IMAGES),
    "infogan": {**_TINY_IMAGES, "latent_dim": 4},
    "aae": {"dataset": "digits", "hidden": (8, 8)},
    "ss_aae": {"dataset": "digits", "hidden": (8, 8), "n_labels": 50},
    "vaegan": {**_TINY_IMAGES, "hidden": (8,)},
    "pix2pix": {"dataset": "mnist5k_inpaint", "width": 4},
    "cyclegan": {"dataset": "digits_to_mnist5k", "width": 4},
    **dict.fromkeys(("vae", "beta_vae", "iwae", "cvae", "mog_vae"),
                    {"dataset": "digits", "hidden": (8,),
                     "eval_samples": 5}),
    "m1": {"dataset": "digits", "hidden": (8,), "n_labels": 50,
           "m1_steps": 5},
    "m2": {"dataset": "digits", "hidden": (8,), "n_labels": 50,
           "eval_samples": 5},
    "m1_m2": {"dataset": "digits", "hidden": (8,), "n_labels": 50,
              "m1_steps": 5},
}


def test_every_registered_model_has_a_tiny_run():
  from jgen import models
  assert set(_EVERY_MODEL) == set(models.names())


@pytest.mark.parametrize("name", sorted(_EVERY_MODEL))
def test_every_model_builds_from_its_defaults_trains_and_evaluates(
    name, tmp_path):
  """The registry's every model, from the fields a config file starts from
  (:func:`experiment.defaults`), trains through ``train.train`` and is
  evaluated over training; its figures are written."""
  fields = {**experiment.defaults(name), **_TINY, **_EVERY_MODEL[name]}
  s = experiment.build(fields)
  result = experiment.run(s, str(tmp_path))
  assert result["num_steps"] == 2 and result["over_training"]
  scores = {k: v for k, v in result.items() if np.ndim(v) == 0
            and isinstance(v, float)}
  assert scores and all(np.isfinite(v) for v in scores.values()), result
  assert (tmp_path / "losses.png").stat().st_size > 1000
