#!/bin/sh
# personalize-iso, first step: checks /in/public.iso against EXPECTED (its
# SHA-256 from the release's SHA256SUMS) and reads what the personalized copy
# keeps: /out/user-data, /out/meta-data, /out/epoch (the published payload's
# timestamp, SOURCE_DATE_EPOCH of the copy), /out/volid and /out/metadata.json
# (the bundle's on the medium: its version says the release's channel).
set -eu
mkdir -p /out
got=$(sha256sum /in/public.iso | cut -d' ' -f1)
if [ "$got" != "$EXPECTED" ]; then
  echo "iso: SHA-256 $got is not the one SHA256SUMS lists for $NAME ($EXPECTED): a corrupted or different file" >&2
  exit 1
fi
xorriso -osirrox on -indev /in/public.iso -extract /nocloud/user-data /out/user-data -extract /nocloud/meta-data /out/meta-data >/tmp/x.log 2>&1 ||
  { echo "iso: no /nocloud/user-data (not a UnisonOS ISO?): $(tail -1 /tmp/x.log)" >&2; exit 1; }
stat -c %Y /out/user-data > /out/epoch
: > /tmp/t.log
if ! { xorriso -osirrox on -indev /in/public.iso -extract "/nocloud/$BUNDLE" /tmp/bundle.tar.gz >/tmp/x.log 2>&1 &&
  tar -xzOf /tmp/bundle.tar.gz unison-platform/metadata.json > /out/metadata.json 2>/tmp/t.log; }; then
  echo "iso: no unison-platform/metadata.json in /nocloud/$BUNDLE (not a UnisonOS release ISO?): $(tail -1 /tmp/x.log) $(tail -1 /tmp/t.log)" >&2
  exit 1
fi
xorriso -indev /in/public.iso -pvd_info 2>/dev/null | sed -n "s/^Volume Id *: *//p" > /out/volid
