# scripts/deps.sh — sourced by scripts/run and scripts/test: installs what is missing with apt-get.
# Usage: gm_install_deps build|test

gm_build_packages="gcc libc6-dev pkg-config meson ninja-build libglib2.0-dev libhdf5-dev zlib1g-dev libopenblas-dev liblzf-dev libcairo2-dev libgtk-4-dev libadwaita-1-dev gettext"
gm_test_packages="python3 python3-anndata python3-h5py python3-loompy python3-scipy python3-pandas python3-numpy time librsvg2-bin poppler-utils fonts-dejavu-core xvfb xauth desktop-file-utils appstream shared-mime-info libxml2-utils"

gm_install_deps () {
  local wanted="$gm_build_packages"
  [ "$1" = test ] && wanted="$wanted $gm_test_packages"
  local missing=""
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "Installing:$missing"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing
}
