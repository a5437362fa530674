#!/bin/sh
# Writes /stage into the root filesystem (at byte OFFSET) of /in/base.img with
# debugfs, checks it, converts to a compressed qcow2 /out/$QCOW of SIZE and,
# when VMDK_OUT is set, a streamOptimized /out/$VMDK_OUT (see vm.go).
set -e
mkdir -p /w /out
qemu-img convert -O raw /in/base.img /w/disk.raw
FS="/w/disk.raw?offset=$OFFSET"
find /stage -type f -name '*.sh' -exec chmod 0755 {} +
: > /w/cmds
cd /stage
find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
  t=${p#.}
  if [ -L "$p" ]; then
    echo "rm $t"; echo "symlink $t $(readlink "$p")"
  elif [ -d "$p" ]; then
    echo "mkdir $t"
  else
    echo "rm $t"; echo "write $p $t"; echo "sif $t mode 0100$(stat -c %a "$p")"
  fi
  [ -L "$p" ] || { echo "sif $t uid 0"; echo "sif $t gid 0"; }
done >> /w/cmds
{
  echo "mkdir /etc/systemd/system/multi-user.target.wants"
  echo "rm /etc/systemd/system/multi-user.target.wants/unisonos-firstboot.service"
  echo "symlink /etc/systemd/system/multi-user.target.wants/unisonos-firstboot.service /etc/systemd/system/unisonos-firstboot.service"
} >> /w/cmds
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f /w/cmds "$FS" > /w/debugfs.log 2>&1 || { cat /w/debugfs.log; exit 1; }
# expected chatter: command echo, "Allocated inode", mkdir of existing folders, rm of new files
if grep -vE '^debugfs|^Allocated inode: [0-9]+$|already exists|File not found by ext2_lookup' /w/debugfs.log | grep -q .; then
  echo "debugfs reported errors:"; grep -vE '^debugfs|^Allocated inode: [0-9]+$|already exists|File not found by ext2_lookup' /w/debugfs.log; exit 1
fi
e2fsck -fn "$FS" > /w/fsck.log 2>&1 || { cat /w/fsck.log; echo "e2fsck found problems after injection"; exit 1; }
qemu-img convert -c -O qcow2 /w/disk.raw "/out/$QCOW"
rm -f /w/disk.raw
qemu-img resize -q "/out/$QCOW" "$SIZE"
qemu-img check -q "/out/$QCOW"
if [ -n "$VMDK_OUT" ]; then
  # one coroutine (-m 1): grains are appended as they are written, so the file
  # layout must not depend on timing (a rebuild under load once differed);
  # compression runs on one thread either way
  qemu-img convert -m 1 -O vmdk -o subformat=streamOptimized "/out/$QCOW" "/out/$VMDK_OUT"
  # qemu-img writes a random content ID (CID=) into the descriptor: make it the
  # first 8 hex digits of the qcow2's SHA-256, so the same disk gives the same bytes
  /tmp/unison/vmdk-cid.sh "/out/$VMDK_OUT" "$(sha256sum "/out/$QCOW" | cut -c1-8)"
  qemu-img check -q "/out/$VMDK_OUT"
fi
cd /out && for f in *; do sha256sum "$f" > "$f.sha256"; done