"""PyTorch reference for bench/resnet.ts: the same 1-D ResNet (main/models/resnet1d.ts) on [B, 12, 2500] input.

Times training steps (AdamW, mean sigmoid cross-entropy, BatchNorm in training mode) and inference (eval mode).
Run by bench/resnet.ts when /usr/bin/python3 can import torch. Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pad(k):
    before = (k - 1) // 2
    return before, k - 1 - before


class ConvBn(nn.Module):
    def __init__(self, ci, co, k, stride=1, pads=None):
        super().__init__()
        self.pads = same_pad(k) if pads is None else pads
        self.conv = nn.Conv1d(ci, co, k, stride=stride, bias=False)
        self.bn = nn.BatchNorm1d(co)

    def forward(self, x):
        return self.bn(self.conv(F.pad(x, self.pads)))


class Block(nn.Module):
    def __init__(self, ci, co, stride, kernels):
        super().__init__()
        self.convs = nn.ModuleList([ConvBn(ci if j == 0 else co, co, k, stride if j == 0 else 1) for j, k in enumerate(kernels)])
        self.short = ConvBn(ci, co, 1, stride, (0, 0)) if stride != 1 or ci != co else None

    def forward(self, x):
        h = x
        for j, c in enumerate(self.convs):
            h = c(h)
            if j < len(self.convs) - 1:
                h = F.relu(h)
        return F.relu(h + (self.short(x) if self.short is not None else x))


class ResNet1d(nn.Module):
    def __init__(self, cfg, outputs):
        super().__init__()
        s = cfg["stem"]
        self.stem = ConvBn(12, s["filters"], s["kernel"], s["stride"])
        self.pool = s["pool"]
        blocks, width = [], s["filters"]
        for b in cfg["blocks"]:
            blocks.append(Block(width, b["filters"], b["stride"], cfg["kernels"]))
            width = b["filters"]
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, outputs)

    def forward(self, x):
        h = F.relu(self.stem(x))
        if self.pool > 1:
            h = F.max_pool1d(h, self.pool + 1, self.pool, 1)
        return self.head(self.blocks(h).mean(dim=2))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--tasks", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ResNet1d(json.loads(a.config), a.tasks)
    params = sum(t.numel() for t in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    x = torch.randn(a.batch, 12, 2500)
    y = (torch.rand(a.batch, a.tasks) > 0.5).float()
    model.train()
    for i in range(2 + a.steps):
        if i == 2:
            t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
    train = a.batch * a.steps / (time.perf_counter() - t0)
    model.eval()
    xi = torch.randn(64, 12, 2500)
    with torch.no_grad():
        for i in range(2 + a.steps):
            if i == 2:
                t0 = time.perf_counter()
            model(xi)
    infer = 64 * a.steps / (time.perf_counter() - t0)
    print(json.dumps({"params": params, "train_sps": train, "infer_sps": infer}))


if __name__ == "__main__":
    main()
