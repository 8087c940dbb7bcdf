#!/usr/bin/env bash
# The Debian libraries NPP needs outside Python: WeasyPrint (Pango, HarfBuzz with its
# fast font-subsetting library, a font and Noto Sans Devanagari for Hindi), gettext
# (msgfmt: the compiled translations), libmagic for sniffing uploads, and poppler-utils
# (pdfinfo, pdftoppm) with which the tests read the generated papers as a reader would.
# Installs what is missing when run as root; otherwise names the command to run.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core libmagic1 poppler-utils gettext)
# The browser tests drive Debian's Chromium: installed with --browser or when
# NPP_REQUIRE_BROWSER=1 (CI), since a missing browser then fails the run.
if [[ "${1:-}" == "--browser" || "${NPP_REQUIRE_BROWSER:-}" == "1" ]]; then
    packages+=(chromium)
fi
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
((${#missing[@]})) || exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system libraries: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing ${missing[*]}"
# Refresh the package lists only when they are missing or too old to find the packages.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
    apt-get update -q
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
