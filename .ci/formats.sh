#!/usr/bin/env bash
# The format readers' independent oracles (tests/formats): pydicom's waveform_array and its 12-lead ECG test object,
# mne's EDF reader, and biosig-tools' save2gdf (aECG, EDF, BDF); numpy and scipy for the data tests' resampler and
# npz oracles. Debian packages, used through /usr/bin/python3.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import numpy, scipy, pydicom' 2>/dev/null || need+=(python3-numpy python3-scipy python3-pydicom)
/usr/bin/python3 -c 'import mne' 2>/dev/null || need+=(python3-mne)
command -v save2gdf >/dev/null 2>&1 || need+=(biosig-tools)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
