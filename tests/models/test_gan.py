"""The GAN family assembled (jgen.models.gan): GanConfig's checks, every
model from the registry, figures' latents, InfoGAN's Q routes, seeds as one
vmapped call, bit-exact resume."""

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

from jgen import data
from jgen import metrics
from jgen import models
from jgen import sweep
from jgen import train
from jgen.models import gan

KEY = jax.random.PRNGKey(0)


def _gan(data_dim=2, **kwargs):
  return gan.make(gan.GanConfig(data_dim=data_dim, **kwargs))


@pytest.mark.parametrize("make,match", [
    (lambda: _gan(784, image_shape=(28, 28), critic_norm="batch"),
     "critic_norm='batch' needs penalty='none', got penalty='r1'"),
    (lambda: _gan(2, loss="hinge_of_fate"), "loss.*least_squares"),
    (lambda: _gan(2, penalty="r3"), "penalty.*wgan_gp"),
    (lambda: _gan(2, method="gradient_dance"), "method.*alternating"),
    (lambda: _gan(2, n_critic=0), "n_critic"),
    (lambda: _gan(2, betas=(1.5, 0.9)), "betas"),
    (lambda: _gan(2, penalty="none", penalty_options={"target": 2.0}),
     "penalty_options"),
    (lambda: _gan(2, loss="hinge", loss_options={"label_smoothing": 0.1}),
     "no option 'label_smoothing'"),
    (lambda: _gan(784, image_shape=(8, 8)), "image_shape .8, 8. holds 64"),
    (lambda: _gan(2, clip=-1.0), "clip"),
    (lambda: _gan(2, ema_decay=1.0), "ema_decay"),
    (lambda: _gan(2, latent_std=0.0), "latent_std"),
    (lambda: _gan(2, model="infogan", q_augment="rotation"),
     "q_augment: the augmentations transform images"),
    (lambda: _gan(64, image_shape=(8, 8), model="infogan", q_augment="flip"),
     "q_augment must be one of"),
    (lambda: _gan(64, image_shape=(8, 8), model="infogan", n_categorical=0,
                  q_augment="rotation"), "q_augment.*n_categorical is 0"),
    (lambda: _gan(64, image_shape=(8, 8), q_augment="rotation"),
     "q_augment: an option of model=infogan"),
    (lambda: gan.check_hparams({"lr_u": 1e-3, "lr_v": -1e-3,
                                "reg_weight": 0.1}), "lr_v"),
    (lambda: gan.check_hparams({"lr_u": 1e-3, "lr_v": 1e-3}), "reg_weight"),
])
def test_bad_configurations(make, match):
  with pytest.raises(ValueError, match=match):
    make()


