#!/usr/bin/env bash
# Installs everything emotion-stream needs on a Debian/Ubuntu machine with Node.js 20:
# system packages (ffmpeg, OpenCV 4 headers + Haar cascades), then the npm dependencies,
# building @u4/opencv4nodejs against the system OpenCV (no OpenCV download or build).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
dpkg -s libopencv-dev >/dev/null 2>&1 || need_apt+=(libopencv-dev)
dpkg -s opencv-data >/dev/null 2>&1 || need_apt+=(opencv-data)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++ make python3)
# The test suite's own needs: a redis-server binary (tests start their own to kill and restart
# it) and docker-compose (to check docker-compose.yml; no Docker engine is needed for that).
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v rtsp-server-perl >/dev/null 2>&1 || need_apt+=(rtsp-server-perl)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)   # the TLS (rediss://) test makes its own certificate
dpkg -s mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto)   # MQTT output tests start their own broker (it lives in /usr/sbin)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# @u4/opencv4nodejs: link against Debian's OpenCV instead of building OpenCV from source;
# nodedir=/usr uses the installed Node headers instead of downloading them.
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
export OPENCV_LIB_DIR="/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"
export OPENCV_BIN_DIR=/usr/bin
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
export JOBS="${JOBS:-max}"

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
node --import tsx -e "import('./pipeline/opencv.ts').then(m => console.error('setup: OpenCV', Object.values(m.default.version).join('.'), 'ready'))"
