/**
 * A configuration could not be read or is invalid. `problems` lists every problem found, each
 * starting with the key path it concerns (e.g. `storage.block_size: expected …`), so a user fixes
 * the whole file in one round instead of one error per restart.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';

  /**
   * @param source the file path (or a label such as "operator spec") the config came from
   * @param problems one line per problem, key path first; never empty
   */
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(formatMessage(source, problems), options);
  }
}

function formatMessage(source: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${source}: ${problems[0]}`;
  return `${source}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}
