/** A position in a topic: ledger id and entry id, written `L:E` (Pulsar's `L:E:-1` is accepted). */
import { TierfsError } from '../errors.js';

export interface Position {
  readonly ledgerId: number;
  readonly entryId: number;
}

export function formatPosition(position: Position): string {
  return `${position.ledgerId}:${position.entryId}`;
}

export function parsePosition(raw: string): Position {
  const match = /^(\d+):(\d+)(?::-?\d+)?$/.exec(raw.trim());
  if (!match) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `invalid position '${raw}': expected ledgerId:entryId, e.g. 3:0`,
    );
  }
  return { ledgerId: Number(match[1]), entryId: Number(match[2]) };
}

export function comparePositions(a: Position, b: Position): number {
  return a.ledgerId - b.ledgerId || a.entryId - b.entryId;
}
