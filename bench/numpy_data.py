"""numpy/scipy baselines for bench/data.ts (Debian's python3-numpy and python3-scipy).

  import DIR OUT   PTB-XL 500 Hz records of DIR: read each WFDB record (format 16), convert to mV, resample to
                   250 Hz with resample_poly, write a float32 memmap (N, 12, 2500). Prints {"records", "seconds"}.
  loader SRC N B   a float16 memmap loader: SRC holds the float16 (M, 12, 2500) ECGs; one shuffled epoch over N
                   indices (index mod M, as bench/data.ts replicates M real records to N), batches of B converted
                   to float32. Prints {"ecgs", "seconds"}.
"""
import csv
import json
import os
import sys
import time

import numpy as np
from scipy.signal import resample_poly


def read_wfdb(hea):
    lines = [l for l in open(hea) if l.strip() and not l.startswith('#')]
    n_sig, fs, n = (int(float(x)) for x in lines[0].split()[1:4])
    gains, bases = [], []
    for l in lines[1:1 + n_sig]:
        g = l.split()[2].split('/')[0]
        gains.append(float(g.split('(')[0]))
        bases.append(float(g.split('(')[1].rstrip(')')) if '(' in g else 0.0)
    dat = os.path.join(os.path.dirname(hea), lines[1].split()[0])
    d = np.fromfile(dat, dtype='<i2', count=n * n_sig).reshape(n, n_sig).T
    return (d - np.array(bases)[:, None]) / np.array(gains)[:, None], fs


def run_import(folder, out):
    rows = list(csv.DictReader(open(os.path.join(folder, 'ptbxl_database.csv'))))
    paths = [os.path.join(folder, r['filename_hr'] + '.hea') for r in rows]
    paths = [p for p in paths if os.path.exists(p)]
    t0 = time.perf_counter()
    mm = np.lib.format.open_memmap(out, mode='w+', dtype=np.float32, shape=(len(paths), 12, 2500))
    for i, p in enumerate(paths):
        x, fs = read_wfdb(p)
        mm[i] = resample_poly(x, 250, int(fs), axis=1)[:, :2500]
    mm.flush()
    print(json.dumps({'records': len(paths), 'seconds': time.perf_counter() - t0}))


def run_loader(src, n, batch):
    x32 = np.load(src, mmap_mode='r')
    f16 = src + '.f16'
    np.lib.format.open_memmap(f16, mode='w+', dtype=np.float16, shape=x32.shape)[:] = x32
    mm = np.load(f16, mmap_mode='r')
    m = mm.shape[0]
    order = np.random.default_rng(1).permutation(n)
    # Warm the page cache, as bench/data.ts does for its cache.
    np.asarray(mm[:]).sum()
    t0 = time.perf_counter()
    seen = 0
    for b in range(0, n, batch):
        idx = np.sort(order[b:b + batch] % m)
        out = mm[idx].astype(np.float32)
        seen += out.shape[0]
    print(json.dumps({'ecgs': seen, 'seconds': time.perf_counter() - t0}))
    os.remove(f16)


if __name__ == '__main__':
    if sys.argv[1] == 'import':
        run_import(sys.argv[2], sys.argv[3])
    else:
        run_loader(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
