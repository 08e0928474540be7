#!/usr/bin/env bash
# Fetches the photographs of the photographic synthetic generator (docs/synthetic_photo.md) from
# Debian packages into a project folder (default data/photos, what data=synthetic_photo reads).
#
# Each package is fetched with `apt-get download` and unpacked with `dpkg-deb -x` into a temporary
# folder; only the files listed below (the real photographs: the packages also hold drawings and
# abstract renders) and the package's copyright file are kept, under <dest>/<package>/. Nothing is
# installed system-wide, so python3-skimage's 45 dependencies are not pulled in and root is not
# needed once apt's package lists exist. Safe to run again: an existing complete folder is kept.
#
# Usage: bash scripts/setup-photos.sh [DEST]      (npm run setup:photos)
set -euo pipefail
DEST="${1:-data/photos}"

# package|path inside the package (the photographs; licences in docs/synthetic_photo.md)
PHOTOS='
mate-backgrounds|usr/share/backgrounds/mate/nature/Aqua.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/Blinds.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/Dune.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/FreshFlower.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/Garden.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/GreenMeadow.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/LadyBird.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/RainDrops.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/Storm.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/TwoWings.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/Wood.jpg
mate-backgrounds|usr/share/backgrounds/mate/nature/YellowFlower.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/Dragonfly_by_Bolly.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/Picture_0B_by_freespace.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/Picture_1A_by_freespace.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/analogpattern_by_Peter_Nerlich.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/free_by_Peter_Nerlich.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg
lomiri-wallpapers-16.04|usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-20.04|usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/BytheWater/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/ColdRipple/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/DarkestHour/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/EveningGlow/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/FallenLeaf/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/Grey/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/Kite/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/OneStandsOut/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/Path/contents/images/1920x1080.jpg
plasma-workspace-wallpapers|usr/share/wallpapers/summer_1am/contents/images/1920x1080.jpg
python3-skimage|usr/lib/python3/dist-packages/skimage/data/astronaut.png
python3-skimage|usr/lib/python3/dist-packages/skimage/data/chelsea.png
python3-skimage|usr/lib/python3/dist-packages/skimage/data/coffee.png
python3-skimage|usr/lib/python3/dist-packages/skimage/data/rocket.jpg
'
# Photographed objects with alpha masks (Tux Paint's stamps): the folders of photographs, without
# the cartoon/ subfolders and dinosaurs (drawings) or the *_mirror copies; the generator drops the
# remaining drawings by their colour count (src/data/synth/photo_library.ts).
CUTOUT_PACKAGE=tuxpaint-stamps-default
CUTOUT_DIRS='animals vehicles food/fruit food/vegetables'
PACKAGES="$(echo "$PHOTOS" | awk -F'|' 'NF == 2 {print $1}' | sort -u) $CUTOUT_PACKAGE"
WANT=$(echo "$PHOTOS" | awk -F'|' 'NF == 2' | wc -l)

if [ -f "$DEST/SOURCES.txt" ] && [ "$(grep -c '|' "$DEST/SOURCES.txt")" -ge "$WANT" ] && [ -d "$DEST/cutouts/$CUTOUT_PACKAGE" ]; then
  echo "setup-photos: $DEST already holds $WANT photographs and $(find "$DEST/cutouts" -name '*.png' | wc -l) cutouts"
  exit 0
fi
for tool in apt-get dpkg-deb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-photos: needs $tool (Debian/Ubuntu); or set data.synth.photos to a folder of your own photographs" >&2
    exit 1
  fi
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PARTIAL="$DEST.partial-$$"
rm -rf "$PARTIAL"
mkdir -p "$PARTIAL" "$WORK/debs"
download() {
  (cd "$WORK/debs" && apt-get download "$@" >/dev/null 2>&1)
}
# shellcheck disable=SC2086
if ! download $PACKAGES; then
  # Package lists missing or stale: refresh them (root only), then try once more.
  if [ "$(id -u)" = 0 ]; then apt-get update >/dev/null 2>&1 || true; fi
  # shellcheck disable=SC2086
  download $PACKAGES || {
    echo "setup-photos: apt-get download failed for: $PACKAGES (run 'apt-get update' as root first)" >&2
    exit 1
  }
fi
for pkg in $PACKAGES; do
  deb=$(ls "$WORK"/debs/"${pkg}"_*.deb | head -1)
  out="$PARTIAL/$pkg"
  if [ "$pkg" = "$CUTOUT_PACKAGE" ]; then out="$PARTIAL/cutouts/$pkg"; fi
  mkdir -p "$WORK/x/$pkg" "$out"
  dpkg-deb -x "$deb" "$WORK/x/$pkg"
  cp "$WORK/x/$pkg/usr/share/doc/$pkg/copyright" "$out/copyright"
  echo "$pkg $(dpkg-deb -f "$deb" Version)" >>"$PARTIAL/PACKAGES.txt"
done
STAMPS="$WORK/x/$CUTOUT_PACKAGE/usr/share/tuxpaint/stamps"
for d in $CUTOUT_DIRS; do
  (cd "$STAMPS" && find "$d" -name '*.png' ! -path '*/cartoon/*' ! -path '*/dinosaur/*' ! -name '*_mirror*') | while read -r f; do
    mkdir -p "$PARTIAL/cutouts/$CUTOUT_PACKAGE/$(dirname "$f")"
    cp "$STAMPS/$f" "$PARTIAL/cutouts/$CUTOUT_PACKAGE/$f"
  done
done
echo "$PHOTOS" | awk -F'|' 'NF == 2' | while IFS='|' read -r pkg file; do
  # Plasma's photographs are all named by resolution: name them after their folder instead.
  name=$(basename "$file")
  case "$file" in usr/share/wallpapers/*) name="$(echo "$file" | cut -d/ -f4).${file##*.}" ;; esac
  cp "$WORK/x/$pkg/$file" "$PARTIAL/$pkg/$name"
  echo "$pkg|$name|/$file" >>"$PARTIAL/SOURCES.txt"
done
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$PARTIAL" "$DEST"
echo "setup-photos: $WANT photographs and $(find "$DEST/cutouts" -name '*.png' | wc -l) cutouts from $(echo $PACKAGES | wc -w) Debian packages in $DEST ($(du -sh "$DEST" | cut -f1))"
