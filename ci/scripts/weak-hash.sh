#!/bin/sh
# Prints "weak" when the crypt(3) hash in /run/secrets/hash is the hash of one
# of the passwords given as arguments (re-hashed with the hash's own salt and
# parameters by libxcrypt, through perl's crypt), else "ok". The hash is the
# whole file less one final newline: the value ident.Admin checks and the
# build renders (anything else around it is refused there). Nothing secret
# is printed.
set -eu
for pw in "$@"; do
  if perl -e 'open my $f, "<", "/run/secrets/hash" or die; local $/; my $h = <$f>; $h =~ s/\r?\n\z//;
              exit(crypt($ARGV[0], $h) eq $h ? 0 : 1)' "$pw"; then
    echo weak
    exit 0
  fi
done
echo ok