@pytest.mark.parametrize("q_augment", ["", "translation,rotation"])
def test_infogan_with_a_batch_normalised_critic_trains_a_step(q_augment):
  """Chen et al.'s discriminator (batch norm, no penalty) in the InfoGAN
  game, with and without Q's invariance term: one step gives finite losses
  and moves both players."""
  g = _gan(64, image_shape=(8, 8), latent_dim=3, width=4, dense=16,
           model="infogan", n_categorical=4, n_continuous=1,
           generator_norm="batch", critic_norm="batch", penalty="none",
           q_augment=q_augment)
  hp = gan.check_hparams({"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.0,
                          "info_weight": 1.0, "continuous_weight": 0.1},
                         "infogan")
  state = g.init(KEY)
  new, met = jax.jit(g.step)(state, jax.random.uniform(KEY, (16, 64)), hp)
  assert np.isfinite(float(met["loss_u"])) and np.isfinite(float(met["loss_v"]))
  for old, moved in ((state.u, new.u), (state.v, new.v)):
    assert max(float(np.abs(a - b).max()) for a, b in zip(
        jax.tree.leaves(old), jax.tree.leaves(moved))) > 0


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_infogan_reads_q_in_batch_norm_evaluation_mode(spectral_norm,
                                                      tmp_path):
  """A batch-normalised critic is evaluated with the population statistics
  of training batches (jgen.nets.population_statistics): Q's output for a
  test image no longer depends on the other test images; spectral norm's
  own batch_stats are kept beside them; a critic without batch norm keeps
  its variables; evaluate's code accuracy and code information, and the
  codes figure, are those of Q so read."""
  g = _gan(64, image_shape=(8, 8), latent_dim=3, width=4, dense=16,
           model="infogan", n_categorical=4, n_continuous=1,
           generator_norm="batch", critic_norm="batch", penalty="none",
           batch_size=16, spectral_norm=spectral_norm)
  ds = data.load("digits")
  state = g.init(KEY)
  v = gan.critic_variables(g, state, ds)
  x = jnp.asarray(ds.x_test[:32], jnp.float32)
  _, q_all = g.parts.critic.apply(v, x)
  _, q_one = g.parts.critic.apply(v, x[:3])
  np.testing.assert_allclose(q_one, q_all[:3], rtol=1e-5, atol=1e-6)
  _, q_train_mode = g.parts.critic.apply(state.v, x[:3])
  assert not np.allclose(q_train_mode, q_all[:3], atol=1e-3)
  assert set(v) == {"params", "batch_stats"}
  assert any("BatchStatNorm" in k for k in v["batch_stats"])
  if spectral_norm:
    assert any("SpectralNorm" in str(p) for p in jax.tree_util.tree_flatten_with_path(
        v["batch_stats"])[0])
    # the power-iteration vectors are the trained state's, unchanged
    own = traverse_util.flatten_dict(state.v["batch_stats"])
    kept = traverse_util.flatten_dict(v["batch_stats"])
    assert own and all(np.array_equal(kept[k], own[k]) for k in own)
  plain = _gan(2)
  plain_state = plain.init(KEY)
  assert gan.critic_variables(plain, plain_state, ds) is plain_state.v
  # evaluate and the figures read Q so: its code against the labels, and
  # without them the information the code carries about the test images
  if not spectral_norm:
    _, q_test = g.parts.critic.apply(v, jnp.asarray(ds.x_test, jnp.float32))
    code = np.asarray(q_test)[:, :4]
    np.testing.assert_allclose(gan.code_logits(g, state, ds), code,
                               rtol=1e-5, atol=1e-6)
    paths = g.figures(state, ds, str(tmp_path))
    assert [p.rsplit("/", 1)[1] for p in paths] == ["codes.png",
                                                     "traversals.png"]
    assert all((tmp_path / p).stat().st_size > 1000 for p in paths)
    out = g.evaluate(state, ds)
    assert out["code_accuracy"] == metrics.code_accuracy(code, ds.y_test)
    want = metrics.code_information(code)
    for k, value in want.items():
      assert out[k] == pytest.approx(value, rel=1e-5)
    unlabelled = g.evaluate(state, ds._replace(
        y_test=np.full_like(ds.y_test, -1)))
    assert "code_accuracy" not in unlabelled
    assert unlabelled["code_information"] == pytest.approx(
        want["code_information"], rel=1e-5)


def test_seeds_vmapped_equal_single_runs():
  """One vmapped jgen.sweep call over seeds gives each seed's single run."""
  g = _gan(2, hidden=(16, 16), ema_decay=0.9, method="alternating",
           n_critic=2, batch_size=16)
  run = gan.make_run(g, num_steps=30, n_samples=50)
  x = jnp.asarray(data.load("ring8", n_samples=500).x_train)
  grid = sweep.grid(seeds=[0, 3], lr_u=[1e-3], lr_v=[2e-3], reg_weight=[0.1])
  res = sweep.run(run, grid, KEY, x)
  for i, seed in enumerate((0, 3)):
    single, _ = jax.jit(run)(jax.random.fold_in(KEY, seed),
                             {"lr_u": 1e-3, "lr_v": 2e-3, "reg_weight": 0.1}, x)
    np.testing.assert_allclose(res.outputs[0][0, 0, 0, i], single, rtol=2e-5,
                               atol=1e-6)
  assert not np.allclose(res.outputs[0][0, 0, 0, 0], res.outputs[0][0, 0, 0, 1])


