import { closestName } from './closestName.js';
import { UsageError, UnreachableError } from './usageError.js';

/**
 * Each subcommand lives in its own module and returns the process exit code. The modules are light: each
 * parses its flags before it loads its program's modules.
 */
type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  kafka: { summary: 'start | stop | status the embedded single-node Apache Kafka broker', load: () => import('./commands/kafka.js') },
  target: { summary: 'the target HTTP server (/ping, /metrics)', load: () => import('./commands/target.js') },
  orchestrator: { summary: 'the orchestrator: REST API, dashboard, runtime controller, metrics store', load: () => import('./commands/orchestrator.js') },
  driver: { summary: 'a driver node: registers, heartbeats, runs the load, reports', load: () => import('./commands/driver.js') },
  run: { summary: 'create and trigger a test through the REST API, show live progress, check thresholds', load: () => import('./commands/run.js') },
  export: { summary: 'finished tests\' results as JSON Lines, to keep them elsewhere before retention removes them', load: () => import('./commands/export.js') },
  compare: { summary: 'two exported results side by side, with relative thresholds for CI (exit 99)', load: () => import('./commands/compare.js') },
  demo: { summary: 'everything on one machine: Kafka, target, orchestrator, drivers, two tests', load: () => import('./commands/demo.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`);
  return `Usage: stampede <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`stampede <command> --help\` for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    const suggestion = closestName(name, Object.keys(commands));
    throw new UsageError(suggestion ? `unknown command "${name}"; did you mean "${suggestion}"?` : `unknown command "${name}" (try \`stampede --help\`)`);
  }
  return (await command.load()).run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`stampede: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof UnreachableError) {
    console.error(`stampede: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`stampede: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
