"""GAN losses, penalties and schedules vs closed forms, quadrature and NumPy."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import integrate
from scipy import stats

from jgen import adversarial
from jgen import games
from jgen import minimax
from jgen import train
from jgen.nets import MLP

KEY = jax.random.PRNGKey(0)
REAL = np.array([-3.0, -0.2, 0.0, 1.5, 40.0])
FAKE = np.array([2.0, -1.0, 0.3, -40.0, 0.0])


def _sig(t):
  return 1.0 / (1.0 + np.exp(-t))


def test_losses_against_closed_forms():
  """Per-example losses vs the formulas in float64 NumPy (logits high for
  real data): Goodfellow et al. 2014 eq. (1) and Section 3, Arjovsky et al.
  2017 eq. (3), Lim & Ye 2017 eq. (9)-(10), Mao et al. 2017 eq. (2)."""
  real, fake = REAL, FAKE
  expected = {
      "minimax": (np.log(1 - _sig(fake)),
                  -np.log(_sig(real)) - np.log(1 - _sig(fake))),
      "non_saturating": (-np.log(_sig(fake)),
                         -np.log(_sig(real)) - np.log(1 - _sig(fake))),
      "wasserstein": (-fake, fake - real),
      "hinge": (-fake, np.maximum(0, 1 - real) + np.maximum(0, 1 + fake)),
      "least_squares": (0.5 * (fake - 1) ** 2,
                        0.5 * (real - 1) ** 2 + 0.5 * fake**2),
  }
  assert set(adversarial.LOSSES) == set(expected)
  for name, (gen, crit) in expected.items():
    pair = adversarial.LOSSES[name]
    np.testing.assert_allclose(pair.generator(jnp.asarray(fake)), gen,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pair.critic(jnp.asarray(real), jnp.asarray(fake)),
                               crit, rtol=1e-12, atol=1e-12)


def test_loss_options_against_closed_forms():
  real, fake = REAL[:4], FAKE[:4]
  ls = adversarial.make_loss("least_squares", a=-1.0, b=1.0, c=0.0)
  np.testing.assert_allclose(ls.generator(jnp.asarray(fake)), 0.5 * fake**2,
                             rtol=1e-12)
  np.testing.assert_allclose(
      ls.critic(jnp.asarray(real), jnp.asarray(fake)),
      0.5 * (real - 1) ** 2 + 0.5 * (fake + 1) ** 2, rtol=1e-12)
  # TF-GAN smooths the real label toward 1/2: target 1 - 0.3 / 2.
  sm = adversarial.make_loss("non_saturating", label_smoothing=0.3)
  t = 0.85
  ref = (-t * np.log(_sig(real)) - (1 - t) * np.log(1 - _sig(real))
         - np.log(1 - _sig(fake)))
  np.testing.assert_allclose(sm.critic(jnp.asarray(real), jnp.asarray(fake)),
                             ref, rtol=1e-12)
  np.testing.assert_allclose(sm.generator(jnp.asarray(fake)),
                             -np.log(_sig(fake)), rtol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: adversarial.make_loss("hinge", a=1.0), "no option 'a'.*none"),
    (lambda: adversarial.make_loss("least_squares", d=1.0), "'a', 'b', 'c'"),
    (lambda: adversarial.make_loss("minimax", label_smoothing=1.5),
     "label_smoothing"),
    (lambda: adversarial.make_loss("wgan"), "loss.*hinge"),
    (lambda: adversarial.make_penalty("wgan_gp", target=0.0), "target"),
    (lambda: adversarial.make_penalty("r1", target=2.0), "no option"),
    (lambda: adversarial.make_penalty("r3"), "penalty.*wgan_gp"),
    (lambda: adversarial.make_loss("least_squares", a=float("nan")), "a must"),
    (lambda: minimax.clip_weights(-0.01), "c must"),
])
def test_bad_options(call, match):
  with pytest.raises(ValueError, match=match):
    call()


def test_flag_option_must_be_bool():
  with pytest.raises(TypeError, match="one_sided"):
    adversarial.make_penalty("wgan_gp", one_sided=1)


def test_minimax_value_at_optimal_critic_is_jsd():
  """Goodfellow et al. 2014, Theorem 1: at D* = p / (p + q), the value
  E_p log D* + E_q log(1 - D*) equals -log 4 + 2 JSD(p || q); both sides by
  quadrature (SciPy), the left through jgen's critic loss."""
  p = stats.norm(0.0, 1.0)
  q = stats.norm(1.5, 0.7)
  x = np.linspace(-12.0, 14.0, 200001)
  dx = x[1] - x[0]
  logit = p.logpdf(x) - q.logpdf(x)                     # log D* - log(1 - D*)
  crit = adversarial.LOSSES["minimax"].critic
  big = jnp.full(x.shape, 1e4)
  on_real = np.asarray(crit(jnp.asarray(logit), -big))   # -log D*(x)
  on_fake = np.asarray(crit(big, jnp.asarray(logit)))    # -log(1 - D*(x))
  value = -np.sum(p.pdf(x) * on_real + q.pdf(x) * on_fake) * dx

  def kl_to_mid(a, b):
    def f(t):
      pa = a.pdf(t)
      return pa * (np.log(pa) - np.log(0.5 * pa + 0.5 * b.pdf(t))) if pa else 0
    return integrate.quad(f, -15, 17, limit=200)[0]
  jsd = 0.5 * kl_to_mid(p, q) + 0.5 * kl_to_mid(q, p)
  np.testing.assert_allclose(value, -np.log(4.0) + 2 * jsd, atol=1e-7)
  # D* is the maximiser: moving the logits away lowers the value.
  for shift in (-0.3, 0.3):
    moved = -np.sum(p.pdf(x) * np.asarray(crit(jnp.asarray(logit + shift), -big))
                    + q.pdf(x) * np.asarray(crit(big, jnp.asarray(logit + shift)))
                    ) * dx
    assert moved < value


