"""PyTorch's ms per training step for the models of `npm run bench -- train-step`.

The same architectures as zoo:cnn and zoo:resnet-small (conv without bias -> BN (eps 1e-3,
momentum 0.1 = Keras's 0.9) -> ReLU, global average pooling, dense, softmax cross-entropy),
SGD with momentum 0.9, random inputs, on the CPU with the given number of threads.
Prints one JSON object per case. Not part of `npm test`; run by bench/train-step.ts.

usage: python3 bench/torch_train_step.py MODEL BATCH THREADS STEPS
"""
import json
import sys
import time

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


MODELS = {
    # zoo:cnn, 28x28x1: conv 32 -> conv 64 /2 -> conv 128 /2
    "cnn": (lambda: nn.Sequential(conv_bn(1, 32), conv_bn(32, 64, 2), conv_bn(64, 128, 2), classifier(128)), (1, 28, 28)),
    # zoo:resnet-small, 32x32x3: conv 64, two basic blocks at 64 channels
    "resnet-small": (lambda: nn.Sequential(conv_bn(3, 64), BasicBlock(64), BasicBlock(64), classifier(64)), (3, 32, 32)),
}


def main():
    name, batch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    build, shape = MODELS[name]
    model = build()
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

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - start) * 1000 / steps
    print(json.dumps({"model": name, "threads": torch.get_num_threads(), "batch": batch, "steps": steps, "msPerStep": ms, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
