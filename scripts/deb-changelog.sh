#!/usr/bin/env bash
# Prints debian/changelog for version $1 (the version of src/core/version.h, given by
# `make deb`): the package's version has one source. Dated by the last commit, so that the
# same sources give the same package; by the time of the build outside a git checkout.
set -euo pipefail
version=${1:?usage: deb-changelog.sh VERSION}
here=$(dirname "$0")
when=$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)
maintainer=$(sed -n 's/^Maintainer: //p' "$here/../debian/control")
cat <<END
itslog (${version}) unstable; urgency=medium

  * its-log ${version}, packaged from its own sources (make deb).

 -- ${maintainer}  $(date -R -u -d "@${when}")
END