def test_trained_critic_is_the_optimal_discriminator():
  """D* = p / (p + q) (Goodfellow et al. 2014, Proposition 1): a critic
  trained by jgen's minimax step (generator frozen, lr_u = 0) on N(0, 1)
  against N(1, 1.5^2) recovers it."""
  critic_net = MLP((32, 32, 1), activation=jnp.tanh)
  game = adversarial.gan(
      critic=lambda v, x: critic_net.apply(v, x)[:, 0],
      generator=lambda u, z: u["mu"] + u["sigma"] * z,
      sample_latent=lambda key, n: jax.random.normal(key, (n, 1)),
      loss="minimax")
  players = minimax.Players(optax.identity(), optax.scale_by_adam())
  step = minimax.make_step(game, "simultaneous", players)
  u = {"mu": jnp.float32(1.0), "sigma": jnp.float32(1.5)}
  v = critic_net.init(KEY, jnp.zeros((1, 1)))
  data = jax.random.normal(jax.random.PRNGKey(1), (20000, 1))
  state = minimax.init(u, v, players, key=KEY)
  res = train.train(state, step, data, {"lr_u": 0.0, "lr_v": 3e-3},
                    num_steps=3000, chunk_size=1000,
                    batch_fn=train.minibatch(1024))
  x = np.linspace(-2.0, 3.0, 11)
  d = jax.nn.sigmoid(critic_net.apply(res.state.v, jnp.asarray(x)[:, None])[:, 0])
  p, q = stats.norm.pdf(x, 0, 1), stats.norm.pdf(x, 1, 1.5)
  np.testing.assert_allclose(d, p / (p + q), atol=0.04)
  np.testing.assert_allclose(res.state.u["mu"], 1.0)     # lr_u = 0: frozen


def test_wgan_gp_options_against_closed_form():
  # Dirac-GAN critic psi * x: ||grad_x D|| = |psi| everywhere.
  theta = jnp.float64(0.4)
  for psi in (0.5, 1.7):
    for target, one_sided in [(1.0, False), (2.0, False), (1.0, True),
                              (2.0, True)]:
      pen = adversarial.make_penalty("wgan_gp", target=target,
                                     one_sided=one_sided)
      game = games.dirac_gan(loss="wasserstein", penalty=pen)
      value = game.loss_v(theta, jnp.float64(psi), KEY, games.dirac_data(),
                          {"reg_weight": 2.0})
      excess = psi / target - 1
      ref = max(excess, 0.0) ** 2 if one_sided else excess**2
      np.testing.assert_allclose(value, -psi * 0.4 + 2.0 * ref, rtol=1e-10)


def test_hinge_and_least_squares_dirac_losses():
  # Dirac-GAN: the critic's logit at the fake point theta is -psi * theta
  # and 0 at the real point 0.
  theta, psi = 0.4, 1.7
  f = -psi * theta
  for name, (lu, lv) in {
      "hinge": (-f, 1.0 + max(0.0, 1.0 + f)),
      "least_squares": (0.5 * (f - 1) ** 2, 0.5 * 1.0 + 0.5 * f**2)}.items():
    game = games.dirac_gan(loss=name)
    args = (jnp.float64(theta), jnp.float64(psi), KEY, games.dirac_data(), {})
    np.testing.assert_allclose(game.loss_u(*args), lu, rtol=1e-12)
    np.testing.assert_allclose(game.loss_v(*args), lv, rtol=1e-12)


A = np.array([[1.0, 0.5], [-0.3, 2.0]])
X0, Y0 = np.array([0.7, -0.2]), np.array([0.4, 1.1])
HP = {"lr_u": 0.05, "lr_v": 0.08}


def test_weight_clipping_and_ema_against_numpy():
  """Bilinear game x^T A y, alternating (v first): y clipped to [-c, c] after
  each of its steps (Arjovsky et al. 2017, Algorithm 1) and an EMA of x."""
  c, decay = 0.9, 0.7
  players = minimax.Players(optax.identity(), optax.identity(),
                            project_v=minimax.clip_weights(c))
  step = minimax.make_step(games.bilinear(jnp.asarray(A)), "alternating",
                           players, n_v=2, ema_decay=decay)
  state = minimax.init(jnp.asarray(X0), jnp.asarray(Y0), players, ema=True)
  x, y, ema = X0.copy(), Y0.copy(), X0.copy()
  for _ in range(4):
    state, _ = step(state, None, HP)
    for _ in range(2):
      y = np.clip(y + HP["lr_v"] * A.T @ x, -c, c)
    x = x - HP["lr_u"] * A @ y
    ema = decay * ema + (1 - decay) * x
  np.testing.assert_allclose(state.v, y, rtol=1e-12)
  np.testing.assert_allclose(state.u, x, rtol=1e-12)
  np.testing.assert_allclose(state.ema_u, ema, rtol=1e-12)
  assert np.max(np.abs(y)) <= c


def test_schedule_errors():
  game = games.bilinear(jnp.eye(1))
  with pytest.raises(ValueError, match="n_v > 1.*simultaneous"):
    minimax.make_step(game, "extragradient", n_v=3)
  with pytest.raises(ValueError, match="ema_decay"):
    minimax.make_step(game, "simultaneous", ema_decay=1.0)
  step = minimax.make_step(game, "simultaneous", ema_decay=0.9)
  with pytest.raises(ValueError, match="ema=True"):
    step(minimax.init(jnp.ones(1), jnp.ones(1)), None, HP)
