"""PyTorch reference for bench/clinical.ts: encoder + head inference (ECGs/s) of the same ViT at a batch size.

Usage: python3 bench/torch_infer.py PATCH DEPTH DIM BATCH STEPS  → prints one JSON line.
Run with OPENBLAS_NUM_THREADS=1; it uses torch.set_num_threads(os.cpu_count()).
"""
import json
import os
import sys
import time

import torch
from torch import nn


class Vit(nn.Module):
    def __init__(self, patch, depth, dim, tasks=4):
        super().__init__()
        self.patch = patch
        self.n = 2500 // patch
        heads = max(1, round(dim / 64))
        while dim % heads:
            heads -= 1
        self.proj = nn.Linear(12 * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, self.n, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, tasks)

    def forward(self, x):
        b = x.shape[0]
        x = x[:, :, : self.n * self.patch].reshape(b, 12, self.n, self.patch).transpose(1, 2).reshape(b, self.n, 12 * self.patch)
        h = torch.cat([self.cls.expand(b, -1, -1), self.proj(x) + self.pos], 1)
        h = self.norm(self.blocks(h))
        return torch.sigmoid(self.head(h[:, 0]))


def main():
    patch, depth, dim, batch, steps = (int(v) for v in sys.argv[1:6])
    torch.set_num_threads(os.cpu_count() or 1)
    model = Vit(patch, depth, dim).eval()
    x = torch.randn(batch, 12, 2500)
    with torch.inference_mode():
        model(x)
        t = time.perf_counter()
        for _ in range(steps):
            model(x)
        dt = time.perf_counter() - t
    print(json.dumps({"eps": batch * steps / dt, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
