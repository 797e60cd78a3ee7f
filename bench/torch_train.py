"""PyTorch reference for bench/train.ts: the same ViT (P, D, L), GL pre-training step and inference.

Run by bench/train.ts when /usr/bin/python3 can import torch. For a fair baseline use Debian's python3-torch with
libopenblas0-pthread, OPENBLAS_NUM_THREADS=1 and 2 intra-op threads. Prints one JSON line.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, dim * mlp_ratio)
        self.fc2 = nn.Linear(dim * mlp_ratio, dim)

    def forward(self, x):
        b, n, d = x.shape
        h = self.ln1(x)
        q, k, v = self.qkv(h).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        w = torch.softmax((q / math.sqrt(d // self.heads)) @ k.transpose(-1, -2), dim=-1)
        x = x + self.out((w @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def heads_for(dim):
    h = max(1, round(dim / 64))
    while h > 1 and dim % h:
        h -= 1
    return h


class Vit(nn.Module):
    def __init__(self, patch, depth, dim, dec_depth=2):
        super().__init__()
        self.patch, self.n = patch, 2500 // patch
        self.proj = nn.Linear(12 * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, self.n, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads_for(dim)) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        dd = dim // 2
        self.dec_embed = nn.Linear(dim, dd)
        self.mask = nn.Parameter(torch.zeros(1, 1, dd))
        self.dec_pos = nn.Parameter(torch.randn(1, self.n, dd) * 0.02)
        self.dec_blocks = nn.ModuleList([Block(dd, heads_for(dd)) for _ in range(dec_depth)])
        self.dec_norm = nn.LayerNorm(dd, eps=1e-6)
        self.pred = nn.Linear(dd, 12 * patch)

    def patchify(self, x):
        b = x.shape[0]
        x = x[:, :, : self.n * self.patch].reshape(b, 12, self.n, self.patch).permute(0, 2, 1, 3)
        return x.reshape(b, self.n, 12 * self.patch)

    def encode(self, patches, keep=None):
        x = self.proj(patches) + self.pos
        if keep is not None:
            x = torch.gather(x, 1, keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def embed(self, signals):
        return self.encode(self.patchify(signals))[:, 0]

    def gl_loss(self, signals, ratio=0.75):
        patches = self.patchify(signals)
        b, n, w = patches.shape
        visible = n - round(ratio * n)
        order = torch.rand(b, n).argsort(1)
        keep = order[:, :visible].sort(1).values
        tokens = self.encode(patches, keep)[:, 1:]
        x = self.dec_embed(tokens)
        full = self.mask.expand(b, n, -1).clone()
        full.scatter_(1, keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]), x)
        x = full + self.dec_pos
        for blk in self.dec_blocks:
            x = blk(x)
        pred = self.pred(self.dec_norm(x))
        masked = torch.ones(b, n)
        masked.scatter_(1, keep, 0)
        err = (pred - patches).abs().mean(-1)
        return (err * masked).sum() / masked.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--patch', type=int, default=125)
    ap.add_argument('--depth', type=int, default=4)
    ap.add_argument('--dim', type=int, default=512)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--infer-batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Vit(a.patch, a.depth, a.dim)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-5)
    x = torch.randn(a.batch, 12, 2500)
    for i in range(a.steps + 1):
        if i == 1:
            t0 = time.perf_counter()
        opt.zero_grad()
        model.gl_loss(x).backward()
        opt.step()
    train = a.batch * a.steps / (time.perf_counter() - t0)
    xi = torch.randn(a.infer_batch, 12, 2500)
    with torch.no_grad():
        model.embed(xi)
        t0 = time.perf_counter()
        for _ in range(a.steps):
            model.embed(xi)
        infer = a.infer_batch * a.steps / (time.perf_counter() - t0)
    print(json.dumps({'train_sps': train, 'infer_sps': infer, 'torch': torch.__version__, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
