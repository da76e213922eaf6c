"""An independent PyTorch implementation of MorphNet's GammaFlopsRegularizer on zoo:cnn.

Written from the method (Gordon et al., CVPR 2018, and the reference implementation
google-research/morph-net: GammaL1Regularizer, cost_calculator.py, resource_function.py), not
from this project's TypeScript, so that the two can check each other step by step.

The network (zoo:cnn, Keras semantics): input 28x28x1 ->
  conv1 3x3/1 32, no bias -> BN -> ReLU -> conv2 3x3/2 64 -> BN -> ReLU -> conv3 3x3/2 128 -> BN
  -> ReLU -> global average pooling -> dense 10 (bias) -> softmax.
  Convolutions pad "same" the TensorFlow way (an odd padding puts the extra row and column at the
  bottom and right). BN normalises with the batch's biased variance and epsilon 1e-3 (Keras).

The regularizer (MorphNet): for each FLOP op, R_op = C * (A_in * S_out + A_out * S_in), where
  C = 2 * H_out * W_out * kh * kw for a conv and 2 for a MatMul, S = sum |gamma| of the BN that
  scores the channels (0 for the image and the logits, which have no regularizer), A = number of
  channels with |gamma| > threshold (the static channel count where there is no regularizer),
  a constant without gradient. The monitored cost is sum C * A_in * A_out.

The loss: mean softmax cross-entropy + lambda * R. The optimizer: SGD with momentum, which in
PyTorch (dampening 0, not Nesterov) is TensorFlow's MomentumOptimizer: accum = m * accum + grad,
var -= lr * accum.

usage: python3 gamma_flops.py JOB.json
  JOB: {"mode": "steps" | "epochs", "init": "given" (+ "weights": dir) | "pytorch" | "keras",
        "x", "labels" (.npy paths), "batchSize", "lambda", "threshold", "learningRate", "momentum",
        optional "epsilon" (1e-3), "dtype" (float32), "seed", "threads", and for epochs "epochs",
        "orders" (.npy [epochs, N] or null for torch.randperm), "standardize"; optional "runs": a
        list of key overrides, one run each in this process.
  Prints one JSON object per line (per step or per epoch), tagged with its "run" index.
"""
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

# (name, input channels, output channels, stride); the image has 1 channel, 28x28.
CONVS = [("conv1", 1, 32, 1), ("conv2", 32, 64, 2), ("conv3", 64, 128, 2)]
CLASSES = 10
IMAGE = 28


def same_padding(size, kernel, stride):
    """TensorFlow's "same": output ceil(size / stride), the odd pixel of padding after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


class ZooCnn:
    """The parameters of zoo:cnn as plain tensors, in PyTorch layouts."""

    def __init__(self, params, eps):
        self.p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        self.eps = eps

    def parameters(self):
        return list(self.p.values())

    def dtype(self):
        return self.p["predictions_bias"].dtype

    def gamma(self, name):
        return self.p[name + "_bn_gamma"]

    def forward(self, x):
        """x: [N, 1, 28, 28]; returns the logits (softmax is in the loss)."""
        h = x
        size = IMAGE
        for name, _, _, stride in CONVS:
            size, before, after = same_padding(size, 3, stride)
            h = F.conv2d(F.pad(h, (before, after, before, after)), self.p[name + "_kernel"], stride=stride)
            mean = h.mean(dim=(0, 2, 3), keepdim=True)
            variance = ((h - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            h = (h - mean) / torch.sqrt(variance + self.eps)
            h = h * self.gamma(name).view(1, -1, 1, 1) + self.p[name + "_bn_beta"].view(1, -1, 1, 1)
            h = torch.relu(h)
        pooled = h.mean(dim=(2, 3))
        return pooled @ self.p["predictions_kernel"].t() + self.p["predictions_bias"]


def flop_ops():
    """Each FLOP op as (C, input group, output group, static in, static out); a group is a conv name or None."""
    ops = []
    size = IMAGE
    previous = None
    for name, cin, cout, stride in CONVS:
        size, _, _ = same_padding(size, 3, stride)
        ops.append((2.0 * size * size * 3 * 3, previous, name, cin, cout))
        previous = name
    ops.append((2.0, previous, None, CONVS[-1][2], CLASSES))
    return ops


FLOP_OPS = flop_ops()


def alive_count(model, group, static, threshold):
    if group is None:
        return float(static)
    return float((model.gamma(group).detach().abs() > threshold).sum().item())


def soft_count(model, group):
    if group is None:
        return torch.zeros((), dtype=model.dtype())
    return model.gamma(group).abs().sum()


def regularization(model, threshold):
    """MorphNet's FLOP regularizer R (differentiable) and the monitored FLOPs, at the current gammas."""
    reg = torch.zeros((), dtype=model.dtype())
    cost = 0.0
    for coeff, group_in, group_out, static_in, static_out in FLOP_OPS:
        alive_in = alive_count(model, group_in, static_in, threshold)
        alive_out = alive_count(model, group_out, static_out, threshold)
        reg = reg + coeff * (alive_in * soft_count(model, group_out) + alive_out * soft_count(model, group_in))
        cost += coeff * alive_in * alive_out
    return reg, cost


