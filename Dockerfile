# emotion-stream: one image for every pipeline worker (`worker <stage>`), `up`, and the CLI.
#   docker build -t emotion-stream .
#   docker run --rm emotion-stream --help
# docker-compose.yml runs one container per stage from this image.
FROM node:20-bookworm-slim

# ffmpeg decodes/encodes video; OpenCV 4 (headers + libs) is what @u4/opencv4nodejs links
# against, opencv-data ships the Haar cascades; g++/make/python3 are node-gyp's toolchain.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg libopencv-dev opencv-data g++ make python3 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a source change does not reinstall them (layer cache).
# As scripts/setup.sh: build @u4/opencv4nodejs against Debian's OpenCV instead of downloading
# and compiling OpenCV. The lib dir follows the build architecture (x86_64 or aarch64), and
# nodedir is /usr/local because that is where this image's Node.js and its headers live
# (the repo's .npmrc says /usr, right for a Debian-packaged Node on a host, not here).
COPY package.json package-lock.json .npmrc ./
RUN OPENCV4NODEJS_DISABLE_AUTOBUILD=1 \
    OPENCV_INCLUDE_DIR=/usr/include/opencv4 \
    OPENCV_LIB_DIR="/usr/lib/$(gcc -dumpmachine)" \
    OPENCV_BIN_DIR=/usr/bin \
    npm_config_nodedir=/usr/local \
    JOBS=max \
    npm ci --no-audit --no-fund \
 && npm cache clean --force

COPY . .

# Run as the image's unprivileged `node` user (uid 1000). It owns only what a worker writes
# inside the container: training runs and the dataset cache (relative to /app), new model
# versions (/app/models) and /out.
# Bind-mounted host folders (./out, ./models) must be writable by uid 1000.
RUN mkdir -p /app/runs /app/.cache /out \
 && chown node:node /app/runs /app/.cache /out \
 && chown -R node:node /app/models
USER node

# Workers serve Prometheus /metrics and /healthz here; the gateway serves ws://:8080/events.
EXPOSE 9464 8080

ENTRYPOINT ["node", "bin/emotion-stream.js"]
CMD ["--help"]
