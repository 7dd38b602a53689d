// The device seq report of a restore: each device's last applied seq before and after the swap, so
// every edge knows what to push again, and the devices the restored database no longer knows.

/** What a restore did to one device: the edge pushes again everything after `restoredSeq`. */
export interface DeviceRewind {
  deviceId: string;
  name: string | null;
  /** The device's last applied seq in the restored database. */
  restoredSeq: number;
  /** Its last applied seq just before the restore; null when the device was not in the backup. */
  previousSeq: number | null;
  /** Seqs the edge must push again (previousSeq - restoredSeq); 0 for a device that lost nothing. */
  toResend: number;
}

/** A device's row as the swap reads it, before and after loading the backup. */
export interface DeviceRow {
  id: string;
  name: string | null;
  last: unknown;
}

/** Compares the devices before the swap with those the backup restored. */
export function compareDevices(
  before: DeviceRow[],
  after: DeviceRow[],
): {
  devices: DeviceRewind[];
  devicesLost: { deviceId: string; name: string | null; previousSeq: number }[];
} {
  const previous = new Map(before.map((d) => [d.id, d]));
  const restored = new Set(after.map((d) => d.id));
  const devices = after
    .map((d) => {
      const prior = previous.get(d.id);
      const restoredSeq = Number(d.last);
      const previousSeq = prior === undefined ? null : Number(prior.last);
      return {
        deviceId: d.id,
        name: d.name,
        restoredSeq,
        previousSeq,
        toResend: previousSeq === null ? 0 : Math.max(0, previousSeq - restoredSeq),
      };
    })
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  const devicesLost = before
    .filter((d) => !restored.has(d.id))
    .map((d) => ({ deviceId: d.id, name: d.name, previousSeq: Number(d.last) }))
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  return { devices, devicesLost };
}
