"""CGAN, AC-GAN and InfoGAN: auxiliary terms, games, networks, assembly."""

import math

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special
from scipy import stats

from jgen import adversarial
from jgen import nets

KEY = jax.random.PRNGKey(0)

RNG = np.random.default_rng(0)


def _np_xent(logits, labels):
  logits = np.asarray(logits, np.float64)
  return -(logits - special.logsumexp(logits, 1, keepdims=True))[
      np.arange(len(labels)), labels]


def test_acgan_terms_match_numpy_cross_entropies():
  real, fake = RNG.normal(size=(6, 4)), 3 * RNG.normal(size=(6, 4))
  y_real, y_fake = RNG.integers(0, 4, 6), RNG.integers(0, 4, 6)
  got = adversarial.acgan_critic_loss(jnp.asarray(real), jnp.asarray(fake),
                                      jnp.asarray(y_real), jnp.asarray(y_fake))
  np.testing.assert_allclose(got, _np_xent(real, y_real) + _np_xent(
      fake, y_fake), rtol=1e-5)
  np.testing.assert_allclose(
      adversarial.acgan_generator_loss(jnp.asarray(fake), jnp.asarray(y_fake)),
      _np_xent(fake, y_fake), rtol=1e-5)


def test_mutual_information_penalty_is_minus_log_q_of_the_codes():
  k, m, b = 5, 3, 7
  q = RNG.normal(size=(b, k + m))
  cat, cont = RNG.integers(0, k, b), RNG.uniform(-1, 1, (b, m))
  got = adversarial.mutual_information_penalty(
      jnp.asarray(q, jnp.float32), jnp.asarray(cat),
      jnp.asarray(cont, jnp.float32), n_categorical=k, n_continuous=m)
  want = _np_xent(q[:, :k], cat) - stats.norm.logpdf(cont, q[:, k:]).sum(1)
  np.testing.assert_allclose(got, want, rtol=1e-5)
  only_cont = adversarial.mutual_information_penalty(
      jnp.asarray(q[:, k:], jnp.float32), jnp.asarray(cat),
      jnp.asarray(cont, jnp.float32), n_categorical=0, n_continuous=m)
  np.testing.assert_allclose(only_cont, want - _np_xent(q[:, :k], cat),
                             rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eps", [0.0, 0.3, 0.9])
def test_mi_bound_with_the_exact_posterior_is_the_mutual_information(eps):
  """A K-ary symmetric channel x | c: with Q the exact posterior, H(c) -
  E[-log Q(c|x)] is I(c; x) = log K - H(eps), in closed form."""
  k = 4
  c, x = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
  c, x = c.ravel(), x.ravel()
  p_x_given_c = np.where(c == x, 1 - eps, eps / (k - 1))
  weight = p_x_given_c / k                                 # p(c, x)
  post = np.full((k, k), eps / (k - 1))                    # p(c | x) rows x
  np.fill_diagonal(post, 1 - eps)
  logits = np.log(np.maximum(post[x], 1e-300))
  pen = np.asarray(adversarial.mutual_information_penalty(
      jnp.asarray(logits), jnp.asarray(c), jnp.zeros((k * k, 0)),
      n_categorical=k, n_continuous=0), np.float64)
  keep = weight > 0
  bound = adversarial.code_entropy(k, 0) - np.sum(weight[keep] * pen[keep])
  h = -sum(p * math.log(p) for p in [1 - eps] + [eps / (k - 1)] * (k - 1)
           if p > 0)
  np.testing.assert_allclose(bound, math.log(k) - h, atol=1e-5)


def test_code_entropy_and_prior():
  assert adversarial.code_entropy(10, 2) == pytest.approx(
      stats.randint(0, 10).entropy() + 2 * stats.uniform(-1, 2).entropy())
  cat, cont = adversarial.sample_codes(KEY, 20_000, 10, 2)
  assert set(np.unique(cat)) == set(range(10))
  assert -1 <= float(cont.min()) and float(cont.max()) <= 1
  assert abs(float(jnp.var(cont)) - 1 / 3) < 0.02       # U(-1, 1)
  v = adversarial.code_vector(cat[:3], cont[:3], 10)
  np.testing.assert_array_equal(v[:, :10], jax.nn.one_hot(cat[:3], 10))
  np.testing.assert_allclose(v[:, 10:], cont[:3], rtol=1e-6)


@pytest.mark.parametrize("k,m,match", [
    (1, 2, "n_categorical must be 0"), (0, 0, "needs a code"),
    (-1, 2, "n_categorical"), (3, -2, "n_continuous")])
def test_bad_codes_are_refused(k, m, match):
  with pytest.raises(ValueError, match=match):
    adversarial.q_size(k, m)


@pytest.mark.parametrize("shape,d", [(None, 6), ((8, 8), 64)])
@pytest.mark.parametrize("conditioning", nets.CONDITIONING)
def test_conditional_critic_depends_on_the_label(shape, d, conditioning):
  c = nets.Critic(d, shape, hidden=(8,), width=4, n_classes=3,
                  conditioning=conditioning)
  x = jax.random.uniform(KEY, (4, d))
  y = jnp.array([0, 1, 2, 0])
  params = c.init(KEY, x, y)
  a, b = c.apply(params, x, y), c.apply(params, x, (y + 1) % 3)
  assert a.shape == (4,) and float(jnp.max(jnp.abs(a - b))) > 1e-4
  with pytest.raises(ValueError, match="y .labels"):
    c.apply(params, x)


def test_projection_is_the_unconditional_logit_plus_embed_dot_features():
  """Miyato & Koyama (2018), eq. (3): zero embeddings give the same logit for
  every label, and the projection term is linear in the embedding."""
  c = nets.Critic(6, None, hidden=(8,), n_classes=3)
  x, y = jax.random.uniform(KEY, (4, 6)), jnp.array([0, 1, 2, 1])
  p = c.init(KEY, x, y)
  zero = jax.tree_util.tree_map_with_path(
      lambda path, a: jnp.zeros_like(a) if "projection" in str(path) else a,
      p)
  base = c.apply(zero, x, y)
  np.testing.assert_allclose(base, c.apply(zero, x, (y + 1) % 3))
  doubled = jax.tree_util.tree_map_with_path(
      lambda path, a: 2 * a if "projection" in str(path) else a, p)
  np.testing.assert_allclose(c.apply(doubled, x, y) - base,
                             2 * (c.apply(p, x, y) - base), rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize("aux_hidden", [0, 7])
def test_aux_head_returns_logits_and_aux(aux_hidden):
  c = nets.Critic(6, None, hidden=(8,), aux_dim=5, aux_hidden=aux_hidden)
  x = jax.random.uniform(KEY, (4, 6))
  params = c.init(KEY, x)
  logits, aux = c.apply(params, x)
  assert logits.shape == (4,) and aux.shape == (4, 5)
  assert params["params"]["aux"]["kernel"].shape == (aux_hidden or 8, 5)


def _linear_parts(n_classes=3, latent=2, d=4):
  """A generator that ignores z (fakes known in closed form) and a linear
  critic with an auxiliary head."""
  w_g = RNG.normal(size=(n_classes, d))
  w_d, w_c = RNG.normal(size=(d,)), RNG.normal(size=(d, n_classes))

  def generator(u, zc):
    return zc[:, latent:] @ (u * w_g)

  def critic(v, x):
    return x @ (v * w_d), x @ w_c

  return generator, critic, w_g, w_d, w_c


def test_acgan_losses_match_a_numpy_evaluation():
  generator, critic, w_g, w_d, w_c = _linear_parts()
  game = adversarial.acgan(critic, generator,
                           lambda key, n: jax.random.normal(key, (n, 2)),
                           n_classes=3, loss="non_saturating")
  x, y = RNG.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
  batch = {"x": jnp.asarray(x, jnp.float32), "y": jnp.asarray(y)}
  hp = {"aux_weight": 0.7, "reg_weight": 0.0}
  fake = np.eye(3)[y] @ w_g                     # asked for the batch's labels
  sp = lambda t: np.logaddexp(0, t)
  want_v = np.mean(sp(-(x @ w_d)) + sp(fake @ w_d)) + 0.7 * np.mean(
      _np_xent(x @ w_c, y) + _np_xent(fake @ w_c, y))
  want_u = np.mean(sp(-(fake @ w_d))) + 0.7 * np.mean(_np_xent(fake @ w_c, y))
  got_v = game.loss_v(1.0, 1.0, KEY, batch, hp)
  got_u = game.loss_u(1.0, 1.0, KEY, batch, hp)
  np.testing.assert_allclose([got_u, got_v], [want_u, want_v], rtol=1e-5)


def test_acgan_classification_term_reaches_the_critic_only_through_its_head():
  """The critic's classification term does not move D's real/fake weights."""
  generator, critic, *_ = _linear_parts()
  game = adversarial.acgan(critic, generator,
                           lambda key, n: jax.random.normal(key, (n, 2)),
                           n_classes=3)
  batch = {"x": jnp.ones((4, 4)), "y": jnp.array([0, 1, 2, 0])}
  grad = lambda w: jax.grad(game.loss_v, 1)(
      1.0, 1.0, KEY, batch, {"aux_weight": w, "reg_weight": 0.0})
  np.testing.assert_allclose(grad(0.0), grad(5.0), rtol=1e-6)


def test_infogan_weights_each_code_part_for_both_players():
  """With Q's outputs 0, the categorical term is log K exactly and the
  continuous one (1/2) c^2 + (1/2) log(2 pi) per code, c in [-1, 1]; each
  traced weight scales its own part, in both players' losses."""
  k, m = 4, 2
  game = adversarial.infogan(
      lambda v, x: (x @ jnp.ones(3) * v, jnp.zeros((x.shape[0], k + m))),
      lambda u, zc: u * zc[:, :3], lambda key, n: jax.random.normal(key, (n, 2)),
      n_categorical=k, n_continuous=m)
  batch = jnp.ones((64, 3))
  for loss in (game.loss_u, game.loss_v):
    f = lambda a, b: float(loss(1.0, 1.0, KEY, batch, {
        "info_weight": a, "continuous_weight": b, "reg_weight": 0.0}))
    base = f(0.0, 0.0)
    np.testing.assert_allclose(f(1.0, 0.0) - base, math.log(k), rtol=1e-5)
    cont = f(0.0, 1.0) - base
    assert m * 0.5 * math.log(2 * math.pi) < cont < m * 0.5 * (
        1 + math.log(2 * math.pi))
    np.testing.assert_allclose(f(2.0, 0.3) - base,
                               2 * math.log(k) + 0.3 * cont, rtol=1e-4)


def test_infogan_q_augment_adds_the_categorical_term_of_the_moved_images():
  """With ``q_augment = T``, each loss gains the categorical term of a game
  whose Q reads ``T(x)``, on the same draws; the adversarial and continuous
  terms see the images unchanged; and the generator's gradient flows
  through ``T``."""
  k, m, side = 3, 2, 4
  w_q = jnp.asarray(RNG.normal(size=(side * side, k + m)), jnp.float32)
  flip = lambda key, x: x[:, ::-1]

  def critic(moved):
    def apply(v, x):
      flat = x.reshape(x.shape[0], -1)
      q_in = flip(None, x).reshape(x.shape[0], -1) if moved else flat
      q = q_in @ w_q
      return jnp.sum(flat, 1) * v, q.at[:, k:].set((flat @ w_q)[:, k:])
    return apply
  generator = lambda u, zc: jnp.tanh(u * zc[:, :side * side]).reshape(
      -1, side, side, 1) + zc[:, side * side:side * side + 1, None, None]
  latent = lambda key, n: jax.random.normal(key, (n, side * side))
  build = lambda c, **kw: adversarial.infogan(
      c, generator, latent, n_categorical=k, n_continuous=m, **kw)
  plain, moved = build(critic(False)), build(critic(True))
  augmented = build(critic(False), q_augment=flip)
  batch = jnp.asarray(RNG.uniform(size=(32, side, side, 1)), jnp.float32)
  for name in ("loss_u", "loss_v"):
    f = lambda game, a, b, u=0.7: float(getattr(game, name)(
        u, 0.3, KEY, batch, {"info_weight": a, "continuous_weight": b}))
    for a, b in ((1.0, 0.0), (2.0, 0.5), (0.0, 1.0)):
      np.testing.assert_allclose(
          f(augmented, a, b) - f(plain, a, b),
          f(moved, a, 0.0) - f(moved, 0.0, 0.0), rtol=1e-5, atol=1e-6)
  hp = {"info_weight": 1.0, "continuous_weight": 0.0}
  g_aug = jax.grad(augmented.loss_u)(0.7, 0.3, KEY, batch, hp)
  g_plain = jax.grad(plain.loss_u)(0.7, 0.3, KEY, batch, hp)
  g_moved = jax.grad(moved.loss_u)(0.7, 0.3, KEY, batch, hp)
  hp0 = {"info_weight": 0.0, "continuous_weight": 0.0}
  g_adv = jax.grad(plain.loss_u)(0.7, 0.3, KEY, batch, hp0)
  np.testing.assert_allclose(g_aug - g_plain, g_moved - g_adv, rtol=1e-4)
  assert abs(float(g_moved - g_adv)) > 1e-4
  with pytest.raises(ValueError, match="q_augment"):
    adversarial.infogan(critic(False), generator, latent, n_categorical=0,
                        n_continuous=2, q_augment=flip)


def test_class_conditional_games_need_labelled_batches():
  generator, critic, *_ = _linear_parts()
  game = adversarial.conditional_gan(lambda v, x, y: x[:, 0], generator,
                                     lambda key, n: jnp.zeros((n, 2)),
                                     n_classes=3)
  with pytest.raises(ValueError, match="labelled batches"):
    game.loss_v(1.0, 1.0, KEY, jnp.ones((4, 4)), {"reg_weight": 0.0})
  with pytest.raises(ValueError, match="n_classes"):
    adversarial.conditional_gan(critic, generator, None, n_classes=1)


def test_stop_body_gradient_keeps_values_and_the_head_and_input_gradients():
  """The frozen critic's values and its input and head gradients are the
  critic's own; its body's gradient is zero where the critic's is not."""
  critic = nets.Critic(64, (8, 8), width=4, dense=16, aux_dim=5,
                       aux_hidden=8, norm="layer")
  x = jax.random.uniform(KEY, (6, 64))
  v = critic.init(KEY, x)
  q = lambda w, x: jnp.sum(jnp.sin(critic.apply(w, x)[1]))
  frozen = lambda w, x: q(nets.stop_body_gradient(w), x)
  np.testing.assert_array_equal(frozen(v, x), q(v, x))
  (gv, gx), (fv, fx) = jax.grad(q, (0, 1))(v, x), jax.grad(frozen, (0, 1))(
      v, x)
  np.testing.assert_allclose(fx, gx, rtol=1e-6, atol=1e-7)
  heads = {"aux", "aux_hidden", "aux_norm"}
  assert heads < set(v["params"])
  for name, tree in fv["params"].items():
    for f, g in zip(jax.tree.leaves(tree),
                    jax.tree.leaves(gv["params"][name])):
      if name in heads:
        np.testing.assert_allclose(f, g, rtol=1e-6, atol=1e-7)
      else:
        np.testing.assert_array_equal(f, 0.0)
  body = {"Conv_0", "Conv_1", "Dense_0"}    # Dense_1, the logit, feeds no Q
  for name in body:                         # a gradient there to stop
    assert max(float(np.abs(a).max())
               for a in jax.tree.leaves(gv["params"][name])) > 0, name


