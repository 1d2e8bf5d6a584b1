# cli-lib.sh — sourced by the shell tests of genomap-cli: the environment, a scratch folder and
# the check/expect helpers.  Each check prints "ok - NAME" or "FAIL - NAME: why".
set -u
cli=${GM_CLI:?GM_CLI must name genomap-cli}
data=${GM_TEST_DATA:?GM_TEST_DATA must name tests/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check () {  # name, expected status, command…
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then
    pass=$((pass + 1)); echo "ok - $name"
  else
    fail=$((fail + 1)); echo "FAIL - $name: exit $got, expected $want"; cat "$tmp/err"
  fi
}
expect () {  # name, file, pattern
  if grep -q -- "$3" "$2"; then
    pass=$((pass + 1)); echo "ok - $1"
  else
    fail=$((fail + 1)); echo "FAIL - $1: '$3' not in:"; cat "$2"
  fi
}

# same NAME FILE FILE: the two files are byte for byte the same
same () {  # name, file, file
  if cmp -s "$2" "$3"; then
    pass=$((pass + 1)); echo "ok - $1"
  else
    fail=$((fail + 1)); echo "FAIL - $1: $2 and $3 differ"
  fi
}
