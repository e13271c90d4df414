#!/bin/sh
# First start of a student's server: copy the course notebooks into the (persistent) home, never over
# the student's own work, and link the course's packages so `import … from "reti"` resolves from there.
set -eu
for nb in /srv/course/workspace/*.ipynb; do
  [ -e "$HOME/$(basename "$nb")" ] || cp "$nb" "$HOME/"
done
[ -e "$HOME/node_modules" ] || ln -s /srv/course/node_modules "$HOME/node_modules"
exec "$@"
