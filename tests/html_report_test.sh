#!/usr/bin/env bash
# The report page (`krepis batch --html`, `summarize --html`) in a real browser: Debian's
# chromium, headless. A batch whose jobs log and throw hostile markup writes the page; the
# browser must render it with no console message (the page has no script, and a
# Content-Security-Policy of default-src 'none' would report any that markup smuggled in),
# the DOM must hold the counts, and none of the hostile strings may have become an element.
# A screenshot is taken (BUILD_DIR/report.png). Skips (77) where chromium is not installed:
# scripts/bootstrap installs it.
#   tests/html_report_test.sh KREPIS_BIN BUILD_DIR
set -euo pipefail
krepis=$1
build_dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (scripts/bootstrap installs Debian's chromium)"
  exit 77
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Its own profile, nothing of the user's; the sandbox off only where chromium refuses it (root).
browser_options=(--headless --disable-gpu --user-data-dir="$scratch/profile")
[ "$(id -u)" = 0 ] && browser_options+=(--no-sandbox)
jobs=$scratch/jobs
mkdir -p "$jobs/acme" "$jobs/beta"
printf '[tenants.acme]\ndeadline_ms = 5000\n[tenants.beta]\ndeadline_ms = 5000\n' > "$scratch/tenants.toml"
for i in 1 2 3 4 5; do echo "$i * 2" > "$jobs/acme/ok-$i.js"; done
cat > "$jobs/acme/hostile-log.js" <<'JS'
console.log('<script>console.error("injected")</script><img src=x onerror="console.error(1)">');
throw new Error('<img src=x onerror="console.error(2)"> & </details><b id="forged">forged</b>');
JS
cat > "$jobs/beta/hostile-result.js" <<'JS'
throw new Error('<style>body{display:none}</style>"\' <a href="javascript:alert(1)">x</a>');
JS
echo 'for (;;) {}' > "$jobs/beta/spins.js"
printf '[tenants.acme]\ndeadline_ms = 5000\n[tenants.beta]\ndeadline_ms = 300\n' > "$scratch/tenants.toml"

status=0
"$krepis" batch --tenants "$scratch/tenants.toml" --json --html "$scratch/batch.html" "$jobs" \
  > "$scratch/batch.jsonl" || status=$?
[ "$status" = 124 ] || fail "batch exited $status, expected 124 (a timeout)"
status=0
"$krepis" summarize --html "$scratch/summary.html" "$scratch/batch.jsonl" > /dev/null || status=$?
[ "$status" = 124 ] || fail "summarize exited $status, expected 124 (a timeout)"

for page in batch summary; do
  html=$scratch/$page.html
  [ -s "$html" ] || fail "$page.html was not written"
  # No live markup in the file itself: every hostile tag is escaped.
  if grep -Eqi '<(script|img|a |b id="forged|style>body)' "$html"; then
    fail "$page.html holds live markup from a script: $(grep -Eoi '<(script|img|a |b id="forged|style>body)[^>]*' "$html" | head -3)"
  fi
  dom=$(timeout 120 "$browser" "${browser_options[@]}" --enable-logging=stderr --v=0 \
          --dump-dom "file://$html" 2> "$scratch/$page.log") ||
    fail "chromium could not render $page.html: $(tail -3 "$scratch/$page.log")"
  if grep -q ':CONSOLE' "$scratch/$page.log"; then
    fail "the browser logged console messages for $page.html: $(grep ':CONSOLE' "$scratch/$page.log")"
  fi
  for expected in 'id="count-ok">5<' 'id="count-error">2<' 'id="count-timeout">1<' \
                  'id="count-oom">0<'; do
    [[ $dom == *"$expected"* ]] || fail "the DOM of $page.html lacks $expected"
  done
  [[ $dom != *'<b id="forged"'* ]] || fail "a script's markup became an element in $page.html"
  [[ $dom == *'&lt;img src=x onerror='* ]] || fail "the hostile error is not shown as text"
  [[ $dom == *'<svg'* ]] || fail "$page.html has no chart"
done

timeout 120 "$browser" "${browser_options[@]}" --hide-scrollbars --window-size=1200,2200 \
  --screenshot="$build_dir/report.png" "file://$scratch/batch.html" \
  2> "$scratch/screenshot.log" || fail "no screenshot: $(tail -3 "$scratch/screenshot.log")"
[ "$(head -c 4 "$build_dir/report.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
  fail "the screenshot is not a PNG"
echo "ok: the report page renders with no console message, and the screenshot is $build_dir/report.png"
