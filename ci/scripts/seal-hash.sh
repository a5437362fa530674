#!/bin/sh
# Puts the password hash where $PLACEHOLDER stands in each file given (paths
# under /stage): the hash is /run/secrets/hash, the whole file less one final
# newline, the bytes weak-hash.sh and ident.Admin check. The payload texts are
# written with the placeholder so that the hash stays a Dagger secret: no
# call argument, cache key or trace holds it. A file without the placeholder,
# or with one left after, fails the build. Nothing secret is printed.
set -eu
[ -s /run/secrets/hash ] || { echo "seal-hash: no password hash in /run/secrets/hash" >&2; exit 1; }
for f in "$@"; do
  grep -qF -- "$PLACEHOLDER" "/stage/$f" || { echo "seal-hash: $f has no $PLACEHOLDER" >&2; exit 1; }
  perl -0777 -pi -e 'BEGIN { open my $h, "<", "/run/secrets/hash" or die "seal-hash: $!\n"; local $/; our $hash = <$h>; $hash =~ s/\r?\n\z//; }
                      s/\Q$ENV{PLACEHOLDER}\E/$hash/g' "/stage/$f"
  if grep -qF -- "$PLACEHOLDER" "/stage/$f"; then echo "seal-hash: $f: the placeholder is left" >&2; exit 1; fi
done
