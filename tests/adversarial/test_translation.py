"""pix2pix and CycleGAN: losses, games, networks, tasks, assembly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jgen import adversarial
from jgen import data
from jgen import nets
from jgen.models import translation

KEY = jax.random.PRNGKey(0)
RNG = np.random.default_rng(0)


def _make(**kwargs):
  return translation.make(translation.TranslationConfig(**kwargs))
sp = lambda t: np.logaddexp(0, t)


def test_cycle_consistency_is_tfgans_half_sum_of_l1_means():
  a, ar, b, br = (RNG.uniform(size=(5, 6)) for _ in range(4))
  got = adversarial.cycle_consistency_loss(*map(jnp.asarray, (a, ar, b, br)))
  want = 0.5 * (np.abs(a - ar).mean(1) + np.abs(b - br).mean(1))
  np.testing.assert_allclose(got, want, rtol=1e-6)
  np.testing.assert_allclose(adversarial.l1_distance(jnp.asarray(a),
                                                     jnp.asarray(b)),
                             np.abs(a - b).mean(1), rtol=1e-6)


def test_pix2pix_losses_match_numpy():
  """G(a) = u a; D(x, a) = v (x - a) on two patches."""
  game = adversarial.pix2pix(lambda u, a: u * a,
                             lambda v, x, a: v * (x - a)[:, :2],
                             loss="non_saturating")
  a, b = RNG.uniform(size=(4, 5)), RNG.uniform(size=(4, 5))
  batch = {"a": jnp.asarray(a), "b": jnp.asarray(b)}
  u, v, hp = 0.7, 1.3, {"l1_weight": 100.0, "reg_weight": 0.0}
  fake = u * a
  want_u = np.mean(sp(-v * (fake - a)[:, :2])) + 100 * np.mean(
      np.abs(b - fake))
  want_v = np.mean(sp(-v * (b - a)[:, :2]) + sp(v * (fake - a)[:, :2]))
  np.testing.assert_allclose(game.loss_u(u, v, KEY, batch, hp), want_u,
                             rtol=1e-6)
  np.testing.assert_allclose(game.loss_v(u, v, KEY, batch, hp), want_v,
                             rtol=1e-6)


def test_cyclegan_losses_match_numpy():
  """G(a) = g a, F(b) = f b; D_A(a) = v_a a[:, :2], D_B(b) = v_b b[:, :2];
  least squares (Mao et al. 2017) as Zhu et al."""
  game = adversarial.cyclegan(
      lambda u, a: u["ab"] * a, lambda u, b: u["ba"] * b,
      lambda v, a: v["a"] * a[:, :2], lambda v, b: v["b"] * b[:, :2])
  a, b = RNG.uniform(size=(4, 5)), RNG.uniform(size=(4, 5))
  batch = {"a": jnp.asarray(a), "b": jnp.asarray(b)}
  u, v = {"ab": 0.8, "ba": 1.1}, {"a": 0.5, "b": 1.5}
  hp = {"cycle_weight": 10.0, "identity_weight": 5.0, "reg_weight": 0.0}
  fa, fb = 1.1 * b, 0.8 * a
  logits_fake = np.concatenate([0.5 * fa[:, :2], 1.5 * fb[:, :2]], 1)
  logits_real = np.concatenate([0.5 * a[:, :2], 1.5 * b[:, :2]], 1)
  cyc = 0.5 * (np.abs(a - 1.1 * fb).mean(1) + np.abs(b - 0.8 * fa).mean(1))
  ident = np.abs(0.8 * b - b).mean(1) + np.abs(1.1 * a - a).mean(1)
  want_u = (np.mean(0.5 * (logits_fake - 1) ** 2) + 10 * cyc.mean()
            + 5 * ident.mean())
  want_v = np.mean(0.5 * ((logits_real - 1) ** 2 + logits_fake ** 2))
  np.testing.assert_allclose(game.loss_u(u, v, KEY, batch, hp), want_u,
                             rtol=1e-6)
  np.testing.assert_allclose(game.loss_v(u, v, KEY, batch, hp), want_v,
                             rtol=1e-6)
  no_id = adversarial.cyclegan(
      lambda u, a: u["ab"] * a, lambda u, b: u["ba"] * b,
      lambda v, a: v["a"] * a[:, :2], lambda v, b: v["b"] * b[:, :2],
      identity=False)
  np.testing.assert_allclose(no_id.loss_u(u, v, KEY, batch, hp),
                             want_u - 5 * ident.mean(), rtol=1e-6)


def test_translation_games_need_two_domains():
  game = adversarial.pix2pix(lambda u, a: a, lambda v, x, a: x)
  with pytest.raises(ValueError, match="domain A"):
    game.loss_v(0.0, 0.0, KEY, jnp.ones((2, 4)), {"reg_weight": 0.0})


def test_networks_shapes_and_ranges():
  x = jax.random.uniform(KEY, (3, 784))
  g = nets.UNet((28, 28), 4)
  p = g.init(KEY, x)
  assert g.apply(p, x).shape == (3, 784)
  t = _make(model="pix2pix", width=4)
  y = t.parts.translate(p, x)
  assert 0 <= float(y.min()) and float(y.max()) <= 1
  c = nets.PatchCritic((28, 28), 4, conditional=True)
  assert c.apply(c.init(KEY, x, x), x, x).shape == (3, 49)
  with pytest.raises(ValueError, match="condition"):
    c.apply(c.init(KEY, x, x), x)
  with pytest.raises(ValueError, match="multiples of 4"):
    nets.UNet((30, 28))


def test_tasks():
  t = data.load_task("mnist5k_inpaint")
  assert t.paired and t.a.x_train.shape == t.b.x_train.shape == (4000, 784)
  img_a = t.a.x_train.reshape(-1, 28, 28)
  img_b = t.b.x_train.reshape(-1, 28, 28)
  assert np.all(img_a[:, 7:21, 7:21] == 0)
  mask = np.ones((28, 28), bool)
  mask[7:21, 7:21] = False
  np.testing.assert_array_equal(img_a[:, mask], img_b[:, mask])
  np.testing.assert_array_equal(t.a.y_test, t.b.y_test)
  u = data.load_task("digits_to_mnist5k")
  assert not u.paired and u.a.x_train.shape[1] == 784
  assert 0 <= u.a.x_train.min() and u.a.x_train.max() <= 1
  assert len(u.a.x_train) + len(u.a.x_test) == 1797
  with pytest.raises(ValueError, match="digits_to_mnist5k"):
    data.load_task("horse2zebra")


@pytest.mark.parametrize("paired", [True, False])
def test_batches_pair_rows_only_when_paired(paired):
  d = {"a": jnp.arange(50.0)[:, None], "b": jnp.arange(50.0)[:, None] + 100}
  b = translation.batches(64, paired)(KEY, d)
  same = np.asarray(b["b"] - b["a"] == 100).all()
  assert same == paired and b["a"].shape == (64, 1)


def test_make_refuses_bad_configurations_and_directions():
  with pytest.raises(ValueError, match="model.*cyclegan"):
    _make(model="unit")
  with pytest.raises(ValueError, match="loss"):
    _make(loss="hinge_of_fate")
  with pytest.raises(ValueError, match="cycle_weight: an option of "
                     "model=cyclegan"):
    _make(model="pix2pix", cycle_weight=1.0)
  with pytest.raises(ValueError, match="image_shape"):
    _make(image_shape=(30, 28))
  assert _make(model="cyclegan").config.loss == "least_squares"
  t = _make(model="pix2pix", width=2)
  with pytest.raises(ValueError, match="direction"):
    t.parts.translate(None, None, "ba")
