#!/bin/sh
# The link postinst made, gone with the package (not on upgrade, which keeps /usr/bin/tokentray).
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
  rm -f /usr/bin/docker-credential-tokentray
fi
