#!/usr/bin/env bash
# Renders a digest of the labelled news set in headless Chromium and checks the picture is not
# blank. With --update, the light and dark screenshots replace docs/digest.png and
# docs/digest-dark.png (the README shows them); without, they go to a temporary directory.
#
# Needs: the debug binary (built here), python3, and Debian's chromium (apt-get install
# chromium). Chromium runs with no network access of its own and an empty profile.
set -euo pipefail
cd "$(dirname "$0")/.."

update=false
[ "${1:-}" = "--update" ] && update=true
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "render-digest: chromium is not installed (apt-get install chromium)" >&2
    exit 1
fi
cargo build --quiet --bin lodestone
lodestone="$PWD/target/debug/lodestone"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The labelled items as JSON Feeds, one source per source and main topic: the digest takes
# topics from the sources' hints until the classifier fills them, and a source's title is what
# the digest shows, so "SMM News" stays "SMM News".
python3 - "$work" <<'PY'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
titles = {"smm-news": "SMM News", "metals-wire": "Metals Wire", "magnet-journal": "Magnet Journal",
          "asia-metals-brief": "Asia Metals Brief"}
feeds = {}
for path in sorted(pathlib.Path("tests/fixtures/labelled").glob("items-*.jsonl")):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        name = "%s-%s" % (item["source"], item["topics"][0])
        feeds.setdefault(name, {"title": titles.get(item["source"], item["source"]), "topic": item["topics"][0], "items": []})
        feeds[name]["items"].append({"id": item["id"], "url": item["url"], "title": item["title"],
                                     "content_text": item["body"], "date_published": item["published"]})
config = ["[storage]", 'path = "%s"' % (work / "digest.db"), ""]
for name, feed in sorted(feeds.items()):
    (work / (name + ".json")).write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                                     "title": feed["title"], "items": feed["items"]}))
    config += ["[[source]]", 'name = "%s"' % name, 'title = "%s"' % feed["title"],
               'url = "http://127.0.0.1:9/%s"' % name, "enabled = false", 'topics = ["%s"]' % feed["topic"], ""]
config += ["[digest]", 'at = "07:00"', 'timezone = "Asia/Shanghai"', "",
           "[[digest.recipient]]", 'name = "desk"', 'email = "desk@example.com"', "",
           "[smtp]", 'host = "127.0.0.1"', "port = 25", 'security = "none"', 'from = "lodestone <news@example.com>"', ""]
(work / "lodestone.toml").write_text("\n".join(config))
(work / "sources.txt").write_text("\n".join(sorted(feeds)))
PY
while read -r name; do
    "$lodestone" --config "$work/lodestone.toml" -q ingest --source "$name" "$work/$name.json" >/dev/null
done < "$work/sources.txt"
"$lodestone" --config "$work/lodestone.toml" -q digest --date 2026-02-07 --out "$work/out" >/dev/null

shots="$work"
$update && shots="$PWD/docs"
render() {
    local output=$1; shift
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-quic \
        --user-data-dir="$(mktemp -d -p "$work")" --hide-scrollbars --window-size=720,1500 \
        "$@" --screenshot="$output" "file://$work/out/2026-02-07-desk.html" >/dev/null 2>&1
}
render "$shots/digest.png"
render "$shots/digest-dark.png" --force-dark-mode --blink-settings=preferredColorScheme=0

# Not blank: many colours, and a good share of pixels that are not the background.
python3 scripts/png_check.py "$shots/digest.png" "$shots/digest-dark.png"
echo "render-digest: ok ($shots/digest.png, $shots/digest-dark.png)"
