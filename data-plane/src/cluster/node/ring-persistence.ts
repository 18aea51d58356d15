/**
 * The applied ring document, persisted in the engine's KvStore under engine meta key `ring`, so a
 * restarted node routes by its last ring at once (before any membership source answers).
 * Stored as JSON inside the value envelope (kind `meta`): version byte and checksum, like every
 * persisted structure.
 */
import { unwrapValue, wrapValue } from '../../encoding/envelope.ts';
import { CorruptionError, ValidationError } from '../../errors.ts';
import { engineMetaKey } from '../../storage/keys.ts';
import type { KvStore } from '../../storage/kv-store.ts';
import { parseRingDoc, ringDocToJson, type RingDoc } from './ring-doc.ts';

const RING_KEY = engineMetaKey('ring');

/** Writes the document (fsync'd: a node must never route by an epoch older than one it acknowledged). */
export async function saveRingDoc(kv: KvStore, doc: RingDoc): Promise<void> {
  const payload = new TextEncoder().encode(JSON.stringify(ringDocToJson(doc)));
  await kv.write([{ type: 'put', key: RING_KEY, value: wrapValue('meta', payload) }], { sync: true });
}

/**
 * The persisted document, or null when none was stored.
 * @throws CorruptionError when the stored value fails its checksum or does not parse
 */
export async function loadRingDoc(kv: KvStore): Promise<RingDoc | null> {
  const raw = await kv.get(RING_KEY);
  if (!raw) return null;
  const { kind, payload } = unwrapValue(raw, 'meta/ring');
  if (kind !== 'meta') throw new CorruptionError(`stored ring has value kind ${kind}`, 'meta/ring');
  try {
    return parseRingDoc(JSON.parse(new TextDecoder().decode(payload)));
  } catch (cause) {
    const why = cause instanceof ValidationError ? cause.message : 'not JSON';
    throw new CorruptionError(`stored ring does not parse: ${why}`, 'meta/ring', { cause });
  }
}
