#!/usr/bin/env bash
# Configures (once) and builds holdfast and its tests, or only the targets given as arguments
# (scripts/build.sh holdfast).
#
# Environment:
#   BUILD_DIR          build directory, relative to the repository root or absolute (build)
#   CMAKE_BUILD_TYPE   build type (RelWithDebInfo)
#   CMAKE_ARGS         extra arguments for the configure step
#   JOBS               parallel jobs (the number of CPUs)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$REPO"
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"

have cmake || die "cmake not found; run scripts/deps.sh"

configure=(-S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}")
# The generator can only be chosen when the build directory is new.
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]] && have ninja; then
  configure+=(-G Ninja)
fi
# shellcheck disable=SC2206
configure+=(${CMAKE_ARGS:-})

cmake "${configure[@]}"
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