def test_gan_resumes_bit_exact(tmp_path):
  g = _gan(2, hidden=(8,), ema_decay=0.99)
  x = jnp.asarray(data.load("ring8", n_samples=300).x_train)
  hp = {"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.1}
  kw = dict(batch_fn=train.minibatch(16), chunk_size=10)
  full = train.train(g.init(KEY), g.step, x, hp, num_steps=40, **kw)
  train.train(g.init(KEY), g.step, x, hp, num_steps=20, workdir=str(tmp_path),
              **kw)
  resumed = train.train(g.init(KEY), g.step, x, hp, num_steps=40,
                        workdir=str(tmp_path), **kw)
  assert resumed.resumed_from == 20
  for a, b in zip(jax.tree.leaves(full.state), jax.tree.leaves(resumed.state)):
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("model", gan.MODELS)
def test_every_model_trains_one_step_and_samples(model):
  ds = data.load("ring8", n_samples=64)
  x = jnp.asarray(ds.x_train[:16], jnp.float32)
  g = _gan(2, latent_dim=3, hidden=(8,), model=model, penalty="wgan_gp",
           ema_decay=0.9, **({"n_classes": 8} if model in ("cgan", "acgan")
                             else {}))
  hp = gan.check_hparams({"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 1.0,
                          "aux_weight": 1.0, "info_weight": 1.0,
                          "continuous_weight": 0.1}, model)
  batch = {"x": x, "y": jnp.asarray(ds.y_train[:16])} if model in (
      "cgan", "acgan") else x
  state, met = jax.jit(g.step)(g.init(KEY), batch, hp)
  assert np.isfinite(float(met["loss_u"])) and np.isfinite(float(met["loss_v"]))
  assert g.sample(state, KEY, 7).shape == (7, 2)
  if model != "gan":
    z, code = gan.grid_inputs(g, KEY, n_cols=3)
    rows = 8 if model != "infogan" else 10
    assert z.shape[0] == code.shape[0] == 3 * rows
    assert g.parts.generate(state.u, z, code).shape == (3 * rows, 2)


def test_grid_inputs_rows_and_traversals():
  g = _gan(2, latent_dim=3, hidden=(8,), model="infogan",
               n_categorical=4, n_continuous=2)
  z, code = gan.grid_inputs(g, KEY, n_cols=5, vary=1)
  assert z.shape == (20, 3) and code.shape == (20, 6)
  np.testing.assert_array_equal(z, jnp.broadcast_to(z[0], z.shape))
  np.testing.assert_array_equal(jnp.argmax(code[:, :4], 1),
                                np.repeat(np.arange(4), 5))
  np.testing.assert_allclose(code[:5, 5], np.linspace(-2, 2, 5))
  np.testing.assert_array_equal(code[:, 4], 0.0)
  z, code = gan.grid_inputs(g, KEY, n_cols=5)       # rows share the columns' z
  np.testing.assert_array_equal(z[:5], z[5:10])
  with pytest.raises(ValueError, match="vary"):
    gan.grid_inputs(g, KEY, vary=2)
  with pytest.raises(ValueError, match="structured"):
    gan.grid_inputs(_gan(2), KEY)


@pytest.mark.parametrize("model", ["gan", "infogan"])
def test_latent_std_scales_every_draw_of_z(model):
  """z ~ N(0, s^2 I): the samples are the generator at s times a standard
  normal draw, and the figures' latents are s times those of s = 1."""
  unit, scaled = (_gan(2, latent_dim=3, hidden=(8,), model=model,
                           latent_std=s) for s in (1.0, 0.1))
  state = scaled.init(KEY)
  if model == "gan":
    z = 0.1 * jax.random.normal(KEY, (6, 3), jnp.float32)
    np.testing.assert_allclose(scaled.sample(state, KEY, 6),
                               scaled.parts.generate(state.u, z, None),
                               rtol=1e-6)
  else:
    z1, c1 = gan.grid_inputs(unit, KEY, n_cols=4)
    z, c = gan.grid_inputs(scaled, KEY, n_cols=4)
    np.testing.assert_allclose(z, 0.1 * z1, rtol=1e-6)
    np.testing.assert_array_equal(c, c1)


@pytest.mark.parametrize("q_trains_body", [True, False])
def test_infogan_q_trains_body_or_head_only(q_trains_body):
  """The critic's gradient on its body changes with the MI weight exactly
  when Q trains the body; the head's always does; the losses' values and the
  generator's gradient do not depend on the choice."""
  kwargs = dict(image_shape=(8, 8), latent_dim=3, width=4, dense=16,
                model="infogan", n_categorical=4, n_continuous=1,
                critic_norm="layer")
  g = _gan(64, q_trains_body=q_trains_body, **kwargs)
  ref = _gan(64, **kwargs)
  state = g.init(KEY)
  batch = jax.random.uniform(KEY, (16, 64))
  hp = lambda w: {"info_weight": w, "continuous_weight": w,
                  "reg_weight": 0.0}
  grad_v = lambda w: jax.grad(g.parts.game.loss_v, 1)(
      state.u, state.v, KEY, batch, hp(w))["params"]
  g0, g5 = grad_v(0.0), grad_v(5.0)
  moved = {name: max(float(np.abs(a - b).max()) for a, b in zip(
      jax.tree.leaves(g0[name]), jax.tree.leaves(g5[name]))) for name in g0}
  for name in ("aux", "aux_hidden", "aux_norm"):
    assert moved.pop(name) > 1e-6, name
  assert moved.pop("Dense_1") == 0.0        # the logit layer feeds no Q
  for name, m in moved.items():             # the body: convs, dense, norms
    assert (m > 1e-6) if q_trains_body else (m == 0.0), name
  args = (state.u, state.v, KEY, batch, hp(1.0))
  np.testing.assert_allclose(g.parts.game.loss_v(*args), ref.parts.game.loss_v(*args),
                             rtol=1e-6)
  np.testing.assert_allclose(
      jax.flatten_util.ravel_pytree(jax.grad(g.parts.game.loss_u)(*args))[0],
      jax.flatten_util.ravel_pytree(jax.grad(ref.parts.game.loss_u)(*args))[0],
      rtol=1e-6, atol=1e-8)
  with pytest.raises(TypeError, match="q_trains_body"):
    _gan(64, q_trains_body="no", **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    ({"model": "bigan"}, "model.*infogan"),
    ({"model": "cgan", "n_classes": 1}, "n_classes"),
    ({"model": "infogan", "n_categorical": 1}, "n_categorical must be 0"),
    ({"model": "infogan", "n_categorical": 0, "n_continuous": 0},
     "needs a code"),
    ({"model": "cgan", "conditioning": "film"}, "conditioning.*concat"),
    # options of another model of the family
    ({"model": "acgan", "conditioning": "concat"},
     "conditioning: an option of model=cgan, got 'concat' with "
     "model='acgan'"),
    ({"model": "cgan", "q_hidden": 64}, "q_hidden: an option of "
     "model=infogan"),
    ({"model": "gan", "q_trains_body": False}, "q_trains_body"),
    ({"model": "infogan", "aux_weight": 3.0}, "aux_weight: an option of "
     "model=acgan"),
    ({"model": "gan", "n_classes": 5}, "n_classes: an option of "
     "model=cgan/acgan"),
    # options of the conv networks, of the loss, of the shape
    ({"dense": 16}, "dense: an option of the conv networks"),
    ({"critic_norm": "layer"}, "critic_norm: an option of the conv"),
    ({"loss": "hinge", "label_smoothing": 0.1}, "label_smoothing: only"),
    ({"image_shape": (7, 7)}, "image_shape must be one of"),
    ({"hidden": ()}, "hidden must list"),
    ({"betas": (0.5,)}, "betas must be"),
    ({"lr_g": -1.0}, "lr_g"), ({"batch_size": 0}, "batch_size"),
    ({"lr_decay_steps": -1}, "lr_decay_steps"),
    ({"lr_decay_start": 100}, "lr_decay_start=100 needs lr_decay_steps")])
