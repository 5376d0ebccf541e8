#!/usr/bin/env bash
# End-to-end tests drive Debian's chromium through Playwright (no browser download).
# Install it from Debian's packages when missing and when we can (root + apt-get).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installation de chromium (paquet Debian) pour les tests de bout en bout"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "Attention : chromium est absent ; installez le paquet Debian « chromium » (sudo apt-get install chromium)." >&2
    echo "Sans lui, les tests de bout en bout échouent sous CI et sont sautés ailleurs." >&2
fi
