#!/usr/bin/env bash
# The webgpu tests need a Vulkan driver Dawn accepts: Debian 12's Mesa 22.3 lavapipe is rejected, Mesa 25 from
# bookworm-backports works (a software adapter, llvmpipe). Idempotent; the suite is added by backports.sh.
set -euo pipefail
cd "$(dirname "$0")"
mesa=$(dpkg-query -W -f='${Status} ${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [[ "$mesa" == "install ok installed 2"[5-9]* ]] && dpkg-query -W libvulkan1 >/dev/null 2>&1; then
  exit 0
fi
bash ./backports.sh
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "webgpu: $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
