#!/usr/bin/env python3
"""JAX's AlexNet training step on the CPU (XLA:CPU), for tools/bench/cpu_vs_peers.

Usage: jax_alexnet_cpu.py BATCH STEPS
The network of models/alexnet.json in NCHW (PyTorch's layouts and
initialization scale do not matter for speed), softmax cross-entropy, SGD
lr 0.01, dropout 0.5 on the dense layers; the whole step is one jit. Prints
JSON: the median training step and forward-only step in ms after two
warm-up steps (which include XLA's compilation).
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

batch, steps = int(sys.argv[1]), int(sys.argv[2])
CONVS = [(1, 96, 11, 4, 0), (96, 256, 5, 1, 2), (256, 384, 3, 1, 1),
         (384, 384, 3, 1, 1), (384, 256, 3, 1, 1)]
DENSE = [(6400, 4096), (4096, 4096), (4096, 10)]
POOL_AFTER = {0, 1, 4}


def init(key):
    params = []
    for cin, cout, k, _, _ in CONVS:
        key, sub = jax.random.split(key)
        params.append((jax.random.normal(sub, (cout, cin, k, k)) * 0.01, jnp.zeros(cout)))
    for fin, fout in DENSE:
        key, sub = jax.random.split(key)
        params.append((jax.random.normal(sub, (fin, fout)) * 0.01, jnp.zeros(fout)))
    return params


def max_pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 3, 3), (1, 1, 2, 2), "VALID")


def forward(params, x, key, train):
    for i, ((w, b), (_, _, _, stride, pad)) in enumerate(zip(params, CONVS)):
        x = jax.lax.conv_general_dilated(x, w, (stride, stride), [(pad, pad)] * 2,
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        x = jax.nn.relu(x + b[None, :, None, None])
        if i in POOL_AFTER:
            x = max_pool(x)
    x = x.reshape(x.shape[0], -1)
    for j, (w, b) in enumerate(params[len(CONVS):]):
        x = x @ w + b
        if j < len(DENSE) - 1:
            x = jax.nn.relu(x)
            if train:
                key, sub = jax.random.split(key)
                x = jnp.where(jax.random.bernoulli(sub, 0.5, x.shape), x * 2.0, 0.0)
    return x


def loss(params, x, y, key):
    logits = forward(params, x, key, True)
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


@jax.jit
def train_step(params, x, y, key):
    grads = jax.grad(loss)(params, x, y, key)
    return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)


@jax.jit
def eval_step(params, x):
    return forward(params, x, None, False)


key = jax.random.PRNGKey(0)
params = init(key)
x = jax.random.uniform(key, (batch, 1, 224, 224))
y = jax.random.randint(key, (batch,), 0, 10)
out = {"jax": jax.__version__}


def timed(fn):
    for _ in range(2):
        jax.block_until_ready(fn())
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


state = {"params": params}


def one_train_step():
    state["params"] = train_step(state["params"], x, y, key)
    return state["params"]


out["train_ms"] = timed(one_train_step)
out["eval_ms"] = timed(lambda: eval_step(state["params"], x))
print(json.dumps(out))
