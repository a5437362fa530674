#!/bin/sh
# Prints the commit time (RFC 3339) of HEAD of the git directory /git.
set -e
git --git-dir=/git show -s --format=%cI HEAD
