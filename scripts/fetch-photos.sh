#!/usr/bin/env bash
# Builds the training pool and the dev-eval photos from Debian packages (see ../shared/README.md).
# The photos are fetched, never committed: they land in data/ (git-ignored).
# Usage: scripts/fetch-photos.sh [data-dir]     (needs apt-get; run `apt-get update` once first)
set -euo pipefail
out=${1:-data}
mkdir -p "$out/train" "$out/eval" "$out/.debs"
cd "$out/.debs"
pkgs=(plasma-workspace-wallpapers mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 python3-skimage python3-sklearn python3-scipy)
for p in "${pkgs[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p"
done
ex() { mkdir -p "x-$1"; [ -n "$(ls -A "x-$1")" ] || dpkg-deb --fsys-tarfile "$1"_*.deb | tar -x -C "x-$1"; }
for p in "${pkgs[@]}"; do ex "$p"; done
cd ..
# training pool
for d in .debs/x-plasma-workspace-wallpapers/usr/share/wallpapers/*/; do
  name=$(basename "$d"); [ "$name" = Autumn ] && continue
  f="$d/contents/images/2560x1600.jpg"; [ -f "$f" ] && cp "$f" "train/plasma-$name.jpg"
done
for f in .debs/x-mate-backgrounds/usr/share/backgrounds/mate/nature/*.jpg; do cp "$f" "train/mate-$(basename "$f")"; done
for f in .debs/x-lomiri-wallpapers-16.04/usr/share/backgrounds/*.jpg; do
  b=$(basename "$f"); [ "$b" = umang_by_Abhishek_Mudgal.jpg ] && continue; cp "$f" "train/lomiri-$b"
done
cp .debs/x-lomiri-wallpapers-20.04/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg train/lomiri20-Kleiber_by_Lukas_Baubkus.jpg
# dev-eval photos (never trained on)
sk=.debs/x-python3-skimage/usr/lib/python3/dist-packages/skimage/data
for n in astronaut chelsea coffee motorcycle_left; do cp "$sk/$n.png" "eval/$n.png"; done
cp "$sk/rocket.jpg" eval/rocket.jpg
sl=.debs/x-python3-sklearn/usr/lib/python3/dist-packages/sklearn/datasets/images
cp "$sl/china.jpg" "$sl/flower.jpg" eval/
face=.debs/x-python3-scipy/usr/lib/python3/dist-packages/scipy/misc/face.dat
[ -f "$face" ] && bzip2 -dc "$face" > eval/face.rgb1024x768
echo "train: $(ls train | wc -l) photos; eval: $(ls eval | wc -l) files in $out"
