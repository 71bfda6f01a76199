"""The sweep that ``tests/process_child.py`` runs across two processes and
on one device: 6 members of a short training run."""

import jax
import jax.numpy as jnp

from jgen import sweep


def run(mesh=None) -> sweep.SweepResult:
  def member(key, hp, x):
    w = jax.random.normal(key, (x.shape[1],))

    def body(w, _):
      g = jax.grad(lambda w: jnp.mean((x @ w - 1.0) ** 2))(w)
      return w - hp["lr"] * g, None
    w, _ = jax.lax.scan(body, w, None, length=20)
    return jnp.mean((x @ w - 1.0) ** 2)
  x = jax.random.normal(jax.random.PRNGKey(1), (32, 3))
  return sweep.run(member, sweep.grid(seeds=range(3), lr=[0.01, 0.1]),
                   jax.random.PRNGKey(0), x, mesh=mesh)