def alive_channels(model, threshold):
    return {name: int(alive_count(model, name, 0, threshold)) for name, _, _, _ in CONVS}


# ---- initial weights ------------------------------------------------------------------------


def load_keras_weights(directory):
    """Weights saved by the TypeScript side in Keras layouts (conv kernel [kh, kw, in, out], dense [in, out])."""
    params = {}
    for name, _, _, _ in CONVS:
        params[name + "_kernel"] = torch.from_numpy(np.load(f"{directory}/{name}_kernel.npy")).permute(3, 2, 0, 1).contiguous()
        params[name + "_bn_gamma"] = torch.from_numpy(np.load(f"{directory}/{name}_bn_gamma.npy"))
        params[name + "_bn_beta"] = torch.from_numpy(np.load(f"{directory}/{name}_bn_beta.npy"))
    params["predictions_kernel"] = torch.from_numpy(np.load(f"{directory}/predictions_kernel.npy")).t().contiguous()
    params["predictions_bias"] = torch.from_numpy(np.load(f"{directory}/predictions_bias.npy"))
    return {k: v.float() for k, v in params.items()}


def fresh_weights(kind, seed):
    """A fresh zoo:cnn: kind "pytorch" (nn.Conv2d / nn.Linear defaults) or "keras" (glorot_uniform, zero bias)."""
    generator = torch.Generator().manual_seed(seed)

    def uniform(shape, bound):
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound

    params = {}
    for name, cin, cout, _ in CONVS:
        fan_in, fan_out = cin * 9, cout * 9
        # PyTorch: kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(fan_in)); Keras: U(+-sqrt(6 / (fan_in + fan_out)))
        bound = 1 / math.sqrt(fan_in) if kind == "pytorch" else math.sqrt(6 / (fan_in + fan_out))
        params[name + "_kernel"] = uniform((cout, cin, 3, 3), bound)
        params[name + "_bn_gamma"] = torch.ones(cout)
        params[name + "_bn_beta"] = torch.zeros(cout)
    fan_in = CONVS[-1][2]
    bound = 1 / math.sqrt(fan_in) if kind == "pytorch" else math.sqrt(6 / (fan_in + CLASSES))
    params["predictions_kernel"] = uniform((CLASSES, fan_in), bound)
    params["predictions_bias"] = uniform((CLASSES,), 1 / math.sqrt(fan_in)) if kind == "pytorch" else torch.zeros(CLASSES)
    return params


def initial_weights(job):
    init = job.get("init", "given")
    if init == "given":
        return load_keras_weights(job["weights"])
    if init in ("pytorch", "keras"):
        return fresh_weights(init, job.get("seed", 1))
    raise ValueError(f'job "init": expected given, pytorch or keras, received {init!r}')


