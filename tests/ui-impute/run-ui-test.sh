#!/usr/bin/env bash
# run-ui-test.sh PROGRAM [ARGS…] — runs a GTK test program with a display:
# the session's own, else Xvfb (xvfb-run), else a private Broadway server
# (gtk4-broadwayd, shipped with GTK 4).  Exits 77 (meson: skipped) when none
# of these exists.
set -u

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$@"
fi
if command -v xvfb-run > /dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
fi

broadwayd=""
for d in gtk4-broadwayd broadwayd; do
  if command -v "$d" > /dev/null 2>&1; then broadwayd=$d; break; fi
done
if [ -z "$broadwayd" ]; then
  echo "no display, no xvfb-run and no gtk4-broadwayd: skipping" >&2
  exit 77
fi

# A free display number: the server exits at once when its socket is taken.
rundir=${XDG_RUNTIME_DIR:-$HOME/.cache}
for try in 1 2 3 4 5 6 7 8; do
  n=$(( 20 + (RANDOM % 400) ))
  "$broadwayd" ":$n" > /dev/null 2>&1 &
  pid=$!
  for i in $(seq 50); do
    if [ -S "$rundir/broadway$((n + 1)).socket" ] || ! kill -0 "$pid" 2> /dev/null; then break; fi
    sleep 0.1
  done
  if kill -0 "$pid" 2> /dev/null; then break; fi
  pid=""
done
if [ -z "$pid" ]; then
  echo "could not start $broadwayd: skipping" >&2
  exit 77
fi
socket="$rundir/broadway$((n + 1)).socket"
trap 'kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; rm -f "$socket"' EXIT

GDK_BACKEND=broadway BROADWAY_DISPLAY=":$n" "$@"
