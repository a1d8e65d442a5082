/**
 * One running mount: its settings, a client acting as the configured user, the operations and the
 * kernel mount; it notices when someone else unmounted it (`fusermount -u`, `umount`).
 */
import { userInfo } from 'node:os';
import { TierfsClient } from '../client/client.js';
import type { Configuration } from '../config/configuration.js';
import { SECURITY_LOGIN_USERNAME } from '../config/keys/index.js';
import { TierfsError } from '../errors.js';
import { IdentityMap } from './identity-map.js';
import { FuseMount, isMounted } from './mount.js';
import { type MountSettings, mountConfiguration, mountSettings } from './mount-settings.js';
import { type FuseLog, FuseOperations } from './operations.js';

const UNMOUNT_WATCH_MS = 2000;

export interface RunningMount {
  readonly settings: MountSettings;
  readonly operations: FuseOperations;
  /** Calls `listener` once when the kernel no longer has the mount (unmounted by someone else). */
  onUnmountedElsewhere(listener: () => void): void;
  stop(options?: { abort?: boolean }): Promise<void>;
}

export async function startMount(
  baseConf: Configuration,
  request: { mountPoint: string; tierfsPath: string; options: readonly string[]; log: FuseLog },
): Promise<RunningMount> {
  const conf = mountConfiguration(baseConf, request.options, `fuse mount ${request.mountPoint}`);
  const settings = mountSettings(conf);
  const client = TierfsClient.fromConfiguration(conf, {
    readType: settings.readType,
    writeType: settings.writeType,
  });
  // The root must exist, and be a directory, before anything is mounted.
  const root = await client.getStatus(request.tierfsPath);
  if (!root.isDirectory) {
    throw new TierfsError('NOT_A_DIRECTORY', `${request.tierfsPath} is a file: mount a directory`);
  }
  const ownUid = process.getuid?.() ?? 0;
  const ownGid = process.getgid?.() ?? 0;
  const ids = await IdentityMap.load({
    translate: settings.translate,
    users: settings.userMapping,
    groups: settings.groupMapping,
    ownUid,
    ownGid,
  });
  const user = conf.get(SECURITY_LOGIN_USERNAME) ?? userInfo().username;
  const operations = new FuseOperations({
    client,
    root: request.tierfsPath.replace(/\/+$/, '') || '/',
    readOnly: settings.readOnly,
    readType: settings.readType,
    writeType: settings.writeType,
    readAheadBytes: settings.maxReadahead,
    attrCacheTtlMs: settings.attrTimeoutMs,
    umask: settings.umask,
    appendRewriteMax: settings.appendRewriteMax,
    ids,
    translate: settings.translate,
    owner: settings.translate ? { uid: ids.uidOf(user), gid: ids.gidOf(user) } : { uid: ownUid, gid: ownGid },
    log: request.log,
  });
  const mount = await FuseMount.mount(
    operations,
    { mountPoint: request.mountPoint, ...settings },
    request.log,
  );
  let listener: (() => void) | undefined;
  const watch = setInterval(() => {
    isMounted(request.mountPoint).then((still) => {
      if (!still) listener?.();
    });
  }, UNMOUNT_WATCH_MS);
  watch.unref();
  return {
    settings,
    operations,
    onUnmountedElsewhere(callback) {
      listener = callback;
    },
    async stop(options = {}) {
      clearInterval(watch);
      await mount.unmount(options);
    },
  };
}
