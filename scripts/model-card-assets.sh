#!/usr/bin/env bash
# Regenerates the measured assets of a model card: Γ calibration and the encoder's coding schedule
# (both on training photos), the
# validation bound on the dev-eval photos (64x64 centre crops), a sample grid and training curves
# (from the log, and before its first step from the validation history the model file records).
# Usage: scripts/model-card-assets.sh models/photo-s runs/photo-s.log [init-offset-steps]
set -euo pipefail
dir=$1; log=$2; offset=${3:-0}
model=$dir/model.ddpm-model
node dist/src/cli/main.js bound --model "$model" --data data/train --size 64 --limit 16 --calibrate > /dev/null
node dist/src/cli/main.js schedule --model "$model" --data data/train --size 64 --limit 16
node dist/src/cli/main.js bound --model "$model" --data data/eval --size 64 --json > "$dir/bound-eval-64.json"
node dist/src/cli/main.js sample --model "$model" -o "$dir/samples.png" --n 16 --size 64 --steps 50 --mode sample --force
node dist/bench/training-curve.js "$log" "$dir/training-curve" --offset "$offset" --history "$model"
