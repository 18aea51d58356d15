import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { defaultOutputPath, optimizeConfig } from './optimize-cli.ts';
import type { MachineInfo } from './tune.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const GiB = 1024 ** 3;
const MACHINE: MachineInfo = { cores: 8, memoryBytes: 16 * GiB, freeDiskBytes: 500 * GiB, dataSizeBytes: 3 * GiB };
const NOW = new Date('2026-01-02T03:04:05Z');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsdb-optimize-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyConfig(name: string): Promise<string> {
  const p = join(dir, name);
  await copyFile(join(ROOT, 'config', name), p);
  return p;
}

describe('optimizeConfig()', () => {
  it.each(['standalone_performance.lua', 'standalone_performance.yaml', 'cluster_scalable.lua', 'cluster_scalable.json'])(
    '%s: writes a tuned file that loads to the original config plus the changes',
    async (name) => {
      const input = await copyConfig(name);
      const lines: string[] = [];
      const { outputPath, result } = await optimizeConfig({ configPath: input, machine: MACHINE, now: NOW, log: (l) => lines.push(l) });
      expect(outputPath).toBe(defaultOutputPath(input));

      const before = (await loadConfig(input)).config;
      const after = (await loadConfig(outputPath)).config;
      const expected = structuredClone(before) as unknown as Record<string, Record<string, number>>;
      for (const c of result.changes) {
        const [s, k] = c.path.split('.') as [string, string];
        expected[s]![k] = c.to;
      }
      expect(after).toStrictEqual(expected);
      expect(result.changes.length).toBeGreaterThan(0);

      const text = await readFile(outputPath, 'utf8');
      if (!name.endsWith('.json')) {
        expect(text).toContain('2026-01-02T03:04:05.000Z');
        expect(text).toContain('8 cores, 16.0GB RAM, 500.0GB free disk at "./data/');
        for (const c of result.changes) expect(text).toContain(`tuned: ${c.reason}`);
      }
      expect(lines.at(-1)).toBe(`wrote ${outputPath}`);
    },
  );

  it('keeps the comments of a YAML input', async () => {
    const { outputPath } = await optimizeConfig({ configPath: await copyConfig('standalone_performance.yaml'), machine: MACHINE, now: NOW, log: () => {} });
    const text = await readFile(outputPath, 'utf8');
    expect(text).toContain('# seconds per fixed-length block');
    expect(text).toContain('the YAML twin of standalone_performance.lua');
  });

  it('names outputs beside the input, YAML for JSON input (JSON cannot hold the reasons)', () => {
    expect(defaultOutputPath('config/standalone_performance.lua')).toBe('config/standalone_performance.tuned.lua');
    expect(defaultOutputPath('/x/c.yml')).toBe('/x/c.tuned.yml');
    expect(defaultOutputPath('c.json')).toBe('c.tuned.yaml');
  });

  it('writes Lua that keeps odd keys and strings intact', async () => {
    const input = join(dir, 'odd.lua');
    await writeFile(input, 'return { storage = { data_dir = "./d \\"q\\" \\n" }, ["x-extra"] = { ["end"] = { 1, 2 } } }\n');
    const { outputPath } = await optimizeConfig({ configPath: input, machine: MACHINE, now: NOW, log: () => {} });
    const { config, warnings } = await loadConfig(outputPath);
    expect(config.storage.data_dir).toBe('./d "q" \n');
    expect(warnings).toEqual(['x-extra: unknown key, ignored']);
  });
});

describe('scripts/optimize_performance.sh', () => {
  it('runs under Bun from any working directory and writes --output', async () => {
    const input = await copyConfig('cluster_scalable.lua');
    const out = join(dir, 'out.yaml');
    const { stdout } = await promisify(execFile)(join(ROOT, 'scripts/optimize_performance.sh'), ['--config', input, '--output', out], { cwd: tmpdir() });
    expect(stdout).toContain(`wrote ${out}`);
    expect((await loadConfig(out)).config.cluster.enabled).toBe(true);
  });

  it('exits 1 with the problems of an invalid config and 2 without --config', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"storage": {"block_size": "abc"}}');
    const run = (args: string[]) => promisify(execFile)(join(ROOT, 'scripts/optimize_performance.sh'), args).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    const r1 = await run(['--config', bad]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('storage.block_size: expected a positive integer number of seconds');
    expect((await run([])).code).toBe(2);
  });
});