def test_make_refuses_bad_structures(kwargs, match):
  with pytest.raises(ValueError, match=match):
    _gan(2, **kwargs)


def test_registry_builds_every_model_of_the_family():
  for name in gan.MODELS:
    entry = models.get(name)
    m = entry.make(entry.config(latent_dim=3, hidden=(8,)))
    assert m.config.model == name and name in models.names()
    state = m.init(KEY)
    assert m.sample(state, KEY, 4).shape == (4, 2)
    assert set(m.hparams) >= {"lr_u", "lr_v", "reg_weight"}
  with pytest.raises(ValueError, match="model must be one of"):
    models.get("bigan")
  with pytest.raises(TypeError, match="GanConfig"):
    gan.make({"model": "gan"})
  m = models.get("gan").make(models.get("gan").config(hidden=(8,)))
  with pytest.raises(ValueError, match="dataset.x_train: the model was built "
                     "for 2 values per example .data_dim., got 64"):
    m.train_data(data.load("digits"))
  for kwargs, match in (({"hidden": 128}, "hidden must be a tuple"),
                        ({"image_shape": 28}, "image_shape must be a tuple"),
                        ({"loss_options": 3}, "loss_options must be a dict"),
                        ({"spectral_norm": 1}, "spectral_norm must be a bool"),
                        ({"data_dim": 2.5}, "data_dim must be an integer")):
    with pytest.raises(TypeError, match=match):
      models.get("gan").config(**kwargs)


