#!/usr/bin/env bash
# The device check for a GPU machine with a Vulkan driver but no Node, no node_modules and no network.
# Unpacks the bundle that `npm run build:gpu-bundle` wrote (dist-gpu/: bench.mjs, dawn.node.xz, node.xz), then
# prints the `ecgfm doctor` report, runs the train bench on webgpu, and ends with one line:
#   gpu: backend=<..> adapter="<..>" train_sps=<..> infer_sps=<..>
# Usage: bench/gpu.sh [bench/train.ts options, default P125 D512 L4, batch 32]   (GPU_BUNDLE=dir overrides dist-gpu/)
# Runs on a software adapter too (llvmpipe), just slowly: pass a small model there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${GPU_BUNDLE:-$here/dist-gpu}"
for f in bench.mjs dawn.node.xz node.xz; do
  [ -f "$bundle/$f" ] || { echo "gpu.sh: $bundle/$f is missing; run npm run build:gpu-bundle first" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/ecgfm-gpu.XXXXXX")"
trap 'rm -rf "$work"' EXIT

unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  elif command -v python3 >/dev/null 2>&1; then python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else echo "gpu.sh: neither xz nor python3 is here to unpack $1" >&2; exit 1
  fi
}
started=$(date +%s)
unxz_to "$bundle/node.xz" "$work/node" && chmod +x "$work/node"
unxz_to "$bundle/dawn.node.xz" "$work/dawn.node"
cp "$bundle/bench.mjs" "$work/bench.mjs"
export ECGFM_DAWN_NODE="$work/dawn.node"
export ECGFM_WORKSPACE="$work/workspace"
cd "$work"   # no node_modules anywhere above this folder's files

echo "== machine: $(uname -srm); $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -r /proc/driver/nvidia/version ] && echo "== NVIDIA: $(head -1 /proc/driver/nvidia/version)"
echo "== ecgfm doctor"
"$work/node" bench.mjs doctor 2>&1 | grep -v 'artificially reduced' || true
echo "== train bench on webgpu"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--patch 125 --depth 4 --dim 512 --batch 32 --infer-batch 64 --steps 5)
"$work/node" bench.mjs train --backend webgpu "${args[@]}" 2>&1 | grep -v 'artificially reduced' | tee "$work/train.txt"
line="$(grep '^train:' "$work/train.txt" || true)"
[ -n "$line" ] || { echo "gpu.sh: the train bench printed no train: line" >&2; exit 1; }
adapter="$("$work/node" bench.mjs adapter 2>/dev/null | tail -1)"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
backend="$(sed -n 's/^train: backend=\([^ ]*\).*/\1/p' <<<"$line")"
echo "== done in $(( $(date +%s) - started )) s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gpu: backend=$backend adapter=\"$adapter\" train_sps=$(field train_sps) infer_sps=$(field infer_sps)"
