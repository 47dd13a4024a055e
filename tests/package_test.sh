#!/usr/bin/env bash
# The packaging: man pages pass mandoc's lint, the bash completion parses and completes, and
# the .deb holds the binary, both man pages (gzipped), the completion, its copyright and
# changelog, depends on Debian's packages, has no library search path, passes lintian with
# no error or warning, and installs with apt-get where Debian's libnode108 can be installed
# (a machine with Debian's own node). Run as root under CI (a throwaway machine), it really
# installs the .deb, runs the installed krepis, and purges it again.
#   tests/package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

lint=$(mandoc -Tlint "$source_dir/man/krepis.1" "$source_dir/man/krepis-tenants.5" 2>&1) ||
  fail "mandoc -Tlint: $lint"

bash -n "$source_dir/completions/krepis.bash" || fail "the bash completion does not parse"
if [ -r /usr/share/bash-completion/bash_completion ]; then
  completions=$(bash -c "
    source /usr/share/bash-completion/bash_completion
    source '$source_dir/completions/krepis.bash'
    COMP_WORDS=(krepis ba); COMP_CWORD=1; COMP_LINE='krepis ba'; COMP_POINT=9
    _krepis; echo \"\${COMPREPLY[*]}\"
    COMP_WORDS=(krepis batch --sh); COMP_CWORD=2; COMP_LINE='krepis batch --sh'; COMP_POINT=17
    _krepis; echo \"\${COMPREPLY[*]}\"")
  [[ $completions == *batch* && $completions == *--shard* ]] ||
    fail "completion gave: $completions"
  # Without a manifest, --tenant completes the built-in tenant; --tenants takes any file.
  scratch=$(mktemp -d)
  touch "$scratch/manifest.conf"
  completions=$(cd "$scratch" && bash -c "
    source /usr/share/bash-completion/bash_completion
    source '$source_dir/completions/krepis.bash'
    COMP_WORDS=(krepis run --tenant ''); COMP_CWORD=3; COMP_LINE='krepis run --tenant '
    COMP_POINT=\${#COMP_LINE}; _krepis; echo \"\${COMPREPLY[*]}\"
    COMP_WORDS=(krepis run --tenants ''); COMP_CWORD=3; COMP_LINE='krepis run --tenants '
    COMP_POINT=\${#COMP_LINE}; _krepis; echo \"\${COMPREPLY[*]}\"")
  rm -rf "$scratch"
  [[ $completions == $'default\nmanifest.conf' ]] || fail "completion gave: $completions"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build_dir" && cpack -G DEB -B "$out" >/dev/null) || fail "cpack"
deb=$(ls "$out"/krepis_*.deb)
info=$(dpkg-deb -I "$deb")
grep -q '^ Depends: libnode108' <<<"$info" || fail "Depends: $info"
files=$(dpkg-deb -c "$deb")
for path in ./usr/bin/krepis ./usr/share/man/man1/krepis.1.gz \
  ./usr/share/man/man5/krepis-tenants.5.gz ./usr/share/bash-completion/completions/krepis \
  ./usr/share/doc/krepis/copyright ./usr/share/doc/krepis/changelog.gz; do
  grep -q " $path\$" <<<"$files" || fail "$path is not in the package"
done
dpkg-deb -x "$deb" "$out/root"
if readelf -d "$out/root/usr/bin/krepis" | grep -qE 'RPATH|RUNPATH'; then
  fail "the packaged binary has a library search path: $(readelf -d "$out/root/usr/bin/krepis" | grep PATH)"
fi
command -v lintian >/dev/null || fail "lintian is not installed (scripts/bootstrap installs it)"
# lintian warns that it runs as root; only its findings count.
findings=$(lintian --fail-on error,warning "$deb" 2>/dev/null) || fail "lintian: $findings"

if ! apt-cache policy libnode108 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  echo "package ok: $(basename "$deb") (install not checked: apt knows no libnode108 here;" \
    "its lists are empty or lack Debian's main)"
  exit 0
fi
if ! apt-get -s install libnode108 >/dev/null 2>&1; then
  # Debian's libnode108 needs Debian's own nodejs world (node-acorn wants nodejs); NodeSource's
  # nodejs blocks it. docs/INSTALL.md says what to do on such a machine.
  echo "package ok: $(basename "$deb") (install not checked: libnode108 cannot be installed" \
    "beside this machine's nodejs $(dpkg-query -W -f='${Version}' nodejs 2>/dev/null);" \
    "docs/INSTALL.md)"
  exit 0
fi
apt-get -s install "$deb" >/dev/null 2>&1 ||
  fail "apt-get cannot install it: $(apt-get -s install "$deb" 2>&1 | tail -5)"
if [ "$(id -u)" = 0 ] && [ -n "${CI:-}" ]; then
  dpkg-query -W krepis >/dev/null 2>&1 && fail "a krepis package is installed already: not replacing it"
  trap 'apt-get purge -y -qq krepis >/dev/null 2>&1; rm -rf "$out"' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null 2>&1 ||
    fail "apt-get install failed"
  version=$(/usr/bin/krepis -V) || fail "the installed krepis does not start"
  result=$(/usr/bin/krepis run -p --report=none -e '6 * 7') || fail "the installed krepis cannot run"
  [ "$result" = 42 ] || fail "the installed krepis printed: $result"
  echo "package ok: $(basename "$deb") installed, ran ($version) and purged"
  exit 0
fi
echo "package ok: $(basename "$deb") (apt-get would install it)"