def test_a_preset_is_one_registry_line(monkeypatch):
  """docs/design.md's worked example: Mao et al.'s LSGAN as a name."""
  monkeypatch.setitem(models.REGISTRY, "lsgan", (
      gan.GanConfig, gan.make,
      {"model": "gan", "loss": "least_squares", "penalty": "none"}))
  m = models.get("lsgan").make(models.get("lsgan").config(batch_size=64,
                                                          hidden=(8,)))
  assert (m.config.loss, m.config.penalty) == ("least_squares", "none")
  state, met = jax.jit(m.step)(m.init(KEY), jnp.ones((64, 2)), m.hparams)
  assert np.isfinite(float(met["loss_v"]))


def test_check_hparams_asks_for_the_models_weight():
  base = {"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.0}
  with pytest.raises(ValueError, match="aux_weight"):
    gan.check_hparams(base, "acgan")
  with pytest.raises(ValueError, match="info_weight"):
    gan.check_hparams({**base, "info_weight": -1.0}, "infogan")
  assert gan.check_hparams(base, "cgan") is base


def test_cgan_puts_each_class_on_its_own_mode():
  """ring8 with its mode index as the label: a 2-D CGAN's samples for class
  c land on mode c, within 3 standard deviations of it."""
  ds = data.load("ring8", n_samples=4000)
  means, std = data.MODES["ring8"]
  g = _gan(2, latent_dim=2, hidden=(64, 64), model="cgan", n_classes=8,
               conditioning="concat", penalty="r1", ema_decay=0.99)
  out = train.train(g.init(KEY), g.step,
                    {"x": jnp.asarray(ds.x_train, jnp.float32),
                     "y": jnp.asarray(ds.y_train)},
                    {"lr_u": 1e-3, "lr_v": 1e-3, "reg_weight": 0.1},
                    num_steps=1500, batch_fn=train.minibatch(128),
                    chunk_size=500)
  s = np.asarray(g.sample(out.state, KEY, 800))
  nearest = np.argmin(((s[:, None] - means[None]) ** 2).sum(-1), 1)
  asked = np.arange(800) % 8                    # what g.sample asks for
  assert np.mean(nearest == asked) > 0.95
  assert np.mean(np.linalg.norm(s - means[asked], axis=1) < 3 * std) > 0.8
