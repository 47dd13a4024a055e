#!/usr/bin/env bash
# The packaging: man pages pass mandoc's lint, the bash completion parses and completes, and
# the .deb holds the binary, both man pages and the completion, depends on Debian's
# packages, and its binary points into no build folder.
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
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build_dir" && cpack -G DEB -B "$out" >/dev/null) || fail "cpack"
deb=$(ls "$out"/krepis_*.deb)
info=$(dpkg-deb -I "$deb")
grep -q '^ Depends: libnode108' <<<"$info" || fail "Depends: $info"
files=$(dpkg-deb -c "$deb")
for path in ./usr/bin/krepis ./usr/share/man/man1/krepis.1 ./usr/share/man/man5/krepis-tenants.5 \
  ./usr/share/bash-completion/completions/krepis; do
  grep -q " $path\$" <<<"$files" || fail "$path is not in the package"
done
dpkg-deb -x "$deb" "$out/root"
if readelf -d "$out/root/usr/bin/krepis" | grep -E 'RPATH|RUNPATH' | grep -q "$build_dir"; then
  fail "the packaged binary looks for libraries in the build folder"
fi
echo "package ok: $(basename "$deb")"
