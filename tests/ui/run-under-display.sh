#!/bin/sh
# tests/ui/run-under-display.sh PROGRAM [ARGS…] — runs a UI test with a display:
# the current one when there is one, else a private Xvfb through xvfb-run;
# exit 77 (skipped) when neither exists.
if [ -n "${WAYLAND_DISPLAY:-}" ] || [ -n "${DISPLAY:-}" ]; then
  exec "$@"
fi
if command -v xvfb-run >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
fi
echo "no display and no Xvfb (apt-get install xvfb xauth): skipping" >&2
exit 77