# ---- data -----------------------------------------------------------------------------------


def load_images(path, model):
    """Images saved channels-last [N, 28, 28, 1] -> [N, 1, 28, 28], in the model's dtype."""
    return torch.from_numpy(np.load(path)).to(model.dtype()).permute(0, 3, 1, 2).contiguous()


def load_labels(path):
    return torch.from_numpy(np.load(path).astype(np.int64))


# ---- training -------------------------------------------------------------------------------


def make_step(model, optimizer, lam, threshold):
    def step(x, y):
        """One step; returns what it measured at the weights it started from."""
        alive = alive_channels(model, threshold)
        optimizer.zero_grad()
        task = F.cross_entropy(model.forward(x), y)
        reg, cost = regularization(model, threshold)
        (task + lam * reg).backward()
        optimizer.step()
        return {"taskLoss": task.item(), "reg": reg.item(), "regLoss": lam * reg.item(), "cost": cost, "alive": alive}

    return step


def setup(job):
    torch.manual_seed(job.get("seed", 1))
    torch.set_num_threads(job.get("threads", 1))
    dtype = {"float32": torch.float32, "float64": torch.float64}[job.get("dtype", "float32")]
    model = ZooCnn({k: v.to(dtype) for k, v in initial_weights(job).items()}, job.get("epsilon", 1e-3))
    optimizer = torch.optim.SGD(model.parameters(), lr=job["learningRate"], momentum=job["momentum"])
    return model, make_step(model, optimizer, job["lambda"], job["threshold"])


def run_steps(job, emit):
    """Consecutive batches of job["batchSize"] from x.npy / labels.npy, one line per step with the gammas after it."""
    model, step = setup(job)
    x, y = load_images(job["x"], model), load_labels(job["labels"])
    batch = job["batchSize"]
    for s in range(len(y) // batch):
        record = step(x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch])
        record["step"] = s
        record["gammas"] = {name: model.gamma(name).detach().tolist() for name, _, _, _ in CONVS}
        emit(record)


def epoch_orders(job, count, epoch):
    """The sample order of an epoch: given by the other side (orders.npy [epochs, N]) or torch.randperm."""
    if job.get("orders"):
        return torch.from_numpy(np.load(job["orders"])[epoch].astype(np.int64))
    return torch.randperm(count, generator=torch.Generator().manual_seed(job.get("seed", 1) * 1000 + epoch))


def run_epochs(job, emit):
    """Whole epochs (the last batch may be short); one line per epoch with the alive FLOPs after it."""
    model, step = setup(job)
    x, y = load_images(job["x"], model), load_labels(job["labels"])
    if job.get("standardize"):
        x = (x - x.mean()) / x.std()
    batch, threshold = job["batchSize"], job["threshold"]
    steps = 0
    emit({"epoch": 0, "step": 0, "flops": regularization(model, threshold)[1], "alive": alive_channels(model, threshold)})
    for epoch in range(job["epochs"]):
        order = epoch_orders(job, len(y), epoch)
        task_sum = 0.0
        batches = -(-len(y) // batch)
        for b in range(batches):
            index = order[b * batch:(b + 1) * batch]
            task_sum += step(x[index], y[index])["taskLoss"]
            steps += 1
        flops = regularization(model, threshold)[1]
        emit({"epoch": epoch + 1, "step": steps, "flops": flops, "alive": alive_channels(model, threshold), "meanTaskLoss": task_sum / batches})


def main():
    """Runs the job, or once per entry of its "runs" (each overriding some keys), in one process."""
    with open(sys.argv[1]) as f:
        job = json.load(f)
    for index, overrides in enumerate(job.pop("runs", [{}])):
        run = {**job, **overrides}

        def emit(record, index=index):
            print(json.dumps({"run": index, **record}), flush=True)

        {"steps": run_steps, "epochs": run_epochs}[run["mode"]](run, emit)


if __name__ == "__main__":
    main()
