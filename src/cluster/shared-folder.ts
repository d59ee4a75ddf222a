/**
 * Whether a folder can be shared by the nodes of a cluster: the file system type under it
 * (statfs magic numbers, as in Linux's magic.h and the vendors' headers). Network and
 * parallel file systems are shared; local disks and tmpfs are not, which only works when
 * the cluster is this one machine.
 */
import { mkdirSync, statfsSync } from 'node:fs';

const SHARED: Record<number, string> = {
  0x6969: 'NFS',
  0x0bd00bd0: 'Lustre',
  0x47504653: 'GPFS (Spectrum Scale)',
  0x19830326: 'BeeGFS',
  0x00c36400: 'CephFS',
  0xff534d42: 'CIFS',
  0xfe534d42: 'SMB2',
  0xaad7aad7: 'PanFS',
  0x65735546: 'FUSE (e.g. a network mount)',
  0x013111a8: 'IBRIX',
  0x01161970: 'GFS2',
  0x7461636f: 'OCFS2',
};

const LOCAL: Record<number, string> = {
  0xef53: 'ext2/3/4',
  0x58465342: 'XFS',
  0x01021994: 'tmpfs',
  0x9123683e: 'Btrfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'ZFS',
  0xf2f52010: 'F2FS',
};

export interface FolderSharing {
  fileSystem: string;
  /** true: a network/parallel file system; false: local; null: not known. */
  shared: boolean | null;
}

export function folderSharing(dir: string): FolderSharing {
  mkdirSync(dir, { recursive: true });
  // statfs reports the type as a signed or unsigned number depending on the platform.
  const type = statfsSync(dir).type >>> 0;
  if (type in SHARED) return { fileSystem: SHARED[type], shared: true };
  if (type in LOCAL) return { fileSystem: LOCAL[type], shared: false };
  return { fileSystem: `type 0x${type.toString(16)}`, shared: null };
}
