#!/bin/sh
# A QEMU that dies of SIGSEGV before the guest prints anything.
kill -SEGV $$
