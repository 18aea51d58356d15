/**
 * `bun data-plane/src/ops/backup-cli.ts backup --url http://HOST:PORT --output X.tar.gz [--token T]`
 * `bun data-plane/src/ops/backup-cli.ts restore --input X.tar.gz --data-dir DIR`
 * (wrapped by scripts/utils/backup_restore.sh).
 *
 * Backup is online: the server streams a consistent snapshot (GET /admin/backup) while writes
 * continue; the stream is verified (trailer count + checksum) as it is written, then packed with
 * a manifest into a .tar.gz. Restore refuses a non-empty data directory, verifies the stream again
 * and writes it into a fresh RocksDB; the server then replays the snapshot's WAL records on start.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KvOp } from '../storage/kv-store.ts';
import { RocksKvStore } from '../storage/rocks-kv-store.ts';
import { readSnapshot, type SnapshotHeader } from './snapshot-stream.ts';

const MANIFEST_FORMAT = 1;

async function backup(url: string, output: string, token?: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'stsdb-backup-'));
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/admin/backup`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!res.ok || !res.body) throw new Error(`GET /admin/backup answered ${res.status}: ${await res.text()}`);
    const file = createWriteStream(join(tmp, 'snapshot.bin'));
    const progress = new Progress('backup');
    let header: SnapshotHeader | null = null;
    async function* teed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
        progress.bytes += chunk.length;
        yield chunk;
      }
    }
    let entries = 0;
    for await (const _ of readSnapshot(teed(), (h) => (header = h))) {
      entries++;
      progress.entries = entries;
      progress.tick();
    }
    await new Promise<void>((r, j) => file.end((err?: Error | null) => (err ? j(err) : r())));
    const h = header as SnapshotHeader | null;
    const manifest = {
      format: MANIFEST_FORMAT,
      walSeq: h?.walSeq,
      takenAt: h ? new Date(h.takenAtMs).toISOString() : null,
      entries,
      bytes: progress.bytes,
      source: url,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await run('tar', ['-czf', resolve(output), '-C', tmp, 'manifest.json', 'snapshot.bin']);
    progress.done(`wrote ${output}: ${entries} entries, snapshot point ${manifest.takenAt} (WAL seq ${manifest.walSeq})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function restore(input: string, dataDir: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`data directory ${dataDir} is not empty: restore only into an empty directory (stop the server, move the old data away)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'stsdb-restore-'));
  const created = !existsSync(dataDir);
  let kv: RocksKvStore | null = null;
  try {
    await run('tar', ['-xzf', resolve(input), '-C', tmp]);
    const manifest = JSON.parse(readFileSync(join(tmp, 'manifest.json'), 'utf8')) as { format: number; entries: number; takenAt: string; walSeq: number };
    if (manifest.format !== MANIFEST_FORMAT) throw new Error(`backup manifest format ${manifest.format} is not supported`);
    mkdirSync(dataDir, { recursive: true });
    kv = await RocksKvStore.open(dataDir, { writeBufferSize: 64 << 20, cacheSize: 8 << 20 });
    const progress = new Progress('restore');
    progress.total = manifest.entries;
    const src = createReadStream(join(tmp, 'snapshot.bin'), { highWaterMark: 1 << 20 });
    let ops: KvOp[] = [];
    let size = 0;
    for await (const e of readSnapshot(src as AsyncIterable<Uint8Array>, () => {})) {
      ops.push({ type: 'put', key: e.key, value: e.value });
      size += e.key.length + e.value.length;
      progress.entries++;
      progress.bytes += e.key.length + e.value.length;
      if (ops.length >= 1024 || size >= 8 << 20) {
        await kv.write(ops);
        ops = [];
        size = 0;
        progress.tick();
      }
    }
    await kv.write(ops, { sync: true });
    if (progress.entries !== manifest.entries) throw new Error(`restored ${progress.entries} entries, the manifest says ${manifest.entries}`);
    progress.done(`restored ${progress.entries} entries into ${dataDir} (snapshot point ${manifest.takenAt}, WAL seq ${manifest.walSeq})`);
  } catch (err) {
    await kv?.close().catch(() => {});
    kv = null;
    // Never leave a half-restored directory that a server could start on.
    if (created) rmSync(dataDir, { recursive: true, force: true });
    else for (const f of readdirSync(dataDir)) rmSync(join(dataDir, f), { recursive: true, force: true });
    throw err;
  } finally {
    await kv?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Progress lines on stderr, at most one a second, for long operations. */
class Progress {
  bytes = 0;
  entries = 0;
  total = 0;
  private readonly t0 = Date.now();
  private last = 0;
  constructor(private readonly what: string) {}
  tick(): void {
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    const pct = this.total ? ` (${((100 * this.entries) / this.total).toFixed(1)}%)` : '';
    const mbs = this.bytes / 1e6 / Math.max(0.001, (now - this.t0) / 1000);
    process.stderr.write(`${this.what}: ${this.entries} entries${pct}, ${(this.bytes / 1e6).toFixed(1)} MB, ${mbs.toFixed(1)} MB/s\n`);
  }
  done(msg: string): void {
    process.stderr.write(`${msg} in ${((Date.now() - this.t0) / 1000).toFixed(1)} s\n`);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  const p = Bun.spawn([cmd, ...args], { stderr: 'pipe' });
  return p.exited.then(async (code) => {
    if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${await new Response(p.stderr).text()}`);
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, output: { type: 'string' }, input: { type: 'string' }, 'data-dir': { type: 'string' }, token: { type: 'string' } },
  });
  const cmd = positionals[0];
  if (cmd === 'backup' && values.url && values.output) await backup(values.url, values.output, values.token ?? process.env.STOCK_TSDB_TOKEN);
  else if (cmd === 'restore' && values.input && values['data-dir']) {
    if (!existsSync(values.input) || !statSync(values.input).isFile()) throw new Error(`no backup file ${values.input}`);
    await restore(values.input, values['data-dir']);
  } else {
    process.stderr.write('usage: backup-cli.ts backup --url URL --output X.tar.gz [--token T] | restore --input X.tar.gz --data-dir DIR\n');
    return 2;
  }
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
