"""PyTorch's ms per training step for the models of `npm run bench -- train-step`.

The same architectures as zoo:cnn and zoo:resnet-small (conv without bias -> BN (eps 1e-3,
momentum 0.1 = Keras's 0.9) -> ReLU, global average pooling, dense, softmax cross-entropy), and
torchvision's mobilenet_v2(width_mult, num_classes) for zoo:mobilenet-v2 (a copy of its definition
when python3-torchvision is missing), SGD with momentum 0.9, random inputs, on the CPU with the
given number of threads.

The configuration is PyTorch's fastest fair one on this machine (2-core, shared): torch's own
intra-op threads only (torch.set_num_threads), convolutions through oneDNN (mkldnn, on by default;
off they take the im2col + BLAS path: zoo:cnn 1.7x slower with OpenBLAS, 6x with the reference BLAS),
contiguous NCHW tensors (channels_last measured no faster). BLAS only serves the dense layers then;
bench/train-step.ts picks OpenBLAS's OpenMP build when installed, whose threads are torch's own
OpenMP threads. The {"ready": ...} line reports what this process actually got.

Serves blocks of steps so that bench/train-step.ts can interleave them with its own: after one
warm-up step it prints a JSON line {"ready": ...}, then for each line "STEPS" read from stdin runs
that many steps and prints {"msPerStep": ...}; it ends at end of input. Not part of `npm test`.

usage: python3 bench/torch_train_step.py MODEL BATCH THREADS
  MODEL: cnn | resnet-small | mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10 (zoo: optional)
"""
import ctypes
import json
import os
import sys
import time
from urllib.parse import parse_qs

import torch
from torch import nn


def conv_bn(cin, cout, stride=1, relu=True):
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.residual = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels, relu=False))

    def forward(self, x):
        return torch.relu(x + self.residual(x))


def classifier(channels, classes=10):
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))


def make_divisible(value, divisor=8):
    """torchvision's _make_divisible, the same rule as the zoo's makeDivisible."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn_relu6(cin, cout, kernel=3, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        self.residual = stride == 1 and cin == cout
        layers = [conv_bn_relu6(cin, hidden, 1)] if expansion != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2_copy(width_mult, num_classes):
    """torchvision 0.14's MobileNetV2 (same layers, same widths), for when torchvision is missing."""
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    channels = make_divisible(32 * width_mult)
    last = make_divisible(1280 * max(1.0, width_mult))
    features = [conv_bn_relu6(3, channels, 3, 2)]
    for expansion, out, repeats, stride in stages:
        for repeat in range(repeats):
            features.append(InvertedResidual(channels, make_divisible(out * width_mult), stride if repeat == 0 else 1, expansion))
            channels = make_divisible(out * width_mult)
    features.append(conv_bn_relu6(channels, last, 1))
    return nn.Sequential(*features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(last, num_classes))


def mobilenet_v2(options):
    width = float(options.get("width", 1))
    classes = int(options.get("classes", 1000))
    try:
        import torchvision

        return torchvision.models.mobilenet_v2(width_mult=width, num_classes=classes), "torchvision"
    except ImportError:
        return mobilenet_v2_copy(width, classes), "copy of torchvision's definition"


def build(spec):
    """(model, input shape CHW, where the model comes from) for a bench model spec."""
    name, _, query = spec.removeprefix("zoo:").partition("?")
    options = {key: values[-1] for key, values in parse_qs(query).items()}
    if name == "cnn":
        # zoo:cnn, 28x28x1: conv 32 -> conv 64 /2 -> conv 128 /2
        return nn.Sequential(conv_bn(1, 32), conv_bn(32, 64, 2), conv_bn(64, 128, 2), classifier(128)), (1, 28, 28), "local"
    if name == "resnet-small":
        # zoo:resnet-small, 32x32x3: conv 64, two basic blocks at 64 channels
        return nn.Sequential(conv_bn(3, 64), BasicBlock(64), BasicBlock(64), classifier(64)), (3, 32, 32), "local"
    if name == "mobilenet-v2":
        height, width, channels = (int(d) for d in options.get("inputShape", "224,224,3").replace("x", ",").split(","))
        model, source = mobilenet_v2(options)
        return model, (channels, height, width), source
    raise SystemExit(f"unknown model {spec!r}: expected cnn, resnet-small or mobilenet-v2?width=...&inputShape=H,W,C&classes=N")


def blas_library():
    """The BLAS this process loaded (libblas.so.3 from LD_LIBRARY_PATH or Debian's alternatives), described."""
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "/libblas" in line or "/libopenblas" in line})
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(library, "openblas_get_config"):
            library.openblas_get_config.restype = ctypes.c_char_p
            parallel = {0: "sequential", 1: "pthreads", 2: "OpenMP"}.get(library.openblas_get_parallel(), "unknown threading")
            config = library.openblas_get_config().decode().strip()
            return f"{config}, {parallel}, {library.openblas_get_num_threads()} threads ({os.path.dirname(path)})"
    if paths:
        return f"reference BLAS, single-threaded ({', '.join(paths)}); apt-get install libopenblas0-openmp for OpenBLAS"
    return "none loaded"


def record_convolution_backends(model):
    """Hooks noting which backend (Mkldnn, Slow2d, ...) torch picks for each Conv2d call; returns (found, remove)."""
    found = set()

    def record(conv, inputs):
        try:
            args = (inputs[0], conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, False, [0, 0], conv.groups)
            found.add(str(torch._C._select_conv_backend(*args)).rpartition(".")[2])
        except (AttributeError, RuntimeError, TypeError):
            found.add("unknown")

    hooks = [m.register_forward_pre_hook(record) for m in model.modules() if isinstance(m, nn.Conv2d)]
    return found, lambda: [hook.remove() for hook in hooks]


def main():
    spec, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape, source = build(spec)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    convolutions, stop_recording = record_convolution_backends(model)
    step()  # warm-up
    stop_recording()
    ready = {
        "ready": True,
        "model": spec,
        "batch": batch,
        "torch": torch.__version__,
        "source": source,
        "threads": torch.get_num_threads(),
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "blas": blas_library(),
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "convolutions": sorted(convolutions),
    }
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        steps = int(line)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        print(json.dumps({"msPerStep": (time.perf_counter() - start) * 1000 / steps}), flush=True)


if __name__ == "__main__":
    main()
